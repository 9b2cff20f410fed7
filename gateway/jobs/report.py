"""ISO 10002 figures ("monitor and improve"): what came in, how fast it was handled.

Three layers, so the arithmetic can be tested on a data set with known answers:
`collect` reads the anonymous facts of each complaint from the database (no
text, no address: a purged complaint reports exactly like a fresh one),
`compute` is pure (facts, period, `now`, calendar -> Report), and the
renderers turn a Report into text or CSV (HTML: report_html; every format by
name: report_formats; the weekly mail: report_mail).

Definitions, stated once:
- received: complaints created in [since, until).
- on time: acknowledged by due_acknowledge; resolved by due_resolve *and* no
  delay notice was ever sent (a delay notice means the first promise was
  missed, even though it moved due_resolve). A complaint counts once its
  outcome is known at `now`: done, or its due date has passed undone.
- medians: business days (the policy's calendar) from receipt to the first
  acknowledgement, and to the (last) resolution, or closing when never resolved.
- reopen / escalation rate: share of received complaints with an event whose
  to_status is reopened / escalated.
"""
from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gateway.desk.business import BusinessCalendar
from gateway.desk.view import aware, naive
from gateway.store.models import Complaint, Event

NO_CATEGORY = "(none)"
# The remainder bucket beyond the top categories. Not "other": the shipped rules' default
# category is called that, and the report listed "other" twice a week, one of them the
# category and one the remainder. Parenthesised, like NO_CATEGORY, it cannot be a rule's name.
OTHER = "(other categories)"
TOP_CATEGORIES = 5
REOPENED, ESCALATED, DELAY_NOTICE = "reopened", "escalated", "delay_notice"


@dataclass(frozen=True)
class ComplaintFacts:
    """The anonymous figures of one complaint; all datetimes timezone-aware UTC."""

    created_at: datetime
    category: str = ""
    priority: str = "normal"
    channel: str = "email"
    due_acknowledge: datetime | None = None
    acknowledged_at: datetime | None = None
    due_resolve: datetime | None = None
    resolved_at: datetime | None = None  # resolution, else closing
    reopened: bool = False
    escalated: bool = False
    delayed: bool = False  # a delay notice went out: the first resolution date was missed


@dataclass(frozen=True)
class Rate:
    hits: int
    total: int

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.hits / self.total, 1) if self.total else None


@dataclass(frozen=True)
class WeekCounts:
    week: str  # ISO week, "2026-W48"
    start: date  # its Monday
    counts: tuple[tuple[str, int], ...]  # per top category (and "other"), in Report.top_categories order


@dataclass(frozen=True)
class Report:
    since: datetime
    until: datetime
    now: datetime
    received: int
    by_category: tuple[tuple[str, int], ...]
    by_priority: tuple[tuple[str, int], ...]
    by_channel: tuple[tuple[str, int], ...]
    acknowledged_on_time: Rate
    resolved_on_time: Rate
    median_acknowledge_days: float | None
    median_resolve_days: float | None
    reopen_rate: Rate
    escalation_rate: Rate
    top_categories: tuple[str, ...]
    weeks: tuple[WeekCounts, ...]


# ---------------------------------------------------------------- pure figures

def compute(facts: Iterable[ComplaintFacts], since: datetime, until: datetime, now: datetime,
            calendar: BusinessCalendar, top: int = TOP_CATEGORIES) -> Report:
    rows = [f for f in facts if since <= f.created_at < until]
    categories = Counter(f.category or NO_CATEGORY for f in rows)
    leaders = tuple(name for name, _ in _ranked(categories)[:top])
    return Report(
        since=since, until=until, now=now, received=len(rows),
        by_category=_ranked(categories),
        by_priority=_ranked(Counter(f.priority for f in rows)),
        by_channel=_ranked(Counter(f.channel for f in rows)),
        acknowledged_on_time=_on_time(rows, now, "due_acknowledge", "acknowledged_at"),
        resolved_on_time=_on_time(rows, now, "due_resolve", "resolved_at"),
        median_acknowledge_days=_median_days(rows, "acknowledged_at", calendar),
        median_resolve_days=_median_days(rows, "resolved_at", calendar),
        reopen_rate=Rate(sum(f.reopened for f in rows), len(rows)),
        escalation_rate=Rate(sum(f.escalated for f in rows), len(rows)),
        top_categories=leaders + ((OTHER,) if len(categories) > len(leaders) else ()),
        weeks=_weeks(rows, since, until, leaders, calendar),
    )


