"""Database reads that turn stored rows into the views the pure steps use.

Called inside the email's write transaction, so what decide sees is what
apply changes: on PostgreSQL the complaint row is locked FOR UPDATE, on SQLite
the transaction already holds the write lock (BEGIN IMMEDIATE).
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Callable, Sequence, TypeVar

import peewee as pw

from gateway.desk import deadlines
from gateway.desk import tracking as tracking_numbers
from gateway.desk.plan import AWAITING_CONFIRMATION
from gateway.desk.view import ComplaintView, Thread, aware, naive
from gateway.store import prebuilt
from gateway.store.models import Complaint, Customer, Event, Message, OutgoingMail, db

if TYPE_CHECKING:  # the sweep and the outbox read threads without loading the mail parser
    from gateway.desk.policy import Policy
    from gateway.mail.parse import Mail


# Mail the gateway sends a customer by itself in answer to their mail on a complaint (the
# acknowledgement registers a complaint; a status request right after it is still answered).
AUTO_ANSWERS = ("status",)

# A subject names its complaint near its start; a subject of 50,000 tracking-shaped tokens
# costs one query over its first few candidates, not 50,000 queries.
SUBJECT_SCAN = 2000
MAX_TRACKING_CANDIDATES = 10


M = TypeVar("M", bound=pw.Model)


def _locked(query: pw.ModelSelect[M]) -> pw.ModelSelect[M]:
    return query.for_update() if isinstance(db.obj, pw.PostgresqlDatabase) else query


def already_stored(digest: str, keys: Sequence[str | None] = ()) -> Message | None:
    """The stored row this mail repeats: the same bytes, or one of `keys` (mail/identity.py: its
    content key, and the older keys that meet rows stored before it)."""
    wanted = [key for key in keys if key][:3]
    if not wanted:
        found = prebuilt.select(Message, "by_sha256", [digest, 1],
                                  lambda: Message.select().where(Message.sha256 == digest).limit(1))
    else:
        found = prebuilt.select(
            Message, f"by_sha256_or_key{len(wanted)}", [digest, *wanted, 1],
            lambda: Message.select().where((Message.sha256 == digest) | Message.content_key.in_(wanted)).limit(1))
    return found[0] if found else None


def copy_stored(digest: str, message_id: str) -> bool:
    """Whether our copy of an outgoing mail is stored (its bytes, or our Message-ID on a row of ours)."""
    return bool(prebuilt.tuples(
        Message, "copy", [digest, message_id, "out", 1],
        lambda: Message.select(Message.id).where(
            (Message.sha256 == digest) | ((Message.message_id == message_id) & (Message.direction == "out"))).limit(1)))


def stored_digests(digests: Sequence[str]) -> dict[str, tuple[int, str]]:
    """Raw-mail digest -> (row id, Message-ID) of those already stored (one query per batch)."""
    wanted = list(dict.fromkeys(digests))
    if not wanted:
        return {}
    rows = Message.select(Message.sha256, Message.id, Message.message_id).where(Message.sha256.in_(wanted))
    return {digest: (row, message_id or "") for digest, row, message_id in prebuilt.tuples_of(rows)}


def customer_language(address: str) -> str:
    found = prebuilt.tuples(Customer, "language", [address, 1],
                            lambda: Customer.select(Customer.language).where(Customer.email == address).limit(1))
    return found[0][0] if found else ""


def complaint_view(complaint: Complaint, staff_addresses: tuple[str, ...] = ()) -> ComplaintView:
    customer = customer_of(complaint)
    before_wait = ""
    if complaint.status == "waiting_customer":
        last = (Event.select(Event.from_status).where(
            (Event.complaint == complaint) & (Event.to_status == "waiting_customer"))
            .order_by(Event.id.desc()).first())
        before_wait = last.from_status if last else ""
    ids = customer_message_ids(complaint.id, customer.email, last=20)
    last_answer = (OutgoingMail.select(pw.fn.MAX(OutgoingMail.created_at))
                   .where((OutgoingMail.complaint == complaint.id) & OutgoingMail.kind.in_(AUTO_ANSWERS)).scalar())
    return ComplaintView(
        id=complaint.id, tracking=complaint.tracking, customer_email=customer.email,
        status=complaint.status, priority=complaint.priority, category=complaint.category,
        department=complaint.department, assignee=complaint.assignee, language=complaint.language,
        subject=complaint.subject, reject_count=complaint.reject_count,
        created_at=aware(complaint.created_at), due_acknowledge=aware(complaint.due_acknowledge),
        due_stage=aware(complaint.due_stage), due_resolve=aware(complaint.due_resolve),
        resolved_at=aware(complaint.resolved_at), closed_at=aware(complaint.closed_at), paused_at=aware(complaint.paused_at),
        status_before_wait=before_wait, customer_message_ids=ids,
        staff_addresses=staff_addresses, customer_name=customer.name, customer_phone=customer.phone,
        last_auto_answer=aware(last_answer), sensitive=complaint.sensitive,
        awaiting_confirmation=awaiting_confirmation(complaint.id))


def awaiting_confirmation(complaint_id: int) -> bool:
    """The complaint's first mails still wait for a staff member's #confirm (see plan.AWAITING_CONFIRMATION)."""
    return OutgoingMail.select(OutgoingMail.id).where(
        (OutgoingMail.complaint == complaint_id) & (OutgoingMail.state == "held")
        & (OutgoingMail.last_error == AWAITING_CONFIRMATION)).exists()


