"""Complaints as JSON for `show` and `list` (a contract other tools read).

Keys promised by ARCHITECTURE.md ("Contracts"): tracking, status, priority, category, department,
language, customer {email, name, phone}, due {acknowledge, resolve}, messages,
events. Quarantined mail appears in `list` with status "quarantined" so an
operator sees it next to the complaints.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee as pw

from gateway.config import Config
from gateway.desk.view import naive
from gateway.mail.contact import reachable
from gateway.store.models import Complaint, Customer, Event, Message, OutgoingMail
from gateway.store.packing import message_text


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def _summary(c: Complaint) -> dict[str, Any]:
    customer: Customer = c.customer
    return {
        "tracking": c.tracking, "status": c.status, "priority": c.priority, "category": c.category,
        "department": c.department, "assignee": c.assignee, "language": c.language, "subject": c.subject,
        "customer": {"email": customer.email if reachable(customer.email) else None, "name": customer.name,
                     "phone": customer.phone, "bouncing": customer.bouncing},
        "due": {"acknowledge": _iso(c.due_acknowledge), "stage": _iso(c.due_stage), "resolve": _iso(c.due_resolve)},
        "created_at": _iso(c.created_at), "updated_at": _iso(c.updated_at),
        "resolved_at": _iso(c.resolved_at), "closed_at": _iso(c.closed_at), "paused_at": _iso(c.paused_at),
        "sensitive": c.sensitive, "reject_count": c.reject_count,
        "linked_to": c.linked_to.tracking if c.linked_to_id else None,
        "channel": c.channel,
        "registered_by": {"address": c.registered_by, "name": c.registrar_name} if c.registered_by else None,
    }


def complaint_json(tracking: str, config: Config | None = None) -> dict[str, Any] | None:
    complaint = Complaint.get_or_none(Complaint.tracking == tracking.strip().upper())
    if complaint is None:
        return None
    data = _summary(complaint)
    data["why"] = complaint.why
    data["messages"] = [{
        "direction": m.direction, "message_id": m.message_id, "sender": m.sender, "recipient": m.recipient,
        "subject": m.subject, "kind": m.kind, "state": m.state, "at": _iso(m.received_at), "text": message_text(m),
        "sha256": m.sha256, "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}
            for a in m.attachments]} for m in complaint.messages.order_by(Message.id)]
    data["events"] = [{
        "at": _iso(e.at), "actor": e.actor, "kind": e.kind, "from": e.from_status or None,
        "to": e.to_status or None, "detail": e.detail} for e in complaint.events.order_by(Event.id)]
    data["outgoing"] = [{
        "kind": o.kind, "recipient": o.recipient, "state": o.state, "attempts": o.attempts,
        "error": o.last_error or None, "message_id": o.message_id} for o in complaint.outgoing]
    data["links"] = [c.tracking for c in complaint.links]
    return data


OUTBOX_VIEWS: dict[str, tuple[str, ...]] = {  # `gateway outbox list [--failed|--queued]`
    "failed": ("failed",),
    "queued": ("queued", "sending"),
    "unsent": ("queued", "sending", "held", "failed"),  # the default: what has not left yet
}


def outgoing_json(view: str = "unsent") -> list[dict[str, Any]]:
    """Outgoing mail not sent (or of one view), oldest first, for an admin deciding what to retry."""
    rows = (OutgoingMail.select(OutgoingMail, Complaint.id, Complaint.tracking).join(Complaint, pw.JOIN.LEFT_OUTER)
            .where(OutgoingMail.state.in_(OUTBOX_VIEWS[view])).order_by(OutgoingMail.id))
    return [_outgoing(o) for o in rows]


def _outgoing(o: OutgoingMail) -> dict[str, Any]:
    complaint = o.complaint if o.complaint_id else None  # joined above: nothing is fetched
    return {
        "id": o.id, "state": o.state, "kind": o.kind, "language": o.language, "audience": o.audience,
        "recipient": o.recipient, "tracking": complaint.tracking if complaint is not None else None,
        "attempts": o.attempts, "error": o.last_error or None, "created_at": _iso(o.created_at),
        "next_attempt_at": _iso(o.next_attempt_at) if o.state == "queued" else None,
        "message_id": o.message_id}


# Not overdue whatever the date: answered (resolved, closed), handed on (escalated), or waiting for
# the customer (the clock is paused). The one definition for `list --overdue`, `status` and /metrics.
NOT_OVERDUE = ("closed", "resolved", "escalated", "waiting_customer")


def overdue_at(now: datetime) -> pw.ColumnBase:
    """The complaints past their resolution date that are still ours to answer."""
    return Complaint.status.not_in(NOT_OVERDUE) & (Complaint.due_resolve < naive(now))


def list_json(status: str | None = None, overdue: bool = False, now: datetime | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if status in (None, "quarantined") and not overdue:
        rows += [{"tracking": None, "status": "quarantined", "reason": m.reason, "sender": m.sender,
                  "subject": m.subject, "message_id": m.message_id, "id": m.id, "at": _iso(m.received_at)}
                 for m in Message.select().where(Message.state == "quarantined").order_by(Message.id)]
    if status == "quarantined":
        return rows
    query = Complaint.select(Complaint, Customer).join(Customer).order_by(Complaint.id)
    if status:
        query = query.where(Complaint.status == status)
    if overdue:
        if now is None:
            raise ValueError("list_json(overdue=True) needs now: overdue is relative to it")
        query = query.where(overdue_at(now))
    return [_summary(c) for c in query] + rows
