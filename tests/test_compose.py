"""compose.yaml cannot be run here (no Docker engine); this keeps it consistent with the code."""

from __future__ import annotations

from pathlib import Path

import yaml

from openirm.cli import SERVE_TARGETS

COMPOSE = yaml.safe_load((Path(__file__).resolve().parent.parent / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]


def test_every_process_of_openirm_up_is_in_compose() -> None:
    commands = {tuple(s["command"][1:3]) for s in SERVICES.values()
                if isinstance(s.get("command"), list) and s["command"][0] == "openirm"}
    assert {("serve", name) for name in SERVE_TARGETS} | {("worker", "scoring"),
                                                          ("worker", "cases")} <= commands


def test_service_urls_match_the_ports_they_serve_on() -> None:
    env = SERVICES["ingest"]["environment"]
    for name in ("identity", "ingest", "scoring", "cases"):
        port = SERVICES[name]["command"][-1]
        assert env[f"OPENIRM_{name.upper()}_URL"] == f"http://{name}:{port}"


def test_each_process_gets_only_its_keys() -> None:
    assert "OPENIRM_IDENTITY_KEY" in SERVICES["identity"]["environment"]
    for name in ("ingest", "scoring", "cases", "scoring-worker", "cases-worker"):
        assert "OPENIRM_IDENTITY_KEY" not in SERVICES[name]["environment"], name
    gateway = SERVICES["gateway"]["environment"]
    assert not {"OPENIRM_DATABASE_URL", "OPENIRM_JWT_SECRET",
                "OPENIRM_IDENTITY_KEY"} & set(gateway)
    assert gateway["OPENIRM_REDIS_URL"] == "redis://redis:6379/0"  # live events only


def test_each_service_gets_its_own_client_credentials_only() -> None:
    """`migrate` provisions every service's client; each service and its worker get only
    their own id and secret, the gateway none."""
    migrate = SERVICES["migrate"]
    assert "openirm provision-clients" in migrate["command"][-1]
    for name in ("identity", "ingest", "scoring", "cases"):
        for key in ("CLIENT_ID", "CLIENT_SECRET"):
            assert f"OPENIRM_{name.upper()}_{key}" in migrate["environment"]
    for process, service in (("identity", "identity"), ("ingest", "ingest"),
                             ("scoring", "scoring"), ("cases", "cases"),
                             ("scoring-worker", "scoring"), ("cases-worker", "cases")):
        env = SERVICES[process]["environment"]
        assert env["OPENIRM_CLIENT_ID"] == f"${{OPENIRM_{service.upper()}_CLIENT_ID}}"
        assert env["OPENIRM_CLIENT_SECRET"] == f"${{OPENIRM_{service.upper()}_CLIENT_SECRET}}"
        assert not [v for k, v in env.items() if k != "OPENIRM_CLIENT_SECRET"
                    and "CLIENT_SECRET" in str(v)], process
    assert not {"OPENIRM_CLIENT_ID", "OPENIRM_CLIENT_SECRET"} & set(
        SERVICES["gateway"]["environment"])


def test_each_service_connects_as_its_own_database_role() -> None:
    from sqlalchemy.engine import make_url

    from openirm.migrate import SERVICE_ROLES

    admin = make_url(SERVICES["migrate"]["environment"]["OPENIRM_DATABASE_URL"])
    assert "OPENIRM_DB_ROLE_PASSWORD" in SERVICES["migrate"]["environment"]
    for name in ("identity", "ingest", "scoring", "cases", "scoring-worker", "cases-worker"):
        env = SERVICES[name]["environment"]
        url = make_url(env["OPENIRM_DATABASE_URL"])
        assert url.username == SERVICE_ROLES[name.removesuffix("-worker")], name
        assert (url.host, url.database) == (admin.host, admin.database), name
        assert url.password == "${OPENIRM_DB_ROLE_PASSWORD:?set OPENIRM_DB_ROLE_PASSWORD}"
        assert "OPENIRM_DB_ROLE_PASSWORD" not in env, name
