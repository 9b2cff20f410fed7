"""How rendered mail leaves: an SMTP relay, or a directory of .eml files.

Transports only say whether a failure is worth retrying (4xx, connection
trouble) or final (5xx); the outbox decides what to do about it.
"""
from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from gateway.config import SmtpOutbound


class TemporaryFailure(Exception):
    """Try again later."""


class PermanentFailure(Exception):
    """Retrying will not help; str() is the reason kept on the row."""


class Transport(Protocol):
    def send(self, message: EmailMessage, recipient: str, sender: str) -> None: ...


class MaildirTransport:
    """One .eml file per mail, named by Message-ID, so a resend overwrites itself."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def send(self, message: EmailMessage, recipient: str, sender: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._-]", "_", str(message["Message-ID"]).strip("<>"))[:200]
        target = self.directory / f"{name}.eml"
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(message.as_bytes())
        os.replace(tmp, target)


class SmtpTransport:
    def __init__(self, settings: SmtpOutbound, password: str = ""):
        self.settings, self.password = settings, password

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file or None)

    def connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self.context())
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.security == "starttls":
                client.starttls(context=self.context())
        if s.username:
            client.login(s.username, self.password)
        return client

    def send(self, message: EmailMessage, recipient: str, sender: str) -> None:
        try:
            with self.connect() as client:
                client.send_message(message, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPAuthenticationError as exc:  # a config problem: keep the mail, retry
            raise TemporaryFailure(f"authentication failed: {exc.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise _classify(code, reply) from None
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPException, OSError, socket.timeout) as exc:
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from None


def _classify(code: int, reply: bytes | str) -> Exception:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    if 500 <= code < 600:
        return PermanentFailure(f"{code} {text}")
    return TemporaryFailure(f"{code} {text}")
