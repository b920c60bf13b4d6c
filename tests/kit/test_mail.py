"""Email: the log sender writes readable messages; the SMTP sender speaks to a real (tiny, local)
SMTP server, and refuses to go on without TLS when TLS is asked for."""

from __future__ import annotations

import socketserver
import stat
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest

from seagreen.config import Settings
from seagreen.kit.mail import Email, LogSender, MailError, SmtpSender, sender_from_settings

MESSAGE = Email(
    "green@bank.example",
    "【海绿】年报提醒 / Annual report reminder",
    "请于 2027-03-31 前提交。\nSubmit by 31 March.",
)


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to accept one message; no STARTTLS offered."""

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self._say("220 test ESMTP")
        while line := self.rfile.readline():
            verb = line.decode().strip().upper()
            if verb.startswith(("EHLO", "HELO")):
                self._say("250-test")
                self._say("250 8BITMIME")
            elif verb.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self._say("250 ok")
            elif verb == "DATA":
                self._say("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk
                self.server.received.append(data)  # type: ignore[attr-defined]
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 not implemented")


@pytest.fixture()
def smtp_server() -> Iterator[tuple[int, list[bytes]]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], server.received  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


def test_smtp_sends_a_utf8_message(smtp_server):
    port, received = smtp_server
    SmtpSender("127.0.0.1", port, "SeaGreen <noreply@seagreen.invalid>", security="none", timeout=5).send(
        MESSAGE
    )
    assert len(received) == 1
    parsed = message_from_bytes(received[0])
    assert parsed["To"] == "green@bank.example"
    assert str(make_header(decode_header(parsed["Subject"]))) == MESSAGE.subject
    body = parsed.get_payload(decode=True).decode("utf-8")
    assert "2027-03-31" in body and "Submit by 31 March." in body


def test_smtp_never_sends_in_clear_when_starttls_is_asked_for(smtp_server):
    port, received = smtp_server
    with pytest.raises(MailError, match=r"127\.0\.0\.1"):
        SmtpSender("127.0.0.1", port, "noreply@seagreen.invalid", security="starttls", timeout=5).send(
            MESSAGE
        )
    assert received == []


def test_an_unreachable_server_is_a_mail_error():
    with pytest.raises(MailError):
        SmtpSender("127.0.0.1", 1, "noreply@seagreen.invalid", security="none", timeout=2).send(MESSAGE)


def test_the_log_sender_appends_readable_messages_privately(tmp_path):
    path = tmp_path / "mail.log"
    sender = LogSender(path, "SeaGreen <noreply@seagreen.invalid>")
    sender.send(MESSAGE)
    sender.send(Email("other@bank.example", "second", "two"))
    text = path.read_text(encoding="utf-8")
    assert "To: green@bank.example" in text and MESSAGE.subject in text and "请于 2027-03-31 前提交。" in text
    assert text.index("green@bank.example") < text.index("other@bank.example")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_sender_comes_from_settings(tmp_path):
    assert isinstance(sender_from_settings(Settings(mail_log_file=tmp_path / "m.log")), LogSender)
    smtp = sender_from_settings(
        Settings(
            mail_backend="smtp",
            smtp_host="smtp.example",
            smtp_port=465,
            smtp_security="ssl",
            smtp_username="u",
            smtp_password="p",
        )
    )
    assert isinstance(smtp, SmtpSender) and (smtp.host, smtp.port, smtp.security, smtp.password) == (
        "smtp.example",
        465,
        "ssl",
        "p",
    )
