"""Complaint statuses and the allowed transitions, as data.

Every status change in the product goes through `check()`, so an impossible
change is refused in one place, with one wording, whoever asked for it.
The customer's decision after a resolution is a table too: a rejection reopens
the complaint for review, and the rejection number `escalate_after` ([lifecycle]
escalate_after_rejections, 2 by default: seed policy 003) and every later one
escalate it and the customer is told about external remedies; 0 never
escalates (seed policy 004: every rejection is investigated again).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

STATUSES: tuple[str, ...] = (
    "registered", "in_review", "investigating", "waiting_customer",
    "resolved", "closed", "reopened", "escalated",
)

ALLOWED: dict[str, frozenset[str]] = {
    "registered": frozenset({"in_review", "investigating", "waiting_customer", "resolved", "closed"}),
    "in_review": frozenset({"investigating", "waiting_customer", "resolved", "closed"}),
    "investigating": frozenset({"in_review", "waiting_customer", "resolved", "closed"}),
    "waiting_customer": frozenset({"in_review", "investigating", "resolved", "closed"}),
    "resolved": frozenset({"closed", "reopened", "escalated", "in_review", "investigating"}),
    "reopened": frozenset({"in_review", "investigating", "waiting_customer", "resolved", "closed"}),
    "escalated": frozenset({"in_review", "investigating", "waiting_customer", "resolved", "closed"}),
    "closed": frozenset({"reopened"}),
}

# What the customer's reply means, by status and intent: the new status and the
# mail kind the customer gets. Rejections are counted; see customer_decision.
CUSTOMER_DECISIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("resolved", "accept"): ("closed", "closed"),
}
# A reply to our answer (status resolved) that neither accepts nor rejects it is recorded
# as this event: the customer was not silent, so the sweep does not auto-close the
# complaint as "no decision" (sweep._auto_close looks for it); staff decide.
UNDECIDED_EVENT = "decision_unclear"
REVIEW_AGAIN, ESCALATE = ("reopened", "reopened"), ("escalated", "remedies")


class TransitionRefused(ValueError):
    """An impossible status change; str() is the message for whoever asked."""


@dataclass(frozen=True)
class Transition:
    from_status: str
    to_status: str


def check(from_status: str, to_status: str) -> Transition:
    """The transition, or TransitionRefused saying what is allowed instead."""
    if to_status not in STATUSES:
        raise TransitionRefused(f"unknown status {to_status!r}; statuses are: {', '.join(STATUSES)}")
    if to_status not in ALLOWED.get(from_status, frozenset()):
        allowed = ", ".join(sorted(ALLOWED.get(from_status, ()))) or "none"
        raise TransitionRefused(
            f"a complaint cannot go from {from_status} to {to_status} (from {from_status}: {allowed})")
    return Transition(from_status, to_status)


def customer_decision(status: str, intent: str, reject_count: int,
                      escalate_after: int = 2) -> tuple[str, str] | None:
    """(new status, mail kind) for a customer's accept/reject, None when it means nothing now.
    `reject_count` counts the rejections before this one."""
    if intent == "reject" and status == "resolved":
        escalates = escalate_after > 0 and reject_count + 1 >= escalate_after
        return ESCALATE if escalates else REVIEW_AGAIN
    return CUSTOMER_DECISIONS.get((status, intent))


def reopens(closed_at: "datetime | None", now: "datetime", within_days: int) -> bool:
    """A customer's reply to a closed complaint reopens it within `within_days` of closing;
    later it opens a new complaint linked to the old one."""
    return closed_at is not None and now - closed_at <= timedelta(days=within_days)
