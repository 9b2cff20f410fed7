"""The outbox worker: claim queued rows, render, send, record; retry with backoff.

Outgoing mail is a row first (written in the email's transaction) and is sent
only after that commit, so a crash never sends mail about a change that did
not happen. Rows are claimed with a lease (FOR UPDATE SKIP LOCKED on
PostgreSQL), so several workers never send the same row; a worker that died
mid-send leaves a lease that expires and the row is tried again.

Why the lease is judged on the database's clock and fenced by a token: workers
run on hosts whose clocks disagree, and `tick --now` runs ahead on purpose. A
lease written as "my now + 3 minutes" looks expired to a worker whose clock
reads later, and it sends the row again. So the expiry is the database's now
plus `claim_seconds`, compared only with the database's now; each claim writes
a fresh token, and only the holder of the row's current token may record an
outcome. The worker also keeps its own deadline on the monotonic clock (started
before it read the database's now, so it errs early) and renews the claim when
half of it is gone, before the next send: a row is never sent by a worker whose
claim another could already have taken.
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import Message as MimeMessage
from typing import Any, Callable

import peewee as pw

from gateway.desk import history
from gateway.desk.plan import AWAITING_CONFIRMATION
from gateway.desk.policy import Policy
from gateway.desk.view import aware, naive
from gateway.mail import verp
from gateway.mail.contact import reachable
from gateway.outbound.compose import Envelope, Rendered, Templates, build_message, format_date, sample_context
from gateway.outbound.files import StaffFile, files_of, listing
from gateway.outbound.transports import PermanentFailure, TemporaryFailure, Transport
from gateway.store import prebuilt
from gateway.store.archive import Archive
from gateway.store.lease import database_clock
from gateway.store.lookup import awaiting_confirmation, copy_stored, customer_of
from gateway.store.models import Complaint, Customer, Event, Message, OutgoingMail, write_transaction
from gateway.store.packing import PACKER
from gateway.store.private import secret_key
from gateway.store.writer import SHARE

log = logging.getLogger("gateway.outbox")
CLAIM_BATCH = 10
RETRYABLE = ("failed", "held")  # what `gateway outbox retry` may queue again, by the rules below
# Why a row was not sent, read from its state and last error, and who may queue it again:
# "failed" rows by default (rendering failed and a template was fixed, a relay or SMS provider
# away past max_attempts, a relay refusal of ours: auth, relaying, policy) with `retry --failed`
# or `retry ID`; "id" rows only one by one with `retry ID`, after a person looked at them (storm
# protection held them, or the relay said the address itself does not exist: in bulk that would
# be the storm or the bounce again); "none" never (a staff member's #confirm releases them).
REQUEUE_RULES: tuple[tuple[str, re.Pattern[str], str, str], ...] = (
    ("held", re.compile(re.escape(AWAITING_CONFIRMATION)), "none",
     "held until a staff member confirms the complaint (#confirm in a reply to the desk's notice)"),
    ("held", re.compile("rate limit: "), "id", "held by storm protection (a rate limit): retry it by its ID"),
    ("held", re.compile("recipient address is bouncing"), "id",
     "held: the recipient's address bounces; retry it by its ID once the address works"),
    ("failed", re.compile(r"5\d\d[ -]5\.1\.\d"), "id",
     "the relay refused the recipient's address itself; retry it by its ID once the address is fixed"),
)


def requeue_refusal(row: OutgoingMail, one_by_one: bool) -> str:
    """Why `gateway outbox retry` (one_by_one: with an ID; else --failed) leaves `row`; "" to queue it."""
    if row.state not in RETRYABLE:
        return {"sent": "already sent; a sent mail is not sent again",
                "queued": "already queued", "sending": "being sent now"}.get(row.state, f"state {row.state}")
    for state, reason, who, why in REQUEUE_RULES:
        if row.state == state and reason.match(row.last_error or ""):
            return "" if who == "id" and one_by_one else why
    return ""


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0
    lost: int = 0  # claims another worker took over (ours had lapsed): left to it, never sent twice
    more: bool = False  # the time budget ran out with mail still due


@dataclass
class Claim:
    """Rows this worker may send while the monotonic clock reads less than `until`."""
    token: str
    rows: list[OutgoingMail]
    until: float
    ours: set[int] = field(default_factory=set)


class Outbox:
    def __init__(self, policy: Policy, database: pw.Database, templates: Templates,
                 transport: Transport, archive: Archive, clock: Callable[[], datetime] | None = None):
        self.policy, self.database, self.templates = policy, database, templates
        self.transport, self.archive = transport, archive
        self.config = policy.config
        self.clock = clock or database_clock(database)  # naive UTC, the clock every worker shares
        self.lease = timedelta(seconds=self.config.outbound.claim_seconds)
        outbound = self.config.outbound
        self.verp_key = secret_key(self.config.resolve(outbound.verp_key_file)) if outbound.verp else b""

    def envelope_sender(self, row: OutgoingMail) -> str:
        """MAIL FROM: the gateway's address, or with VERP its return path for this row (mail/verp.py)."""
        address = self.config.gateway.address
        return verp.return_path(address, row.id, self.verp_key) if self.verp_key else address

    def deliver_due(self, now: datetime, batch: int = CLAIM_BATCH, budget: float | None = None) -> DeliveryReport:
        """Send everything due at `now`, in claimed batches, until none is left, or stop after
        the batch that exceeds `budget` seconds (the daemon's main loop must stay responsive)."""
        totals = {"sent": 0, "retried": 0, "failed": 0, "held": 0, "lost": 0}
        ends = None if budget is None else time.monotonic() + budget
        try:
            while True:
                SHARE.wait_turn()
                claim = self.claim(now, batch)
                for row in claim.rows:
                    SHARE.wait_turn()  # rendering and recording yield to mail being stored
                    totals[self.deliver(row, now) if self.still_ours(claim, row) else "lost"] += 1
                if len(claim.rows) < batch:
                    return DeliveryReport(**totals, more=False)
                if ends is not None and time.monotonic() >= ends:
                    return DeliveryReport(**totals, more=True)
        finally:
            self.transport.close()

    def claim(self, now: datetime, limit: int) -> Claim:
        """Queued rows due at `now` (the caller's clock: `tick --now` may run ahead), and rows
        whose claim expired on the database's clock (a worker that died mid-send)."""
        token, started = uuid.uuid4().hex, time.monotonic()
        with write_transaction(self.database):
            shared_now = self.clock()
            due = (((OutgoingMail.state == "queued") & (OutgoingMail.next_attempt_at <= naive(now)))
                   | ((OutgoingMail.state == "sending") & (OutgoingMail.next_attempt_at <= shared_now)))
            query = OutgoingMail.select().where(due).order_by(OutgoingMail.next_attempt_at, OutgoingMail.id).limit(limit)
            if isinstance(self.database, pw.PostgresqlDatabase):
                query = query.for_update(skip_locked=True)
            rows = list(query)
            if rows:
                OutgoingMail.update(state="sending", claim_token=token, next_attempt_at=shared_now + self.lease) \
                    .where(OutgoingMail.id.in_([r.id for r in rows])).execute()
        for row in rows:
            row.state, row.claim_token = "sending", token
        return Claim(token, rows, started + self.lease.total_seconds(), {r.id for r in rows})

    def still_ours(self, claim: Claim, row: OutgoingMail) -> bool:
        """Whether `row` may be sent now: renew the claim first when half of it is gone."""
        if claim.until - time.monotonic() < self.lease.total_seconds() / 2:
            self.renew(claim)
        return row.id in claim.ours

    def renew(self, claim: Claim) -> None:
        """Push the claim's expiry to the database's now + lease for the rows still ours."""
        started = time.monotonic()
        with write_transaction(self.database):
            shared_now = self.clock()
            mine = (OutgoingMail.id.in_(sorted(claim.ours)) & (OutgoingMail.claim_token == claim.token)
                    & (OutgoingMail.state == "sending"))
            OutgoingMail.update(next_attempt_at=shared_now + self.lease).where(mine).execute()
            claim.ours = {r.id for r in OutgoingMail.select(OutgoingMail.id).where(mine)} if claim.ours else set()
        claim.until = started + self.lease.total_seconds()

    def deliver(self, row: OutgoingMail, now: datetime) -> str:
        held = self.hold_reason(row, now)
        if held:
            return self.finish(row, "held", held, now)
        if row.audience == "sms":
            return self.deliver_text(row, now)
        try:
            message, rendered = self.render(row, now)
            raw = message.as_bytes()
            self.transport.send(raw, row.message_id, row.recipient, self.envelope_sender(row))
        except TemporaryFailure as exc:
            return self.retry(row, str(exc), now)
        except PermanentFailure as exc:
            return self.finish(row, "failed", str(exc), now)
        except Exception as exc:  # a template bug must not stop the rest of the queue
            log.exception("cannot render or send", extra={"outgoing_id": row.id, "kind": row.kind,
                                                          "complaint_id": row.complaint_id})
            return self.finish(row, "failed", f"{type(exc).__name__}: {exc}", now)
        digest = self.archive.store(raw, durable=False)  # a copy: the row can always render it again
        with write_transaction(self.database):
            if not self.mark(row, "sent", "", now):
                return self.lost(row)
            if not copy_stored(digest, row.message_id):
                prebuilt.insert(Message, complaint=row.complaint_id, direction="out", message_id=row.message_id,
                                sha256=digest, size=len(raw), source="outbox", sender=self.config.gateway.address,
                                recipient=row.recipient, subject=str(message["Subject"])[:500], kind=row.kind,
                                text="", packed=PACKER.pack(row.kind, row.language, rendered.text,
                                                            lambda: self.sample_text(row)),
                                received_at=naive(now))
        log.info("sent", extra={"outgoing_id": row.id, "kind": row.kind, "to": _mask(row.recipient),
                                "message_id": row.message_id, "complaint_id": row.complaint_id})
        return "sent"

    def deliver_text(self, row: OutgoingMail, now: datetime) -> str:
        """An SMS: the template's text without its Subject line, through the provider's API."""
        from gateway.outbound.sms import SmsSender
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
            log.exception("cannot render or send text", extra={"outgoing_id": row.id, "kind": row.kind})
            return self.finish(row, "failed", f"{type(exc).__name__}: {exc}", now)
        with write_transaction(self.database):
            if not self.mark(row, "sent", "", now):
                return self.lost(row)
        log.info("sent", extra={"outgoing_id": row.id, "kind": row.kind, "to": row.recipient[:4] + "…", "by": "sms"})
        return "sent"

    def retry(self, row: OutgoingMail, error: str, now: datetime) -> str:
        attempts = row.attempts + 1
        if attempts >= self.config.outbound.max_attempts:
            return self.finish(row, "failed", f"gave up after {attempts} attempts: {error}", now)
        delay = timedelta(seconds=self.config.outbound.retry_base_seconds * 2 ** (attempts - 1))
        with write_transaction(self.database):
            changed = OutgoingMail.update(state="queued", attempts=attempts, last_error=error, claim_token=None,
                                          next_attempt_at=naive(now + delay)) \
                .where(_fenced(row)).execute()
        if not changed:
            return self.lost(row)
        log.warning("retry later", extra={"outgoing_id": row.id, "kind": row.kind, "to": _mask(row.recipient),
                                          "attempt": attempts, "error": error})
        return "retried"

    def finish(self, row: OutgoingMail, state: str, reason: str, now: datetime) -> str:
        with write_transaction(self.database):
            if not self.mark(row, state, reason, now):
                return self.lost(row)
            if row.complaint_id:
                Event.create(complaint=row.complaint_id, at=naive(now), kind=f"mail_{state}",
                             detail=f"{row.kind} to {row.recipient}: {reason}")
        log.warning(state, extra={"outgoing_id": row.id, "kind": row.kind, "to": _mask(row.recipient),
                                  "reason": reason})
        return state

    def mark(self, row: OutgoingMail, state: str, error: str, now: datetime) -> bool:
        """The row's outcome, written only while our claim is the row's current one (its
        token unchanged): False when another worker took the row over."""
        token, before = row.claim_token, prebuilt.values_of(row)
        row.state, row.last_error, row.attempts = state, error, row.attempts + 1
        row.sent_at = naive(now) if state == "sent" else None
        if token is None:  # a row handed in without a claim (tests, tools): written as before
            prebuilt.update(row)
            return True
        row.claim_token = None
        if prebuilt.update(row, fence={"claim_token": token, "state": "sending"}) == 1:
            return True
        prebuilt.restore(row, before)  # still the claim we lost, not an outcome
        return False

    def lost(self, row: OutgoingMail) -> str:
        log.error("claim taken over by another worker while this one held it; its outcome is left to that worker",
                  extra={"outgoing_id": row.id, "kind": row.kind})
        return "lost"

    def requeue(self, row: OutgoingMail, now: datetime, actor: str = "admin", one_by_one: bool = True) -> str:
        """`gateway outbox retry`: a failed (or held) row queued again, due at `now`, with its
        attempts reset, after rendering it from its stored inputs (kind, language, params, the
        complaint) as the worker will: a template still broken leaves the row failed and says
        why. Returns "" when queued, else why not (REQUEUE_RULES). A sent row is never sent again."""
        refusal = requeue_refusal(row, one_by_one)
        if refusal:
            return refusal
        try:
            if row.audience == "sms":
                self.templates.render(row.kind, row.language, mail_context(
                    self.policy, _complaint(row.complaint_id) if row.complaint_id else None, row.language,
                    row.params or {}, row.created_at))
            else:
                self.render(row, now)[0].as_bytes()
        except Exception as exc:  # the admin's fix did not take: the row stays as it was
            return f"still cannot render: {type(exc).__name__}: {exc}"
        with write_transaction(self.database):
            changed = OutgoingMail.update(state="queued", attempts=0, last_error="", claim_token=None,
                                          next_attempt_at=naive(now), sent_at=None) \
                .where((OutgoingMail.id == row.id) & OutgoingMail.state.in_(RETRYABLE)).execute()
            if changed and row.complaint_id:
                Event.create(complaint=row.complaint_id, at=naive(now), actor=actor, kind="mail_retried",
                             detail=f"{row.kind} to {row.recipient}: queued again after {row.state}")
        if not changed:
            return "changed meanwhile; look again"
        log.info("queued again", extra={"outgoing_id": row.id, "kind": row.kind, "was": row.state,
                                        "complaint_id": row.complaint_id})
        return ""

    def sample_text(self, row: OutgoingMail) -> str:
        """The template of `row` filled with `gateway preview`'s fictional data: the packing
        dictionary (gateway.store.packing); "" (plain zlib) when the template needs more than that."""
        try:
            return self.templates.render(row.kind, row.language, sample_context(row.language)).text
        except Exception:  # an admin's template may want what the sample lacks: compress without
            log.info("no sample rendering; its copies are packed without a dictionary",
                     extra={"template": f"{row.kind}.{row.language}"})
            return ""

    def hold_reason(self, row: OutgoingMail, now: datetime) -> str:
        """Storm protection: a bouncing address or too many mails in a window."""
        limits = self.config.outbound
        if row.audience in ("customer", "sms") and row.complaint_id and awaiting_confirmation(row.complaint_id):
            return AWAITING_CONFIRMATION  # released with the rest by #confirm
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
        files = self.staff_files(row)
        context["files"] = listing(files)
        rendered = self.templates.render(row.kind, row.language, context)
        gateway = self.config.gateway
        envelope = Envelope(
            sender_name=gateway.name, sender=gateway.address, recipient=row.recipient,
            message_id=row.message_id, in_reply_to=row.in_reply_to,
            references=tuple(row.references.split()), reply_to=gateway.address if row.audience == "staff" else "",
            language=row.language, date=now.astimezone(self.policy.tz), tracking=complaint.tracking if complaint else "")
        attached = tuple((f.filename, f.content_type, f.payload) for f in files if f.payload is not None)
        return build_message(envelope, rendered, attached), rendered

    def staff_files(self, row: OutgoingMail) -> tuple[StaffFile, ...]:
        """The customer's files a staff notice carries (outbound/files.py); none for anyone else."""
        source = (row.params or {}).get("files_of")
        if row.audience != "staff" or not source:
            return ()
        return files_of(source, self.archive, self.config.staff.attach_max_mb)


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

    def on(name: str) -> str:  # a date a param carries (ISO 8601), in the desk's words
        value = params.get(name) or ""
        return when(datetime.fromisoformat(value)) if value else ""
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
        "shortened": bool(params.get("shortened")),  # message is the start of a longer mail (plan.staff_message)
        "reason": params.get("reason", ""),  # only the reason its sender gave: never the stored one of an older date
        "new_date": on("new_date"),
        "old_date": on("old_date"),  # delay: the date the customer had been given
        "missed": on("missed"),  # delay: the promised date that passed
        "reopened_on": on("reopened_on"),
        "closes_on": on("closes_on"),  # resolution: the day it closes without the customer's decision  # delay: when the customer's rejection reopened the review
        "planned": bool(params.get("planned")),
        "earlier": bool(params.get("earlier")),  # delay: #extend moved the date earlier (good news)
        "deadline": params.get("deadline", ""),  # reminder/escalation: "stage" or "resolve", the one it is about
        "held": bool(params.get("held")),  # registered: the customer's mails wait for a staff #confirm  # a delay notice for a date staff moved before it passed
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
        "files": [],  # the customer's files on a staff notice: filled by Outbox.render (outbound/files.py)
    }


