"""Database reads that turn stored rows into the views the pure steps use.

Called inside the email's write transaction, so what decide sees is what
apply changes: on PostgreSQL the complaint row is locked FOR UPDATE, on SQLite
the transaction already holds the write lock (BEGIN IMMEDIATE).
"""
from __future__ import annotations

from typing import Callable

import peewee as pw

from gateway import tracking as tracking_numbers
from gateway.models import Complaint, Customer, Event, Message, OutgoingMail, db
from gateway.parse import Mail
from gateway.view import ComplaintView, Thread, aware


def _locked(query: pw.ModelSelect) -> pw.ModelSelect:
    return query.for_update() if isinstance(db.obj, pw.PostgresqlDatabase) else query


def already_stored(digest: str, message_id: str) -> Message | None:
    clause = Message.sha256 == digest
    if message_id:
        clause |= Message.message_id == message_id
    return Message.select().where(clause).first()


def customer_language(address: str) -> str:
    customer = Customer.select(Customer.language).where(Customer.email == address).first()
    return customer.language if customer else ""


def complaint_view(complaint: Complaint, staff_addresses: tuple[str, ...] = ()) -> ComplaintView:
    customer: Customer = complaint.customer
    before_wait = ""
    if complaint.status == "waiting_customer":
        last = (Event.select(Event.from_status).where(
            (Event.complaint == complaint) & (Event.to_status == "waiting_customer"))
            .order_by(Event.id.desc()).first())
        before_wait = last.from_status if last else ""
    ids = tuple(m.message_id for m in Message.select(Message.message_id).where(
        (Message.complaint == complaint) & (Message.direction == "in") & (Message.sender == customer.email)
        & Message.message_id.is_null(False)).order_by(Message.id))
    return ComplaintView(
        id=complaint.id, tracking=complaint.tracking, customer_email=customer.email,
        status=complaint.status, priority=complaint.priority, category=complaint.category,
        department=complaint.department, assignee=complaint.assignee, language=complaint.language,
        subject=complaint.subject, reject_count=complaint.reject_count,
        created_at=aware(complaint.created_at), due_acknowledge=aware(complaint.due_acknowledge),
        due_stage=aware(complaint.due_stage), due_resolve=aware(complaint.due_resolve),
        resolved_at=aware(complaint.resolved_at), paused_at=aware(complaint.paused_at),
        status_before_wait=before_wait, customer_message_ids=ids[-20:],
        staff_addresses=staff_addresses)


def find_thread(mail: Mail, prefix: str, extra_ids: tuple[str, ...] = ()) -> tuple[Complaint | None, Complaint | None, str]:
    """(complaint by tracking number, complaint by our Message-IDs, tracking found)."""
    by_tracking, found = None, ""
    for number in tracking_numbers.find(mail.subject, prefix):
        by_tracking = _locked(Complaint.select().where(Complaint.tracking == number)).first()
        if by_tracking:
            found = number
            break
    return by_tracking, _by_reference(mail.in_reply_to + mail.references[::-1] + extra_ids), found


def _by_reference(ids: tuple[str, ...]) -> Complaint | None:
    ids = tuple(dict.fromkeys(i for i in ids if i))[:50]
    if not ids:
        return None
    for model in (OutgoingMail, Message):
        rows = {r.message_id: r.complaint_id for r in model.select(model.message_id, model.complaint)
                .where(model.message_id.in_(ids) & model.complaint.is_null(False))}
        for message_id in ids:
            if message_id in rows:
                return _locked(Complaint.select().where(Complaint.id == rows[message_id])).first()
    return None


def thread_view(by_tracking: Complaint | None, by_reference: Complaint | None, found: str,
                staff_for: Callable[[Complaint], tuple[str, ...]]) -> Thread:
    def view(c: Complaint | None) -> ComplaintView | None:
        return complaint_view(c, staff_for(c)) if c else None
    return Thread(by_tracking=view(by_tracking), by_reference=view(by_reference), tracking_in_subject=found)
