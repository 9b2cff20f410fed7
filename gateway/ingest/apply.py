"""The apply step: write one Plan to the database (caller holds the transaction).

This is the only place an incoming email changes stored state. It does no
deciding: every value it writes was chosen by decide. Outgoing mail becomes
outbox rows here; nothing is sent until the transaction has committed.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from gateway.desk import secret
from gateway.desk.plan import AWAITING_CONFIRMATION, Plan
from gateway.desk.policy import Policy
from gateway.desk.view import naive
from gateway.ingest import digest
from gateway.mail.parse import Attachment
from gateway.outbound.enqueue import customer_thread, deliverable, queue
from gateway.outbound.sms import SMS_KINDS
from gateway.store import lookup, prebuilt
from gateway.store.models import AttachmentRecord, Complaint, ComplaintSecret, Customer, Event, Message, OutgoingMail


@dataclass(frozen=True)
class Incoming:
    """The stored facts of the mail being applied."""

    sha256: str
    message_id: str
    size: int
    source: str
    sender: str
    subject: str
    human: bool  # a person wrote it (not automatic mail)
    attachments: tuple[Attachment, ...] = ()  # bytes already in the archive
    content_key: str | None = None  # mail/identity.py: what makes another copy of this mail a duplicate
    shortened: bool = False  # its text was cut by parse (TEXT_MAX); the archived raw mail is whole


# Ends the stored text of a mail parse cut, so `show` and the portal never pass its start off as all of it.
SHORTENED_MARK = "\n\n[...] (shortened: the whole mail is in the archive under this message's sha256)"


def apply(plan: Plan, incoming: Incoming, now: datetime, policy: Policy) -> Complaint | None:
    complaint = _complaint(plan, incoming, now, policy)
    message = prebuilt.insert(
        Message, complaint=complaint, direction="in", message_id=incoming.message_id or None, sha256=incoming.sha256,
        content_key=incoming.content_key,
        size=incoming.size, source=incoming.source, sender=incoming.sender, subject=incoming.subject[:500],
        kind=plan.message_kind, state="processed",
        text=plan.text + SHORTENED_MARK if incoming.shortened and plan.text else plan.text, received_at=naive(now))
    if incoming.attachments:
        AttachmentRecord.insert_many([
            {"message": message, "filename": part.filename, "content_type": part.content_type,
             "size": part.size, "sha256": part.sha256} for part in incoming.attachments]).execute()
    if incoming.human and complaint is None:
        Customer.update(bouncing=False).where(Customer.email == incoming.sender).execute()
    if plan.events:
        prebuilt.insert_many(Event, [
            {"complaint": complaint, "at": naive(now), "actor": spec.actor, "kind": spec.kind, "detail": spec.detail,
             "from_status": spec.from_status, "to_status": spec.to_status, "key": spec.key}
            for spec in plan.events])
    thread: tuple[str, ...] = ()
    if any(m.threaded for m in plan.outgoing):
        # a new complaint's thread is the mail that opened it: no need to ask the database
        fresh = plan.create is not None and complaint is not None and incoming.sender == complaint.customer.email
        if plan.create is not None and plan.create.thread:
            thread = plan.create.thread  # a forwarded original: the customer's client threads our ack under it
        else:
            thread = (incoming.message_id,) if fresh and incoming.message_id else customer_thread(complaint)
    created = complaint if plan.create is not None else None  # a new complaint's mail carries its secret
    outgoing = _with_secret(plan, created) if created is not None else plan.outgoing
    outgoing += _texts(outgoing, complaint, policy)
    outgoing = _with_files(outgoing, incoming)
    staff = policy.staff_addresses_for(complaint) if complaint else ()
    for wanted in outgoing:
        for mail in deliverable(wanted, staff, policy.staff_language):
            if digest.is_digest(mail):
                digest.add(mail, complaint, now, policy.address)
            else:
                queue(mail, complaint, now, policy.address, f"{incoming.sha256[:40]}:{mail.key}", thread)
    _bounces(plan, now)
    if plan.release_held and complaint is not None:
        OutgoingMail.update(state="queued", last_error="", next_attempt_at=naive(now)).where(
            (OutgoingMail.complaint == complaint.id) & (OutgoingMail.state == "held")
            & (OutgoingMail.last_error == AWAITING_CONFIRMATION)).execute()
    return complaint


# The first mails of a new complaint that tell the customer how to follow it on the web.
SECRET_BEARERS = frozenset({"ack", "stranger"})


def _with_secret(plan: Plan, complaint: Complaint) -> tuple:
    """A new complaint gets its web secret: stored hashed, told once in the acknowledgement."""
    value = secret.make()
    prebuilt.insert(ComplaintSecret, complaint=complaint.id, digest=secret.digest(value))
    return tuple(replace(m, params={**m.params, "secret": value})
                 if m.kind in SECRET_BEARERS and m.audience == "customer" else m for m in plan.outgoing)


# Staff notices that relay the incoming mail to staff: they carry its files too (outbox.files_for).
FILE_BEARERS = frozenset({"staff_new", "staff_update"})


def _with_files(outgoing: tuple, incoming: Incoming) -> tuple:
    """A staff notice relaying a mail with files names that mail by its sha256: the outbox attaches
    the files from the archive when it renders the row (the row stores a key, never the bytes).
    Its own author does not get their files back."""
    if not incoming.attachments:
        return outgoing
    return tuple(replace(m, params={**m.params, "files_of": incoming.sha256})
                 if m.kind in FILE_BEARERS and m.audience == "staff" and m.recipient != incoming.sender else m
                 for m in outgoing)


def _texts(outgoing: tuple, complaint: Complaint | None, policy: Policy) -> tuple:
    """The SMS twins of the customer mails that seed 003 also sends by text ([sms] on, phone known)."""
    if not policy.config.sms.enabled or complaint is None:
        return ()
    phone = lookup.customer_of(complaint).phone
    if not phone:
        return ()
    return tuple(replace(m, kind=SMS_KINDS[m.kind], recipient=phone, audience="sms", threaded=False)
                 for m in outgoing if m.audience == "customer" and m.kind in SMS_KINDS)


def _complaint(plan: Plan, incoming: Incoming, now: datetime, policy: Policy) -> Complaint | None:
    """The complaint the mail belongs to, created or updated in one statement."""
    if plan.create is None:
        if not plan.complaint_id:
            return None
        complaint = lookup.complaint_by_id(plan.complaint_id)
        customer = complaint.customer
    else:
        customer = _customer(plan.create.customer_email or incoming.sender, plan)
        complaint = _new_complaint(plan, customer, now, incoming.source)
    columns: dict[str, Any] = {k: naive(v) if isinstance(v, datetime) else v for k, v in plan.updates.items()}
    if plan.status:
        columns["status"] = plan.status
    for name, value in columns.items():
        setattr(complaint, name, value)
    complaint.updated_at = naive(now)
    complaint.next_action_at = lookup.next_action_for(complaint, policy)
    if plan.create is None:
        prebuilt.update(complaint)
    else:
        complaint.id = prebuilt.insert(Complaint, **prebuilt.values_of(complaint))
    _fill_customer(customer, plan, incoming)
    return complaint


def _customer(address: str, plan: Plan) -> Customer:
    """The sender's customer row; a new one is inserted with what the plan knows of them."""
    found = prebuilt.select(Customer, "by_email", [address, 1],
                            lambda: Customer.select().where(Customer.email == address).limit(1))
    if found:
        return found[0]
    return prebuilt.insert_instance(Customer(email=address, **_fit(plan.customer)))


