"""A local webhook receiver for tests: a real HTTP server on a free port in the test process
that records each request and answers with the status it is told to."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def payload(self) -> dict:
        return json.loads(self.body)

    def verifies(self, secret: str) -> bool:
        try:
            Webhook(secret).verify(self.body, self.headers)
            return True
        except WebhookVerificationError:
            return False


@dataclass
class Receiver:
    fail_next: int = 0  # answer 500 to this many requests, then 204
    always_fail: bool = False
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        owner = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with lock:
                    fail = owner.always_fail or owner.fail_next > 0
                    if owner.fail_next > 0:
                        owner.fail_next -= 1
                    status = 500 if fail else 204
                    owner.received.append(Received(
                        {k.lower(): v for k, v in self.headers.items()}, body, status))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def events(self, type_: str | None = None, *, ok_only: bool = True) -> list[dict]:
        return [r.payload for r in list(self.received)
                if (not ok_only or r.answered < 300)
                and (type_ is None or r.payload["type"] == type_)]


async def eventually(check: Callable[[], object], *, within: float = 30,
                     what: str = "condition") -> object:
    deadline = time.monotonic() + within
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {within} s")
        await asyncio.sleep(0.2)