def customer_of(complaint: Complaint) -> Customer:
    """The complaint's customer, fetched once and kept on the complaint object."""
    if not prebuilt.fetched(complaint, "customer"):
        complaint.customer = prebuilt.select(
            Customer, "by_id", [complaint.customer_id, 1],
            lambda: Customer.select().where(Customer.id == complaint.customer_id).limit(1))[0]
    return complaint.customer


def customer_message_ids(complaint_id: int, address: str, last: int = 10_000) -> tuple[str, ...]:
    """Message-IDs of the customer's own mails on a complaint, oldest first (the last `last`)."""
    rows = prebuilt.tuples(
        Message, "customer_ids", [complaint_id, "in", address, last],
        lambda: Message.select(Message.message_id).where(
            (Message.complaint == complaint_id) & (Message.direction == "in") & (Message.sender == address)
            & Message.message_id.is_null(False)).order_by(Message.id.desc()).limit(last))
    return tuple(message_id for message_id, in rows)[::-1]


def complaint_by_id(complaint_id: int) -> Complaint:
    """The complaint with its customer (locked FOR UPDATE on PostgreSQL)."""
    found = _complaint_where("by_id", Complaint.id, complaint_id)
    if found is None:
        raise Complaint.DoesNotExist(f"complaint {complaint_id}")
    customer_of(found)
    return found


def find_thread(mail: Mail, prefix: str, extra_ids: tuple[str, ...] = ()) -> tuple[Complaint | None, Complaint | None, str]:
    """(complaint by tracking number, complaint by our Message-IDs, tracking found)."""
    by_tracking, found = None, ""
    numbers = tracking_numbers.find(mail.subject[:SUBJECT_SCAN], prefix)[:MAX_TRACKING_CANDIDATES]
    if len(numbers) == 1:
        by_tracking = _complaint_where("by_tracking", Complaint.tracking, numbers[0])
    elif numbers:  # the first number in the subject that names a complaint, in one query
        rows = {c.tracking: c for c in _locked(Complaint.select().where(Complaint.tracking.in_(numbers)))}
        by_tracking = next((rows[n] for n in numbers if n in rows), None)
    if by_tracking:
        found = by_tracking.tracking
    return by_tracking, _by_reference(mail.in_reply_to + mail.references[::-1] + extra_ids), found


