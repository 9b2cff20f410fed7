"""The long-running daemon: sources + scheduler + outbox, one process.

Sources (SMTP listener, IMAP watchers) run in their own threads and hand raw
bytes to `Daemon.ingest_batch`; the main thread runs the outbox and the deadline
sweep with `schedule`. A fresh ingest wakes the outbox at once, so an
acknowledgement leaves within moments, not at the next tick; while an IMAP
watcher still has a backlog waiting, the outbox waits for it (at most
OUTBOX_MAX_DEFER), so storing the mail does not share the interpreter and the
database's write lock with sending twice as many acknowledgements. The scheduler
only decides *when* to look; what is due lives in the database, so a daemon
that was down catches up on start.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Sequence

import schedule

from gateway import config as config_module
from gateway.ingest.pipeline import IngestOutcome
from gateway.ingest.staff import staff_warnings
from gateway.jobs.sweep import sweep
from gateway.service.notify import SystemdNotifier
from gateway.service.periodic import PeriodicJobs, every
from gateway.service.runtime import Runtime
from gateway.service.sources.imap import (
    SinkUnavailable,  # at start: lazily, the first mail waited ~90 ms for imapclient
)
from gateway.service.sources.smtp import SmtpListener
from gateway.store.lease import LeasedRunner, Leases, OutageLog, instance_name
from gateway.store.models import CONNECTION_ERRORS
from gateway.store.private import clean_stale_temp
from gateway.store.writer import SHARE

if TYPE_CHECKING:
    from gateway.ingest.reader import BudgetReader
    from gateway.service.sources.imap import ImapWatcher

log = logging.getLogger("gateway.daemon")
OUTBOX_SECONDS = 5.0
OUTBOX_MAX_DEFER = 60.0  # a backlog that never ends (a flood) holds acknowledgements back at most this long
OUTBOX_RUN_SECONDS = 5.0  # one outbox run at most: the main loop pings the watchdog (30 s) and sees SIGTERM between runs
SHUTDOWN_FLUSH_SECONDS = 10.0


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Daemon:
    def __init__(self, runtime: Runtime, clock: Callable[[], datetime] = utc_now):
        self.runtime, self.clock = runtime, clock
        self.stop_event, self.wake, self.reload_requested = threading.Event(), threading.Event(), threading.Event()
        self.ingest_lock = threading.Lock()
        self.notifier = SystemdNotifier.from_environment()
        self.sources: list[Any] = []
        self.watchers: list[ImapWatcher] = []
        self.deferred_since: float | None = None  # monotonic time the outbox began waiting for a backlog
        self.threads: list[threading.Thread] = []
        self.last_mail_at: datetime | None = None
        self.sweep_more = False  # the last sweep ran out of its time with complaints still due
        self.reader: BudgetReader | None = None
        self.instance = instance_name()  # this daemon among several sharing one database
        self.outage = OutageLog()
        self.periodic = PeriodicJobs(runtime, clock, holder=self.instance)  # heartbeat, metrics, report, purge

    # ------------------------------------------------------------ sources
    def ingest(self, raw: bytes, source: str) -> IngestOutcome:
        """The SMTP listener's sink; returns once the mail is durably stored."""
        return self.ingest_batch([raw], source)[0]

    def ingest_batch(self, raws: Sequence[bytes], source: str) -> list[IngestOutcome]:
        """The sink every source calls; returns once every mail is durably stored (one transaction)."""
        try:
            with SHARE.foreground():  # the sweep and the outbox wait while a sender waits for us
                outcomes = self.runtime.pipeline.ingest_batch(raws, source, self.clock())
        except CONNECTION_ERRORS as exc:
            self.outage.failed(f"ingest from {source}", exc)
            raise SinkUnavailable(str(exc)) from exc
        self.outage.recovered()
        self.last_mail_at = self.clock()
        self.wake.set()
        return outcomes

    def locked_ingest_batch(self, raws: Sequence[bytes], source: str) -> list[IngestOutcome]:
        with self.ingest_lock:
            return self.ingest_batch(raws, source)

    def start_sources(self) -> None:
        config = self.runtime.config
        if config.inbound.smtp.enabled:
            sink = self.periodic.board.track("smtp", config.inbound.smtp.listen, self.ingest, self.clock)
            listener = SmtpListener(config.inbound.smtp.listen, sink, self.ingest_lock,
                                    data_size_limit=config.storage.max_message_bytes * 2)
            self.start_listener(listener, "inbound.smtp.listen")
        if config.inbound.lmtp.listen:  # the MTA's `lmtp:` transport: per-recipient replies, no queue of ours
            sink = self.periodic.board.track("lmtp", config.inbound.lmtp.listen, self.ingest, self.clock)
            listener = SmtpListener(config.inbound.lmtp.listen, sink, self.ingest_lock, lmtp=True,
                                    data_size_limit=config.storage.max_message_bytes * 2)
            self.start_listener(listener, "inbound.lmtp.listen")
        for mailbox in config.inbound.imap:
            from gateway.service.sources.imap import ImapWatcher, mailbox_key
            batch_sink = self.periodic.board.track("imap", mailbox_key(mailbox), self.locked_ingest_batch, self.clock)
            watcher = ImapWatcher(mailbox, batch_sink, base_dir=config.base_dir)
            leases = Leases(self.runtime.database, self.instance, mailbox.lease_seconds)
            runner = LeasedRunner(leases, watcher.key, self.outage)  # one instance per mailbox at a time
            thread = threading.Thread(target=runner.run, args=(watcher.run, self.stop_event),
                                      name=f"imap-{mailbox.host}", daemon=True)
            thread.start()
            self.sources.append(watcher)
            self.watchers.append(watcher)
            self.threads.append(thread)
        self.start_maildirs()

    def start_listener(self, listener: SmtpListener, key: str) -> None:
        """A listener that cannot bind (a host that does not resolve, a port taken) stops the
        start like a config error, naming the key and its line: exit 2, no traceback."""
        try:
            listener.start()
        except OSError as exc:
            raise config_module.error_at(self.runtime.config, key, f"cannot listen on {listener.listen}: "
                                         f"{exc.strerror or exc}") from None
        self.sources.append(listener)

    def start_maildirs(self) -> None:
        """The spool `gateway deliver` writes, and each [[inbound.maildir]]: one polling thread each."""
        from gateway.service.sources.maildir import Folders, MaildirWatcher
        config = self.runtime.config
        limit = config.storage.max_message_bytes * 2
        watchers = [MaildirWatcher(config.resolve(config.storage.spool), self._maildir_sink("spool", config.storage.spool),
                                   source="spool", poll_seconds=config.inbound.spool_poll_seconds, read_limit=limit)]
        for box in config.inbound.maildir:
            watchers.append(MaildirWatcher(config.resolve(box.path), self._maildir_sink("maildir", box.path),
                                           source="maildir", folders=Folders(box.processed_folder, box.quarantine_folder),
                                           poll_seconds=box.poll_seconds, read_limit=limit))
        for watcher in watchers:
            thread = threading.Thread(target=watcher.run, args=(self.stop_event,), name=watcher.key, daemon=True)
            thread.start()
            self.threads.append(thread)

    def _maildir_sink(self, kind: str, ident: str) -> Callable[[Sequence[bytes], str], list[IngestOutcome]]:
        return self.periodic.board.track(kind, ident, self.locked_ingest_batch, self.clock)

    def start_reader(self) -> None:
        """Mail is read (parsed) in a child process within `[gateway] read_seconds`: a poison
        mail is quarantined, and never holds the listener, the watchers or /status."""
        from gateway.ingest.reader import BudgetReader
        gateway = self.runtime.config.gateway
        self.reader = BudgetReader(gateway.languages, gateway.read_seconds, gateway.read_memory_mb)
        self.reader.warm()
        self.runtime.use_reader(self.reader)

    def stop_sources(self) -> None:
        for source in self.sources:
            if isinstance(source, SmtpListener):
                source.stop()
        for thread in self.threads:
            thread.join(timeout=10)

    # ------------------------------------------------------------ work
    def deliver(self, budget: float = OUTBOX_RUN_SECONDS) -> None:
        if self.backlog_first():
            return
        self.guarded("outbox", "outbox run", lambda: self.send_due(budget))

    def send_due(self, budget: float) -> None:
        """Outbox.deliver_due for at most `budget` seconds, then wake the main loop again if
        more is due: after a backlog 20,000 mails are due, and one run through them all
        would starve the watchdog for minutes and ignore SIGTERM."""
        if self.runtime.outbox.deliver_due(self.clock(), budget=budget).more:
            self.wake.set()

    def backlog_first(self) -> bool:
        """Whether the outbox should wait because a watcher still has a backlog to hand over.
        A single pushed message is no backlog, so its acknowledgement leaves at once; the
        wake after a backlog's last handover sends what it queued."""
        if not any(watcher.backlog() for watcher in self.watchers):
            self.deferred_since = None
            return False
        now = time.monotonic()
        if self.deferred_since is None:
            self.deferred_since = now
        if now - self.deferred_since < OUTBOX_MAX_DEFER:
            return True
        self.deferred_since = now  # a flood: send what is due, then let it wait again
        return False

    def sweep(self) -> None:
        self.guarded("deadline sweep", "deadline sweep", self.sweep_some)

    def sweep_some(self) -> None:
        """At most [sla] sweep_budget_seconds of the sweep; the main loop comes back for the rest
        at once (a wave of thousands due yields to arriving mail, so it takes a while)."""
        self.sweep_more = sweep(self.runtime.policy, self.runtime.database, self.clock(),
                                budget=self.runtime.config.sla.sweep_budget_seconds).more
        if self.sweep_more:
            self.wake.set()

    def guarded(self, what: str, run_name: str, job: Callable[[], object]) -> None:
        """A scheduled job never stops the daemon: a database outage is logged once
        (OutageLog), anything else with its traceback, and the next run tries again."""
        try:
            job()
            self.outage.recovered()
        except CONNECTION_ERRORS as exc:
            self.outage.failed(what, exc)
        except Exception:
            log.exception("job failed; will try again", extra={"job": run_name})

    def reload(self) -> None:
        try:
            self.runtime.reload(config_module.load(self.runtime.config.source))
            log.info("reloaded config, rules and templates")
        except Exception as exc:
            log.error("reload failed, keeping the previous config and rules", extra={"error": str(exc)})

    # ------------------------------------------------------------ main loop
    def run(self) -> int:
        self.install_signals()
        self.runtime.policy.warm(self.clock())
        removed = clean_stale_temp(self.runtime.archive.root, self.clock().timestamp())
        if removed:
            log.info("removed stale temporary files from the archive", extra={"count": removed})
        self.start_reader()
        try:
            self.start_sources()
        except config_module.ConfigError:
            self.stop_event.set()  # the watchers already started end; nothing was taken yet
            self.stop_sources()
            if self.reader is not None:
                self.reader.close()
            raise
        scheduler = schedule.Scheduler()
        every(scheduler, self.runtime.config.sla.sweep_seconds).seconds.do(self.sweep)
        every(scheduler, OUTBOX_SECONDS).seconds.do(self.deliver)
        self.periodic.start(scheduler, self.sources)
        self.sweep()
        self.deliver()
        self.notifier.notify("READY=1\nSTATUS=running")
        log.info("gateway running", extra={"address": self.runtime.config.gateway.address,
                                           "instance": self.instance})
        for warning in staff_warnings(self.runtime.config):
            log.warning(warning.split("WARNING: ", 1)[-1])
        while not self.stop_event.is_set():
            if self.wake.wait(timeout=1.0) and not self.stop_event.is_set():
                self.wake.clear()
                self.deliver()
                if self.sweep_more:
                    self.sweep()
            if self.reload_requested.is_set():
                self.reload_requested.clear()
                self.reload()
            scheduler.run_pending()
            self.notifier.notify("WATCHDOG=1")
        return self.shutdown()

    def shutdown(self) -> int:
        self.notifier.notify("STOPPING=1")
        log.info("stopping: closing sources, flushing the outbox")
        self.stop_sources()
        with self.ingest_lock:  # a mail a source handed over just before is committed before we go on
            pass
        flusher = threading.Thread(target=self.deliver, args=(SHUTDOWN_FLUSH_SECONDS,), daemon=True)
        flusher.start()
        flusher.join(SHUTDOWN_FLUSH_SECONDS)
        self.periodic.stop()
        if self.reader is not None:
            self.reader.close()
        self.runtime.close()
        log.info("stopped")
        return 0

    def request_stop(self) -> None:
        """Stop taking mail now: the main loop is woken, not left to notice at its next tick."""
        self.stop_event.set()
        self.wake.set()

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self.request_stop())
        signal.signal(signal.SIGINT, lambda *_: self.request_stop())
        signal.signal(signal.SIGHUP, lambda *_: self.reload_requested.set())
