"""Complaint statuses and the allowed transitions, as data.

Every status change in the product goes through `check()`, so an impossible
change is refused in one place, with one wording, whoever asked for it.
The customer's decision after a resolution is a table too: the first
rejection reopens the complaint for review, the second escalates it and the
customer is told about external remedies (seed policy 003).
"""
from __future__ import annotations

from dataclasses import dataclass

STATUSES: tuple[str, ...] = (
    "registered", "in_review", "investigating", "waiting_customer",
    "resolved", "closed", "reopened", "escalated",
)
OPEN: frozenset[str] = frozenset(STATUSES) - {"closed"}
WORKING: tuple[str, ...] = ("registered", "in_review", "investigating", "reopened", "escalated")

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
# mail kind the customer gets. Rejections are counted; see REJECT_OUTCOMES.
CUSTOMER_DECISIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("resolved", "accept"): ("closed", "closed"),
}
# A reply to our answer (status resolved) that neither accepts nor rejects it is recorded
# as this event: the customer was not silent, so the sweep does not auto-close the
# complaint as "no decision" (sweep._auto_close looks for it); staff decide.
UNDECIDED_EVENT = "decision_unclear"
REJECT_OUTCOMES: tuple[tuple[str, str], ...] = (
    ("reopened", "reopened"),  # first rejection: review again
    ("escalated", "remedies"),  # second and later: external remedies
)


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


def customer_decision(status: str, intent: str, reject_count: int) -> tuple[str, str] | None:
    """(new status, mail kind) for a customer's accept/reject, None when it means nothing now."""
    if intent == "reject" and status == "resolved":
        return REJECT_OUTCOMES[min(reject_count, len(REJECT_OUTCOMES) - 1)]
    return CUSTOMER_DECISIONS.get((status, intent))
