"""The date line of an inline forward, as mail clients write it in az/ru/tr/en.

"Mon, Nov 23, 2026 at 10:00 AM" (Gmail), "Monday, November 23, 2026 10:00 AM"
(Outlook), "23 ноября 2026 г., 10:00", "23 Kasım 2026 Pazartesi 10:00",
"23 noyabr 2026, 10:00", "23.11.2026 10:00", "2026-11-23", an RFC 5322 date
(Thunderbird) or "23 November 2026 at 10:00:00 GMT+4" (Apple Mail). The line is
split into number and word tokens once (linear, bounded); month names are a
table keyed by their first letters. A date that cannot be read is None: the
caller then uses the forward's own date, never a guess.
"""
from __future__ import annotations

import email.utils
import re
from datetime import datetime, timedelta, timezone

MAX_CHARS = 200
_TOKENS = re.compile(r"\d{1,4}|[^\W\d_]{1,20}|[+-]|:")
# first letters of a month name -> month (en, ru, tr, az; Latin and Cyrillic)
MONTHS: dict[str, int] = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
    "янв": 1, "фев": 2, "мар": 3, "апр": 4, "мая": 5, "май": 5, "июн": 6, "июл": 7, "авг": 8, "сен": 9,
    "окт": 10, "ноя": 11, "дек": 12,
    "oca": 1, "şub": 2, "nis": 4, "haz": 6, "tem": 7, "ağu": 8, "eyl": 9, "eki": 10, "kas": 11, "ara": 12,
    "yan": 1, "fev": 2, "iyun": 6, "iyul": 7, "avq": 8, "sen": 9, "okt": 10, "noy": 11, "dek": 12,
}
PM = frozenset({"pm", "p"})
AM = frozenset({"am", "a"})
ZONE_WORDS = frozenset({"gmt", "utc"})


def parse_date(value: str) -> datetime | None:
    """The datetime, or None. Aware when the text names a zone; naive (the writer's
    wall clock, zone unknown) otherwise: the caller knows the business time zone."""
    value = value[:MAX_CHARS].strip()
    if not value:
        return None
    rfc = _rfc5322(value)
    if rfc is not None:
        return rfc
    tokens = _TOKENS.findall(value.lower())
    day = _calendar_day(tokens)
    if day is None:
        return None
    year, month, mday = day
    hour, minute, second = _time_of_day(tokens)
    zone = _zone(tokens)
    try:
        return datetime(year, month, mday, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None


def _rfc5322(value: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed


def _calendar_day(tokens: list[str]) -> tuple[int, int, int] | None:
    numbers = [(i, int(t)) for i, t in enumerate(tokens) if t.isdigit()]
    month_at = next((i for i, t in enumerate(tokens) if _month(t)), None)
    year_at = next((i for i, n in numbers if n >= 1900), None)
    if year_at is None:
        return None
    year = int(tokens[year_at])
    if month_at is not None:
        month = _month(tokens[month_at])
        day = next((n for i, n in numbers if i != year_at and 1 <= n <= 31 and not _is_time(tokens, i)), None)
        return (year, month, day) if day else None
    return _numeric(tokens, numbers, year_at)


def _month(token: str) -> int:
    """The month a word names ("nov", "ноября", "Kasım", "iyul"), 0 when none."""
    if len(token) < 3 or token.isdigit():
        return 0
    return MONTHS.get(token[:4], 0) or MONTHS.get(token[:3], 0)


def _numeric(tokens: list[str], numbers: list[tuple[int, int]], year_at: int) -> tuple[int, int, int] | None:
    """2026-11-23, 23.11.2026, 11/23/2026: the two numbers next to the year."""
    year = int(tokens[year_at])
    near = [n for i, n in numbers if i != year_at and not _is_time(tokens, i)][:2]
    if len(near) < 2:
        return None
    first, second = near
    if numbers[0][0] == year_at:  # year first: yyyy-mm-dd
        return year, first, second
    if first > 12:
        return year, second, first
    if second > 12:
        return year, first, second
    return year, second, first  # dd.mm.yyyy, the order of every locale here but en-US


def _is_time(tokens: list[str], i: int) -> bool:
    """Numbers of "10:00" or "10:00:05" belong to the time, not the date."""
    return (i + 1 < len(tokens) and tokens[i + 1] == ":") or (i > 0 and tokens[i - 1] == ":")


def _time_of_day(tokens: list[str]) -> tuple[int, int, int]:
    for i in range(len(tokens) - 2):
        if tokens[i].isdigit() and tokens[i + 1] == ":" and tokens[i + 2].isdigit():
            hour, minute = int(tokens[i]), int(tokens[i + 2])
            second = int(tokens[i + 4]) if i + 4 < len(tokens) and tokens[i + 3] == ":" \
                and tokens[i + 4].isdigit() else 0
            after = tokens[i + 3: i + 7]
            if any(t in PM for t in after) and hour < 12:
                hour += 12
            elif any(t in AM for t in after) and hour == 12:
                hour = 0
            if hour < 24 and minute < 60 and second < 60:
                return hour, minute, second
            break
    return 0, 0, 0


def _zone(tokens: list[str]) -> timezone | None:
    """"GMT+4", "UTC+03:00", "+0400" after the time."""
    for i, token in enumerate(tokens):
        if token not in ("+", "-") or i + 1 >= len(tokens) or not tokens[i + 1].isdigit():
            continue
        if not (i > 0 and tokens[i - 1] in ZONE_WORDS or i > 2 and tokens[i - 2] == ":"):
            continue
        digits = tokens[i + 1]
        if len(digits) == 4:
            hours, minutes = int(digits[:2]), int(digits[2:])
        else:
            hours = int(digits)
            minutes = int(tokens[i + 3]) if i + 3 < len(tokens) and tokens[i + 2] == ":" \
                and tokens[i + 3].isdigit() else 0
        if hours > 14 or minutes > 59:
            return None
        offset = timedelta(hours=hours, minutes=minutes)
        return timezone(-offset if token == "-" else offset)
    return None
