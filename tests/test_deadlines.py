"""Due dates and deadline actions, with explicit dates (Baku and Istanbul calendars)."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gateway import config
from gateway.config import CalendarSection, SlaSection
from gateway.desk.business import BusinessCalendar
from gateway.desk.deadlines import (
    STATUS_RULES,
    DeadlineSnapshot,
    DueDates,
    describe,
    extended_resolve_due,
    initial_due,
    next_action_at,
    planned_actions,
    remaining,
    resume,
    stage_due,
)
from policies import adopt

BAKU = ZoneInfo("Asia/Baku")
ISTANBUL = ZoneInfo("Europe/Istanbul")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SLA = SlaSection()  # the defaults express seeds 000/001: 3 and 10 business days
FRIDAY_EVENING = datetime(2026, 1, 9, 17, 30, tzinfo=BAKU)


def baku(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BAKU)


@pytest.fixture(scope="module")
def cal() -> BusinessCalendar:
    return BusinessCalendar.from_config(CalendarSection(country="AZ"), "Asia/Baku")


def open_complaint(**changes) -> DeadlineSnapshot:
    """Friday-evening complaint in Baku, investigating, with its default due dates."""
    snapshot = DeadlineSnapshot(
        tracking="CC-2026-ABCDEFGH", status="investigating", priority="normal", created_at=FRIDAY_EVENING,
        due_acknowledge=baku(2026, 1, 14, 18, 0), due_stage=baku(2026, 1, 14, 18, 0),
        due_resolve=baku(2026, 1, 26, 18, 0))
    return dataclasses.replace(snapshot, **changes)


# ---------------------------------------------------------------- due dates

def test_friday_evening_complaint_due_dates(cal):
    # resolve: 0.5 h Fri, 12-16 Jan, 19 Jan, 20 Jan Martyrs' Day off, 21-23 Jan, 8.5 h on 26 Jan -> close
    assert initial_due(FRIDAY_EVENING, "normal", SLA, cal) == DueDates(
        acknowledge=baku(2026, 1, 14, 18, 0), stage=baku(2026, 1, 14, 18, 0), resolve=baku(2026, 1, 26, 18, 0))


def test_due_end_of_day_off_keeps_the_clock_time(cal):
    sla = SlaSection(due_end_of_day=False)
    assert stage_due("acknowledge", FRIDAY_EVENING, "normal", sla, cal) == baku(2026, 1, 14, 17, 30)


def test_hours_unit_counts_business_hours_without_rounding(cal):
    sla = SlaSection(unit="hours", acknowledge=4, review=8, resolve=16)
    assert initial_due(FRIDAY_EVENING, "normal", sla, cal) == DueDates(
        acknowledge=baku(2026, 1, 12, 12, 30), stage=baku(2026, 1, 12, 16, 30), resolve=baku(2026, 1, 13, 15, 30))


@pytest.mark.parametrize(("stage", "expected"), [
    ("acknowledge", (2026, 1, 14)), ("review", (2026, 1, 14)),
    ("investigate", (2026, 1, 26)), ("respond", (2026, 1, 12)), ("resolve", (2026, 1, 26)),
])
def test_stage_due_uses_each_stage_length(cal, stage, expected):
    sla = SlaSection(respond=0.5)
    assert stage_due(stage, FRIDAY_EVENING, "normal", sla, cal) == baku(*expected, 18, 0)


def test_unknown_stage_is_refused(cal):
    with pytest.raises(ValueError, match="unknown stage"):
        stage_due("ponder", FRIDAY_EVENING, "normal", SLA, cal)


def test_priority_sets_the_resolution_date_and_caps_the_review_date(cal):
    sla = SlaSection(priority_resolve={"high": 1, "normal": 3, "low": 5})
    monday = baku(2026, 1, 12, 10, 0)
    high = initial_due(monday, "high", sla, cal)
    assert high.resolve == baku(2026, 1, 13, 18, 0)
    assert high.stage == high.resolve  # review (3 days) may not outlast the 1-day answer
    assert initial_due(monday, "low", sla, cal).resolve == baku(2026, 1, 19, 18, 0)
    # unlisted priority: resolve = 10 days, over Martyrs' Day (20 January)
    assert initial_due(monday, "urgent", sla, cal).resolve == baku(2026, 1, 27, 18, 0)


def test_zero_days_means_the_same_business_day(cal):
    sla = SlaSection(acknowledge=0)
    assert stage_due("acknowledge", baku(2026, 1, 12, 10, 0), "normal", sla, cal) == baku(2026, 1, 12, 18, 0)
    assert stage_due("acknowledge", FRIDAY_EVENING, "normal", sla, cal) == baku(2026, 1, 9, 18, 0)


def test_extended_resolve_due_counts_from_the_later_of_due_and_now(cal):
    due = baku(2026, 1, 26, 18, 0)
    assert extended_resolve_due(due, baku(2026, 1, 20, 12, 0), "normal", SLA, cal) == baku(2026, 2, 9, 18, 0)
    assert extended_resolve_due(due, baku(2026, 1, 27, 10, 0), "normal", SLA, cal) == baku(2026, 2, 10, 18, 0)


def test_status_table_follows_the_lifecycle():
    assert {s: (r.stage, r.clock) for s, r in STATUS_RULES.items()} == {
        "registered": ("review", "running"), "in_review": ("review", "running"),
        "investigating": ("investigate", "running"), "reopened": ("review", "running"),
        "resolved": (None, "auto_close"), "waiting_customer": (None, "paused"),
        "closed": (None, "stopped"), "escalated": (None, "stopped")}


# ---------------------------------------------------------------- pause and resume

def test_resume_keeps_the_business_time_left(cal):
    due, paused = baku(2026, 1, 14, 18, 0), baku(2026, 1, 12, 12, 0)  # Monday noon, due Wednesday close
    assert remaining(due, paused, cal) == pytest.approx(24 / 9)  # 6 h + 9 h + 9 h
    # resumed Thursday 10:00: 8 h Thursday, 9 h Friday, 7 h Monday
    assert resume(due, paused, baku(2026, 1, 15, 10, 0), cal) == baku(2026, 1, 19, 16, 0)


def test_resume_of_an_overdue_deadline_keeps_its_date(cal):
    due = baku(2026, 1, 14, 18, 0)
    assert remaining(due, baku(2026, 1, 15, 12, 0), cal) < 0
    assert resume(due, baku(2026, 1, 15, 12, 0), baku(2026, 1, 20, 10, 0), cal) == due


# ---------------------------------------------------------------- actions

def kinds(actions) -> list[tuple[str, str, datetime]]:
    return [(a.kind, a.deadline, a.due_at) for a in actions]


def test_nothing_before_the_first_reminder(cal):
    assert planned_actions(open_complaint(), baku(2026, 1, 14, 8, 59), SLA, cal) == []


def test_reminder_one_business_day_before_the_stage_deadline(cal):
    actions = planned_actions(open_complaint(), baku(2026, 1, 14, 9, 0), SLA, cal)
    assert kinds(actions) == [("reminder", "stage", baku(2026, 1, 14, 9, 0))]
    assert actions[0].key == "CC-2026-ABCDEFGH:reminder:stage:20260114T140000Z"


def test_every_deadline_action_once_the_resolution_date_passed(cal):
    # a sweep after both deadlines (the daemon was down): no "deadline approaching" reminders any more
    actions = planned_actions(open_complaint(), baku(2026, 1, 27, 9, 0), SLA, cal)
    assert kinds(actions) == [
        ("escalation", "stage", baku(2026, 1, 14, 18, 0)),
        ("escalation", "resolve", baku(2026, 1, 26, 18, 0)),   # written before the delay notice moves the date
        ("delay_notice", "resolve", baku(2026, 1, 26, 18, 0)),
    ]
    assert len({a.key for a in actions}) == 3
    assert actions[1].deadline_at == baku(2026, 1, 26, 18, 0)
    # one delay notice per missed promised date: its key names that deadline instance
    assert actions[2].key == "CC-2026-ABCDEFGH:delay_notice:resolve:" + baku(2026, 1, 26, 18, 0).astimezone(
        timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def test_reminders_come_only_while_the_deadline_is_ahead(cal):
    on_time = planned_actions(open_complaint(), baku(2026, 1, 14, 9, 0), SLA, cal)
    assert kinds(on_time) == [("reminder", "stage", baku(2026, 1, 14, 9, 0))]
    late = planned_actions(open_complaint(), baku(2026, 1, 14, 18, 0), SLA, cal)
    assert kinds(late) == [("escalation", "stage", baku(2026, 1, 14, 18, 0))]


def test_the_delay_notice_date_is_the_policys_extend_by(cal):
    due = baku(2026, 1, 26, 18, 0)
    assert extended_resolve_due(due, due, "normal", SlaSection(extend_by=3), cal) == baku(2026, 1, 29, 18, 0)
    # 0: the policy's standard resolution period, whatever the priority (a high-priority complaint
    # is not promised "tomorrow" again and again)
    assert extended_resolve_due(due, due, "high", SlaSection(resolve=3, priority_resolve={"high": 1}), cal) == \
        baku(2026, 1, 29, 18, 0)


def test_keys_do_not_depend_on_the_zone_the_dates_arrive_in(cal):
    utc = {f: getattr(open_complaint(), f).astimezone(timezone.utc)
           for f in ("created_at", "due_acknowledge", "due_stage", "due_resolve")}
    now = baku(2026, 1, 27, 9, 0)
    assert [a.key for a in planned_actions(open_complaint(**utc), now, SLA, cal)] == \
        [a.key for a in planned_actions(open_complaint(), now, SLA, cal)]


def test_an_extended_deadline_gets_fresh_keys(cal):
    now = baku(2026, 2, 20, 9, 0)
    before = {a.key for a in planned_actions(open_complaint(), now, SLA, cal)}
    after = {a.key for a in planned_actions(open_complaint(due_resolve=baku(2026, 2, 9, 18, 0)), now, SLA, cal)}
    assert {k for k in after if ":stage:" in k} == {k for k in before if ":stage:" in k}
    resolve_after = {k for k in after if ":resolve:" in k}
    # the escalation and the delay notice of the new date: a missed #extend date is told too
    assert len(resolve_after) == 2 and not resolve_after & before


def test_a_stage_deadline_at_the_resolution_date_adds_no_second_escalation(cal):
    snapshot = open_complaint(due_stage=baku(2026, 1, 26, 18, 0))
    actions = planned_actions(snapshot, baku(2026, 1, 27, 9, 0), SLA, cal)
    assert [a.deadline for a in actions] == ["resolve"] * 2


def test_a_reminder_before_the_complaint_existed_is_dropped(cal):
    sla = SlaSection(unit="hours", reminder_lead=4)
    created = baku(2026, 1, 12, 10, 0)
    snapshot = open_complaint(created_at=created, due_stage=None, due_resolve=baku(2026, 1, 12, 12, 0))
    assert kinds(planned_actions(snapshot, baku(2026, 1, 12, 12, 0), sla, cal)) == [
        ("escalation", "resolve", baku(2026, 1, 12, 12, 0)), ("delay_notice", "resolve", baku(2026, 1, 12, 12, 0))]


def test_reminders_can_be_switched_off(cal):
    actions = planned_actions(open_complaint(), baku(2026, 1, 27, 9, 0), SlaSection(reminder_lead=0), cal)
    assert "reminder" not in {a.kind for a in actions}


def test_interim_updates_every_n_business_days(cal):
    sla = SlaSection(interim_every=2)
    first = [a for a in planned_actions(open_complaint(), baku(2026, 1, 13, 17, 30), sla, cal) if a.kind == "interim"]
    assert [(a.due_at, a.key) for a in first] == [
        (baku(2026, 1, 13, 17, 30), "CC-2026-ABCDEFGH:interim:20260113T133000Z")]
    sent = open_complaint(last_interim_at=baku(2026, 1, 13, 17, 40))
    assert [a.kind for a in planned_actions(sent, baku(2026, 1, 14, 8, 0), sla, cal)] == []
    assert next_action_at(sent, sla, cal, after=baku(2026, 1, 14, 9, 0)) == baku(2026, 1, 14, 18, 0)
    later = [a for a in planned_actions(sent, baku(2026, 1, 15, 17, 40), sla, cal) if a.kind == "interim"]
    assert [a.due_at for a in later] == [baku(2026, 1, 15, 17, 40)] and later[0].key != first[0].key


def test_interim_is_off_by_default(cal):
    assert "interim" not in {a.kind for a in planned_actions(open_complaint(), baku(2026, 6, 1, 9, 0), SLA, cal)}


def test_resolved_complaint_only_runs_the_auto_close_clock(cal):
    resolved = open_complaint(status="resolved", resolved_at=baku(2026, 1, 12, 10, 0))
    assert planned_actions(resolved, baku(2026, 1, 19, 9, 59), SLA, cal) == []
    actions = planned_actions(resolved, baku(2026, 1, 30, 9, 0), SLA, cal)
    assert [(a.kind, a.due_at, a.key) for a in actions] == [
        ("auto_close", baku(2026, 1, 19, 10, 0), "CC-2026-ABCDEFGH:auto_close:20260112T060000Z")]
    assert planned_actions(resolved, baku(2026, 1, 30, 9, 0), SlaSection(auto_close_after=0), cal) == []


@pytest.mark.parametrize("status", ["waiting_customer", "closed", "escalated", "no_such_status"])
def test_nothing_happens_while_paused_or_finished(cal, status):
    snapshot = open_complaint(status=status, paused_at=baku(2026, 1, 13, 10, 0),
                              resolved_at=baku(2026, 1, 12, 10, 0))
    sla = SlaSection(interim_every=1, ask_reminder_after=0)
    assert planned_actions(snapshot, baku(2026, 12, 1, 9, 0), sla, cal) == []
    assert next_action_at(snapshot, sla, cal) is None


def test_an_unanswered_question_reminds_staff_once_per_pause(cal):
    """Finding 11i: an #ask never answered paused the complaint for ever, silently."""
    paused = baku(2026, 1, 13, 10, 0)  # Tuesday
    snapshot = open_complaint(status="waiting_customer", paused_at=paused)
    sla = SlaSection(ask_reminder_after=5)
    # five business days: 20 January is a day off in Azerbaijan (Martyrs' Day)
    assert planned_actions(snapshot, baku(2026, 1, 21, 9, 59), sla, cal) == []
    actions = planned_actions(snapshot, baku(2026, 2, 20, 9, 0), sla, cal)
    assert [(a.kind, a.due_at) for a in actions] == [("ask_reminder", baku(2026, 1, 21, 10, 0))]  # once, however late
    assert next_action_at(snapshot, sla, cal, after=baku(2026, 1, 21, 10, 0)) is None
    again = open_complaint(status="waiting_customer", paused_at=baku(2026, 2, 2, 10, 0))  # a later pause: its own
    assert planned_actions(again, baku(2026, 2, 20, 9, 0), sla, cal)[0].key != actions[0].key


