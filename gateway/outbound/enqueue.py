"""Outbox rows: the one way anything in the gateway asks for a mail to be sent.

Each row gets our own Message-ID (so replies thread back to the complaint) and
a dedupe key naming its cause; the key is unique in the database, so the same
cause (one incoming mail, one deadline) can never queue the same mail twice,
whichever process or retry gets there.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from gateway.desk import deadlines
from gateway.desk.plan import OutMail
from gateway.desk.view import aware, naive
from gateway.mail.contact import reachable
from gateway.store import prebuilt
from gateway.store.lookup import customer_message_ids, customer_of
from gateway.store.models import Complaint, OutgoingMail

# The complaint's columns a mail shows; copied into the row when it is queued.
FACT_COLUMNS = ("status", "priority", "category", "department", "assignee", "subject", "reject_count", "sensitive")
DUE_COLUMNS = ("due_acknowledge", "due_stage", "due_resolve")


def facts_of(complaint: Complaint) -> dict[str, object]:
    """What was true of the complaint when its mail was caused: a mail is rendered from
    these, not from the row at delivery, so an escalation queued before a delay notice
    moved the date still names the date that was missed. No deadline runs in a stopped
    status (escalated, closed), so no expected date is shown there."""
    facts: dict[str, object] = {name: getattr(complaint, name) for name in FACT_COLUMNS}
    running = deadlines.status_rule(complaint.status).clock != deadlines.STOPPED
    for name in DUE_COLUMNS:
        value = aware(getattr(complaint, name)) if running or name == "due_acknowledge" else None
        facts[name] = value.isoformat() if value else ""
    return facts


def new_message_id(domain: str) -> str:
    return f"{uuid.uuid4().hex}@{domain}"


def dedupe_key(mail: OutMail, trigger: str) -> str:
    return f"{mail.kind}:{mail.recipient}:{trigger}"[:200]


def deliverable(mail: OutMail, staff: tuple[str, ...], staff_language: str) -> tuple[OutMail, ...]:
    """The mail itself, or, for a customer known only by phone (staff registered the
    complaint without an e-mail address), a notice to staff to tell the customer
    themselves: what the customer should hear must not vanish silently."""
    if mail.audience != "customer" or reachable(mail.recipient):
        return (mail,)
    phone = mail.recipient.split("@", 1)[0]
    said = mail.params.get("message", "")
    args = {"phone": phone, "kind": mail.kind, "secret": mail.params.get("secret", "")}
    params = {"notice": "by_phone_said" if said else "by_phone", "notice_args": args, "message": said}
    return tuple(OutMail("staff_notice", address, "staff", staff_language, threaded=False, hold=mail.hold,
                         key=f"{mail.key}:by-phone:{mail.kind}", params=params) for address in staff)


def customer_thread(complaint: Complaint | None) -> tuple[str, ...]:
    """The customer's last Message-IDs on the complaint, oldest first: our replies thread into them."""
    if complaint is None:
        return ()
    return customer_message_ids(complaint.id, customer_of(complaint).email, last=10)


def queue(mail: OutMail, complaint: Complaint | None, now: datetime, gateway_address: str,
          trigger: str, thread: tuple[str, ...] | None = None) -> int:
    """An outbox row; `trigger` names what caused it, so the same cause never mails twice.
    `thread` (from customer_thread) saves the lookup when one cause queues several mails.
    Returns the row's id."""
    domain = gateway_address.rsplit("@", 1)[-1]
    refs: tuple[str, ...] = ()
    if mail.threaded:
        refs = customer_thread(complaint) if thread is None else thread
    return prebuilt.insert(
        OutgoingMail, complaint=complaint, kind=mail.kind, language=mail.language, recipient=mail.recipient,
        audience=mail.audience, message_id=new_message_id(domain), in_reply_to=refs[-1] if refs else "",
        references=" ".join(refs), params={**mail.params, "facts": facts_of(complaint)} if complaint else mail.params,
        dedupe_key=dedupe_key(mail, trigger), state="held" if mail.hold else "queued", last_error=mail.hold,
        next_attempt_at=naive(now), created_at=naive(now))
