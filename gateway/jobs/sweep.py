"""The deadline sweep: do, exactly once, every deadline action that has come.

Cost grows with the number of due complaints, not with all of them: the
query walks the `next_action_at` index. Each complaint is handled in its own
transaction; each action is recorded as an Event under the deterministic key
from deadlines.planned_actions, and that key is unique, so a second sweep, a
restarted daemon or another instance never sends the same reminder twice, and
a daemon that was down catches up on start (the state lives in the database,
not in `schedule`).

A pass is bounded: with a budget it stops between complaints once the time is
spent (the rest stay due and go first next pass). A complaint whose actions fail
is not retried in the same pass: its cursor moves on by a growing delay, and after
[sla] sweep_max_failures passes in a row it is skipped (cursor cleared, an event,
a log line, counted by `gateway status`) until something changes it, so one bad
complaint can neither stop the sweep nor keep it looping.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

import peewee as pw

from gateway.desk import deadlines, lifecycle
from gateway.desk.plan import OutMail
from gateway.desk.policy import Policy
from gateway.desk.view import aware, naive
from gateway.outbound.enqueue import deliverable, queue
from gateway.store import lookup
from gateway.store.models import CONNECTION_ERRORS, Complaint, Event, write_transaction
from gateway.store.writer import SHARE, WriterShare

log = logging.getLogger("gateway.sweep")
SKIPPED_EVENT = "sweep_skipped"
CHUNK = 10  # complaints per transaction: a step short enough for arriving mail to wait out (bench/wave.py)
MAX_RETRY_DELAY = timedelta(hours=6)  # a failing complaint is tried at least this often until it is skipped


@dataclass(frozen=True)
class SweepReport:
    complaints: int = 0
    actions: int = 0
    more: bool = False  # the time budget ran out with complaints still due


def sweep(policy: Policy, database: pw.Database, now: datetime, batch: int = 500,
          share: WriterShare = SHARE, budget: float | None = None) -> SweepReport:
    """Every due complaint, CHUNK per transaction; each chunk yields to mail being stored
    (gateway.store.writer): a wave of thousands due at once must not hold up arriving mail.
    With `budget`, stop after the chunk that exceeds that many seconds (the daemon's main
    loop pings the watchdog and sees SIGTERM between runs) and say there is more."""
    complaints = actions = 0
    ends = None if budget is None else time.monotonic() + budget
    while True:
        ids = [c.id for c in Complaint.select(Complaint.id)
               .where(Complaint.next_action_at <= naive(now)).order_by(Complaint.next_action_at).limit(batch)]
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            with share.background(database):
                done, did = sweep_chunk(policy, database, chunk, now, ends)
            complaints, actions = complaints + done, actions + did
            rest = done < len(chunk) or start + CHUNK < len(ids) or len(ids) == batch
            if rest and ends is not None and time.monotonic() >= ends:
                return SweepReport(complaints, actions, more=True)
        if len(ids) < batch:
            return SweepReport(complaints, actions)


def sweep_chunk(policy: Policy, database: pw.Database, ids: list[int], now: datetime,
                ends: float | None = None) -> tuple[int, int]:
    """A few complaints per transaction (each action still happens once: its key is
    unique), stopping between two once the monotonic clock passes `ends`; returns
    (complaints handled, actions done). Should one of them fail, the chunk is redone one
    by one, so a single bad complaint cannot hold back the others, and its failure is
    recorded on it (_failed). Only a lost database connection propagates."""
    try:
        with write_transaction(database):
            done = actions = 0
            for complaint in _lock_due(database, ids, now):
                if done and ends is not None and time.monotonic() >= ends:
                    return done, actions  # the rest stay due: next pass
                actions += _due_actions(policy, complaint, now)
                done += 1
            return len(ids), actions  # those no longer due (or another instance's) count as handled
    except CONNECTION_ERRORS:
        raise
    except Exception as exc:
        if len(ids) == 1:
            _failed(policy, database, ids[0], now, exc)
            return 1, 0
    return len(ids), sum(sweep_chunk(policy, database, [complaint_id], now)[1] for complaint_id in ids)


def _failed(policy: Policy, database: pw.Database, complaint_id: int, now: datetime, exc: Exception) -> None:
    """Record a failed pass on the complaint: retried after a growing delay, or, the
    [sla] sweep_max_failures-th time in a row, skipped until something changes it."""
    sla = policy.config.sla
    error = (f"{type(exc).__name__}: {exc}".splitlines() or [""])[0][:300]  # the traceback goes to the log
    with write_transaction(database):
        complaint = Complaint.get_or_none(Complaint.id == complaint_id)
        if complaint is None:
            return
        failures = complaint.sweep_failures + 1
        skipped = failures >= sla.sweep_max_failures
        delay = min(timedelta(seconds=sla.sweep_seconds * 2 ** (failures - 1)), MAX_RETRY_DELAY)
        retry_at = None if skipped else naive(now) + delay
        Complaint.update(sweep_failures=failures, next_action_at=retry_at).where(Complaint.id == complaint_id).execute()
        if skipped:
            Event.create(complaint=complaint_id, at=naive(now), actor="scheduler", kind=SKIPPED_EVENT,
                         detail=f"deadline actions failed {failures} times in a row ({error}); "
                                "no reminder, escalation or notice until the complaint changes")
    fields = {"complaint_id": complaint_id, "tracking": complaint.tracking, "failures": failures, "error": error}
    if skipped:
        log.error("deadline actions skipped after repeated failures", exc_info=exc, extra=fields)
    else:
        log.warning("deadline actions failed; retried later", exc_info=exc, extra={**fields, "retry_at": retry_at})


def _lock_due(database: pw.Database, ids: list[int], now: datetime) -> list[Complaint]:
    """The complaints still due; on PostgreSQL, ones another instance holds are skipped."""
    query = Complaint.select().where(Complaint.id.in_(ids) & (Complaint.next_action_at <= naive(now)))
    if isinstance(database, pw.PostgresqlDatabase):
        query = query.for_update(skip_locked=True)
    return list(query)


def _due_actions(policy: Policy, complaint: Complaint, now: datetime) -> int:
    done = 0
    planned = deadlines.planned_actions(lookup.snapshot(complaint), now, policy.config.sla, policy.calendar)
    finished = {e.key for e in Event.select(Event.key).where(Event.key.in_([a.key for a in planned]))} \
        if planned else set()
    for action in planned:
        if action.key in finished:
            continue
        ACTIONS[action.kind](policy, complaint, action, now)
        Event.create(complaint=complaint, at=naive(now), actor="scheduler", kind=action.kind,
                     detail=deadlines.describe(action, policy.tz), key=action.key)
        log.info("deadline action", extra={"action": action.kind, "tracking": complaint.tracking})
        done += 1
    complaint.next_action_at = lookup.next_action_for(complaint, policy, after=now)
    if complaint.sweep_failures:
        complaint.sweep_failures = 0  # it works again
    complaint.save(only=complaint.dirty_fields)
    return done


def _send(policy: Policy, complaint: Complaint, mail: OutMail, action: deadlines.Action, now: datetime) -> None:
    for deliver in deliverable(mail, policy.staff_addresses_for(complaint), policy.staff_language):
        queue(deliver, complaint, now, policy.address, action.key)


def _deadline_params(action: deadlines.Action) -> dict[str, str]:
    """Which deadline, and its date: the mail names the instance it is about, whatever moves later."""
    at = action.deadline_at.isoformat() if action.deadline_at else ""
    return {"message": action.deadline, "deadline": action.deadline, "deadline_at": at}


def _reminder(policy: Policy, complaint: Complaint, action: deadlines.Action, now: datetime) -> None:
    for address in policy.staff_addresses_for(complaint):
        _send(policy, complaint, OutMail("reminder", address, "staff", policy.staff_language, threaded=False,
                                         params=_deadline_params(action)), action, now)


def _ask_reminder(policy: Policy, complaint: Complaint, action: deadlines.Action, now: datetime) -> None:
    """The customer left our question unanswered: staff decide (ask again, #status, #close)."""
    for address in policy.staff_addresses_for(complaint):
        _send(policy, complaint, OutMail("reminder", address, "staff", policy.staff_language, threaded=False,
                                         params={"deadline": "ask"}), action, now)


def _escalation(policy: Policy, complaint: Complaint, action: deadlines.Action, now: datetime) -> None:
    for address in policy.escalation_addresses_for(complaint):
        _send(policy, complaint, OutMail("escalation", address, "staff", policy.staff_language, threaded=False,
                                         params=_deadline_params(action)), action, now)


def _delay_notice(policy: Policy, complaint: Complaint, action: deadlines.Action, now: datetime) -> None:
    """A promised date passed: the policy's next date becomes the deadline, so it is true, and
    the customer reads only true things: that date, the missed one, and a fact the desk knows
    (a rejection reopened the review). A reason staff gave for an older date (#extend) is not
    repeated: nobody said it still holds; the reminder before this date asked them for one."""
    missed = action.deadline_at or aware(complaint.due_resolve)
    if missed is None:  # a delay action comes from a resolution date that passed
        raise ValueError(f"complaint {complaint.id}: a delay notice without a resolution date")
    new_due = deadlines.extended_resolve_due(missed, now, complaint.priority, policy.config.sla, policy.calendar)
    complaint.due_resolve = naive(new_due)
    if complaint.due_stage is not None and aware(complaint.due_stage) >= missed:
        complaint.due_stage = naive(new_due)  # the stage deadline it covered must not come back as past due
    params = {"new_date": new_due.isoformat(), "missed": missed.isoformat(), "reopened_on": _reopened_on(complaint)}
    _send(policy, complaint, OutMail("delay", complaint.customer.email, "customer", complaint.language,
                                     params=params), action, now)


def _reopened_on(complaint: Complaint) -> str:
    """When the customer's last rejection reopened the review (ISO 8601), "" if it never did."""
    event = (Event.select(Event.at).where((Event.complaint == complaint.id) & (Event.kind == "status")
                                          & (Event.from_status == "resolved") & (Event.to_status == "reopened"))
             .order_by(Event.id.desc()).first())
    at = aware(event.at) if event else None
    return at.isoformat() if at else ""


def _interim(policy: Policy, complaint: Complaint, action: deadlines.Action, now: datetime) -> None:
    complaint.last_interim_at = naive(action.due_at)
    _send(policy, complaint, OutMail("interim", complaint.customer.email, "customer", complaint.language),
          action, now)


def _auto_close(policy: Policy, complaint: Complaint, action: deadlines.Action, now: datetime) -> None:
    if _customer_replied(complaint):
        Event.create(complaint=complaint, at=naive(now), actor="scheduler", kind="auto_close_held",
                     detail="the customer replied without a clear decision: not closed automatically")
        return
    change = lifecycle.check(complaint.status, "closed")  # only a resolved complaint has this clock
    Event.create(complaint=complaint, at=naive(now), actor="scheduler", kind="status", from_status=change.from_status,
                 to_status=change.to_status, detail="no decision from the customer: closed automatically")
    complaint.status, complaint.closed_at = change.to_status, naive(now)
    _send(policy, complaint, OutMail("closed", complaint.customer.email, "customer", complaint.language),
          action, now)


def _customer_replied(complaint: Complaint) -> bool:
    """Whether the customer answered this resolution without accepting or rejecting it
    (decide.undecided records it): closing for silence would be untrue."""
    return Event.select().where((Event.complaint == complaint) & (Event.kind == lifecycle.UNDECIDED_EVENT)
                                & (Event.at >= complaint.resolved_at)).exists()


ACTIONS: dict[str, Callable[[Policy, Complaint, deadlines.Action, datetime], None]] = {
    "reminder": _reminder,
    "ask_reminder": _ask_reminder,
    "escalation": _escalation,
    "delay_notice": _delay_notice,
    "interim": _interim,
    "auto_close": _auto_close,
}
