"""Lockout of tracking attempts, kept in the database so that every portal process
(and every thread of one) counts the same failures.

Failures are counted per client address and per tracking number as typed, whether
that number exists or not: the lockout itself must not tell which numbers exist.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import peewee as pw

from gateway.desk.view import naive
from gateway.store.models import WebThrottle, write_transaction


@dataclass(frozen=True)
class Throttle:
    database: pw.Database
    failures: int  # failures in one window before a lockout
    minutes: float  # the window and the lockout's length

    def locked(self, keys: list[str], now: datetime) -> bool:
        rows = WebThrottle.select().where(WebThrottle.key.in_(keys))
        return any(row.locked_until and row.locked_until > naive(now) for row in rows)

    def fail(self, keys: list[str], now: datetime) -> None:
        moment, window = naive(now), timedelta(minutes=self.minutes)
        with write_transaction(self.database):
            stale = moment - max(window * 2, timedelta(hours=1))  # rows of windows long over: keep the table small
            WebThrottle.delete().where((WebThrottle.first_at < stale) & (
                WebThrottle.locked_until.is_null() | (WebThrottle.locked_until < moment))).execute()
            for key in keys:
                row = WebThrottle.get_or_none(WebThrottle.key == key)
                if row is None:
                    WebThrottle.insert(key=key, failures=1, first_at=moment).on_conflict_ignore().execute()
                    continue
                if row.first_at + window <= moment and not (row.locked_until and row.locked_until > moment):
                    row.failures, row.first_at, row.locked_until = 0, moment, None  # a new window
                row.failures += 1
                if row.failures >= self.failures:
                    row.locked_until = moment + window
                row.save()

    def clear(self, keys: list[str]) -> None:
        WebThrottle.delete().where(WebThrottle.key.in_(keys)).execute()
