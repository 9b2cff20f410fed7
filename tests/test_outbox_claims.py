"""Outbox claims: judged on the database's clock and fenced by a token, so a row is sent
by at most one worker whatever the hosts' clocks (or `tick --now`) say; the maildir
transport writes under names unique per process and call (issue 23)."""
from __future__ import annotations

import email
import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest

from gateway import config as config_module
from gateway.outbound import outbox as outbox_module
from gateway.outbound.outbox import Outbox
from gateway.outbound.transports import EmlFolderTransport, unique_suffix
from gateway.service.runtime import Runtime
from gateway.store.lease import database_clock
from gateway.store.models import Message, OutgoingMail
from gatewaykit import DaemonProcess, gateway, mail, send_smtp, wait_for, write_config
from servers import SmtpPeer, free_port

T = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def runtime(request, tmp_path: Path) -> Iterator[Runtime]:
    database = "sqlite:///storage/gateway.db"
    if request.param == "postgresql":
        database = request.getfixturevalue("postgres").create_database()
    config = write_config(tmp_path, database=database)
    runtime = Runtime.open(config_module.load(config))
    yield runtime
    runtime.close()


def queue_mail(runtime: Runtime, count: int) -> int:
    raws = [mail(sender=f"c{n}@example.az", message_id=f"<claim-{n}@example.az>") for n in range(count)]
    runtime.pipeline.ingest_batch(raws, "smtp", T)
    return OutgoingMail.select().where(OutgoingMail.state == "queued").count()


def second_worker(runtime: Runtime, skew: timedelta = timedelta(0)) -> Outbox:
    """Another process's outbox on the same database; `skew` shifts what it reads as the
    database's clock (only to make a claim lapse without waiting minutes)."""
    shared = database_clock(runtime.database)
    return Outbox(runtime.policy, runtime.database, runtime.outbox.templates,
                  EmlFolderTransport(runtime.config.resolve("storage/outgoing")), runtime.archive,
                  clock=lambda: shared() + skew)


def states() -> Counter:
    return Counter(r.state for r in OutgoingMail.select(OutgoingMail.state))


def test_a_worker_whose_clock_runs_ahead_never_takes_rows_in_flight(runtime):
    due = queue_mail(runtime, 3)
    first = runtime.outbox.claim(T, 100)
    assert len(first.rows) == due
    ahead = second_worker(runtime)
    for minutes in (4, 10, 60 * 24):  # well past "the claimer's now + 3 minutes"
        assert ahead.claim(T + timedelta(minutes=minutes), 100).rows == []
    assert [runtime.outbox.deliver(row, T) for row in first.rows] == ["sent"] * due
    assert states() == {"sent": due}
    assert Message.select().where(Message.direction == "out").count() == due


def test_a_lapsed_claim_taken_over_records_its_outcome_once(runtime):
    """The first worker froze past its claim; the second took the rows. The first
    worker's late outcome is refused (fenced by the token), so the rows are recorded
    once, by their current holder."""
    due = queue_mail(runtime, 2)
    frozen = runtime.outbox.claim(T, 100)
    later = second_worker(runtime, skew=timedelta(minutes=10))
    taken = later.claim(T, 100)
    assert sorted(r.id for r in taken.rows) == sorted(r.id for r in frozen.rows)
    assert [runtime.outbox.deliver(row, T) for row in frozen.rows] == ["lost"] * due
    assert states() == {"sending": due}
    assert [later.deliver(row, T) for row in taken.rows] == ["sent"] * due
    assert states() == {"sent": due}
    assert Message.select().where(Message.direction == "out").count() == due


def test_a_failure_after_the_claim_lapsed_is_not_recorded_either(runtime):
    due = queue_mail(runtime, 1)
    frozen = runtime.outbox.claim(T, 100)
    second_worker(runtime, skew=timedelta(minutes=10)).claim(T, 100)
    row = frozen.rows[0]
    assert runtime.outbox.finish(row, "failed", "550 no", T) == "lost"
    assert runtime.outbox.retry(row, "451 later", T) == "lost"
    assert runtime.outbox.finish(row, "held", "rate limit", T) == "lost"
    assert states() == {"sending": due}


def test_a_long_batch_renews_its_claim_at_half_time(runtime, monkeypatch):
    queue_mail(runtime, 3)
    lease = runtime.config.outbound.claim_seconds
    clock = [1000.0]
    monkeypatch.setattr(outbox_module.time, "monotonic", lambda: clock[0])
    claim = runtime.outbox.claim(T, 100)
    before = {r.id: r.next_attempt_at for r in OutgoingMail.select()}
    clock[0] += lease * 0.4
    assert runtime.outbox.still_ours(claim, claim.rows[0])
    assert {r.id: r.next_attempt_at for r in OutgoingMail.select()} == before  # no write while plenty is left
    stolen = claim.rows[1]
    OutgoingMail.update(claim_token="someone-else").where(OutgoingMail.id == stolen.id).execute()
    clock[0] += lease * 0.2  # less than half is left: renew before the next send
    assert runtime.outbox.still_ours(claim, claim.rows[0])
    assert not runtime.outbox.still_ours(claim, stolen)
    assert claim.until == clock[0] + lease
    renewed = OutgoingMail.get_by_id(claim.rows[0].id).next_attempt_at
    assert renewed > before[claim.rows[0].id]
    assert OutgoingMail.get_by_id(stolen.id).next_attempt_at == before[stolen.id]


