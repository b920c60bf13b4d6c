"""Sending email: a small sender interface, an SMTP sender (stdlib ``smtplib``) and a log sender
that appends each message to a file, for the demo and for machines without a mail server.

Which one is used comes from settings (:func:`sender_from_settings`); tests pass a fake sender.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from seagreen.config import Settings
from seagreen.kit.clock import utcnow

log = logging.getLogger("seagreen.mail")


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


class MailError(Exception):
    """A message could not be handed over (the server refused it or could not be reached)."""


class MailSender(Protocol):
    def send(self, message: Email) -> None: ...


def build_message(message: Email, sender: str, now: datetime | None = None) -> EmailMessage:
    built = EmailMessage()
    built["From"] = sender
    built["To"] = message.to
    built["Subject"] = message.subject
    built["Date"] = format_datetime(now or utcnow())
    built["Message-ID"] = make_msgid(domain="seagreen.invalid")
    built.set_content(message.body, charset="utf-8")
    return built


class LogSender:
    """Appends each message, readable (headers and the UTF-8 body as they are), to a file (mode
    0600), and a line to the log: for the demo and for machines without a mail server."""

    def __init__(self, path: Path, sender: str) -> None:
        self.path = path
        self.sender = sender

    def send(self, message: Email) -> None:
        built = build_message(message, self.sender)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(f"----- {built['Date']} {built['Message-ID']}\n")
            out.write(f"From: {self.sender}\nTo: {message.to}\nSubject: {message.subject}\n\n")
            out.write(message.body.rstrip("\n") + "\n\n")
        self.path.chmod(0o600)
        log.info("mail to %s: %s (written to %s)", message.to, message.subject, self.path)


class SmtpSender:
    """An SMTP server with STARTTLS (587), implicit TLS (465) or neither (a local relay)."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.security = security
        self.username = username
        self.password = password
        self.timeout = timeout

    def send(self, message: Email) -> None:
        built = build_message(message, self.sender)
        context = ssl.create_default_context()
        try:
            if self.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.security == "starttls":
                    client.starttls(context=context)
                if self.username:
                    client.login(self.username, self.password or "")
                client.send_message(built)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"{self.host}:{self.port}: {exc}") from exc


def sender_from_settings(settings: Settings) -> MailSender:
    if settings.mail_backend == "smtp":
        return SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.mail_from,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout_seconds,
        )
    return LogSender(settings.mail_log_path, settings.mail_from)
