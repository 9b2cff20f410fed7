"""Due dates of a complaint, and the deadline actions that have come.

Pure policy over a DeadlineSnapshot: no database, no clock. The database sweep
reads the complaints whose `next_action_at` has come, asks `planned_actions`
what is due, records each action under its `key` with a unique constraint and
stores `next_action_at(snapshot, sla, cal, after=now)`. The key names the
complaint, the action and the deadline *instance* (its date, in UTC), so a
sweep run twice, restarted or interrupted never repeats an action, a daemon
that was down catches up on every action it missed, and a deadline that is
recomputed (priority change, `#extend`, resume after a pause) is a new instance
whose actions get fresh keys.

What runs in which status is the STATUS_RULES table:
- registered, in_review, reopened: the review stage; investigating: investigate.
  Their stage and resolution deadlines send reminders (sla.reminder_lead before
  the due date, in sla.unit; only while the deadline is still ahead: "the
  deadline is near" after it passed would be untrue), escalations (once per
  missed deadline instance) and, for the resolution deadline, the customer's
  delay notice: one per missed promised date (its key names that date), whose
  new date (`extended_resolve_due`: sla.extend_by business days, else one more
  resolution period) becomes the resolution deadline. The ack and every notice
  promise "if not by then, we tell you why and the nearest date", so a date
  missed again (the notice's own, or a staff #extend date) gets its notice too;
  each moves the date forward by a whole period, so it is one mail per missed
  date, never a loop. Its reason is only one staff gave (the reminder asks for
  `#extend DATE reason` before the date) or a fact the desk knows; else it
  says only that the date passed and the new one. Interim updates every
  sla.interim_every business days (0: off).
- resolved: only the auto-close clock (sla.auto_close_after business days after
  resolved_at without a decision; 0: off).
- waiting_customer: paused; `remaining`/`resume` carry the time left over. An
  unanswered question must not pause a complaint for ever: sla.ask_reminder_after
  business days after the pause staff get one reminder (ask again, move it on or
  close it; no seed policy says what the customer is owed then, so nothing goes
  to the customer by itself).
- closed, escalated, and any status this table does not know: nothing. An
  escalated complaint has been through the internal process twice and the
  customer was told about external remedies; staff close it by hand.

The acknowledgement goes out at once from the pipeline, so `due_acknowledge` is
a promise to show and report, not something the sweep acts on. A stage deadline
at or after the resolution deadline is covered by the resolution deadline's
actions, so it sends none of its own (no double escalation on the same day).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from types import MappingProxyType
from typing import TYPE_CHECKING

from gateway.desk.business import BusinessCalendar

if TYPE_CHECKING:
    from gateway.config import SlaSection

STAGES = ("acknowledge", "review", "investigate", "respond", "resolve")

RUNNING, PAUSED, AUTO_CLOSE, STOPPED = "running", "paused", "auto_close", "stopped"


@dataclass(frozen=True)
class StatusRule:
    stage: str | None  # the stage whose deadline runs in this status
    clock: str  # RUNNING | PAUSED | AUTO_CLOSE | STOPPED


STATUS_RULES: Mapping[str, StatusRule] = MappingProxyType({
    "registered": StatusRule("review", RUNNING),
    "in_review": StatusRule("review", RUNNING),
    "investigating": StatusRule("investigate", RUNNING),
    "reopened": StatusRule("review", RUNNING),
    "resolved": StatusRule(None, AUTO_CLOSE),
    "waiting_customer": StatusRule(None, PAUSED),
    "closed": StatusRule(None, STOPPED),
    "escalated": StatusRule(None, STOPPED),
})
_UNKNOWN_STATUS = StatusRule(None, STOPPED)

# The actions each deadline calls for; reminders come sla.reminder_lead early, the rest at the due date.
DEADLINE_ACTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "stage": ("reminder", "escalation"),
    "resolve": ("reminder", "escalation", "delay_notice"),
})

_ADVANCE: Mapping[str, Callable[[BusinessCalendar, datetime, float], datetime]] = MappingProxyType({
    "days": BusinessCalendar.add_business_days,
    "hours": BusinessCalendar.add_business_hours,
})


@dataclass(frozen=True)
class DueDates:
    acknowledge: datetime
    stage: datetime
    resolve: datetime


@dataclass(frozen=True)
class DeadlineSnapshot:
    """What the sweep needs of one complaint; all datetimes timezone-aware."""

    tracking: str
    status: str
    priority: str
    created_at: datetime
    due_acknowledge: datetime | None = None
    due_stage: datetime | None = None
    due_resolve: datetime | None = None
    resolved_at: datetime | None = None
    paused_at: datetime | None = None
    last_interim_at: datetime | None = None
    delay_reason: str = ""  # carried for the delay notice's text; planning does not need it


@dataclass(frozen=True)
class Action:
    kind: str  # reminder | escalation | delay_notice | interim | auto_close
    key: str  # unique per complaint, action and deadline instance
    due_at: datetime
    deadline: str = ""  # "stage" | "resolve" for deadline actions
    deadline_at: datetime | None = None  # the deadline instance a deadline action is about


# At one moment, the escalation is written before the delay notice moves the date it is about.
KIND_ORDER: Mapping[str, int] = MappingProxyType(
    {"reminder": 0, "escalation": 1, "delay_notice": 2, "interim": 3, "auto_close": 4, "ask_reminder": 5})


# ---------------------------------------------------------------- due dates

def status_rule(status: str) -> StatusRule:
    return STATUS_RULES.get(status, _UNKNOWN_STATUS)


def stage_length(stage: str, priority: str, sla: SlaSection) -> float:
    """The stage's length in sla.unit; priorities only change the resolution deadline (seed 004)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r} (known: {', '.join(STAGES)})")
    if stage == "resolve":
        return sla.priority_resolve.get(priority, sla.resolve)
    return float(getattr(sla, stage))


