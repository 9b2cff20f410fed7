"""The embedded SMTP/LMTP listener (aiosmtpd).

The message is accepted (250) only after the pipeline stored it durably;
if storing fails the sender gets a 451 and keeps the mail in its queue, so an
MTA in front of us never loses anything because of us.
"""
from __future__ import annotations

import asyncio
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Protocol

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger("gateway.smtp")


class Outcome(Protocol):
    @property
    def state(self) -> str: ...  # read-only: the pipeline's outcomes are frozen


Sink = Callable[[bytes, str], Outcome]


class Handler:
    """Stores each mail in one worker thread of its own: the ingest lock lets one mail at a
    time in anyway, and the event loop's default pool would grow to six threads under
    concurrent sessions, each keeping its own database connection (SQLite: its own page
    cache) and allocator arena for the life of the daemon (issue 23, bench/memory.py)."""

    def __init__(self, sink: Sink, lock: threading.Lock, source: str = "smtp"):
        self.sink, self.lock, self.source = sink, lock, source
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{source}-ingest")

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert raw is not None, "aiosmtpd fills the content before it calls handle_DATA"
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        raw = with_envelope(raw, envelope.mail_from, envelope.rcpt_tos)
        try:
            outcome = await asyncio.get_running_loop().run_in_executor(self.worker, self._ingest, raw)
        except Exception:
            log.exception("could not store incoming mail; asked the sender to retry", extra={"source": self.source})
            return "451 4.3.0 Temporary failure storing the message, try again later"
        return f"250 2.0.0 Message {outcome.state}"

    def _ingest(self, raw: bytes) -> Outcome:
        with self.lock:  # one email at a time per process: one writer per email
            return self.sink(raw, self.source)


_UNSAFE = re.compile(r"[\x00-\x20<>\x7f]")  # an address is one token: no breaks, brackets or controls
ENVELOPE_RECIPIENTS_MAX = 20


def with_envelope(raw: bytes, mail_from: str | None, rcpt_tos: list[str]) -> bytes:
    """The envelope on top of the message, as a delivering MTA writes it (RFC 5322 3.6.7):
    Return-Path from MAIL FROM (<> for the null sender of a bounce) and one X-Original-To
    per RCPT TO. The header lines the client sent stay below, untouched: hygiene trusts
    only the topmost Return-Path, so a sender cannot claim to be the null sender."""
    newline = b"\r\n" if raw.split(b"\n", 1)[0].endswith(b"\r") else b"\n"
    lines = [b"Return-Path: <" + _UNSAFE.sub("", mail_from or "").encode("utf-8", "replace") + b">"]
    lines += [b"X-Original-To: " + _UNSAFE.sub("", to).encode("utf-8", "replace")
              for to in rcpt_tos[:ENVELOPE_RECIPIENTS_MAX] if _UNSAFE.sub("", to)]
    return newline.join(lines) + newline + raw


class _LMTPController(Controller):
    def factory(self) -> LMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


class SmtpListener:
    def __init__(self, listen: str, sink: Sink, lock: threading.Lock, lmtp: bool = False,
                 data_size_limit: int = 50 * 1024 * 1024):
        host, _, port = listen.rpartition(":")
        cls = _LMTPController if lmtp else Controller
        self.controller = cls(Handler(sink, lock, "lmtp" if lmtp else "smtp"), hostname=host.strip("[]") or "127.0.0.1",
                              port=int(port), data_size_limit=data_size_limit)
        self.listen = listen

    def start(self) -> None:
        self.controller.start()
        log.info("listening", extra={"listen": self.listen})

    def stop(self) -> None:
        self.controller.stop()
        # a mail being stored finishes; queued ones never start (their senders had no answer: they retry)
        self.controller.handler.worker.shutdown(wait=True, cancel_futures=True)
