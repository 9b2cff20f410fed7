"""Mailbox leases: which of several daemons sharing one database consumes a mailbox.

Why a row with an expiry and not a PostgreSQL advisory lock:
- it works the same on SQLite and PostgreSQL (one code path), and through
  connection poolers that do not keep a session per client;
- the failover time is explicit: a holder that stops renewing (killed, frozen,
  cut off from the database) loses the mailbox exactly `ttl` after its last
  renewal, and the next instance that asks takes it and catches up by UID from
  the shared checkpoint;
- expiry is judged by the database's clock, so instances on hosts whose clocks
  disagree still agree about who holds what.

A lease is an optimisation, not the guarantee: exactly-once comes from the
pipeline's unique keys (a message is stored once by sha256/Message-ID), so two
instances that briefly both read a mailbox make duplicates that change nothing.
The lease keeps them from doing that work twice in the first place.

The holder renews every ttl/3 and stops its work at the first renewal that
fails, well before anyone else may take over. A database outage is logged once
(OutageLog) and retried with backoff; the mail stays in the mailbox meanwhile.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Callable

import peewee as pw

from gateway.store.models import CONNECTION_ERRORS, Lease, write_transaction

log = logging.getLogger("gateway.lease")

Work = Callable[[threading.Event], None]  # runs until the event is set
RETRY_FIRST = 0.5  # seconds before the first retry after a database error


def instance_name() -> str:
    """Who holds a lease: readable (host, pid) and unique even if a pid is reused."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def database_clock(database: pw.Database) -> Callable[[], datetime]:
    """Naive-UTC "now" as the database server sees it: the one clock all instances share."""
    if isinstance(database, pw.PostgresqlDatabase):
        sql = "SELECT CAST(clock_timestamp() AT TIME ZONE 'UTC' AS timestamp)"
    else:
        sql = "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"

    def now() -> datetime:
        value = database.execute_sql(sql).fetchone()[0]
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)

    return now


def retry_delay(failures: int, cap: float) -> float:
    """Doubling from RETRY_FIRST up to `cap`: quick to notice a short blip, gentle on a long outage."""
    return min(cap, RETRY_FIRST * 2 ** max(0, failures - 1))


class Leases:
    """Take, renew, release and read leases; each call is one short transaction."""

    def __init__(self, database: pw.Database, holder: str, ttl: float,
                 clock: Callable[[], datetime] | None = None):
        self.database, self.holder, self.ttl = database, holder, timedelta(seconds=ttl)
        self.clock = clock or database_clock(database)

    def acquire(self, name: str) -> bool:
        """Take the lease if it is free or expired, or renew it if already ours; True if ours now.

        One upsert that only overwrites a row held by us or expired, so two
        instances racing for a free lease cannot both win."""
        with write_transaction(self.database):
            now = self.clock()
            (Lease.insert(name=name, holder=self.holder, expires_at=now + self.ttl, acquired_at=now)
             .on_conflict(conflict_target=[Lease.name],
                          update={Lease.holder: self.holder, Lease.expires_at: now + self.ttl,
                                  Lease.acquired_at: pw.Case(None, [(Lease.holder == self.holder,
                                                                     Lease.acquired_at)], now)},
                          where=(Lease.holder == self.holder) | (Lease.expires_at < now))
             .execute())
            return Lease.get(Lease.name == name).holder == self.holder

    def release(self, name: str) -> None:
        """Give the lease up at once (clean shutdown), so the next instance need not wait out the ttl."""
        with write_transaction(self.database):
            Lease.delete().where((Lease.name == name) & (Lease.holder == self.holder)).execute()


class OutageLog:
    """Says once that the database is unreachable and once that it is back, however
    many workers and retries notice it; shared by every thread of one daemon."""

    def __init__(self, logger: logging.Logger = log):
        self.logger = logger
        self._lock = threading.Lock()
        self._down_since: float | None = None

    @property
    def down(self) -> bool:
        with self._lock:
            return self._down_since is not None

    def failed(self, what: str, exc: BaseException) -> None:
        with self._lock:
            if self._down_since is not None:
                return
            self._down_since = time.monotonic()
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        self.logger.warning("database unavailable: mail stays where it is; retrying with backoff",
                            extra={"during": what, "error": first_line})

    def recovered(self) -> None:
        with self._lock:
            if self._down_since is None:
                return
            seconds, self._down_since = time.monotonic() - self._down_since, None
        self.logger.info("database available again", extra={"down_seconds": round(seconds, 1)})


class LeasedRunner:
    """Runs `work` for the mailbox `name` only while this instance holds its lease.

    `work(tenure)` must return soon after `tenure` is set; tenure is set when the
    daemon stops or a renewal fails. A waiting instance asks again every ttl/3,
    so a dead holder's mailbox moves within ttl + ttl/3."""

    def __init__(self, leases: Leases, name: str, outage: OutageLog):
        self.leases, self.name, self.outage = leases, name, outage
        self.period = leases.ttl.total_seconds() / 3
        self._failures = 0

    def run(self, work: Work, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                if self._attempt(self.leases.acquire):
                    log.info("lease taken", extra={"lease": self.name, "holder": self.leases.holder})
                    self._hold(work, stop)
                else:
                    stop.wait(retry_delay(self._failures, self.period) if self._failures else self.period)
        finally:
            self._close_connection()

    def _hold(self, work: Work, stop: threading.Event) -> None:
        tenure = threading.Event()
        keeper = threading.Thread(target=self._keep, args=(stop, tenure), name=f"lease-{self.name}", daemon=True)
        keeper.start()
        try:
            work(tenure)
        finally:
            tenure.set()
            keeper.join()
            if stop.is_set() and self._attempt(self.leases.release, quiet=True):
                log.info("lease released", extra={"lease": self.name, "holder": self.leases.holder})

    def _keep(self, stop: threading.Event, tenure: threading.Event) -> None:
        """Renew every ttl/3; end the tenure on stop or on the first renewal that fails."""
        try:
            while not tenure.is_set():
                if stop.wait(self.period):
                    break
                if not tenure.is_set() and not self._attempt(self.leases.acquire):
                    log.warning("lease lost; stopping its watcher", extra={"lease": self.name,
                                                                            "holder": self.leases.holder})
                    break
        finally:
            tenure.set()
            self._close_connection()

    def _attempt(self, action: Callable[[str], bool | None], quiet: bool = False) -> bool:
        try:
            result = action(self.name)
        except CONNECTION_ERRORS as exc:
            self._failures += 1
            if not quiet:
                self.outage.failed(f"lease {self.name}", exc)
            return False
        self._failures = 0
        self.outage.recovered()
        return result is None or bool(result)

    def _close_connection(self) -> None:
        """peewee keeps a connection per thread; a thread that ends closes its own."""
        try:
            if not self.leases.database.is_closed():
                self.leases.database.close()
        except CONNECTION_ERRORS:
            pass
