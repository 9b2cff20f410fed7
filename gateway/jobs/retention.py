"""Data protection: forget what we no longer need, show a person what we hold.

Purge ([retention] purge_closed_after_days): for complaints closed longer ago
than that, remove the personal data (message texts and subjects, raw mail and
attachment files, event details written from people's words, addresses in
outgoing rows) and keep the anonymous skeleton (status, category, priority,
channel, dates, which transitions happened) so reports still count them. A
customer's name, phone and address go when none of their complaints is left
unpurged: a customer with an open complaint still needs to be answered. Each
complaint is purged in its own transaction and marked by an Event with a unique
key, so the purge is idempotent and a crash halfway just resumes. Files are
deleted inside the transaction: if the commit then fails, the next run finds
the rows unpurged and the files already gone, which is the intended end state.

Export (`gateway export --customer ADDRESS`, a subject access request): every
row about that address, with message texts, and the raw mail it sent or got.
Both leave an Event on each complaint concerned.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import peewee as pw

from gateway.desk.view import naive
from gateway.store.archive import Archive
from gateway.store.models import (
    AttachmentRecord,
    Complaint,
    ComplaintSecret,
    Customer,
    Event,
    Message,
    OutgoingMail,
    write_transaction,
)
from gateway.store.query import complaint_json

log = logging.getLogger("gateway.retention")

# Event kinds whose detail the gateway writes itself from no one's words: kept
# after a purge. Every other detail (notes, command errors, #extend reasons,
# status explanations, addresses in bounce and mail_failed) is blanked.
KEPT_EVENT_DETAILS = frozenset({
    "created", "priority", "category", "reminder", "escalation", "delay_notice", "interim", "auto_close", "purged",
    "decision_unclear", "auto_close_held",
})
PURGED_EMAIL = "purged-{id}@invalid"
CUSTOMER_ACTOR = "customer"


@dataclass(frozen=True)
class PurgeReport:
    complaints: int = 0
    messages: int = 0
    files: int = 0
    customers: int = 0


def purge_cutoff(now: datetime, days: int) -> datetime | None:
    """Complaints closed before this instant are purged; None when retention is off (0 days)."""
    return now - timedelta(days=days) if days > 0 else None


def purge_key(tracking: str) -> str:
    return f"{tracking}:purged"


def purge(database: pw.Database, archive: Archive, now: datetime, days: int, batch: int = 200) -> PurgeReport:
    """Purge every complaint closed more than `days` days before `now` and not purged yet."""
    cutoff = purge_cutoff(now, days)
    if cutoff is None:
        return PurgeReport()
    totals = PurgeReport()
    while True:
        done = (Event.select(Event.complaint).where(Event.kind == "purged"))
        ids = [c.id for c in Complaint.select(Complaint.id).where(
            (Complaint.status == "closed") & (Complaint.closed_at < naive(cutoff)) & Complaint.id.not_in(done))
            .order_by(Complaint.id).limit(batch)]
        for complaint_id in ids:
            totals = _add(totals, purge_complaint(database, archive, complaint_id, now, days))
        if len(ids) < batch:
            return totals


def purge_complaint(database: pw.Database, archive: Archive, complaint_id: int, now: datetime,
                    days: int) -> PurgeReport:
    with write_transaction(database):
        complaint = Complaint.get_by_id(complaint_id)
        if Event.select().where(Event.key == purge_key(complaint.tracking)).exists():
            return PurgeReport()  # another process got there first
        customer: Customer = complaint.customer
        messages = list(complaint.messages)
        files = _forget_files(archive, messages)
        _blank_messages(messages, customer.email)
        _blank_events(complaint, customer.email)
        _blank_outgoing(complaint, customer.email)
        Complaint.update(subject="", delay_reason="", why={}).where(Complaint.id == complaint.id).execute()
        ComplaintSecret.delete().where(ComplaintSecret.complaint == complaint.id).execute()  # nothing left to show
        Event.create(complaint=complaint, at=naive(now), kind="purged", key=purge_key(complaint.tracking),
                     detail=f"personal data removed: closed more than {days} days ago")
        forgotten = _forget_customer(customer)
    log.info("purged", extra={"tracking": complaint.tracking, "messages": len(messages), "files": files})
    return PurgeReport(1, len(messages), files, int(forgotten))


def _forget_files(archive: Archive, messages: list[Message]) -> int:
    """Raw mail of each message, and attachment blobs nobody else's message still uses."""
    ids = [m.id for m in messages]
    attachments = list(AttachmentRecord.select().where(AttachmentRecord.message.in_(ids))) if ids else []
    AttachmentRecord.delete().where(AttachmentRecord.id.in_([a.id for a in attachments])).execute()
    paths = [archive.path_for(m.sha256) for m in messages]
    for digest in {a.sha256 for a in attachments}:
        if not AttachmentRecord.select().where(AttachmentRecord.sha256 == digest).exists():
            paths.append(blob_path(archive, digest))
    removed = 0
    for path in paths:
        if path.exists():
            path.unlink()
            removed += 1
    return removed