def deadline_after(start: datetime, amount: float, sla: SlaSection, cal: BusinessCalendar) -> datetime:
    """start + amount business days or hours; whole-day policies end at close of business.

    With unit "days" and due_end_of_day, "within 3 business days" of Friday
    17:30 is Wednesday 18:00, the end of the day the arithmetic lands on: the
    promise is a date, and staff get the whole of that day. An amount of 0 days
    then means "the same business day".
    """
    try:
        advance = _ADVANCE[sla.unit]
    except KeyError:
        raise ValueError(f"sla.unit: {sla.unit!r} is not one of {', '.join(_ADVANCE)}") from None
    due = advance(cal, start, amount)
    return cal.close_of_business(due) if sla.unit == "days" and sla.due_end_of_day else due


def stage_due(stage: str, entered_at: datetime, priority: str, sla: SlaSection,
              cal: BusinessCalendar) -> datetime:
    return deadline_after(entered_at, stage_length(stage, priority, sla), sla, cal)


def initial_due(received_at: datetime, priority: str, sla: SlaSection, cal: BusinessCalendar) -> DueDates:
    """Due dates of a new complaint; the review deadline never lies beyond the resolution one.

    Stages of equal length share one calendar walk (acknowledge and review are
    both 3 days in the seed policy).
    """
    length = {stage: stage_length(stage, priority, sla) for stage in ("acknowledge", "review", "resolve")}
    due = {amount: deadline_after(received_at, amount, sla, cal) for amount in dict.fromkeys(length.values())}
    resolve = due[length["resolve"]]
    return DueDates(acknowledge=due[length["acknowledge"]], stage=min(due[length["review"]], resolve),
                    resolve=resolve)


def extended_resolve_due(due_resolve: datetime, now: datetime, priority: str, sla: SlaSection,
                         cal: BusinessCalendar) -> datetime:
    """The date the automatic delay notice promises: sla.extend_by business days (the
    policy's figure), else the policy's standard resolution period (sla.resolve, not the
    priority's: a high-priority complaint missed by a day is not promised "tomorrow"
    again and again, it gets one date it can keep).

    Counted from the later of the missed date and now, so a daemon catching up
    after days down never promises a date that has already passed.
    """
    return deadline_after(max(due_resolve, now), sla.extend_by if sla.extend_by > 0 else sla.resolve, sla, cal)


def remaining(due: datetime, paused_at: datetime, cal: BusinessCalendar) -> float:
    """Business days left at the pause (negative when already overdue)."""
    return cal.business_days_between(paused_at, due)


def resume(due: datetime, paused_at: datetime, resumed_at: datetime, cal: BusinessCalendar) -> datetime:
    """The due date after a pause, keeping the business time that was left.

    A deadline already passed when paused keeps its date: moving it would make
    a new deadline instance and repeat its escalation and delay notice.
    """
    left = remaining(due, paused_at, cal)
    return due if left <= 0 else cal.add_business_days(resumed_at, left)


# ---------------------------------------------------------------- actions

def planned_actions(snapshot: DeadlineSnapshot, now: datetime, sla: SlaSection,
                    cal: BusinessCalendar) -> list[Action]:
    """Every action whose time has come by `now`, earliest first; the caller skips keys already done.

    A reminder whose deadline has already passed (the daemon was down, or the
    date moved under it) is dropped: the escalation speaks for that deadline.
    """
    return [action for action in _candidates(snapshot, sla, cal) if action.due_at <= now
            and not (action.kind == "reminder" and action.deadline_at is not None and action.deadline_at <= now)]


