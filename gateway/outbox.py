"""The outbox worker: claim queued rows, render, send, record; retry with backoff.

Outgoing mail is a row first (written in the email's transaction) and is sent
only after that commit, so a crash never sends mail about a change that did
not happen. Rows are claimed with a short lease (FOR UPDATE SKIP LOCKED on
PostgreSQL), so several workers never send the same row; a worker that died
mid-send leaves a lease that expires and the row is tried again.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message as MimeMessage
from typing import Any

import peewee as pw

from gateway import history, statements
from gateway.archive import Archive
from gateway.compose import Envelope, Rendered, Templates, build_message, format_date
from gateway.contact import reachable
from gateway.lookup import already_stored, customer_of
from gateway.models import Complaint, Customer, Event, Message, OutgoingMail, write_transaction
from gateway.policy import Policy
from gateway.transports import PermanentFailure, TemporaryFailure, Transport
from gateway.view import aware, naive

log = logging.getLogger("gateway.outbox")
LEASE = timedelta(minutes=3)  # a claim outlives one small batch of sends; a dead worker's rows return soon
CLAIM_BATCH = 10


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0
    more: bool = False  # the time budget ran out with mail still due


class Outbox:
    def __init__(self, policy: Policy, database: pw.Database, templates: Templates,
                 transport: Transport, archive: Archive):
        self.policy, self.database, self.templates = policy, database, templates
        self.transport, self.archive = transport, archive
        self.config = policy.config

    def deliver_due(self, now: datetime, batch: int = CLAIM_BATCH, budget: float | None = None) -> DeliveryReport:
        """Send everything due at `now`, in claimed batches, until none is left, or stop after
        the batch that exceeds `budget` seconds (the daemon's main loop must stay responsive)."""
        totals = {"sent": 0, "retried": 0, "failed": 0, "held": 0}
        ends = None if budget is None else time.monotonic() + budget
        try:
            while True:
                claimed = self.claim(now, batch)
                for row in claimed:
                    totals[self.deliver(row, now)] += 1
                if len(claimed) < batch:
                    return DeliveryReport(**totals)
                if ends is not None and time.monotonic() >= ends:
                    return DeliveryReport(**totals, more=True)
        finally:
            self.transport.close()

    def claim(self, now: datetime, limit: int) -> list[OutgoingMail]:
        with write_transaction(self.database):
            query = (OutgoingMail.select()
                     .where(OutgoingMail.state.in_(("queued", "sending")) & (OutgoingMail.next_attempt_at <= naive(now)))
                     .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id).limit(limit))
            if isinstance(self.database, pw.PostgresqlDatabase):
                query = query.for_update(skip_locked=True)
            rows = list(query)
            if rows:
                OutgoingMail.update(state="sending", next_attempt_at=naive(now + LEASE)) \
                    .where(OutgoingMail.id.in_([r.id for r in rows])).execute()
        return rows

    def deliver(self, row: OutgoingMail, now: datetime) -> str:
        held = self.hold_reason(row, now)
        if held:
            return self.finish(row, "held", held, now)
        if row.audience == "sms":
            return self.deliver_text(row, now)
        try:
            message, rendered = self.render(row, now)
            raw = message.as_bytes()
            self.transport.send(raw, row.message_id, row.recipient, self.config.gateway.address)
        except TemporaryFailure as exc:
            return self.retry(row, str(exc), now)
        except PermanentFailure as exc:
            return self.finish(row, "failed", str(exc), now)
        except Exception as exc:  # a template bug must not stop the rest of the queue
            log.exception("cannot render or send outgoing id=%s", row.id)
            return self.finish(row, "failed", f"{type(exc).__name__}: {exc}", now)
        digest = self.archive.store(raw, durable=False)  # a copy: the row can always render it again
        with write_transaction(self.database):
            if already_stored(digest, row.message_id) is None:
                statements.insert(Message, complaint=row.complaint_id, direction="out", message_id=row.message_id,
                                  sha256=digest, size=len(raw), source="outbox", sender=self.config.gateway.address,
                                  recipient=row.recipient, subject=str(message["Subject"])[:500], kind=row.kind,
                                  text=rendered.text, received_at=naive(now))
            self.mark(row, "sent", "", now)
        log.info("sent kind=%s to=%s message_id=%s", row.kind, _mask(row.recipient), row.message_id)
        return "sent"

    def deliver_text(self, row: OutgoingMail, now: datetime) -> str:
        """An SMS: the template's text without its Subject line, through the provider's API."""
        from gateway.sms import SmsSender
        try:
            complaint = _complaint(row.complaint_id) if row.complaint_id else None
            text = self.templates.render(row.kind, row.language,
                                         mail_context(self.policy, complaint, row.language, row.params or {},
                                                      row.created_at)).text
            SmsSender(self.config.sms).send(row.recipient, " ".join(text.split()))
        except TemporaryFailure as exc:
            return self.retry(row, str(exc), now)
        except PermanentFailure as exc:
            return self.finish(row, "failed", str(exc), now)
        except Exception as exc:
            log.exception("cannot render or send text id=%s", row.id)
            return self.finish(row, "failed", f"{type(exc).__name__}: {exc}", now)
        with write_transaction(self.database):
            self.mark(row, "sent", "", now)
        log.info("sent kind=%s to=%s by sms", row.kind, row.recipient[:4] + "…")
        return "sent"

    def retry(self, row: OutgoingMail, error: str, now: datetime) -> str:
        attempts = row.attempts + 1
        if attempts >= self.config.outbound.max_attempts:
            return self.finish(row, "failed", f"gave up after {attempts} attempts: {error}", now)
        delay = timedelta(seconds=self.config.outbound.retry_base_seconds * 2 ** (attempts - 1))
        with write_transaction(self.database):
            OutgoingMail.update(state="queued", attempts=attempts, last_error=error,
                                next_attempt_at=naive(now + delay)).where(OutgoingMail.id == row.id).execute()
        log.warning("retry later kind=%s to=%s attempt=%d error=%s", row.kind, _mask(row.recipient), attempts, error)
        return "retried"

    def finish(self, row: OutgoingMail, state: str, reason: str, now: datetime) -> str:
        with write_transaction(self.database):
            self.mark(row, state, reason, now)
            if row.complaint_id:
                Event.create(complaint=row.complaint_id, at=naive(now), kind=f"mail_{state}",
                             detail=f"{row.kind} to {row.recipient}: {reason}")
        log.warning("%s kind=%s to=%s reason=%s", state, row.kind, _mask(row.recipient), reason)
        return state

    def mark(self, row: OutgoingMail, state: str, error: str, now: datetime) -> None:
        """The row's outcome; the claimed row is this worker's alone, so all its columns are written."""
        row.state, row.last_error, row.attempts = state, error, row.attempts + 1
        row.sent_at = naive(now) if state == "sent" else None
        statements.update(row)

    def hold_reason(self, row: OutgoingMail, now: datetime) -> str:
        """Storm protection: a bouncing address or too many mails in a window."""
        limits = self.config.outbound
        if row.audience == "customer":
            if _bouncing(row.recipient):
                return "recipient address is bouncing"
            recent = _sent_since(OutgoingMail.recipient, row.recipient, now - timedelta(hours=1))
            if recent >= limits.rate_per_recipient_hour:
                return f"rate limit: {recent} mails to this recipient in the last hour"
        if row.complaint_id:
            recent = _sent_since(OutgoingMail.complaint, row.complaint_id, now - timedelta(days=1))
            if recent >= limits.rate_per_complaint_day:
                return f"rate limit: {recent} mails on this complaint in the last day"
        return ""

    def render(self, row: OutgoingMail, now: datetime) -> tuple[MimeMessage, Rendered]:
        complaint = _complaint(row.complaint_id) if row.complaint_id else None
        context = mail_context(self.policy, complaint, row.language, row.params or {}, row.created_at)
        rendered = self.templates.render(row.kind, row.language, context)
        gateway = self.config.gateway
        envelope = Envelope(
            sender_name=gateway.name, sender=gateway.address, recipient=row.recipient,
            message_id=row.message_id, in_reply_to=row.in_reply_to,
            references=tuple(row.references.split()), reply_to=gateway.address if row.audience == "staff" else "",
            language=row.language, date=now.astimezone(self.policy.tz), tracking=complaint.tracking if complaint else "")
        return build_message(envelope, rendered), rendered