def _as_it_was(complaint: Complaint, facts: dict[str, Any]) -> Complaint:
    """An unsaved copy of the row with the facts of the queueing time laid over it."""
    copy = Complaint(**prebuilt.values_of(complaint))
    for name, value in facts.items():
        if name.startswith("due_"):
            value = naive(datetime.fromisoformat(value)) if value else None
        setattr(copy, name, value)
    return copy


def _status_label(policy: Policy, lang: str, status: str) -> str:
    """The policy's own name for a status ([status_labels.LANG]); "" keeps the template's label."""
    return policy.config.status_labels.get(lang, {}).get(status, "")


def _complaint(complaint_id: int) -> Complaint | None:
    found = prebuilt.select(Complaint, "outbox_by_id", [complaint_id, 1],
                            lambda: Complaint.select().where(Complaint.id == complaint_id).limit(1))
    return found[0] if found else None


def _history(complaint_id: int) -> list[Event]:
    return prebuilt.select(Event, "history", [complaint_id],
                           lambda: Event.select().where(Event.complaint == complaint_id).order_by(Event.id))




def _bouncing(address: str) -> bool:
    return bool(prebuilt.tuples(Customer, "bouncing", [address, True, 1], lambda: Customer.select(Customer.id).where(
        (Customer.email == address) & (Customer.bouncing == True)).limit(1)))


def _sent_since(column: pw.Field, value: Any, since: datetime) -> int:
    """Mails sent to `value` of `column` (a recipient, a complaint) since `since`."""
    params = [value, "sent", naive(since)]
    (count,), = prebuilt.tuples(OutgoingMail, f"sent_since_{column.name}", params, lambda: OutgoingMail.select(
        pw.fn.COUNT(OutgoingMail.id)).where((column == value) & (OutgoingMail.state == "sent")
                                            & (OutgoingMail.sent_at >= naive(since))))
    return count


def _fenced(row: OutgoingMail) -> Any:
    """The row, while `row`'s claim is still its current one."""
    where = OutgoingMail.id == row.id
    if row.claim_token is not None:
        where &= (OutgoingMail.claim_token == row.claim_token) & (OutgoingMail.state == "sending")
    return where


def _mask(address: str) -> str:
    """Logs carry no personal data beyond a hint of the recipient."""
    local, _, domain = address.partition("@")
    return f"{local[:2]}***@{domain}"