def _ranked(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    """Most frequent first; ties alphabetically, so the order never depends on the database."""
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def _on_time(rows: Sequence[ComplaintFacts], now: datetime, due_field: str, done_field: str) -> Rate:
    hits = total = 0
    for fact in rows:
        due, done = getattr(fact, due_field), getattr(fact, done_field)
        if due is None or (done is None and due > now):
            continue  # outcome not known yet
        total += 1
        late_notice = fact.delayed and done_field == "resolved_at"
        hits += done is not None and done <= due and not late_notice
    return Rate(hits, total)


def _median_days(rows: Sequence[ComplaintFacts], done_field: str, calendar: BusinessCalendar) -> float | None:
    spans = [calendar.business_days_between(f.created_at, getattr(f, done_field))
             for f in rows if getattr(f, done_field) is not None]
    return round(statistics.median(spans), 2) if spans else None


def _weeks(rows: Sequence[ComplaintFacts], since: datetime, until: datetime, leaders: tuple[str, ...],
           calendar: BusinessCalendar) -> tuple[WeekCounts, ...]:
    """Per ISO week (business time zone) of the period, even empty ones: a gap is information."""
    def monday(t: datetime) -> date:
        local = t.astimezone(calendar.zone).date()
        return local - timedelta(days=local.weekday())

    per_week: dict[date, Counter[str]] = {}
    for fact in rows:
        name = fact.category or NO_CATEGORY
        per_week.setdefault(monday(fact.created_at), Counter())[name if name in leaders else OTHER] += 1
    weeks, start, last = [], monday(since), monday(until - timedelta(microseconds=1))
    names = leaders + ((OTHER,) if any(OTHER in c for c in per_week.values()) else ())
    while start <= last:
        counter = per_week.get(start, Counter())
        year, number, _ = start.isocalendar()
        weeks.append(WeekCounts(f"{year}-W{number:02d}", start, tuple((n, counter[n]) for n in names)))
        start += timedelta(days=7)
    return tuple(weeks)


# ---------------------------------------------------------------- the period

def last_days(now: datetime, days: int = 30) -> tuple[datetime, datetime]:
    return now - timedelta(days=days), now


# ---------------------------------------------------------------- database

def collect(since: datetime, until: datetime) -> list[ComplaintFacts]:
    """The facts of complaints received in [since, until), read without any personal field."""
    query = (Complaint.select(Complaint.id, Complaint.created_at, Complaint.category, Complaint.priority,
                              Complaint.channel, Complaint.due_acknowledge, Complaint.acknowledged_at,
                              Complaint.due_resolve, Complaint.resolved_at, Complaint.closed_at)
             .where((Complaint.created_at >= naive(since)) & (Complaint.created_at < naive(until))))
    complaints = list(query)
    marks: dict[int, set[str]] = {}
    flagged = (Event.select(Event.complaint, Event.kind, Event.to_status)
               .join(Complaint)
               .where((Complaint.created_at >= naive(since)) & (Complaint.created_at < naive(until))
                      & (Event.to_status.in_((REOPENED, ESCALATED)) | (Event.kind == DELAY_NOTICE))))
    for event in flagged:
        marks.setdefault(event.complaint_id, set()).add(event.to_status or event.kind)
    return [ComplaintFacts(
        created_at=aware(c.created_at), category=c.category, priority=c.priority, channel=c.channel,
        due_acknowledge=aware(c.due_acknowledge), acknowledged_at=aware(c.acknowledged_at),
        due_resolve=aware(c.due_resolve), resolved_at=aware(c.resolved_at or c.closed_at),
        reopened=REOPENED in marks.get(c.id, ()), escalated=ESCALATED in marks.get(c.id, ()),
        delayed=DELAY_NOTICE in marks.get(c.id, ())) for c in complaints]


def build(since: datetime, until: datetime, now: datetime, calendar: BusinessCalendar) -> Report:
    return compute(collect(since, until), since, until, now, calendar)


# ---------------------------------------------------------------- text and CSV

def _rate_rows(section: str, name: str, rate: Rate) -> list[tuple[str, str, str]]:
    percent = "" if rate.percent is None else f"{rate.percent:.1f}"
    return [(section, f"{name}_percent", percent), (section, f"{name}", str(rate.hits)),
            (section, f"{name}_of", str(rate.total))]


def _days(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def summary_rows(report: Report) -> list[tuple[str, str, str]]:
    """(section, key, value) rows, numbers as plain numbers ("" when unknown): text and CSV are made of them."""
    rows = [("period", "since", report.since.isoformat()), ("period", "until", report.until.isoformat()),
            ("received", "complaints", str(report.received))]
    for section, pairs in (("category", report.by_category), ("priority", report.by_priority),
                           ("channel", report.by_channel)):
        rows += [(section, name, str(count)) for name, count in pairs]
    rows += _rate_rows("deadline", "acknowledged_on_time", report.acknowledged_on_time)
    rows += _rate_rows("deadline", "resolved_on_time", report.resolved_on_time)
    rows += [("median_business_days", "acknowledge", _days(report.median_acknowledge_days)),
             ("median_business_days", "resolve", _days(report.median_resolve_days))]
    rows += _rate_rows("rate", "reopened", report.reopen_rate)
    rows += _rate_rows("rate", "escalated", report.escalation_rate)
    for week in report.weeks:
        rows += [(f"week {week.week}", name, str(count)) for name, count in week.counts]
    return rows


def render_text(report: Report) -> str:
    lines, section = [], ""
    for name, key, value in summary_rows(report):
        if name != section:
            lines.append(f"{name}:")
            section = name
        lines.append(f"  {key:34} {value or '-'}")
    return "\n".join(lines) + "\n"


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "key", "value"))
    writer.writerows(summary_rows(report))
    return out.getvalue()
