"""The deadline sweep's bounds: a time budget per pass (stops between complaints, the rest
next pass, every action once), and a complaint that fails every pass skipped after
[sla] sweep_max_failures instead of being retried for ever."""
from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from gateway import config as config_module
from gateway.jobs import sweep as sweep_module
from gateway.jobs.sweep import SKIPPED_EVENT, sweep
from gateway.service.runtime import Runtime
from gateway.store.models import Complaint, Event
from gatewaykit import gateway, mail, show, write_config

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)  # a Monday in Baku
LATER = NOW + timedelta(days=30)  # every deadline of the backlog has passed


def backlog(runtime: Runtime, count: int) -> list[str]:
    raws = [mail(sender=f"c{n}@example.az", subject=f"Sifariş {n}", message_id=f"<backlog-{n}@example.az>")
            for n in range(count)]
    outcomes = runtime.pipeline.ingest_batch(raws, "pipe", NOW)
    return [o.tracking for o in outcomes]


@pytest.fixture
def runtime(tmp_path):
    opened = Runtime.open(config_module.load(write_config(tmp_path)))
    yield opened
    opened.close()


def deadline_events() -> list[tuple[int, str]]:
    return sorted((e.complaint_id, e.key) for e in Event.select().where(Event.actor == "scheduler"))


def test_a_pass_out_of_time_stops_between_complaints_and_the_next_takes_the_rest(runtime):
    backlog(runtime, 25)
    passes, handled = [], 0
    while True:
        report = sweep(runtime.policy, runtime.database, LATER, budget=0)  # spent at once: one complaint a pass
        passes.append(report)
        handled += report.complaints
        if not report.more:
            break
        assert report.complaints == 1 and report.actions > 0
    assert len(passes) >= 25 and handled >= 25
    once = deadline_events()
    assert len(once) == len(set(once)) and {c for c, _ in once} == {c.id for c in Complaint.select()}
    assert sweep(runtime.policy, runtime.database, LATER).actions == 0  # nothing left, nothing twice


def test_without_a_budget_one_pass_does_everything(runtime):
    backlog(runtime, 12)
    report = sweep(runtime.policy, runtime.database, LATER)
    assert report.complaints == 12 and not report.more
    assert Complaint.select().where(Complaint.next_action_at <= LATER.replace(tzinfo=None)).count() == 0


def test_failing_complaints_do_not_keep_the_sweep_looping(runtime, monkeypatch, caplog):
    """Three complaints whose reminder always fails, batches of two: before, the sweep selected
    the same failing complaints for ever; now each failure moves its cursor on."""
    trackings = backlog(runtime, 5)
    bad = set(trackings[:3])

    def broken(real):
        def action(policy, complaint, due, now):
            if complaint.tracking in bad:
                raise KeyError("department 'returns' has no address")
            real(policy, complaint, due, now)
        return action

    for kind, real in list(sweep_module.ACTIONS.items()):
        monkeypatch.setitem(sweep_module.ACTIONS, kind, broken(real))
    caplog.set_level(logging.WARNING, logger="gateway.sweep")
    limit = runtime.config.sla.sweep_max_failures
    now = LATER
    for attempt in range(1, limit + 1):
        report = sweep(runtime.policy, runtime.database, now, batch=2)
        failures = {c.tracking: c.sweep_failures for c in Complaint.select() if c.tracking in bad}
        assert failures == {t: attempt for t in bad}
        now += timedelta(hours=7)  # past the growing retry delay (at most 6 hours)
    assert report.actions == 0  # the good ones were done in the first pass, once
    skipped = Complaint.select().where(Complaint.tracking.in_(bad))
    assert all(c.next_action_at is None for c in skipped)
    assert Event.select().where(Event.kind == SKIPPED_EVENT).count() == 3
    good = Complaint.select().where(Complaint.tracking.not_in(bad))
    assert all(c.sweep_failures == 0 and c.next_action_at is not None for c in good)
    assert sweep(runtime.policy, runtime.database, now + timedelta(hours=7), batch=2).complaints == 0

    warnings = [r for r in caplog.records if r.getMessage() == "deadline actions failed; retried later"]
    errors = [r for r in caplog.records if r.getMessage() == "deadline actions skipped after repeated failures"]
    assert len(warnings) == 3 * (limit - 1) and len(errors) == 3
    assert {r.tracking for r in errors} == bad and all(r.failures == limit for r in errors)
    assert "KeyError" in errors[0].error and errors[0].exc_info  # the traceback goes with it

    from gateway.service.health import read_health, render_text
    health = read_health(now, 10)
    assert health.sweep_skipped == 3 and "3 complaint(s) skipped" in render_text(health)


def test_a_complaint_that_works_again_is_forgiven(runtime, monkeypatch):
    tracking = backlog(runtime, 1)[0]
    escalation, calls = sweep_module.ACTIONS["escalation"], []

    def flaky(policy, complaint, action, now):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("a passing fault")
        escalation(policy, complaint, action, now)

    monkeypatch.setitem(sweep_module.ACTIONS, "escalation", flaky)
    sweep(runtime.policy, runtime.database, LATER)
    assert Complaint.get(Complaint.tracking == tracking).sweep_failures == 1
    assert sweep(runtime.policy, runtime.database, LATER).complaints == 0  # not again in the same minute
    sweep(runtime.policy, runtime.database, LATER + timedelta(minutes=2))
    complaint = Complaint.get(Complaint.tracking == tracking)
    assert complaint.sweep_failures == 0 and Event.select().where(Event.kind == "escalation").count() >= 1


def test_a_broken_complaint_through_the_cli(tmp_path):
    """`ingest --now` a backlog, break one complaint's row (its customer gone, as a bad manual edit
    would leave it), `tick --now` pass after pass: the others get their actions once, the broken
    one is skipped after [sla] sweep_max_failures, and `status` counts it."""
    config = write_config(tmp_path, extra="sweep_max_failures = 2\n")
    trackings = [gateway(config, "ingest", "--now", NOW.isoformat(),
                         input=mail(sender=f"k{n}@example.az", message_id=f"<cli-{n}@example.az>"))
                 .stdout.decode().split()[2] for n in range(3)]
    with sqlite3.connect(tmp_path / "storage" / "gateway.db") as db:
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("UPDATE complaint SET customer_id = 999999 WHERE tracking = ?", (trackings[0],))
    lines = [gateway(config, "tick", "--now", (LATER + timedelta(hours=7 * n)).isoformat()).stdout.decode()
             for n in range(3)]
    assert lines[2].startswith("sweep: complaints=0 actions=0")  # skipped: not tried again
    with sqlite3.connect(tmp_path / "storage" / "gateway.db") as db:  # `show` cannot read a customerless row
        skipped = db.execute("SELECT e.detail FROM event e JOIN complaint c ON c.id = e.complaint_id "
                             "WHERE c.tracking = ? AND e.kind = ?", (trackings[0], SKIPPED_EVENT)).fetchall()
    assert len(skipped) == 1 and "failed 2 times in a row (CustomerDoesNotExist" in skipped[0][0]
    for tracking in trackings[1:]:
        kinds = [e["kind"] for e in show(config, tracking)["events"]]
        assert "delay_notice" in kinds and kinds.count("delay_notice") == 1
    status = gateway(config, "status", "--json", check=False)
    assert json.loads(status.stdout)["sweep_skipped"] == 1
