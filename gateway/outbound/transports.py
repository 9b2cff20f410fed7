"""How rendered mail leaves: an SMTP relay, or a directory of .eml files.

Transports only say whether a failure is worth retrying (4xx, connection
trouble) or final (5xx); the outbox decides what to do about it.
"""
from __future__ import annotations

import itertools
import os
import re
import secrets
import smtplib
import socket
import ssl
from pathlib import Path
from typing import Protocol

from gateway.config import SmtpOutbound


class TemporaryFailure(Exception):
    """Try again later."""


class PermanentFailure(Exception):
    """Retrying will not help; str() is the reason kept on the row."""


class Transport(Protocol):
    def send(self, raw: bytes, message_id: str, recipient: str, sender: str) -> None: ...

    def close(self) -> None: ...


class EmlFolderTransport:
    """One .eml file per mail, named by Message-ID, so a resend overwrites itself: a flat
    folder for demos and tests, not a Maildir (config: transport = "maildir", a name kept
    for the configs that use it).

    The file is written under a temporary name unique to this process and call (pid,
    a counter, random bytes) and then renamed into place: two workers, threads or
    hosts sharing the directory never write into or rename away each other's file."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def send(self, raw: bytes, message_id: str, recipient: str, sender: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._-]", "_", message_id.strip("<>"))[:200]
        target = self.directory / f"{name}.eml"
        tmp = self.directory / f".{name}.{unique_suffix()}.tmp"
        try:
            tmp.write_bytes(raw)
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise TemporaryFailure(f"cannot write {target.name}: {exc}") from None

    def close(self) -> None:
        pass


_SENDS = itertools.count()  # next() on a count is atomic under the GIL: unique per thread too


def unique_suffix() -> str:
    """pid + counter + random: unique per process and call, also across hosts on one volume."""
    return f"{os.getpid()}.{next(_SENDS)}.{secrets.token_hex(4)}"


class SmtpTransport:
    """One relay connection is kept for a delivery run (close() ends it), so a backlog
    costs one handshake, not one per mail; a stale connection gets one fresh retry."""

    def __init__(self, settings: SmtpOutbound, password: str = ""):
        self.settings, self.password = settings, password
        self._client: smtplib.SMTP | None = None

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

    def send(self, raw: bytes, message_id: str, recipient: str, sender: str) -> None:
        try:
            self._deliver(raw, recipient, sender)
        except smtplib.SMTPAuthenticationError as exc:  # a config problem: keep the mail, retry
            raise TemporaryFailure(f"authentication failed: {exc.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise _classify(code, reply) from None
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPException, OSError, socket.timeout) as exc:
            self.close()
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from None

    def _deliver(self, raw: bytes, recipient: str, sender: str) -> None:
        raw = _BARE_LF.sub(b"\r\n", raw)  # SMTP lines end in CRLF; smtplib fixes str, not bytes
        if self._client is not None:
            try:
                self._client.sendmail(sender, [recipient], raw)
                return
            except smtplib.SMTPServerDisconnected:
                self.close()  # the relay dropped the idle connection: one fresh try
            except smtplib.SMTPException:
                raise  # a real answer from the relay (SMTPException is an OSError too)
            except OSError:
                self.close()
        self._client = self.connect()
        self._client.sendmail(sender, [recipient], raw)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


_BARE_LF = re.compile(rb"(?<!\r)\n")


def _classify(code: int, reply: bytes | str) -> Exception:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    if 500 <= code < 600:
        return PermanentFailure(f"{code} {text}")
    return TemporaryFailure(f"{code} {text}")
