"""A local SMTP server (aiosmtpd, in a thread) that keeps every message it receives: the
mail server the stack's notices go to in the tests."""

from __future__ import annotations

import email
import email.policy
import socket
import time
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope) -> str:
        msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                       policy=email.policy.default)
        self.sink.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK"


class SmtpSink:
    def __init__(self) -> None:
        self.messages: list[Received] = []
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def env(self) -> dict[str, str]:
        return {"OPENIRM_SMTP_URL": f"smtp://127.0.0.1:{self.port}",
                "OPENIRM_SMTP_SECURITY": "none"}

    def wait_for(self, predicate, within: float = 20.0) -> Received:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for received in list(self.messages):
                if predicate(received):
                    return received
            time.sleep(0.05)
        raise AssertionError("no such message reached the SMTP server")

    def stop(self) -> None:
        self.controller.stop()
