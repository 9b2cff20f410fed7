"""Business calendar: which instants are working time, and arithmetic over them.

Complaint policies promise answers in business days, so every due date is
computed here and nowhere else. Working time is the wall-clock span
work_start..work_end, in the calendar's time zone, on business days. A business
day is a day that is neither a weekend day nor a public holiday of the country
(the `holidays` package, which also knows the weekends a government moved to
working days); the admin's extra_holidays and extra_workdays win over both,
because moon-dependent holidays and decrees are announced after any release.

One convention, so that the arithmetic composes and inverts:

- A working period is half-open, [work_start, work_end): 09:00 is inside,
  18:00 is not, so `next_business_moment(18:00)` is 09:00 the next business day.
- Adding business time walks forward through working time only and returns the
  *earliest* instant at which that much has passed. A result that lands exactly
  on the end of a period is that end (Wednesday 18:00), never the start of the
  next period (Thursday 09:00), because a promise "by Wednesday" must read so.
- Subtracting (a negative amount) mirrors this and returns the *latest*
  instant: a reminder one business day before Wednesday 18:00 is Wednesday
  09:00, when staff are there to read it, not Tuesday 18:00.
- One business day is one working-day length (work_end - work_start), so
  fractions and hours mix: with 09:00-18:00, Friday 17:30 + 3 business days =
  0.5 h Friday + 9 h Monday + 9 h Tuesday + 8.5 h Wednesday = Wednesday 17:30.
  `close_of_business` rounds such a result up to the end of its working day
  where a policy promises whole days (deadlines.py does that).
- `business_days_between(a, add_business_days(a, n)) == n` for n >= 0.

Working periods are wall-clock bounds, so on a DST change day a business day
still counts as one business day (AZ, TR and RU keep no DST).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from gateway.config import WEEKDAYS as DAY_NAMES
from gateway.config import country_code  # the config's check: what `gateway check` accepts, this accepts

if TYPE_CHECKING:  # business.py depends on nothing of ours at run time but the config's vocabulary
    from gateway.config import CalendarSection

WEEKDAYS = {name: number for number, name in enumerate(DAY_NAMES)}
SEARCH_LIMIT_DAYS = 3660  # a calendar with no business day in ten years is misconfigured


class _YearDays(NamedTuple):
    """One year of the country's calendar, as plain sets for fast lookups."""

    holidays: frozenset[date]
    weekend_workdays: frozenset[date]