# The complaint's channel by the source its first mail came from.
CHANNELS = {"web": "web"}


def _new_complaint(plan: Plan, customer: Customer, now: datetime, incoming_source: str) -> Complaint:
    new = plan.create
    assert new is not None
    linked = Complaint.get_or_none(Complaint.tracking == new.linked_tracking) if new.linked_tracking else None
    return Complaint(
        tracking=new.tracking, customer=customer, subject=new.subject[:500], status="registered",
        priority=new.priority, category=new.category, department=new.department, language=new.language,
        sensitive=new.sensitive, why=new.why, linked_to=linked, channel=CHANNELS.get(incoming_source, new.channel),
        registered_by=new.registered_by, registrar_name=new.registrar_name[:200], created_at=naive(new.created_at or now))


# Column widths of the customer's row: a hostile mail's 1 MB name is not stored whole (and
# PostgreSQL refuses an over-long value, which would keep the mail from being stored at all).
CUSTOMER_WIDTHS = {"name": 200, "phone": 32, "language": 8}


def _fit(columns: dict[str, Any]) -> dict[str, Any]:
    return {k: v[:CUSTOMER_WIDTHS[k]] if isinstance(v, str) and k in CUSTOMER_WIDTHS else v
            for k, v in columns.items()}


def _fill_customer(customer: Customer, plan: Plan, incoming: Incoming) -> None:
    """Known contact data is never overwritten by a guess; the latest language wins, and what the
    customer gave when we asked for it replaces the incomplete value we had."""
    for name, value in _fit(plan.customer).items():
        replace_it = name == "language" or name in plan.customer_given or not getattr(customer, name)
        if replace_it and getattr(customer, name) != value:
            setattr(customer, name, value)
    if incoming.human and incoming.sender == customer.email and customer.bouncing:
        customer.bouncing = False  # a new mail from the address: it works again
    if customer.dirty_fields:
        customer.save(only=customer.dirty_fields)


def _bounces(plan: Plan, now: datetime) -> None:
    if not plan.bounced_message_ids:
        return
    OutgoingMail.update(state="failed", last_error="bounced" + (" (permanent)" if plan.bounce_permanent else "")) \
        .where(OutgoingMail.message_id.in_(plan.bounced_message_ids)).execute()
    if plan.bounce_permanent and plan.bounce_recipients:
        Customer.update(bouncing=True).where(Customer.email.in_([r.lower() for r in plan.bounce_recipients])).execute()