def test_a_dead_workers_claim_returns_after_it_expires_on_the_database_clock(runtime):
    due = queue_mail(runtime, 2)
    runtime.outbox.claim(T, 100)  # and then the worker died
    assert second_worker(runtime).claim(T + timedelta(days=1), 100).rows == []
    lease = timedelta(seconds=runtime.config.outbound.claim_seconds)
    revived = second_worker(runtime, skew=lease + timedelta(seconds=1))
    assert revived.deliver_due(T).sent == due
    assert states() == {"sent": due}


# ---------------------------------------------------------------- two processes

@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_daemon_and_ticks_minutes_ahead_send_every_row_once(tmp_path, request, engine):
    """The daemon sends through a slow relay (its rows stay in flight) while `gateway tick`
    runs beside it with a clock 10 minutes ahead, over and over: the relay receives every
    outgoing row exactly once."""
    database = "sqlite:///storage/gateway.db"
    if engine == "postgresql":
        database = request.getfixturevalue("postgres").create_database()
    count = 10
    with SmtpPeer(delay=0.5) as relay:
        port = free_port()
        extra = f'[outbound.smtp]\nhost = "127.0.0.1"\nport = {relay.port}\nsecurity = "none"\ntimeout = 10\n'
        config = write_config(tmp_path, database=database, smtp_port=port, transport="smtp", outbound_extra=extra)
        gateway(config, "migrate")
        stop = threading.Event()
        ticks: list[subprocess.CompletedProcess] = []

        def tick_ahead() -> None:
            while not stop.is_set():
                ahead = (datetime.now(timezone.utc) + timedelta(minutes=10)).isoformat()
                ticks.append(gateway(config, "tick", "--now", ahead, check=False))

        with DaemonProcess(config) as daemon:
            daemon.wait_listening(port)
            runner = threading.Thread(target=tick_ahead)
            runner.start()
            try:
                for n in range(count):
                    send_smtp(port, mail(sender=f"skew{n}@example.az", message_id=f"<skew-{n}@example.az>"))
                relay.wait_for(count * 2, timeout=90)  # an acknowledgement and a staff notice each
                wait_for(lambda: len(ticks) >= 2, timeout=60)
            finally:
                stop.set()
                runner.join(120)
            assert daemon.stop() == 0, daemon.output()
        assert all(t.returncode == 0 for t in ticks), [t.stderr.decode()[-2000:] for t in ticks]
        ids = Counter(email.message_from_bytes(m.data)["Message-ID"] for m in relay.messages)
        assert len(ids) == count * 2 and set(ids.values()) == {1}, ids.most_common(3)
    # the daemon's process, not this one, bound the models: read the outcome through a fresh runtime
    check = Runtime.open(config_module.load(config))
    try:
        assert states() == {"sent": count * 2}
    finally:
        check.close()


# ---------------------------------------------------------------- maildir names

def test_unique_suffix_differs_per_call_and_names_the_process():
    suffixes = {unique_suffix() for _ in range(1000)}
    assert len(suffixes) == 1000
    assert all(s.split(".")[0] == str(os.getpid()) for s in suffixes)


def test_maildir_writers_in_threads_and_processes_never_collide(tmp_path):
    """The same Message-ID written at once by 8 threads here and a second process: every
    write succeeds, the file holds one whole copy, and no temporary file is left."""
    directory = tmp_path / "outgoing"
    raw = b"Subject: x\r\n\r\n" + b"body line\r\n" * 2000
    other = subprocess.Popen([sys.executable, "-c", "import sys; from pathlib import Path\n"
                              "from gateway.outbound.transports import EmlFolderTransport\n"
                              "t = EmlFolderTransport(Path(sys.argv[1])); raw = sys.stdin.buffer.read()\n"
                              "for _ in range(300): t.send(raw, '<same@x>', 'a@b', 'c@d')\n", str(directory)],
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE, cwd=Path(__file__).resolve().parents[1])
    other.stdin.write(raw)
    other.stdin.close()
    transport = EmlFolderTransport(directory)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(100):
                transport.send(raw, "<same@x>", "a@b", "c@d")
        except BaseException as exc:  # noqa: BLE001 (collected for the assert)
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert other.wait(60) == 0, other.stderr.read().decode()
    assert errors == []
    assert [p.name for p in directory.iterdir()] == ["same_x.eml"]
    assert (directory / "same_x.eml").read_bytes() == raw
