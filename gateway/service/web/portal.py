"""What the portal reads: a complaint as its customer may see it.

Never internal notes, staff addresses, rule reasons or event codes: the history
is the status steps, deadline extensions and the conversation (the customer's own
messages and the answers we sent them), each as the portal's own words.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gateway.desk import secret
from gateway.desk.view import aware
from gateway.mail.contact import reachable
from gateway.store.models import Complaint, ComplaintSecret, Event, Message, OutgoingMail

# Our mails to the customer whose `message` is a staff member's answer.
ANSWER_KINDS = ("relay", "resolution", "ask")
# Incoming mail that is the customer's own words.
CUSTOMER_KINDS = ("customer", "status_request", "accept", "reject", "customer_message", "reply")
# Statuses during which no deadline runs: no expected date is shown (the status mail's list too).
NO_DEADLINE = frozenset({"closed", "waiting_customer", "resolved", "escalated"})
_DUMMY = secret.digest("not-a-secret")


@dataclass(frozen=True)
class Step:
    at: datetime
    kind: str  # status | extend | you | we
    status: str = ""
    text: str = ""
    date: datetime | None = None


@dataclass(frozen=True)
class CustomerView:
    tracking: str
    subject: str
    status: str
    language: str
    customer: str
    created: datetime
    due: datetime | None
    steps: list[Step] = field(default_factory=list)

    @property
    def can_decide(self) -> bool:
        return self.status == "resolved"

    @property
    def waits_for_mail(self) -> bool:
        """Waiting for the customer's answer to a question we mailed them (one known only by phone
        is asked by phone: the page must not tell them to answer an e-mail they never got)."""
        return self.status == "waiting_customer" and reachable(self.customer)


def authenticate(tracking: str, typed_secret: str) -> Complaint | None:
    """The complaint when number and secret match; None otherwise, after the same work."""
    complaint = Complaint.get_or_none(Complaint.tracking == tracking)
    stored = ComplaintSecret.get_or_none(ComplaintSecret.complaint == complaint.id) if complaint else None
    ok = secret.verify(typed_secret, stored.digest if stored else _DUMMY)
    return complaint if ok and stored else None


def view(tracking: str) -> CustomerView | None:
    complaint = Complaint.get_or_none(Complaint.tracking == tracking)
    if complaint is None:
        return None
    due = None if complaint.status in NO_DEADLINE else aware(complaint.due_resolve)
    return CustomerView(tracking=complaint.tracking, subject=complaint.subject, status=complaint.status,
                        language=complaint.language, customer=complaint.customer.email,
                        created=aware(complaint.created_at), due=due, steps=_steps(complaint))


def issued_secret(tracking: str) -> str:
    """The secret as the acknowledgement carries it (shown once more on the page after filing)."""
    row = (OutgoingMail.select(OutgoingMail.params).join(Complaint)
           .where(Complaint.tracking == tracking, OutgoingMail.audience == "customer").order_by(OutgoingMail.id))
    return next((r.params.get("secret", "") for r in row if (r.params or {}).get("secret")), "")


def _steps(complaint: Complaint) -> list[Step]:
    steps = [Step(aware(e.at), "status", status=e.to_status) for e in Event.select().where(
        Event.complaint == complaint, Event.kind.in_(("status", "created")), Event.to_status != "")]
    steps += [Step(aware(e.at), "extend", date=_extended_to(e.detail)) for e in Event.select().where(
        Event.complaint == complaint, Event.kind == "extend")]
    steps += [Step(aware(m.received_at), "you", text=m.text) for m in Message.select().where(
        Message.complaint == complaint, Message.direction == "in", Message.sender == complaint.customer.email,
        Message.kind.in_(CUSTOMER_KINDS), Message.text != "")]
    steps += [Step(aware(o.created_at), "we", text=(o.params or {}).get("message", "")) for o in OutgoingMail.select()
              .where(OutgoingMail.complaint == complaint, OutgoingMail.audience == "customer",
                     OutgoingMail.kind.in_(ANSWER_KINDS))
              if (o.params or {}).get("message")]
    return sorted(steps, key=lambda s: (s.at, s.kind != "status"))


def _extended_to(detail: str) -> datetime | None:
    """`#extend` records "resolve by <ISO>: reason"; the reason is internal, the date is not."""
    try:
        return aware(datetime.fromisoformat(detail.removeprefix("resolve by ").split(": ", 1)[0].strip()))
    except ValueError:
        return None