def replies_to_staff_mail(mail: Mail, complaint_id: int) -> bool:
    """Whether the mail answers a mail we sent staff about this complaint (its Message-ID is
    random and went only to staff: proof of a staff mailbox when nothing else authenticates)."""
    ids = tuple(dict.fromkeys(i for i in mail.in_reply_to + mail.references if i))[:50]
    return bool(ids) and OutgoingMail.select().where(
        OutgoingMail.message_id.in_(ids) & (OutgoingMail.audience == "staff")
        & (OutgoingMail.complaint == complaint_id)).exists()


def _by_reference(ids: tuple[str, ...]) -> Complaint | None:
    ids = tuple(dict.fromkeys(i for i in ids if i))[:50]
    if not ids:
        return None
    for model in (OutgoingMail, Message):  # a Message-ID on two mails (it is not unique): the first stored wins
        rows = dict(prebuilt.tuples(
            model, "complaint_by_ids", [*ids],
            lambda: model.select(model.message_id, model.complaint).where(  # noqa: B023 (called before the loop moves on)
                model.message_id.in_(ids) & model.complaint.is_null(False)).order_by(model.id.desc())))  # noqa: B023 (called before the loop moves on)
        for message_id in ids:
            if message_id in rows:
                return _complaint_where("by_id", Complaint.id, rows[message_id])
    return None


def outgoing_recipients(message_ids: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(Message-ID, recipient) of our outbox rows among these Message-IDs (a report's)."""
    ids = tuple(dict.fromkeys(i for i in message_ids if i))[:50]
    if not ids:
        return ()
    return tuple(prebuilt.tuples_of(OutgoingMail.select(OutgoingMail.message_id, OutgoingMail.recipient)
                                    .where(OutgoingMail.message_id.in_(ids))))


def outgoing_rows(row_ids: tuple[int, ...]) -> tuple[tuple[str, str], ...]:
    """(Message-ID, recipient) of these outbox rows (the ones a VERP return path named)."""
    ids = tuple(dict.fromkeys(row_ids))[:20]
    if not ids:
        return ()
    return tuple(prebuilt.tuples_of(OutgoingMail.select(OutgoingMail.message_id, OutgoingMail.recipient)
                                    .where(OutgoingMail.id.in_(ids))))


def _complaint_where(key: str, column: pw.Field, value: object) -> Complaint | None:
    found = prebuilt.select(Complaint, key, [value, 1],
                            lambda: _locked(Complaint.select().where(column == value).limit(1)))
    return found[0] if found else None


def complaint_with_event(key: str) -> Complaint | None:
    """The complaint holding the event with this unique key (e.g. an original already registered)."""
    event = Event.get_or_none(Event.key == key)
    return complaint_by_id(event.complaint_id) if event else None


def thread_view(by_tracking: Complaint | None, by_reference: Complaint | None, found: str,
                staff_for: Callable[[Complaint], tuple[str, ...]]) -> Thread:
    def view(c: Complaint | None) -> ComplaintView | None:
        return complaint_view(c, staff_for(c)) if c else None
    return Thread(by_tracking=view(by_tracking), by_reference=view(by_reference), tracking_in_subject=found)


def snapshot(complaint: Complaint) -> deadlines.DeadlineSnapshot:
    return deadlines.DeadlineSnapshot(
        tracking=complaint.tracking, status=complaint.status, priority=complaint.priority,
        created_at=aware(complaint.created_at), due_acknowledge=aware(complaint.due_acknowledge),
        due_stage=aware(complaint.due_stage), due_resolve=aware(complaint.due_resolve),
        resolved_at=aware(complaint.resolved_at), paused_at=aware(complaint.paused_at),
        last_interim_at=aware(complaint.last_interim_at), delay_reason=complaint.delay_reason)


def next_action_for(complaint: Complaint, policy: Policy, after: datetime | None = None) -> datetime | None:
    """The sweep's cursor. A writer other than the sweep passes no `after`: an action
    already due but not yet done must stay reachable (the sweep skips done keys, then
    moves the cursor past `now` itself)."""
    return naive(deadlines.next_action_at(snapshot(complaint), policy.config.sla, policy.calendar, after=after))
