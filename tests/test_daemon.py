"""The daemon's outbox: waits while an IMAP backlog drains (never for one pushed message, never
for ever), and sends in bounded runs so the main loop keeps pinging the watchdog."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from gateway import config as config_module
from gateway.outbound.outbox import CLAIM_BATCH
from gateway.service import daemon as daemon_module
from gateway.service.daemon import OUTBOX_MAX_DEFER, Daemon
from gateway.service.runtime import Runtime
from gateway.store.models import OutgoingMail
from gatewaykit import mail, write_config


@dataclass
class Watcher:
    waiting: int = 0

    def backlog(self) -> int:
        return self.waiting


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    runtime = Runtime.open(config_module.load(write_config(tmp_path)))
    yield Daemon(runtime)
    runtime.close()


def test_outbox_runs_unless_a_backlog_is_waiting(daemon, monkeypatch):
    runs: list[str] = []
    monkeypatch.setattr(daemon, "guarded", lambda what, name, job: runs.append(what))
    watcher = Watcher()
    daemon.watchers.append(watcher)  # type: ignore[arg-type]
    daemon.deliver()
    watcher.waiting = 500
    daemon.deliver()
    daemon.deliver()
    watcher.waiting = 0  # the wake after the last handover
    daemon.deliver()
    assert runs == ["outbox", "outbox"]


def test_a_flood_holds_acknowledgements_back_at_most_the_limit(daemon, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(daemon_module.time, "monotonic", lambda: clock[0])
    daemon.watchers.append(Watcher(waiting=10_000))  # type: ignore[arg-type]
    assert daemon.backlog_first()
    clock[0] += OUTBOX_MAX_DEFER - 1
    assert daemon.backlog_first()
    clock[0] += 1
    assert not daemon.backlog_first()  # send what is due
    clock[0] += 1
    assert daemon.backlog_first()  # and wait again


def test_one_outbox_run_is_bounded_and_wakes_the_loop_for_the_rest(daemon):
    pipeline = daemon.runtime.pipeline
    raws = [mail(sender=f"c{n}@example.az", message_id=f"<bounded-{n}@example.az>") for n in range(8)]
    pipeline.ingest_batch(raws, "imap", daemon.clock())
    due = OutgoingMail.select().where(OutgoingMail.state == "queued").count()
    assert due > CLAIM_BATCH  # an acknowledgement and a staff notice each

    daemon.send_due(budget=0)  # the budget is spent after the first claim
    assert OutgoingMail.select().where(OutgoingMail.state == "sent").count() == CLAIM_BATCH
    assert daemon.wake.is_set()  # the main loop comes straight back for the rest

    daemon.wake.clear()
    daemon.send_due(budget=60)
    assert OutgoingMail.select().where(OutgoingMail.state == "sent").count() == due
    assert not daemon.wake.is_set()


def test_a_stop_request_wakes_the_main_loop(daemon):
    """SIGTERM's handler: the loop, asleep on `wake` for up to a second, sees the stop at once
    (and, seeing stop_event set, starts no outbox run on the way out)."""
    daemon.request_stop()
    assert daemon.wake.wait(0) and daemon.stop_event.is_set()


def test_a_deadline_wave_is_swept_in_bounded_runs(daemon, monkeypatch):
    """Thousands due at once yield to arriving mail and take a while: one run stops at its
    budget and wakes the main loop for the rest, which comes back until none is due."""
    from datetime import datetime, timedelta, timezone

    from gateway.jobs import sweep as sweep_module
    from gateway.store.models import Complaint
    filed = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
    raws = [mail(sender=f"w{n}@example.az", message_id=f"<wave-{n}@example.az>") for n in range(sweep_module.CHUNK + 3)]
    daemon.runtime.pipeline.ingest_batch(raws, "imap", filed)
    daemon.clock = lambda: filed + timedelta(days=30)
    sla = dataclasses.replace(daemon.runtime.config.sla, sweep_budget_seconds=1e-9)  # spent at once
    monkeypatch.setattr(daemon.runtime, "config", dataclasses.replace(daemon.runtime.config, sla=sla))
    daemon.sweep_some()
    assert daemon.sweep_more and daemon.wake.is_set()
    due = Complaint.select().where(Complaint.next_action_at <= datetime(2026, 12, 2)).count()
    assert due == sweep_module.CHUNK + 2  # one complaint done: a run stops between complaints
    runs = 1
    while daemon.sweep_more:
        daemon.sweep_some()
        runs += 1
    assert runs == sweep_module.CHUNK + 3
    assert Complaint.select().where(Complaint.next_action_at <= datetime(2026, 12, 2)).count() == 0
