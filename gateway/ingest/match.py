"""Which complaint a mail belongs to, and in what role its sender writes.

Only the complaint's own customer (or staff) may add to a complaint. A mail
that quotes somebody else's tracking number never joins it: it becomes a new
complaint linked to the quoted one, so nobody learns anything about a
complaint that is not theirs.
"""
from __future__ import annotations

from dataclasses import dataclass

from gateway.desk.view import ComplaintView, Thread
from gateway.mail.contact import reachable

ROLES = ("new", "customer", "staff", "stranger")


@dataclass(frozen=True)
class Match:
    role: str  # one of ROLES
    complaint: ComplaintView | None  # the complaint the mail joins (customer/staff)
    linked: ComplaintView | None = None  # the complaint a stranger quoted
    reason: str = ""


def match(sender: str, is_staff: bool, thread: Thread) -> Match:
    """Tracking number first, then our Message-IDs, else a new complaint."""
    for found, how in ((thread.by_tracking, "tracking number in subject"),
                       (thread.by_reference, "reply to our message")):
        if found is None:
            continue
        if is_staff:
            return Match("staff", found, reason=f"staff, {how}")
        if sender.lower() == found.customer_email.lower() and reachable(sender):
            return Match("customer", found, reason=f"customer, {how}")
        return Match("stranger", None, linked=found, reason=f"{how} of a complaint of another customer")
    return Match("new", None, reason="no tracking number or reference of ours")
