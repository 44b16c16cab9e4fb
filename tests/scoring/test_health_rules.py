"""Policy health as a rule on plain data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.scoring.engine.catalogue import INDICATORS
from services.scoring.policies.health import Observed, assess

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
USB = [INDICATORS["usb_copy"]]


def _codes(template: str, observed: Observed, active: bool = True,
           indicators: list = USB) -> tuple[str, dict[str, str]]:
    status, reasons = assess(template, active, indicators, observed, NOW)
    return status, {r.code: r.level for r in reasons}


def test_healthy_when_its_sources_are_fresh() -> None:
    seen = {"hr.resignation": NOW - timedelta(days=1),
            "device.file_copied_to_usb": NOW - timedelta(hours=1)}
    assert _codes("data_theft_departing_users", Observed(seen, 0, 1, 100)) == ("healthy", {})


def test_missing_and_stale_prerequisites_are_warnings() -> None:
    usb = {"device.file_copied_to_usb": NOW}
    assert _codes("data_theft_departing_users", Observed(usb, 0, 0, 0)) == (
        "warnings", {"no_hr_data": "warning"})
    stale = {**usb, "hr.termination": NOW - timedelta(days=8)}
    assert _codes("data_theft_departing_users", Observed(stale, 0, 0, 0))[1] == {
        "stale_hr_data": "warning"}
    assert _codes("data_leaks", Observed(usb, 0, 0, 0))[1] == {"no_dlp_data": "warning"}
    assert _codes("security_violations_priority_users", Observed(usb, 0, 0, 0),
                  indicators=[])[1] == {"priority_groups_empty": "warning"}


def test_silent_indicators_broad_triggers_and_inactivity_are_recommendations() -> None:
    seen = {"hr.resignation": NOW, "device.file_copied_to_usb": NOW}
    two = [INDICATORS["usb_copy"], INDICATORS["print"]]
    status, codes = _codes("data_theft_departing_users", Observed(seen, 0, 16, 100),
                           active=False, indicators=two)
    assert status == "recommendations"
    assert codes == {"indicator_without_data": "recommendation",
                     "trigger_too_broad": "recommendation", "inactive": "recommendation"}
    # 15 % exactly is not "more than 15 %"; fewer than 10 active people say nothing.
    assert "trigger_too_broad" not in _codes("data_theft_departing_users",
                                             Observed(seen, 0, 15, 100))[1]
    assert "trigger_too_broad" not in _codes("data_theft_departing_users",
                                             Observed(seen, 0, 9, 9))[1]
    status, codes = _codes("data_theft_departing_users", Observed({"hr.resignation": NOW},
                                                                  0, 0, 0))
    assert status == "warnings" and codes["no_indicator_data"] == "warning"