def mail_context(policy: Policy, complaint: Complaint | None, lang: str, params: dict[str, Any],
                 as_of: datetime | None = None) -> dict[str, Any]:
    """The documented template context (README: Templates).

    A queued row carries the complaint's facts as they were when its cause happened
    (`params["facts"]`, enqueue.facts_of) and `as_of`, its queueing time: the mail
    says what was true then, not what the row says at delivery (a retry hours later,
    a delay notice that moved the date in between)."""
    tz = policy.config.business_zone

    def when(value: datetime | None) -> str:
        return format_date(aware(value), lang, tz)

    customer = customer_of(complaint) if complaint else None
    if complaint is not None and params.get("facts"):
        complaint = _as_it_was(complaint, params["facts"])
    events = _history(complaint.id) if complaint else []
    if as_of is not None:
        events = [e for e in events if e.at <= naive(as_of)]
    new_date = params.get("new_date") or ""
    return {
        "lang": lang,
        "tracking": complaint.tracking if complaint else "",
        "gateway": {"name": policy.config.gateway.name, "address": policy.config.gateway.address},
        "complaint": {
            "tracking": complaint.tracking if complaint else "", "subject": complaint.subject if complaint else "",
            "status": complaint.status if complaint else "registered",
            "status_label": _status_label(policy, lang, complaint.status if complaint else "registered"),
            "priority": complaint.priority if complaint else "normal",
            "category": complaint.category if complaint else "", "department": complaint.department if complaint else "",
            "assignee": complaint.assignee if complaint else "",
            "created": when(complaint.created_at) if complaint else "",
            "last_step": history.last_step([(e.kind, e.to_status, e.detail) for e in events], lang),
            "sensitive": bool(complaint and complaint.sensitive),
            "reject_count": complaint.reject_count if complaint else 0,
        },
        "customer": {"email": customer.email if customer and reachable(customer.email) else "", "name": customer.name if customer else "",
                     "phone": customer.phone if customer else ""},
        "due": {"acknowledge": when(complaint.due_acknowledge) if complaint else "",
                "stage": when(complaint.due_stage) if complaint else "",
                "resolve": when(complaint.due_resolve) if complaint else ""},
        "message": params.get("message", ""),
        "reason": params.get("reason", "") or (complaint.delay_reason if complaint else ""),
        "new_date": when(datetime.fromisoformat(new_date)) if new_date else "",
        "planned": bool(params.get("planned")),  # a delay notice for a date staff moved before it passed
        "asked": params.get("asked", ""),
        "after_close": bool(params.get("after_close")),  # reopened by a reply to the closed complaint
        "reopen_days": policy.config.lifecycle.reopen_within_days,  # the day staff asked for (#extend) when it was not a business day
        "missing": list(params.get("missing", [])),
        "linked": params.get("linked", ""),
        "errors": list(params.get("errors", [])),
        "commands_help": policy.commands_help,
        "actor": params.get("actor", ""),
        "secret": params.get("secret", ""),
        "portal": policy.config.web.public_url.rstrip("/"),
        "remedies": list(policy.config.remedies.get(lang, ())),
        "events": [{"at": when(e.at), "kind": e.kind, "detail": e.detail} for e in events[-30:]],
    }


