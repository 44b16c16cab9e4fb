"""One notice over SMTP (aiosmtplib): From, To and Cc in the headers, Bcc only in the
envelope, the body as HTML."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from services.cases.settings import CasesSettings


@dataclass(frozen=True)
class Outgoing:
    send_from: str
    to: str
    cc: list[str]
    bcc: list[str]
    subject: str
    body_html: str
    notice_id: str


def build(mail: Outgoing) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail.send_from
    msg["To"] = mail.to
    if mail.cc:
        msg["Cc"] = ", ".join(mail.cc)
    msg["Subject"] = mail.subject
    msg["Date"] = email.utils.formatdate(localtime=False)
    domain = mail.send_from.rpartition("@")[2] or "openirm.local"
    msg["Message-ID"] = f"<notice-{mail.notice_id}@{domain}>"
    msg.set_content(mail.body_html, subtype="html")
    return msg


async def send(settings: CasesSettings, mail: Outgoing) -> None:
    assert settings.smtp_url is not None
    url = urlsplit(settings.smtp_url.get_secret_value())
    security = settings.smtp_security or ("tls" if url.scheme == "smtps" else "starttls")
    port = url.port or (465 if security == "tls" else 587 if security == "starttls" else 25)
    await aiosmtplib.send(
        build(mail), hostname=url.hostname, port=port,
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        use_tls=security == "tls", start_tls=security == "starttls",
        sender=str(settings.smtp_default_from or mail.send_from),
        recipients=[mail.to, *mail.cc, *mail.bcc], timeout=settings.smtp_timeout_s)