def test_next_action_at_walks_the_plan(cal):
    snapshot = open_complaint()
    assert next_action_at(snapshot, SLA, cal) == baku(2026, 1, 14, 9, 0)
    assert next_action_at(snapshot, SLA, cal, after=baku(2026, 1, 14, 9, 0)) == baku(2026, 1, 14, 18, 0)
    assert next_action_at(snapshot, SLA, cal, after=baku(2026, 1, 15, 9, 0)) == baku(2026, 1, 26, 9, 0)
    assert next_action_at(snapshot, SLA, cal, after=baku(2026, 1, 26, 18, 0)) is None


def test_planning_is_repeatable(cal):
    now = baku(2026, 1, 27, 9, 0)
    assert planned_actions(open_complaint(), now, SLA, cal) == planned_actions(open_complaint(), now, SLA, cal)


# ---------------------------------------------------------------- shipped policy examples

def load_example(name: str, tmp_path: Path) -> config.Config:
    return config.load(adopt(name, tmp_path))


def example(name: str, tmp_path: Path) -> tuple[SlaSection, BusinessCalendar]:
    cfg = load_example(name, tmp_path)
    return cfg.sla, BusinessCalendar.from_config(cfg.calendar, cfg.gateway.timezone)


def test_example_az_3_10(tmp_path):
    sla, cal = example("policy-az-3-10.toml", tmp_path)
    assert initial_due(FRIDAY_EVENING, "normal", sla, cal) == DueDates(
        acknowledge=baku(2026, 1, 14, 18, 0), stage=baku(2026, 1, 14, 18, 0), resolve=baku(2026, 1, 26, 18, 0))


