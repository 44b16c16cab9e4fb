from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Api
from tests.factories import put_settings, settings_of


@pytest.fixture
def restore_settings(api: Api) -> Iterator[dict]:
    """The global settings are shared by every test on the stack: a test that changes them
    gets the current document and has it put back afterwards."""
    before = settings_of(api)["settings"]
    yield before
    resp = put_settings(api, before)
    if resp.status_code == 409:
        # Indicators a policy made during the test uses cannot be disabled again: keep them.
        enabled = set(before["enabled_indicators"]) | set(
            settings_of(api)["settings"]["enabled_indicators"])
        resp = put_settings(api, {**before, "enabled_indicators": sorted(enabled)})
    resp.raise_for_status()
