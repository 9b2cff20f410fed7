"""The IMAP watcher: hands every message of one mailbox folder to the pipeline, exactly once.

Why it is shaped this way:
- The folder itself is the queue. A message leaves it (MOVE to the processed or
  quarantine folder) only after the sink says it is durably stored, so a crash at
  any point means "offer it again", and the sink's dedupe (sha256/content key)
  turns that into exactly-once. \\Seen is never read or set (BODY.PEEK[]), so a
  person reading the mailbox cannot hide mail from us.
- A backlog costs round trips and commits per batch, not per message: one FETCH
  per `batch_size` messages, handed to the sink `handover` at a time (the
  pipeline stores each handover in one transaction), then one MOVE per
  destination and one checkpoint write for the whole fetched batch.
- The checkpoint (UIDVALIDITY, last UID) only saves work: every UID up to it is
  known to be handled, so a reconnect searches from there instead of rescanning.
  It never advances past a message that is still waiting, so failures are retried.
- IDLE gives push; leaving IDLE every `keepalive` seconds of silence (DONE + NOOP,
  both bounded by the socket timeout) notices a dead connection within a minute,
  and the session is renewed before RFC 2177's 29 minutes.
- Any error ends the connection; the loop reconnects with exponential backoff and
  jitter, so the rest of the daemon never notices.
This module does not import the pipeline: the daemon passes a sink callable.
"""
from __future__ import annotations

import logging
import os
import random
import re
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from gateway.config import ImapInbound
from gateway.store.models import CONNECTION_ERRORS, Checkpoint, db

log = logging.getLogger("gateway.imap")

SOURCE = "imap"
RFC2177_IDLE_LIMIT = 29 * 60.0
IDLE_MARGIN = 60.0
IDLE_TICK = 0.5  # how often a waiting loop looks at the stop event
DEFAULT_PORTS = {"tls": 993, "starttls": 143, "none": 143}


class SinkOutcome(Protocol):
    """What the sink says about one message it was offered. Every outcome is durably stored
    (processed, quarantined or a known duplicate); a sink that could not store raises."""

    @property
    def quarantined(self) -> bool: ...  # read-only: the pipeline's outcomes are frozen


Sink = Callable[[Sequence[bytes], str], Sequence[SinkOutcome]]
"""Stores messages and says, one outcome each in order, what became of them. Raising
means none of them is known to be stored: they stay in the folder and are offered again."""


class SinkUnavailable(Exception):
    """Raised by a sink that can store nothing right now (its database is unreachable):
    the watcher ends the pass at once, leaves the rest in the folder, and retries with
    backoff. Whoever raises it has logged the outage, so the watcher stays quiet."""


class ImapSetupError(Exception):
    """A problem a human must fix in the config or environment (e.g. no password)."""


@dataclass(frozen=True)
class WatcherTuning:
    """Timing knobs; the defaults suit production, tests shrink them."""

    keepalive: float = 40.0  # leave IDLE after this much silence to check the link
    socket_timeout: float = 15.0  # keepalive + this < 60 s: a dead link is noticed within a minute
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    retry_delay: float = 30.0  # re-offer messages the sink did not commit
    handover: int = 25  # messages per sink call: one commit each, yet the write lock is never held long


@dataclass(frozen=True)
class CatchUpReport:
    processed: int = 0
    quarantined: int = 0
    failed: int = 0

    def __add__(self, other: "CatchUpReport") -> "CatchUpReport":
        return CatchUpReport(self.processed + other.processed, self.quarantined + other.quarantined,
                             self.failed + other.failed)


def backoff_delay(attempt: int, base: float, cap: float, rand: random.Random) -> float:
    """Exponential backoff with 'equal jitter': never zero, so a dead server is not
    hammered, and spread out, so many gateways do not reconnect in lockstep."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return ceiling / 2 + rand.random() * ceiling / 2


def mailbox_key(cfg: ImapInbound) -> str:
    """The checkpoint's name for one watched folder."""
    port = cfg.port or DEFAULT_PORTS[cfg.security]
    return cfg.name or f"imap://{cfg.username}@{cfg.host}:{port}/{cfg.folder}"


def read_password(cfg: ImapInbound, base_dir: Path) -> str:
    """From the environment or a file, never from the TOML; read at each connect so a
    rotated secret is picked up without a restart."""
    if cfg.password_env:
        value = os.environ.get(cfg.password_env)
        if value is None:
            raise ImapSetupError(f"environment variable {cfg.password_env} (password_env) is not set")
        return value
    if cfg.password_file:
        path = Path(cfg.password_file)
        path = path if path.is_absolute() else base_dir / path
        try:
            return path.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ImapSetupError(f"cannot read password_file {path}: {exc.strerror or exc}") from None
    raise ImapSetupError("set password_env or password_file for the IMAP account")


def chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start:start + size]


class CheckpointStore:
    """(UIDVALIDITY, last handled UID) per mailbox, in the gateway database."""

    def load(self, mailbox: str) -> tuple[int, int]:
        row = Checkpoint.get_or_none(Checkpoint.mailbox == mailbox)
        return (row.uidvalidity, row.last_uid) if row else (0, 0)

    def save(self, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        with db.atomic():
            (Checkpoint.insert(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=last_uid)
             .on_conflict(conflict_target=[Checkpoint.mailbox],
                          update={Checkpoint.uidvalidity: uidvalidity, Checkpoint.last_uid: last_uid})
             .execute())

    def release(self) -> None:
        """Close the calling thread's connection (peewee keeps one per thread)."""
        if not db.is_closed():
            db.close()


class ImapWatcher:
    """Watches one folder of one account; `run` is the daemon's thread body."""

    def __init__(self, cfg: ImapInbound, sink: Sink, checkpoints: CheckpointStore | None = None,
                 base_dir: Path = Path("."), tuning: WatcherTuning = WatcherTuning(),
                 rand: random.Random | None = None):
        self.cfg, self.sink, self.base_dir, self.tuning = cfg, sink, base_dir, tuning
        self.checkpoints = checkpoints or CheckpointStore()
        self.key = mailbox_key(cfg)
        self.rand = rand or random.Random()
        self._lock = threading.Lock()
        self._connected = False
        self._last_seen: datetime | None = None
        self._last_error = ""
        self._waiting = 0  # messages the sink did not commit in the last pass
        self._backlog = 0  # messages the current pass found and has not handed over yet

    # ------------------------------------------------------------ status

    def status(self) -> dict[str, object]:
        with self._lock:
            return {"mailbox": self.key, "connected": self._connected,
                    "last_seen": self._last_seen, "last_error": self._last_error}

    def backlog(self) -> int:
        """How many found messages still wait for the sink: the daemon lets a backlog
        drain before it spends time sending (a single pushed message is never a backlog)."""
        with self._lock:
            return self._backlog

    def _set_backlog(self, count: int) -> None:
        with self._lock:
            self._backlog = max(0, count)

    def _mark(self, connected: bool, error: str | None = None) -> None:
        with self._lock:
            self._connected = connected
            if connected:
                self._last_seen = datetime.now(timezone.utc)
            if error is not None:
                self._last_error = error

    # ------------------------------------------------------------ loop

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set: connect, catch up, wait for news; reconnect on any error."""
        try:
            self._run(stop)
        finally:
            self.checkpoints.release()

    def _run(self, stop: threading.Event) -> None:
        attempt = 0
        while not stop.is_set():
            try:
                client = self.connect()
                try:
                    self.catch_up(client, stop)
                    if attempt:
                        log.info("imap connected again", extra={"source": self.key, "failed_attempts": attempt})
                    attempt = 0
                    self._serve(client, stop)
                finally:
                    self._close(client)
            except Exception as exc:
                attempt += 1
                self._retry_later(exc, attempt, stop)

    def run_once(self) -> CatchUpReport:
        """Connect, hand over everything waiting, disconnect; raises on errors."""
        client = self.connect()
        try:
            return self.catch_up(client)
        finally:
            self._close(client)

    def _retry_later(self, exc: Exception, attempt: int, stop: threading.Event) -> None:
        delay = backoff_delay(attempt, self.tuning.backoff_base, self.tuning.backoff_cap, self.rand)
        message = describe(exc)
        self._mark(False, message)
        if isinstance(exc, SinkUnavailable):
            log.debug("imap sink unavailable", extra={"source": self.key, "retry_in": round(delay, 1)})
            stop.wait(delay)
            return
        expected = isinstance(exc, (OSError, LoginError, IMAPClient.Error, ImapSetupError, *CONNECTION_ERRORS))
        log.warning("imap attempt failed", exc_info=not expected,
                    extra={"source": self.key, "attempt": attempt, "error": message, "retry_in": round(delay, 1)})
        stop.wait(delay)

    def _serve(self, client: IMAPClient, stop: threading.Event) -> None:
        """Wait for news (IDLE, or polling without it), then catch up; forever."""
        push = client.has_capability("IDLE")
        while not stop.is_set():
            self._mark(True, "")
            limit = self.tuning.retry_delay if self._waiting else None
            if push:
                self._idle(client, stop, limit)
            else:
                stop.wait(min(self.cfg.poll_interval, limit or self.cfg.poll_interval))
                client.noop()
            if not stop.is_set():
                self.catch_up(client, stop)

    def _idle(self, client: IMAPClient, stop: threading.Event, limit: float | None) -> None:
        """IDLE until new mail, `limit`, keepalive silence, the renewal time, or stop."""
        renew = min(self.cfg.idle_timeout, RFC2177_IDLE_LIMIT - IDLE_MARGIN)
        started = quiet_since = time.monotonic()
        client.idle()
        quiet = False
        try:
            if buffered_input(client):
                return  # news came in the same packet as "+ idling": catch up now
            while not stop.is_set():
                if readable(client.socket(), IDLE_TICK):
                    responses = client.idle_check(timeout=0)
                    if not responses or any(is_new_mail(r) for r in responses):
                        return  # new mail, or EOF that DONE will surface as an error
                    quiet_since = time.monotonic()
                now = time.monotonic()
                if now - started >= min(renew, limit or renew):
                    return
                if now - quiet_since >= self.tuning.keepalive:
                    quiet = True
                    return
        finally:
            client.idle_done()
            if quiet:
                client.noop()

    # ------------------------------------------------------------ connection

    def connect(self) -> IMAPClient:
        """A logged-in client with the watched folders present."""
        cfg = self.cfg
        context = ssl.create_default_context(cafile=self._ca_file())
        port = cfg.port or DEFAULT_PORTS[cfg.security]
        client = IMAPClient(cfg.host, port=port, ssl=cfg.security == "tls", ssl_context=context,
                            timeout=self.tuning.socket_timeout)
        try:
            if cfg.security == "starttls":
                client.starttls(context)
            client.login(cfg.username, read_password(cfg, self.base_dir))
            for folder in (cfg.folder, cfg.processed_folder, cfg.quarantine_folder):
                if not client.folder_exists(folder):
                    client.create_folder(folder)
                    log.info("imap created missing folder", extra={"source": self.key, "folder": folder})
        except BaseException:
            self._close(client)
            raise
        self._mark(True, "")
        return client

    def _ca_file(self) -> str | None:
        if not self.cfg.ca_file:
            return None
        path = Path(self.cfg.ca_file)
        return str(path if path.is_absolute() else self.base_dir / path)

    @staticmethod
    def _close(client: IMAPClient) -> None:
        try:
            client.logout()
        except Exception:
            try:
                client.shutdown()
            except Exception:  # noqa: S110 (the connection may be dead already: nothing to tell)
                pass

    # ------------------------------------------------------------ catch-up

    def catch_up(self, client: IMAPClient, stop: threading.Event | None = None) -> CatchUpReport:
        """Offer every message above the checkpoint, in UID order and batches, until a
        search finds nothing newer (so nothing arrives unseen before the next IDLE).
        `stop` (the daemon stopping, or its mailbox lease lost) ends the pass between
        messages, so a former lease holder does not go on consuming beside the new one."""
        uidvalidity = int(client.select_folder(self.cfg.folder)[b"UIDVALIDITY"])
        stored_validity, last_uid = self.checkpoints.load(self.key)
        if stored_validity != uidvalidity:
            if stored_validity:
                log.warning("imap UIDVALIDITY changed, rescanning the whole folder",
                            extra={"source": self.key, "was": stored_validity, "now": uidvalidity})
            last_uid = 0
            self.checkpoints.save(self.key, uidvalidity, 0)
        cursor = _Cursor(last_uid)
        report, searched_above = CatchUpReport(), last_uid
        stopping = stop.is_set if stop is not None else lambda: False
        try:
            while not stopping():
                uids = sorted(u for u in client.search(["UID", f"{searched_above + 1}:*"]) if u > searched_above)
                if not uids:
                    break
                self._set_backlog(len(uids))
                for batch in chunks(uids, self.cfg.batch_size):
                    if stopping():
                        break
                    report += self._handle_batch(client, batch, cursor, stop)
                    self.checkpoints.save(self.key, uidvalidity, cursor.last_uid)
                searched_above = uids[-1]
        finally:
            self._set_backlog(0)
        self._waiting = report.failed
        return report

    def _handle_batch(self, client: IMAPClient, batch: Sequence[int], cursor: "_Cursor",
                      stop: threading.Event | None = None) -> CatchUpReport:
        """One FETCH for the batch, one MOVE per destination: round trips per batch,
        not per message, and at most `batch_size` messages in memory. The sink gets
        them `handover` at a time; nothing moves before the sink has answered."""
        fetched = client.fetch(batch, ["BODY.PEEK[]"])
        destinations: dict[str, list[int]] = {self.cfg.processed_folder: [], self.cfg.quarantine_folder: []}
        waiting: set[int] = set()
        unavailable: SinkUnavailable | None = None
        for offset in range(0, len(batch), max(1, self.tuning.handover)):
            part = batch[offset:offset + self.tuning.handover]
            if stop is not None and stop.is_set():
                waiting.update(batch[offset:])
                break
            present = [(uid, fetched.pop(uid, {}).get(b"BODY[]")) for uid in part]
            offered = [(uid, raw) for uid, raw in present if raw is not None]  # others gone meanwhile
            self._set_backlog(self.backlog() - len(part))
            try:
                outcomes = self._offer(offered)
            except SinkUnavailable as exc:
                unavailable = exc
                waiting.update(batch[offset:])
                break
            for (uid, _), outcome in zip(offered, outcomes, strict=True):
                if outcome is None:
                    waiting.add(uid)
                else:
                    folder = self.cfg.quarantine_folder if outcome.quarantined else self.cfg.processed_folder
                    destinations[folder].append(uid)
        for folder, uids in destinations.items():
            self._move(client, uids, folder)
        for uid in batch:
            cursor.settle(uid, uid not in waiting)
        if unavailable is not None:
            raise unavailable  # after moving what was stored: nothing is offered twice for nothing
        return CatchUpReport(len(destinations[self.cfg.processed_folder]),
                             len(destinations[self.cfg.quarantine_folder]), len(waiting))

    def _offer(self, offered: list[tuple[int, bytes]]) -> Sequence[SinkOutcome | None]:
        """The sink's outcome per message; None for each when it failed (offered again later)."""
        if not offered:
            return []
        uids = [uid for uid, _ in offered]
        try:
            outcomes = self.sink([raw for _, raw in offered], SOURCE)
        except SinkUnavailable:
            raise
        except Exception as exc:
            log.warning("imap mail not stored, will retry",
                        extra={"source": self.key, "uids": describe_uids(uids), "error": describe(exc)})
            return [None] * len(offered)
        return outcomes

    @staticmethod
    def _move(client: IMAPClient, uids: list[int], folder: str) -> None:
        if not uids:
            return
        if client.has_capability("MOVE"):
            client.move(uids, folder)
            return
        client.copy(uids, folder)
        client.add_flags(uids, [b"\\Deleted"])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()


class _Cursor:
    """The highest UID at or below which everything is handled; UIDs are settled in
    ascending order and the cursor stops for good at the first one still waiting."""

    def __init__(self, last_uid: int):
        self.last_uid = last_uid
        self.blocked = False

    def settle(self, uid: int, handled: bool) -> None:
        self.blocked = self.blocked or not handled
        if not self.blocked:
            self.last_uid = max(self.last_uid, uid)


def readable(sock: socket.socket, timeout: float) -> bool:
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(timeout * 1000))


