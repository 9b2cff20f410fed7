"""Business calendar with explicit dates: weekends, holidays, time zones, working-hour edges."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from gateway.config import CalendarSection
from gateway.desk.business import BusinessCalendar

BAKU = ZoneInfo("Asia/Baku")
ISTANBUL = ZoneInfo("Europe/Istanbul")
MOSCOW = ZoneInfo("Europe/Moscow")


def calendar(country: str, tz: str, **fields) -> BusinessCalendar:
    return BusinessCalendar.from_config(CalendarSection(country=country, **fields), tz)


@pytest.fixture(scope="module")
def baku() -> BusinessCalendar:
    return calendar("AZ", "Asia/Baku")


@pytest.fixture(scope="module")
def istanbul() -> BusinessCalendar:
    return calendar("TR", "Europe/Istanbul")


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


# ---------------------------------------------------------------- Friday 17:30 in Baku

def test_friday_evening_complaint_counts_its_half_hour_and_skips_the_weekend(baku):
    friday = at(BAKU, 2026, 1, 9, 17, 30)
    assert friday.strftime("%A") == "Friday"
    # 0.5 h Friday + 9 h Monday + 9 h Tuesday + 8.5 h Wednesday = 27 h = 3 working days
    due = baku.add_business_days(friday, 3)
    assert due == at(BAKU, 2026, 1, 14, 17, 30)
    assert baku.close_of_business(due) == at(BAKU, 2026, 1, 14, 18, 0)
    assert baku.business_days_between(friday, due) == pytest.approx(3.0)


def test_instants_in_other_zones_are_read_in_the_calendar_zone(baku):
    friday_in_utc = datetime(2026, 1, 9, 13, 30, tzinfo=timezone.utc)  # 17:30 in Baku (UTC+4)
    due = baku.add_business_days(friday_in_utc, 3)
    assert due == at(BAKU, 2026, 1, 14, 17, 30)
    assert due.utcoffset().total_seconds() == 4 * 3600  # answered in Baku time


def test_friday_after_hours_starts_on_monday_and_ends_at_close_of_wednesday(baku):
    friday_late = at(BAKU, 2026, 1, 9, 19, 45)
    assert baku.next_business_moment(friday_late) == at(BAKU, 2026, 1, 12, 9, 0)
    # earliest instant with 27 working hours behind it: Wednesday 18:00, not Thursday 09:00
    assert baku.add_business_days(friday_late, 3) == at(BAKU, 2026, 1, 14, 18, 0)


# ---------------------------------------------------------------- Novruz

def test_novruz_2026_as_the_holidays_package_gives_it(baku):
    # 2026: Novruz 20-24 March meets Ramadan Bayram (20-21); the observed days run to 30 March
    closed = [date(2026, 3, d) for d in (20, 23, 24, 25, 26, 27, 30)]
    assert not any(baku.is_business_day(d) for d in closed)
    assert baku.is_business_day(date(2026, 3, 19)) and baku.is_business_day(date(2026, 3, 31))


def test_complaint_just_before_novruz_2026_waits_out_the_holiday(baku):
    thursday = at(BAKU, 2026, 3, 19, 10, 0)
    # 8 h Thursday, then nothing until Tuesday 31 March: 9 h + Wednesday 9 h + Thursday 1 h
    assert baku.add_business_days(thursday, 3) == at(BAKU, 2026, 4, 2, 10, 0)
    assert baku.business_days_between(thursday, at(BAKU, 2026, 3, 31, 9, 0)) == pytest.approx(8 / 9)


def test_complaint_just_before_novruz_2027(baku):
    # 2027: 20-24 March with the weekend days observed on 25 and 26 March
    assert [d for d in range(18, 30) if not baku.is_business_day(date(2027, 3, d))] == \
        [20, 21, 22, 23, 24, 25, 26, 27, 28]
    friday = at(BAKU, 2027, 3, 19, 10, 0)
    assert baku.add_business_days(friday, 1) == at(BAKU, 2027, 3, 29, 10, 0)


# ---------------------------------------------------------------- New Year in Istanbul

def test_new_year_in_istanbul(istanbul):
    new_years_eve = at(ISTANBUL, 2026, 12, 31, 15, 0)  # a Thursday, a working day in Turkey
    assert istanbul.is_business_day(new_years_eve.date())
    assert not istanbul.is_business_day(date(2027, 1, 1))
    # 3 h Thursday, Friday 1 January a holiday, weekend, Monday 9 h, Tuesday 6 h
    assert istanbul.add_business_days(new_years_eve, 2) == at(ISTANBUL, 2027, 1, 5, 15, 0)
    assert istanbul.business_days_between(new_years_eve, at(ISTANBUL, 2027, 1, 4, 9, 0)) == pytest.approx(3 / 9)


def test_russian_moved_working_saturday_from_the_package():
    moscow = calendar("RU", "Europe/Moscow")
    assert moscow.is_business_day(date(2025, 11, 1))  # a Saturday worked for Monday 3 November
    assert not moscow.is_business_day(date(2025, 11, 3))
    friday = at(MOSCOW, 2025, 10, 31, 17, 0)
    assert moscow.add_business_days(friday, 1) == at(MOSCOW, 2025, 11, 1, 17, 0)


def test_each_calendar_keeps_its_own_country():
    assert not calendar("AZ", "Asia/Baku").is_business_day(date(2026, 3, 23))  # Novruz
    assert calendar("RU", "Europe/Moscow").is_business_day(date(2026, 3, 23))


# ---------------------------------------------------------------- working-hour edges

@pytest.mark.parametrize(("clock", "expected"), [
    ((8, 59), (2026, 1, 9, 9, 0)),
    ((9, 0), (2026, 1, 9, 9, 0)),
    ((17, 59), (2026, 1, 9, 17, 59)),
    ((18, 0), (2026, 1, 12, 9, 0)),
    ((18, 1), (2026, 1, 12, 9, 0)),
])
def test_next_business_moment_on_the_edges_of_a_friday(baku, clock, expected):
    assert baku.next_business_moment(at(BAKU, 2026, 1, 9, *clock)) == at(BAKU, *expected)


@pytest.mark.parametrize(("clock", "expected"), [
    ((8, 59), (2026, 1, 12, 10, 0)),
    ((9, 0), (2026, 1, 12, 10, 0)),
    ((17, 59), (2026, 1, 13, 9, 59)),
    ((18, 0), (2026, 1, 13, 10, 0)),
    ((18, 1), (2026, 1, 13, 10, 0)),
])
def test_one_business_hour_on_the_edges_of_a_monday(baku, clock, expected):
    assert baku.add_business_hours(at(BAKU, 2026, 1, 12, *clock), 1) == at(BAKU, *expected)


def test_a_full_day_ends_at_close_and_going_back_lands_on_opening(baku):
    monday_open = at(BAKU, 2026, 1, 12, 9, 0)
    assert baku.add_business_hours(monday_open, 9) == at(BAKU, 2026, 1, 12, 18, 0)
    assert baku.add_business_days(at(BAKU, 2026, 1, 14, 18, 0), -1) == at(BAKU, 2026, 1, 14, 9, 0)
    assert baku.add_business_days(at(BAKU, 2026, 1, 12, 12, 0), -1) == at(BAKU, 2026, 1, 9, 12, 0)


def test_close_of_business(baku):
    assert baku.close_of_business(at(BAKU, 2026, 1, 12, 9, 0)) == at(BAKU, 2026, 1, 12, 18, 0)
    assert baku.close_of_business(at(BAKU, 2026, 1, 12, 18, 0)) == at(BAKU, 2026, 1, 12, 18, 0)
    assert baku.close_of_business(at(BAKU, 2026, 1, 12, 18, 1)) == at(BAKU, 2026, 1, 13, 18, 0)
    assert baku.close_of_business(at(BAKU, 2026, 1, 10, 12, 0)) == at(BAKU, 2026, 1, 12, 18, 0)  # Saturday


def test_fractional_days_are_fractions_of_the_working_day(baku):
    assert baku.add_business_days(at(BAKU, 2026, 1, 12, 9, 0), 0.5) == at(BAKU, 2026, 1, 12, 13, 30)


# ---------------------------------------------------------------- admin corrections

def test_extra_holiday_pushes_the_deadline():
    cal = calendar("AZ", "Asia/Baku", extra_holidays=("2026-01-13",))
    assert not cal.is_business_day(date(2026, 1, 13))
    # 0.5 h Friday, Monday 9 h, Tuesday off, Wednesday 9 h, Thursday 8.5 h
    assert cal.add_business_days(at(BAKU, 2026, 1, 9, 17, 30), 3) == at(BAKU, 2026, 1, 15, 17, 30)


def test_extra_workday_on_a_saturday_counts():
    cal = calendar("AZ", "Asia/Baku", extra_workdays=("2026-01-10",))
    assert cal.is_business_day(date(2026, 1, 10))
    assert cal.add_business_days(at(BAKU, 2026, 1, 9, 17, 30), 3) == at(BAKU, 2026, 1, 13, 17, 30)


def test_extra_workday_beats_a_public_holiday():
    cal = calendar("AZ", "Asia/Baku", extra_workdays=("2026-03-25",))
    assert cal.is_business_day(date(2026, 3, 25))


def test_weekend_and_hours_come_from_config():
    cal = calendar("", "Asia/Baku", weekend=("fri", "sat"), work_start="08:00", work_end="16:00")
    assert not cal.is_business_day(date(2026, 1, 9)) and cal.is_business_day(date(2026, 1, 11))
    assert cal.day_length.total_seconds() == 8 * 3600
    assert cal.work_start == time(8, 0)


def test_calendar_timezone_overrides_the_gateway_zone():
    cal = calendar("TR", "UTC", timezone="Europe/Istanbul")
    assert cal.next_business_moment(datetime(2026, 1, 12, 5, 0, tzinfo=timezone.utc)) == at(ISTANBUL, 2026, 1, 12, 9, 0)


# ---------------------------------------------------------------- counting

def test_business_days_between_is_signed_and_skips_nights(baku):
    friday = at(BAKU, 2026, 1, 9, 17, 0)
    monday = at(BAKU, 2026, 1, 12, 10, 0)
    assert baku.business_days_between(friday, monday) == pytest.approx(2 / 9)
    assert baku.business_days_between(monday, friday) == pytest.approx(-2 / 9)
    assert baku.business_days_between(friday, friday) == 0


@pytest.mark.parametrize("n", [0.25, 1, 3, 10, 22.5])
def test_adding_then_counting_gives_back_the_amount(baku, n):
    start = at(BAKU, 2026, 3, 18, 11, 15)
    assert baku.business_days_between(start, baku.add_business_days(start, n)) == pytest.approx(n)


# ---------------------------------------------------------------- misuse

def test_naive_datetimes_are_refused(baku):
    with pytest.raises(ValueError, match="time zone"):
        baku.next_business_moment(datetime(2026, 1, 9, 12, 0))


@pytest.mark.parametrize(("fields", "tz", "key"), [
    ({}, "Mars/Olympus", "gateway.timezone"),
    ({"timezone": "Mars/Olympus"}, "", "calendar.timezone"),
    ({"country": "XX"}, "UTC", "calendar.country"),
    ({"weekend": ("sat", "caturday")}, "UTC", "calendar.weekend"),
    ({"work_start": "9am"}, "UTC", "calendar.work_start"),
    ({"extra_holidays": ("2026-02-30",)}, "UTC", "calendar.extra_holidays"),
    ({"work_start": "18:00", "work_end": "09:00"}, "UTC", "work_start"),
    ({"extra_holidays": ("2026-01-13",), "extra_workdays": ("2026-01-13",)}, "UTC", "2026-01-13"),
])
def test_bad_config_names_the_key(fields, tz, key):
    with pytest.raises(ValueError, match=key):
        BusinessCalendar.from_config(CalendarSection(**fields), tz)


def test_a_calendar_without_business_days_is_refused_when_built():
    """Not at the first deadline: then every mail would be quarantined ("no business day within 3660 days")."""
    with pytest.raises(ValueError, match="calendar.weekend: .*no business day"):
        calendar("", "UTC", weekend=("mon", "tue", "wed", "thu", "fri", "sat", "Sunday"))


@pytest.mark.parametrize("days", [100_000_000, -100_000_000, 3661])
def test_a_span_beyond_the_search_window_fails_at_once(days):
    cal = calendar("", "UTC")
    with pytest.raises(ValueError, match="business days reach beyond"):
        cal.add_business_days(datetime(2026, 1, 1, tzinfo=timezone.utc), days)


def test_a_year_of_business_days_is_computed():
    """The longest span `gateway check` lets through ([sla] at most 365 business days)."""
    cal = calendar("AZ", "Asia/Baku")
    start = datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("Asia/Baku"))
    assert cal.business_days_between(start, cal.add_business_days(start, 365)) == 365