def next_action_at(snapshot: DeadlineSnapshot, sla: SlaSection, cal: BusinessCalendar,
                   after: datetime | None = None) -> datetime | None:
    """The earliest action time strictly after `after` (of all actions when None): the sweep's index.

    After a sweep has done the actions due by `now`, store next_action_at(..., after=now).
    """
    times = [a.due_at for a in _candidates(snapshot, sla, cal) if after is None or a.due_at > after]
    return min(times, default=None)


def describe(action: Action, zone: tzinfo) -> str:
    """The history line of a done action: a deadline action names its deadline's date (a
    reminder's own time is not "due"), in the desk's time zone as staff read every other time."""
    if action.deadline and action.deadline_at is not None:
        return f"{action.deadline} due {action.deadline_at.astimezone(zone).isoformat()}"
    return f"{action.kind} at {action.due_at.astimezone(zone).isoformat()}"


def action_key(tracking: str, kind: str, instance: datetime, deadline: str = "") -> str:
    """Deterministic key; the instant is written in UTC to the second, so it survives a database round trip."""
    stamp = instance.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return ":".join(part for part in (tracking, kind, deadline, stamp) if part)


def _candidates(snapshot: DeadlineSnapshot, sla: SlaSection, cal: BusinessCalendar) -> list[Action]:
    planners = _PLANNERS[status_rule(snapshot.status).clock]
    actions = [action for plan in planners for action in plan(snapshot, sla, cal)]
    return sorted(actions, key=lambda a: (a.due_at, KIND_ORDER.get(a.kind, 9), a.key))


def _deadline_actions(snapshot: DeadlineSnapshot, sla: SlaSection, cal: BusinessCalendar) -> Iterator[Action]:
    deadlines = {"stage": snapshot.due_stage, "resolve": snapshot.due_resolve}
    if snapshot.due_stage and snapshot.due_resolve and snapshot.due_stage >= snapshot.due_resolve:
        del deadlines["stage"]
    for name, due in deadlines.items():
        if due is None:
            continue
        for kind in DEADLINE_ACTIONS[name]:
            at = _reminder_at(due, snapshot, sla, cal) if kind == "reminder" else due
            if at is None:
                continue
            yield Action(kind, action_key(snapshot.tracking, kind, due, name), at, name, due)


def _reminder_at(due: datetime, snapshot: DeadlineSnapshot, sla: SlaSection,
                 cal: BusinessCalendar) -> datetime | None:
    """sla.reminder_lead before the due date; none when off or earlier than the complaint itself."""
    if sla.reminder_lead <= 0:
        return None
    at = _ADVANCE[sla.unit](cal, due, -sla.reminder_lead)
    return at if at > snapshot.created_at else None


def _interim_actions(snapshot: DeadlineSnapshot, sla: SlaSection, cal: BusinessCalendar) -> Iterator[Action]:
    if sla.interim_every > 0:
        at = cal.add_business_days(snapshot.last_interim_at or snapshot.created_at, sla.interim_every)
        yield Action("interim", action_key(snapshot.tracking, "interim", at), at)


def auto_close_at(resolved_at: datetime, sla: SlaSection, cal: BusinessCalendar) -> datetime | None:
    """When an answer given at `resolved_at` closes without the customer's decision (None: never);
    the resolution mail names this date and the sweep keeps it."""
    return cal.add_business_days(resolved_at, sla.auto_close_after) if sla.auto_close_after > 0 else None


def _auto_close_actions(snapshot: DeadlineSnapshot, sla: SlaSection, cal: BusinessCalendar) -> Iterator[Action]:
    at = auto_close_at(snapshot.resolved_at, sla, cal) if snapshot.resolved_at is not None else None
    if at is not None and snapshot.resolved_at is not None:
        yield Action("auto_close", action_key(snapshot.tracking, "auto_close", snapshot.resolved_at), at)


def _ask_reminder_actions(snapshot: DeadlineSnapshot, sla: SlaSection, cal: BusinessCalendar) -> Iterator[Action]:
    """One reminder to staff per pause whose question the customer left unanswered."""
    if sla.ask_reminder_after > 0 and snapshot.paused_at is not None:
        at = cal.add_business_days(snapshot.paused_at, sla.ask_reminder_after)
        yield Action("ask_reminder", action_key(snapshot.tracking, "ask_reminder", snapshot.paused_at), at)


_Planner = Callable[[DeadlineSnapshot, "SlaSection", BusinessCalendar], Iterator[Action]]

# Which actions each kind of clock plans.
_PLANNERS: Mapping[str, tuple[_Planner, ...]] = MappingProxyType({
    RUNNING: (_deadline_actions, _interim_actions),
    AUTO_CLOSE: (_auto_close_actions,),
    PAUSED: (_ask_reminder_actions,),
    STOPPED: (),
})