def blob_path(archive: Archive, digest: str) -> Path:
    """Where Archive.store_blob keeps an attachment."""
    return archive.blob_path(digest)


def _blank_messages(messages: list[Message], email: str) -> None:
    for message in messages:
        Message.update(
            text="", packed=None, subject="", reason="",
            sender="" if message.sender.lower() == email.lower() else message.sender,
            recipient="" if message.recipient.lower() == email.lower() else message.recipient,
        ).where(Message.id == message.id).execute()


def _blank_events(complaint: Complaint, email: str) -> None:
    Event.update(detail="").where((Event.complaint == complaint) & Event.kind.not_in(KEPT_EVENT_DETAILS)).execute()
    Event.update(actor=CUSTOMER_ACTOR).where((Event.complaint == complaint)
                                             & (pw.fn.LOWER(Event.actor) == email.lower())).execute()


def _blank_outgoing(complaint: Complaint, email: str) -> None:
    OutgoingMail.update(params={}, last_error="").where(OutgoingMail.complaint == complaint).execute()
    OutgoingMail.update(recipient="").where((OutgoingMail.complaint == complaint)
                                            & (pw.fn.LOWER(OutgoingMail.recipient) == email.lower())).execute()


def _forget_customer(customer: Customer) -> bool:
    """Name, phone and address go once every complaint of theirs is purged (this one is, in this transaction)."""
    purged = Event.select(Event.complaint).where(Event.kind == "purged")
    if Complaint.select().where((Complaint.customer == customer) & Complaint.id.not_in(purged)).exists():
        return False
    Customer.update(name="", phone="", email=PURGED_EMAIL.format(id=customer.id)).where(
        Customer.id == customer.id).execute()
    return True


def _add(a: PurgeReport, b: PurgeReport) -> PurgeReport:
    return PurgeReport(a.complaints + b.complaints, a.messages + b.messages, a.files + b.files,
                       a.customers + b.customers)


# ---------------------------------------------------------------- export

def export_customer(database: pw.Database, archive: Archive, address: str, now: datetime,
                    actor: str = "operator") -> dict[str, Any] | None:
    """All data held about `address` (None when nothing), and an `exported` Event on each complaint."""
    email = address.strip().lower()
    customer = Customer.get_or_none(pw.fn.LOWER(Customer.email) == email)
    complaints = list(customer.complaints.order_by(Complaint.id)) if customer else []
    loose = list(Message.select().where((pw.fn.LOWER(Message.sender) == email) & Message.complaint.is_null())
                 .order_by(Message.id))
    if customer is None and not loose:
        return None
    data: dict[str, Any] = {
        "exported_at": now.isoformat(), "address": email,
        "customer": _customer_json(customer) if customer else None,
        "complaints": [_with_files(complaint_json(c.tracking), archive) for c in complaints],
        "other_messages": [_message_json(m, archive) for m in loose],
    }
    with write_transaction(database):
        for complaint in complaints:
            Event.create(complaint=complaint, at=naive(now), actor=actor, kind="exported",
                         detail="subject access request: all data about the customer exported")
    log.info("exported customer data", extra={"complaints": len(complaints), "messages": len(loose)})
    return data


def _customer_json(customer: Customer) -> dict[str, Any]:
    return {"email": customer.email, "name": customer.name, "phone": customer.phone, "language": customer.language,
            "bouncing": customer.bouncing, "created_at": customer.created_at.isoformat()}


def _with_files(complaint: dict[str, Any] | None, archive: Archive) -> dict[str, Any]:
    """complaint_json plus, per message, its raw mail and attachments as stored."""
    assert complaint is not None
    by_digest = {m.sha256: m for m in Message.select().where(Message.sha256.in_(
        [m["sha256"] for m in complaint["messages"]]))}
    complaint["messages"] = [{**m, **_files_json(by_digest[m["sha256"]], archive)} for m in complaint["messages"]]
    return complaint


def _message_json(message: Message, archive: Archive) -> dict[str, Any]:
    return {"direction": message.direction, "message_id": message.message_id, "sender": message.sender,
            "subject": message.subject, "state": message.state, "reason": message.reason,
            "at": message.received_at.isoformat(), "sha256": message.sha256, **_files_json(message, archive)}


def _files_json(message: Message, archive: Archive) -> dict[str, Any]:
    path = archive.path_for(message.sha256)
    return {
        "raw_path": str(path) if path.exists() else None,
        "raw": path.read_bytes().decode("utf-8", "replace") if path.exists() else None,
        "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256,
                         "path": str(blob_path(archive, a.sha256))} for a in message.attachments],
    }
