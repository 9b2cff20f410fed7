"""Mailbox leases (gateway.store.lease) on SQLite and a real private PostgreSQL."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import peewee as pw
import pytest

from gateway.store.lease import LeasedRunner, Leases, OutageLog, database_clock, instance_name, retry_delay
from gateway.store.migrate import open_database
from gateway.store.models import Lease
from servers import wait_until

WAIT = 15.0


@dataclass
class FakeClock:
    """The database clock, moved by hand, so expiry is tested without sleeping."""

    now: datetime = datetime(2026, 11, 23, 9, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path: Path) -> Iterator[pw.Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'gateway.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database()
    database = open_database(url)
    yield database
    database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def holder(name: str, clock: FakeClock) -> str | None:
    """The current, unexpired holder as the table says, or None."""
    row = Lease.get_or_none(Lease.name == name)
    return row.holder if row and row.expires_at >= clock.now else None


def test_one_holder_at_a_time(database, clock):
    a, b = Leases(database, "a", 30, clock), Leases(database, "b", 30, clock)
    assert a.acquire("inbox") is True
    assert b.acquire("inbox") is False
    assert holder("inbox", clock) == "a"
    assert b.acquire("other mailbox") is True  # leases are per mailbox


def test_renewal_extends_the_lease_and_keeps_the_start(database, clock):
    a, b = Leases(database, "a", 30, clock), Leases(database, "b", 30, clock)
    a.acquire("inbox")
    started = Lease.get().acquired_at
    for _ in range(5):  # renewed every 20 s for 100 s: never free
        clock.advance(20)
        assert a.acquire("inbox") and not b.acquire("inbox")
    row = Lease.get()
    assert (row.holder, row.acquired_at, row.expires_at) == ("a", started, clock.now + timedelta(seconds=30))


def test_expired_lease_is_taken_over_and_the_old_holder_cannot_renew(database, clock):
    a, b = Leases(database, "a", 30, clock), Leases(database, "b", 30, clock)
    a.acquire("inbox")
    clock.advance(29)
    assert not b.acquire("inbox")
    clock.advance(2)
    assert holder("inbox", clock) is None
    assert b.acquire("inbox")
    assert not a.acquire("inbox")
    assert Lease.get().acquired_at == clock.now


def test_release_frees_the_mailbox_at_once_but_only_for_its_holder(database, clock):
    a, b = Leases(database, "a", 30, clock), Leases(database, "b", 30, clock)
    a.acquire("inbox")
    b.release("inbox")
    assert holder("inbox", clock) == "a"
    a.release("inbox")
    assert b.acquire("inbox")


def test_racing_instances_for_a_free_lease_have_one_winner(database):
    if isinstance(database, pw.SqliteDatabase):
        pytest.skip("one writer at a time on SQLite anyway; the race matters on PostgreSQL")
    barrier, results = threading.Barrier(8), {}

    def contend(name: str) -> None:
        leases = Leases(database, name, 30)
        barrier.wait()
        results[name] = leases.acquire("inbox")
        database.close()

    threads = [threading.Thread(target=contend, args=(f"i{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert sorted(results.values()) == [False] * 7 + [True]
    assert Lease.get().holder == next(name for name, won in results.items() if won)


def test_database_clock_reads_the_server(database):
    server_now = database_clock(database)()
    assert server_now.tzinfo is None
    assert abs(server_now - datetime.now(timezone.utc).replace(tzinfo=None)) < timedelta(minutes=5)


def test_instance_names_are_unique_per_process_start():
    assert instance_name() != instance_name()


def test_retry_delay_doubles_up_to_the_cap():
    assert [retry_delay(n, 5.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 5.0]


def test_outage_is_logged_once_and_its_end_once(caplog):
    caplog.set_level(logging.INFO, logger="gateway.lease")
    outage = OutageLog()
    for what in ("outbox", "ingest", "lease"):
        outage.failed(what, pw.OperationalError("server closed the connection unexpectedly\n\tmore"))
    assert outage.down
    outage.recovered()
    outage.recovered()
    records = caplog.records
    assert len(records) == 2
    assert records[0].during == "outbox" and records[0].error == "server closed the connection unexpectedly"
    assert records[1].getMessage() == "database available again" and records[1].down_seconds >= 0


# ---------------------------------------------------------------- the runner

class Work:
    """Stands in for an IMAP watcher: runs until its tenure ends; records overlap."""

    def __init__(self, name: str, board: dict):
        self.name, self.board = name, board
        self.runs = 0

    def __call__(self, tenure: threading.Event) -> None:
        with self.board["lock"]:
            self.board["running"].add(self.name)
            self.board["most"] = max(self.board["most"], len(self.board["running"]))
        self.runs += 1
        tenure.wait()
        with self.board["lock"]:
            self.board["running"].discard(self.name)


def start(runner: LeasedRunner, work: Work) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(work, stop), daemon=True)
    thread.start()
    return stop, thread


def test_runners_take_turns_and_a_stopped_holder_hands_over(database):
    board = {"lock": threading.Lock(), "running": set(), "most": 0}
    outage = OutageLog()
    works = {name: Work(name, board) for name in ("a", "b")}
    runners = {name: LeasedRunner(Leases(database, name, 0.6), "inbox", outage) for name in works}
    stops = {name: start(runners[name], works[name]) for name in works}
    first = wait_until(lambda: next(iter(board["running"]), None), WAIT, "one runner to take the lease")
    second = "b" if first == "a" else "a"
    stop, thread = stops[first]
    stop.set()
    thread.join(WAIT)
    wait_until(lambda: board["running"] == {second}, WAIT, "the other runner to take over")
    assert board["most"] == 1 and works[second].runs == 1
    stops[second][0].set()
    stops[second][1].join(WAIT)
    assert Lease.select().count() == 0  # released on stop


def test_a_holder_that_loses_its_lease_stops_its_work(database):
    board = {"lock": threading.Lock(), "running": set(), "most": 0}
    work = Work("a", board)
    stop, thread = start(LeasedRunner(Leases(database, "a", 0.6), "inbox", OutageLog()), work)
    try:
        wait_until(lambda: board["running"] == {"a"}, WAIT, "the runner to start its work")
        far = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(hours=1)
        Lease.update(holder="thief", expires_at=far).execute()  # as if "a" had been frozen past its ttl
        wait_until(lambda: not board["running"], WAIT, "the work to stop after the lost renewal")
        assert Lease.get().holder == "thief"
    finally:
        stop.set()
        thread.join(WAIT)