def buffered_input(client: IMAPClient) -> bool:
    """Whether imaplib has already read bytes nobody has consumed yet.

    A server answers IDLE with "+ idling" and any pending news in one packet
    (Dovecot does, for mail that arrived since our last SEARCH). imaplib reads
    the continuation line through a buffered file, so "* 1 EXISTS" then sits in
    that buffer, poll() on the socket never sees it, and the push would wait
    for the keepalive. A non-blocking peek looks without consuming anything.
    """
    reader, sock = getattr(client._imap, "file", None), client.socket()
    if reader is None:
        return False
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        return bool(reader.peek(1))
    except (BlockingIOError, ssl.SSLWantReadError):
        return False
    finally:
        sock.settimeout(timeout)


def describe_uids(uids: Sequence[int]) -> str:
    return f"UID {uids[0]}" if len(uids) == 1 else f"UIDs {','.join(map(str, uids))}"


def is_new_mail(response: tuple) -> bool:
    return len(response) > 1 and response[1] == b"EXISTS"


def describe(exc: BaseException) -> str:
    """One readable line for the log and status(): imaplib errors carry bytes."""
    parts = [a.decode(errors="replace") if isinstance(a, bytes) else str(a) for a in exc.args]
    text = "; ".join(p for p in parts if p) or type(exc).__name__
    text = re.sub(r"""^b(['"])(.*)\1$""", r"\2", text)  # LoginError wraps str(bytes)
    if isinstance(exc, LoginError):
        return f"login failed: {text}"
    return f"{type(exc).__name__}: {text}"
