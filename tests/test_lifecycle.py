"""Statuses and transitions as a table; the customer's decisions as a table."""
from __future__ import annotations

import pytest

from gateway.desk import lifecycle


def test_every_status_has_a_row_and_targets_are_statuses():
    assert set(lifecycle.ALLOWED) == set(lifecycle.STATUSES)
    for targets in lifecycle.ALLOWED.values():
        assert targets <= set(lifecycle.STATUSES)


@pytest.mark.parametrize("a, b", [("registered", "in_review"), ("investigating", "waiting_customer"),
                                  ("resolved", "closed"), ("resolved", "reopened"), ("closed", "reopened")])
def test_allowed(a, b):
    assert lifecycle.check(a, b) == lifecycle.Transition(a, b)


@pytest.mark.parametrize("a, b, words", [("closed", "investigating", "cannot go from closed"),
                                         ("registered", "escalated", "cannot go"),
                                         ("registered", "frozen", "unknown status")])
def test_refused_with_a_message_saying_what_is_allowed(a, b, words):
    with pytest.raises(lifecycle.TransitionRefused, match=words):
        lifecycle.check(a, b)


def test_reject_once_reopens_twice_escalates():
    assert lifecycle.customer_decision("resolved", "reject", 0) == ("reopened", "reopened")
    assert lifecycle.customer_decision("resolved", "reject", 1) == ("escalated", "remedies")
    assert lifecycle.customer_decision("resolved", "reject", 5) == ("escalated", "remedies")
    assert lifecycle.customer_decision("resolved", "accept", 1) == ("closed", "closed")


def test_decisions_mean_nothing_before_a_resolution():
    assert lifecycle.customer_decision("investigating", "accept", 0) is None
    assert lifecycle.customer_decision("investigating", "reject", 0) is None


def test_escalation_after_n_rejections_is_configurable():
    assert lifecycle.customer_decision("resolved", "reject", 0, escalate_after=1) == ("escalated", "remedies")
    assert lifecycle.customer_decision("resolved", "reject", 1, escalate_after=3) == ("reopened", "reopened")
    assert lifecycle.customer_decision("resolved", "reject", 2, escalate_after=3) == ("escalated", "remedies")
    for before in (0, 1, 9):
        assert lifecycle.customer_decision("resolved", "reject", before, escalate_after=0) == ("reopened", "reopened")


def test_reopen_window():
    from datetime import datetime, timedelta, timezone
    closed = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)
    assert lifecycle.reopens(closed, closed + timedelta(days=30), 30)
    assert not lifecycle.reopens(closed, closed + timedelta(days=30, seconds=1), 30)
    assert not lifecycle.reopens(closed, closed + timedelta(minutes=1), 0)
    assert not lifecycle.reopens(None, closed, 30)
