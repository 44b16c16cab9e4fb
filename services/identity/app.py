"""The identity service: accounts and tokens, roles, the pseudonym map, reveal, the audit API."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import FastAPI

from services.identity.access import service as access_service
from services.identity.access.router import router as access_router
from services.identity.accounts import repository as accounts_repo
from services.identity.accounts.router import router as accounts_router
from services.identity.audit.router import router as audit_router
from services.identity.clients.router import router as clients_router
from services.identity.people.crypto import IdentityVault
from services.identity.people.router import IMPORT_PATH
from services.identity.people.router import router as people_router
from services.identity.privacy.router import router as privacy_router
from services.identity.reveals.router import router as reveals_router
from services.identity.roles import repository as roles_repo
from services.identity.roles.router import router as roles_router
from services.identity.settings import IdentitySettings
from services.kit.app import create_app
from services.kit.runtime import Runtime
from services.kit.scopes import AccessScope


def build_runtime(settings: IdentitySettings | None = None) -> Runtime:
    settings = settings or IdentitySettings()
    rt: Runtime

    async def load_assignments() -> list[tuple[str, str]]:
        async with rt.db.sessionmaker() as session:
            by_subject = await accounts_repo.roles_by_subject(session)
        return [(s, r) for s, roles in by_subject.items() for r in roles]

    async def load_scope(subject: str) -> AccessScope:
        async with rt.db.sessionmaker() as session:
            resolved = await access_service.resolve(session, subject)
        return AccessScope.from_wire(resolved.model_dump(mode="json"))

    async def load_accounts() -> dict[str, str]:
        async with rt.db.sessionmaker() as session:
            return dict(await roles_repo.active_accounts(session))

    rt = Runtime("identity", settings, load_assignments, load_accounts=load_accounts,
                 load_scope=load_scope)
    return rt


def _setup(app: FastAPI, rt: Runtime) -> None:
    app.state.vault = IdentityVault(rt.settings.identity_key,
                                    rt.settings.identity_previous_keys)
    tasks: set[asyncio.Task] = set()
    app.state.rekey_tasks = tasks

    async def stop_rekey() -> None:
        """A pass stopped here is resumed by starting it again."""
        for task in list(tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    rt.on_close.insert(0, stop_rekey)


def create() -> FastAPI:
    return create_app("identity", "OpenIRM identity", build_runtime,
                      [accounts_router, clients_router, access_router, roles_router,
                       people_router, reveals_router, privacy_router, audit_router],
                      "Staff accounts and tokens, service clients (OAuth 2.0 client credentials), "
                      "role assignments, the monitored-person "
                      "directory and pseudonym map, reveal, and the audit-log API.",
                      setup=_setup, streamed_paths=frozenset({IMPORT_PATH}))


app = create()
