"""arq worker settings for a service: its own queue, a Runtime in the job context, low poll
delay (a wake-up should start within milliseconds), and the request id restored in each job."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from arq import cron

from services.kit.context import request_id_var
from services.kit.jobs import redis_settings
from services.kit.logs import setup_logging
from services.kit.runtime import Runtime
from services.kit.settings import KitSettings

Job = Callable[..., Awaitable[Any]]
log = logging.getLogger("openirm.worker")


def job(name: str, fn: Callable[..., Awaitable[Any]]) -> Any:
    """Wrap `fn(rt, **kwargs)` as an arq function named `name`."""
    from arq.worker import func

    @functools.wraps(fn)
    async def run(ctx: dict, request_id: str | None = None, **kwargs: Any) -> Any:
        token = request_id_var.set(request_id)
        try:
            return await fn(ctx["rt"], **kwargs)
        finally:
            request_id_var.reset(token)

    return func(run, name=name)


def catch_up(fn: Callable[[Runtime], Awaitable[Any]], every_s: int) -> Any:
    async def run(ctx: dict) -> Any:
        return await fn(ctx["rt"])

    run.__qualname__ = run.__name__ = f"catch_up_{fn.__name__}"
    return cron(run, second=set(range(0, 60, every_s)), run_at_startup=True, unique=True)


def worker_settings(service: str, queue: str, runtime_factory: Callable[[], Runtime],
                    functions: list[Any], cron_jobs: list[Any]) -> type:
    settings = KitSettings()
    # One runtime per process: a worker restarted after losing Redis (whose shutdown hook
    # did not run) reuses it instead of leaking a second pool.
    held: list[Runtime] = []

    async def startup(ctx: dict) -> None:
        if not held:
            held.append(runtime_factory())
            setup_logging(f"{service}-w", held[0].settings.log_format)
        ctx["rt"] = held[0]

    async def shutdown(ctx: dict) -> None:
        if held:
            await held.pop().close()

    return type("WorkerSettings", (), {
        "functions": functions, "cron_jobs": cron_jobs, "queue_name": queue,
        "redis_settings": redis_settings(settings.redis_url),
        "on_startup": startup, "on_shutdown": shutdown,
        "poll_delay": 0.05, "max_jobs": 20, "job_timeout": 300, "max_tries": 10,
        "keep_result": 60, "handle_signals": True,
    })


def run_resilient(settings_cls: type, retry_s: float = 1.0) -> None:
    """Run an arq worker until it is told to stop. arq gives up when Redis goes away; Redis
    only carries wake-ups (the work itself is in PostgreSQL), so the worker waits for Redis
    and starts again instead of taking the process down."""
    from arq.worker import run_worker
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    while True:
        try:
            run_worker(settings_cls)
            return
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            log.warning("lost Redis (%s); the worker starts again when it is back", exc)
            time.sleep(retry_s)