def test_example_stages_2_4_1(tmp_path):
    sla, cal = example("policy-stages-2-4-1.toml", tmp_path)
    received = datetime(2026, 1, 5, 10, 0, tzinfo=ISTANBUL)  # Monday; the office works 08:30-17:30
    due = initial_due(received, "normal", sla, cal)
    assert due.acknowledge == due.stage == datetime(2026, 1, 7, 17, 30, tzinfo=ISTANBUL)
    investigate = stage_due("investigate", due.stage, "normal", sla, cal)
    assert investigate == datetime(2026, 1, 13, 17, 30, tzinfo=ISTANBUL)
    respond = stage_due("respond", investigate, "normal", sla, cal)
    assert respond == datetime(2026, 1, 14, 17, 30, tzinfo=ISTANBUL)
    assert due.resolve == respond  # 2 + 4 + 1 stage days end where the 7-day resolution does


@pytest.mark.parametrize(("priority", "day"), [("high", 6), ("normal", 8), ("low", 12)])
def test_example_priority_1_3_5(tmp_path, priority, day):
    sla, cal = example("policy-priority-1-3-5.toml", tmp_path)
    received = datetime(2026, 1, 5, 10, 0, tzinfo=ISTANBUL)
    due = initial_due(received, priority, sla, cal)
    assert due.resolve == datetime(2026, 1, day, 18, 0, tzinfo=ISTANBUL)
    assert due.acknowledge == datetime(2026, 1, 5, 18, 0, tzinfo=ISTANBUL)  # the same day


def test_the_history_line_names_the_deadline_in_the_desks_zone(cal):
    """Finding 11e: a reminder was recorded as "stage due <the reminder's own time>", and
    escalations in UTC on a Baku desk."""
    actions = planned_actions(open_complaint(), baku(2026, 1, 14, 18, 0), SLA, cal)
    reminder = planned_actions(open_complaint(), baku(2026, 1, 14, 9, 0), SLA, cal)[0]
    assert describe(reminder, cal.zone) == "stage due 2026-01-14T18:00:00+04:00"
    assert describe(actions[0], cal.zone) == "stage due 2026-01-14T18:00:00+04:00"
