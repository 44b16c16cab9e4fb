"""The `openirm` command: a thin layer over the launcher, migrations, servers and workers."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path

SERVE_TARGETS = ("identity", "ingest", "scoring", "cases", "gateway")


def _up(args: argparse.Namespace) -> int:
    from openirm.config import StackConfig
    from openirm.launcher import Stack, StackError

    config = StackConfig.from_env(Path(args.data_dir) if args.data_dir else None)
    stack = Stack(config)
    stopping = False

    def _stop(signum, frame):
        nonlocal stopping
        stopping = True
        stack.stop_requested = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    t0 = time.monotonic()
    print(f"OpenIRM: data in {config.data_dir}", flush=True)
    try:
        stack.start()
    except StackError as exc:
        print(f"OpenIRM failed to start: {exc}", file=sys.stderr)
        return 130 if stack.stop_requested else 1
    code = 0
    try:
        admin = stack.admin
        assert admin is not None
        print(f"\nOpenIRM is ready in {time.monotonic() - t0:.1f} s", flush=True)
        where = "embedded" if stack.postgres else "configured URL"
        print(f"  database          {where}")
        print(f"  redis             {'embedded Redis' if stack.redis else 'configured URL'}")
        print(f"  GraphQL           {config.url('gateway')}/graphql")
        for name in ("identity", "ingest", "scoring", "cases"):
            print(f"  {name:<17} {config.url(name)}/docs")
        if admin.created:
            print(f"\n  Admin account created: {admin.email} / {admin.password}")
            print("  (shown once; set OPENIRM_ADMIN_EMAIL / OPENIRM_ADMIN_PASSWORD to choose it)")
        else:
            print(f"\n  Admin account: {admin.email} (exists; password as set when created)")
        if args.demo:
            from openirm.demo import DEMO_PASSWORD, DEMO_STAFF, seed

            password = admin.password or os.environ.get("OPENIRM_ADMIN_PASSWORD")
            if not password:
                print("  --demo needs the admin password: set OPENIRM_ADMIN_PASSWORD",
                      file=sys.stderr)
            else:
                result = seed(config, admin.email, password)
                staff = ", ".join(email for email, _, _ in DEMO_STAFF)
                print(f"\n  Demo seeded: {result['receipt']['accepted']} new events; staff {staff} "
                      f"(password {DEMO_PASSWORD})")
                if result["alert"]:
                    a = result["alert"]
                    print(f"  Alert raised after {result['alert_after_s']} s: {a['alias']} "
                          f"score {a['score']} ({a['severity']}) under '{a['policy_name']}'")
                else:
                    print("  No demo alert yet; check the worker logs", file=sys.stderr)
        print("\nPress Ctrl-C to stop.", flush=True)
        while not stopping:
            crashed = stack.crashed()
            if crashed:
                print(f"\nOpenIRM: {', '.join(crashed)} stopped unexpectedly; stopping the whole "
                      "stack.", file=sys.stderr)
                code = 1
                break
            time.sleep(0.5)
    finally:
        print("\nOpenIRM: stopping...", flush=True)
        stack.stop()
        print("OpenIRM: stopped.")
    return code


def _migrate(args: argparse.Namespace) -> int:
    from openirm.migrate import upgrade
    from services.kit.settings import KitSettings

    upgrade(KitSettings().database_url,
            role_password=os.environ.get("OPENIRM_DB_ROLE_PASSWORD") or None)
    print("migrations applied")
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    import asyncio

    from openirm.launcher import _ensure_admin

    email = os.environ.get("OPENIRM_ADMIN_EMAIL", "admin@openirm.local")
    password = os.environ.get("OPENIRM_ADMIN_PASSWORD")
    if not password or len(password) < 12:
        print("set OPENIRM_ADMIN_PASSWORD (at least 12 characters)", file=sys.stderr)
        return 2
    env = {k: v for k, v in os.environ.items() if k.startswith("OPENIRM_")}
    created = asyncio.run(_ensure_admin(env, email, password))
    print(f"admin {email} {'created' if created else 'exists already'}")
    return 0


def _provision_clients(args: argparse.Namespace) -> int:
    """For deployments without the launcher (compose): each service's client id and secret
    are chosen by the operator (OPENIRM_<SERVICE>_CLIENT_ID, a UUID, and
    OPENIRM_<SERVICE>_CLIENT_SECRET, 32+ characters) and given to that service alone as
    OPENIRM_CLIENT_ID / OPENIRM_CLIENT_SECRET; this creates or updates the clients to match."""
    import asyncio
    import uuid

    from openirm.config import SERVICES
    from openirm.launcher import ClientCredentials, _ensure_service_clients

    given: dict[str, ClientCredentials] = {}
    for name in SERVICES:
        client_id = os.environ.get(f"OPENIRM_{name.upper()}_CLIENT_ID", "")
        secret = os.environ.get(f"OPENIRM_{name.upper()}_CLIENT_SECRET", "")
        try:
            uuid.UUID(client_id)
        except ValueError:
            print(f"set OPENIRM_{name.upper()}_CLIENT_ID to a UUID (e.g. from uuidgen)",
                  file=sys.stderr)
            return 2
        if len(secret) < 32:
            print(f"set OPENIRM_{name.upper()}_CLIENT_SECRET (at least 32 characters)",
                  file=sys.stderr)
            return 2
        given[name] = ClientCredentials(client_id, secret)
    env = {k: v for k, v in os.environ.items() if k.startswith("OPENIRM_")}
    from services.kit.errors import OpenIRMError

    try:
        asyncio.run(_ensure_service_clients(env, SERVICES, given))
    except OpenIRMError as exc:
        print(f"cannot provision the service clients: {exc.message}", file=sys.stderr)
        return 1
    print("service clients: " + ", ".join(f"openirm-{n} {c.client_id}"
                                           for n, c in given.items()))
    return 0


def _watch_parent() -> None:
    """A process the launcher started stops when the launcher is gone, even if the launcher
    was killed outright and could not stop it."""
    import threading

    parent = os.environ.get("OPENIRM_PARENT_PID")
    if not parent:
        return

    def watch() -> None:
        while os.getppid() == int(parent):
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    _watch_parent()
    target = "gateway.app:app" if args.service == "gateway" else f"services.{args.service}.app:app"
    uvicorn.run(target, host=args.host, port=args.port, workers=args.workers,
                log_level="warning", timeout_graceful_shutdown=10, proxy_headers=False)
    return 0


def _worker(args: argparse.Namespace) -> int:
    from services.kit.worker import run_resilient

    _watch_parent()
    module = __import__(f"services.{args.service}.worker", fromlist=["WorkerSettings"])
    run_resilient(module.WorkerSettings)
    return 0


def _export(args: argparse.Namespace) -> int:
    from openirm.contracts import check, committed_graphql_changes, export

    changes = committed_graphql_changes()
    for change in changes:
        print(f"graphql: {change}")
    breaking = sum(c.breaking for c in changes)
    if changes:
        print(f"graphql: {breaking} breaking and {len(changes) - breaking} dangerous change(s) "
              f"against the committed contracts/schema.graphql")
    if args.check:
        drift = check()
        for rel in drift:
            print(f"drift: contracts/{rel}")
        return 1 if drift or (breaking and args.fail_on_breaking) else 0
    if breaking and args.fail_on_breaking:
        print("not written: breaking GraphQL changes (drop --fail-on-breaking to accept them)")
        return 1
    written = export()
    print("\n".join(f"wrote contracts/{r}" for r in written) or "contracts are up to date")
    return 0


def _verify_export(args: argparse.Namespace) -> int:
    from services.cases.exports.verify import verify_file

    try:
        verdict = verify_file(args.bundle, public_key_file=args.public_key, url=args.url)
    except (OSError, ValueError) as exc:
        print(f"INVALID: cannot verify: {exc}")
        return 1
    except Exception as exc:  # the key could not be fetched
        print(f"INVALID: cannot get the public key: {exc}")
        return 1
    print(verdict.summary())
    return 0 if verdict.ok else 1


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="openirm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run the whole stack (embedded servers unless URLs are set)")
    up.add_argument("--demo", action="store_true", help="seed a departing-employee scenario")
    up.add_argument("--data-dir", help="where embedded data lives (default ./.openirm)")
    up.set_defaults(func=_up)
    sub.add_parser("migrate", help="apply migrations to OPENIRM_DATABASE_URL").set_defaults(
        func=_migrate)
    sub.add_parser("create-admin", help="create the first Admin from OPENIRM_ADMIN_EMAIL / "
                   "OPENIRM_ADMIN_PASSWORD if it does not exist").set_defaults(func=_create_admin)
    sub.add_parser("provision-clients", help="create or update each service's client from "
                   "OPENIRM_<SERVICE>_CLIENT_ID / _CLIENT_SECRET (compose)").set_defaults(
        func=_provision_clients)
    serve = sub.add_parser("serve", help="run one service or the gateway")
    serve.add_argument("service", choices=SERVE_TARGETS)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=_serve)
    worker = sub.add_parser("worker", help="run a service's arq worker")
    worker.add_argument("service", choices=("scoring", "cases"))
    worker.set_defaults(func=_worker)
    export = sub.add_parser("export-contracts", help="write contracts/ from the code")
    export.add_argument("--check", action="store_true", help="only report drift (exit 1)")
    export.add_argument("--fail-on-breaking", action="store_true",
                        help="exit 1 (writing nothing) when the GraphQL schema has breaking "
                             "changes against the committed SDL")
    export.set_defaults(func=_export)
    verify = sub.add_parser("verify-export", help="check an escalation export bundle's "
                            "checksums and signature (exit 0 valid, 1 not)")
    verify.add_argument("bundle", help="the bundle (ZIP) to check")
    key = verify.add_mutually_exclusive_group(required=True)
    key.add_argument("--public-key", metavar="FILE", help="the signing key's public PEM")
    key.add_argument("--url", help="a cases service URL; its GET /exports/signing-key is used")
    verify.set_defaults(func=_verify_export)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