def _as_it_was(complaint: Complaint, facts: dict[str, Any]) -> Complaint:
    """An unsaved copy of the row with the facts of the queueing time laid over it."""
    copy = Complaint(**complaint.__data__)
    for name, value in facts.items():
        if name.startswith("due_"):
            value = naive(datetime.fromisoformat(value)) if value else None
        setattr(copy, name, value)
    return copy


def _status_label(policy: Policy, lang: str, status: str) -> str:
    """The policy's own name for a status ([status_labels.LANG]); "" keeps the template's label."""
    return policy.config.status_labels.get(lang, {}).get(status, "")


def _complaint(complaint_id: int) -> Complaint | None:
    found = statements.select(Complaint, "outbox_by_id", [complaint_id, 1],
                              lambda: Complaint.select().where(Complaint.id == complaint_id).limit(1))
    return found[0] if found else None


def _history(complaint_id: int) -> list[Event]:
    return statements.select(Event, "history", [complaint_id],
                             lambda: Event.select().where(Event.complaint == complaint_id).order_by(Event.id))


def _bouncing(address: str) -> bool:
    return bool(statements.tuples(Customer, "bouncing", [address, True, 1], lambda: Customer.select(Customer.id).where(
        (Customer.email == address) & (Customer.bouncing == True)).limit(1)))  # noqa: E712 (SQL, not Python)


def _sent_since(column: pw.Field, value: Any, since: datetime) -> int:
    """Mails sent to `value` of `column` (a recipient, a complaint) since `since`."""
    params = [value, "sent", naive(since)]
    (count,), = statements.tuples(OutgoingMail, f"sent_since_{column.name}", params, lambda: OutgoingMail.select(
        pw.fn.COUNT(OutgoingMail.id)).where((column == value) & (OutgoingMail.state == "sent")
                                            & (OutgoingMail.sent_at >= naive(since))))
    return count


def _mask(address: str) -> str:
    """Logs carry no personal data beyond a hint of the recipient."""
    local, _, domain = address.partition("@")
    return f"{local[:2]}***@{domain}"
