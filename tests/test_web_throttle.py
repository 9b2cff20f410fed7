"""The portal's lockout, on a real SQLite database, with time as an input."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from gateway.service.web.throttle import Throttle
from gateway.store.migrate import open_database
from gateway.store.models import WebThrottle

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)


@pytest.fixture()
def throttle(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'gateway.db'}")
    yield Throttle(database, failures=3, minutes=15)
    database.close()


def test_locks_after_the_limit_and_opens_after_the_lockout(throttle):
    keys = ["client:1.2.3.4", "tracking:CC-2026-AAAAAAAA"]
    for i in range(3):
        assert not throttle.locked(keys, T0 + timedelta(seconds=i))
        throttle.fail(keys, T0 + timedelta(seconds=i))
    assert throttle.locked(keys, T0 + timedelta(minutes=5))
    assert throttle.locked(["client:9.9.9.9", "tracking:CC-2026-AAAAAAAA"], T0 + timedelta(minutes=5))
    assert not throttle.locked(keys, T0 + timedelta(minutes=16))


def test_failures_spread_over_windows_never_lock(throttle):
    keys = ["client:1.2.3.4"]
    for i in range(10):
        throttle.fail(keys, T0 + timedelta(minutes=20 * i))
        assert not throttle.locked(keys, T0 + timedelta(minutes=20 * i, seconds=1))


def test_success_clears_the_number_but_not_the_client(throttle):
    keys = ["client:1.2.3.4", "tracking:X"]
    throttle.fail(keys, T0)
    throttle.fail(keys, T0)
    throttle.clear(["tracking:X"])
    assert [r.key for r in WebThrottle.select()] == ["client:1.2.3.4"]


def test_old_rows_are_swept(throttle):
    for i in range(50):
        throttle.fail([f"tracking:N{i}"], T0)
    throttle.fail(["client:late"], T0 + timedelta(days=2))
    assert [r.key for r in WebThrottle.select()] == ["client:late"]