@dataclass(frozen=True)
class BusinessCalendar:
    zone: ZoneInfo
    country: str = ""
    weekend: frozenset[int] = frozenset({5, 6})
    work_start: time = time(9)
    work_end: time = time(18)
    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    _years: dict[int, _YearDays] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.work_start >= self.work_end:
            raise ValueError(f"calendar: work_start {self.work_start} must be before work_end {self.work_end}")
        both = self.extra_holidays & self.extra_workdays
        if both:
            raise ValueError(f"calendar: {min(both)} is both an extra holiday and an extra workday")
        if len(self.weekend) >= len(WEEKDAYS):
            raise ValueError("calendar.weekend: names all seven days, so there is no business day")

    @classmethod
    def from_config(cls, cal: CalendarSection, tz: str) -> BusinessCalendar:
        """Build from [calendar]; `tz` ([gateway] timezone) applies when calendar.timezone is empty.

        Raises ValueError naming the offending key, for `gateway check`.
        """
        zone_name = cal.timezone or tz
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            key = "calendar.timezone" if cal.timezone else "gateway.timezone"
            raise ValueError(f"{key}: unknown time zone {zone_name!r}") from None
        country = cal.country.strip().upper()
        if country and country_code(country):
            raise ValueError(f"calendar.country: {cal.country!r} is not a country the holidays package knows")
        return cls(
            zone=zone,
            country=country,
            weekend=_weekdays(cal.weekend),
            work_start=_clock(cal.work_start, "calendar.work_start"),
            work_end=_clock(cal.work_end, "calendar.work_end"),
            extra_holidays=_dates(cal.extra_holidays, "calendar.extra_holidays"),
            extra_workdays=_dates(cal.extra_workdays, "calendar.extra_workdays"),
        )

    # ------------------------------------------------------------ days

    @property
    def day_length(self) -> timedelta:
        return datetime.combine(date.min, self.work_end) - datetime.combine(date.min, self.work_start)

    def is_business_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        year = self._year(day.year)
        if day in year.holidays:
            return False
        return day.weekday() not in self.weekend or day in year.weekend_workdays

    def _year(self, year: int) -> _YearDays:
        """The country's days of one year, loaded once per calendar instance."""
        days = self._years.get(year)
        if days is None:
            days = self._years[year] = self._load_year(year)
        return days

    def _load_year(self, year: int) -> _YearDays:
        if not self.country:
            return _YearDays(frozenset(), frozenset())
        table = holidays.country_holidays(self.country, years=year)
        return _YearDays(frozenset(d for d in table if d.year == year),
                         frozenset(d for d in table.weekend_workdays if d.year == year))

    # ------------------------------------------------------------ instants

    def next_business_day(self, day: date) -> date:
        """`day` itself when people work that day, else the first such day after it."""
        for offset in range(SEARCH_LIMIT_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_business_day(candidate):
                return candidate
        raise ValueError(f"calendar: no business day within {SEARCH_LIMIT_DAYS} days of {day}")

    def next_business_moment(self, t: datetime) -> datetime:
        """t itself inside working time, else the start of the next working period."""
        return self._shift(t, 0.0)

    def close_of_business(self, t: datetime) -> datetime:
        """The end of the working period t is in (or ends), else of the next one."""
        local = self._local(t)
        if not (self.is_business_day(local.date()) and self.work_start <= local.time() <= self.work_end):
            local = self._local(self.next_business_moment(t))
        return self._aware(datetime.combine(local.date(), self.work_end))

    def add_business_days(self, t: datetime, n: float) -> datetime:
        return self._shift(t, n * self.day_length.total_seconds())

    def add_business_hours(self, t: datetime, hours: float) -> datetime:
        return self._shift(t, hours * 3600.0)

    def business_days_between(self, a: datetime, b: datetime) -> float:
        """Working time from a to b in working-day lengths; negative when b < a."""
        if b < a:
            return -self.business_days_between(b, a)
        start, end = self._local(a), self._local(b)
        seconds = 0.0
        for offset in range((end.date() - start.date()).days + 1):
            period = self._period(start.date() + timedelta(days=offset))
            if period is not None:
                overlap = min(period[1], end) - max(period[0], start)
                seconds += max(overlap.total_seconds(), 0.0)
        return seconds / self.day_length.total_seconds()

    # ------------------------------------------------------------ internals

    def _shift(self, t: datetime, seconds: float) -> datetime:
        """Refuses at once (ValueError) a span longer than the search window, rather than walk
        ten years of days to the same answer: `gateway check` refuses such [sla] values."""
        if abs(seconds) > SEARCH_LIMIT_DAYS * self.day_length.total_seconds():
            raise ValueError(f"calendar: {seconds / self.day_length.total_seconds():g} business days reach beyond "
                             f"the {SEARCH_LIMIT_DAYS} days a deadline may lie ahead")
        local = self._local(t)
        moved = self._forward(local, seconds) if seconds >= 0 else self._backward(local, -seconds)
        return self._aware(moved)

    def _forward(self, local: datetime, seconds: float) -> datetime:
        for period in self._periods(local.date(), 1):
            start, end = max(period[0], local), period[1]
            if start >= end:
                continue
            available = (end - start).total_seconds()
            if seconds <= available:
                return start + timedelta(seconds=seconds)
            seconds -= available
        raise AssertionError("unreachable: _periods raises first")

    def _backward(self, local: datetime, seconds: float) -> datetime:
        for period in self._periods(local.date(), -1):
            start, end = period[0], min(period[1], local)
            if start >= end:
                continue
            available = (end - start).total_seconds()
            if seconds <= available:
                return end - timedelta(seconds=seconds)
            seconds -= available
        raise AssertionError("unreachable: _periods raises first")

    def _periods(self, first: date, step: int) -> Iterator[tuple[datetime, datetime]]:
        """Working periods (naive local) from `first` on, forward or backward."""
        for offset in range(SEARCH_LIMIT_DAYS):
            period = self._period(first + timedelta(days=step * offset))
            if period is not None:
                yield period
        raise ValueError(f"calendar: no business day within {SEARCH_LIMIT_DAYS} days of {first}")

    def _period(self, day: date) -> tuple[datetime, datetime] | None:
        if not self.is_business_day(day):
            return None
        return datetime.combine(day, self.work_start), datetime.combine(day, self.work_end)

    def _local(self, t: datetime) -> datetime:
        """Naive wall-clock time in the calendar's zone (the arithmetic works in wall-clock)."""
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(f"calendar: {t.isoformat()} has no time zone; pass aware datetimes")
        return t.astimezone(self.zone).replace(tzinfo=None)

    def _aware(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.zone)


def _weekdays(names: Iterable[str]) -> frozenset[int]:
    days = set()
    for name in names:
        key = name.strip().lower()[:3]
        if key not in WEEKDAYS:
            raise ValueError(f"calendar.weekend: {name!r} is not a weekday (use {', '.join(WEEKDAYS)})")
        days.add(WEEKDAYS[key])
    return frozenset(days)


def _clock(text: str, key: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{key}: {text!r} is not a time of day HH:MM") from None


def _dates(texts: Iterable[str], key: str) -> frozenset[date]:
    days = set()
    for text in texts:
        try:
            days.add(date.fromisoformat(text.strip()))
        except ValueError:
            raise ValueError(f"{key}: {text!r} is not a date YYYY-MM-DD") from None
    return frozenset(days)
