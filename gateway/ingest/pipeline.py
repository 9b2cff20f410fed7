"""The path of one email, top to bottom.

    store raw bytes (archive, by sha256)       nothing is lost from here on
    parse        raw -> Mail                   pure
    hygiene      Mail -> Verdict               pure
    identify     Mail -> staff or not          pure
    -- one database transaction --
    dedupe       sha256 / content key seen?    a duplicate changes nothing (mail/identity.py)
    lookup       the complaints it may join    read, locked
    match        -> role + complaint           pure
    decide       -> Plan                       pure
    apply        Plan -> rows + outbox rows    the only writer
    -- commit --

Anything that goes wrong after the raw bytes are stored quarantines the
message with the reason; `ingest` returns only once the message is durably
stored one way or the other, which is what lets a source (IMAP, SMTP, the MTA
pipe) acknowledge it.

`ingest_batch` does the same for many messages with one archive flush and one
transaction: a backlog pays for one commit per batch, not per message. Each
message runs in its own savepoint, so one that fails is rolled back alone and
quarantined in the same batch; a database error aborts the whole batch, which
is then retried as a whole (dedupe by sha256 and content key makes that exact).
`ingest` is a batch of one.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Sequence

import peewee as pw

from gateway.desk import tracking
from gateway.desk.plan import OutMail
from gateway.desk.policy import Policy
from gateway.desk.view import naive
from gateway.ingest.apply import Incoming, apply
from gateway.ingest.decide import Inputs, decide
from gateway.ingest.digest import recent_complaints_from
from gateway.ingest.match import match
from gateway.ingest.reader import Reader, read_inline
from gateway.ingest.staff import Identity, StaffPolicy, claims_staff, identify
from gateway.mail import bounces, forward, hygiene, verp
from gateway.mail.identity import content_key, header_key, legacy_key, previous_key
from gateway.mail.parse import Mail, Unprocessable
from gateway.mail.readable import unreadable
from gateway.outbound.enqueue import dedupe_key, queue
from gateway.store import lookup
from gateway.store.archive import Archive
from gateway.store.models import Message, OutgoingMail, write_transaction
from gateway.store.private import secret_key

log = logging.getLogger("gateway.pipeline")

# Without authentication a From is all we have, and anyone can write one: a staff address may
# only act on a complaint (answer the customer, change its status) by replying to a mail the
# desk sent staff about it, whose Message-ID an outsider never saw.
UNPROVEN = Identity(False, True, "the sender's address was not authenticated and the mail is not a reply to "
                                 "the desk's mail to staff about this complaint", code="unproven")

Note = Callable[[], None]  # a log line that may only be written once its transaction has committed


@dataclass(frozen=True)
class IngestOutcome:
    state: str  # processed | quarantined | duplicate
    sha256: str
    message_id: str = ""
    tracking: str = ""
    kind: str = ""
    reason: str = ""

    @property
    def quarantined(self) -> bool:
        return self.state == "quarantined"

    def line(self) -> str:
        parts = [self.state, self.tracking or "-", f"<{self.message_id}>" if self.message_id else "-", self.kind or "-"]
        return " ".join(parts) + (f" reason={self.reason!r}" if self.reason else "")


@dataclass(frozen=True)
class Arrival:
    """One archived message on its way in. `problem` is why it is quarantined unprocessed
    (unparseable, too large); `notice` tells a person who sent it."""

    raw: bytes
    digest: str
    source: str
    mail: Mail | None = None
    problem: str = ""
    whole: bool = True  # `mail` was read from all of the bytes (a mail too large: from its header only)
    notice: OutMail | None = None
    stored_as: tuple[int, str] | None = None  # (row id, Message-ID) of these very bytes, stored already:
    # never read again (a poison mail a sender retries meets its quarantined copy, not the parser)


def arrival_keys(arrival: Arrival) -> tuple[str | None, str | None, str | None]:
    """(its content key, the v1 key and the legacy key rows stored before v2 or before content keys
    carry): what else, besides its bytes, makes a stored row the same mail (mail/identity.py). A mail
    too large to read whole has only the keys its header makes."""
    mail = arrival.mail
    if mail is None:
        return None, None, None
    key = content_key(mail) if arrival.whole else header_key(mail)
    if not mail.message_id:
        return key, None, None
    return key, previous_key(mail) if arrival.whole else None, legacy_key(mail.message_id, mail.sender)


class Pipeline:
    def __init__(self, policy: Policy, database: pw.Database, archive: Archive):
        self.policy, self.database, self.archive = policy, database, archive
        config = policy.config
        self.prefix = config.gateway.tracking_prefix
        self.languages = config.gateway.languages
        self.own_addresses = frozenset({policy.address})
        self.reader: Reader = read_inline(self.languages)  # the daemon's reads within a budget (gateway/ingest/reader.py)
        self.quiet = False  # `gateway import` of history: store and decide, but queue no mail to anyone
        # a bounce to a VERP return path of ours names its outbox row (gateway/mail/verp.py)
        self.verp_key = secret_key(config.resolve(config.outbound.verp_key_file)) if config.outbound.verp else b""
        self.staff_policy = StaffPolicy(
            addresses=frozenset(a.lower() for a in config.staff.addresses) | policy.rules_staff_addresses,
            domains=frozenset(d.lower() for d in config.staff.domains),
            require_authentication=config.staff.require_authentication,
            authserv_ids=frozenset(a.lower().rstrip(".") for a in config.staff.authserv_id))

    def ingest(self, raw: bytes, source: str, now: datetime) -> IngestOutcome:
        return self.ingest_batch([raw], source, now)[0]

    def ingest_batch(self, raws: Sequence[bytes], source: str,
                     now: datetime | Sequence[datetime]) -> list[IngestOutcome]:
        """Store every message, one outcome each in order; returns only after the commit.
        Raises (storing nothing) when the database is away: the source keeps the mail and retries.
        `now` may be one time per message (`gateway import`: each message at its own date)."""
        nows = [now] * len(raws) if isinstance(now, datetime) else list(now)
        with self.archive.begin(raws) as archived:  # on disk now; made durable while we work
            seen = lookup.stored_digests(archived.digests)
            arrivals = [Arrival(raw, digest, source, stored_as=seen[digest]) if digest in seen
                        else self.arrive(raw, digest, source) for raw, digest in zip(raws, archived.digests)]
            notes: list[Note] = []
            with write_transaction(self.database):
                outcomes = [self.store(arrival, at, notes) for arrival, at in zip(arrivals, nows, strict=True)]
                archived.settle()  # durable and in place before the commit names them
        for note in notes:
            note()
        return outcomes

    def arrive(self, raw: bytes, digest: str, source: str) -> Arrival:
        if len(raw) > self.policy.config.storage.max_message_bytes:
            return self.too_large(raw, digest, source)
        try:
            mail = self.reader(raw)
        except Unprocessable as exc:
            return Arrival(raw, digest, source, problem=str(exc))
        nothing = unreadable(mail)
        if nothing:  # quarantined: no complaint, no acknowledgement of nothing
            return Arrival(raw, digest, source, mail, problem=nothing)
        for part in mail.attachments:
            self.archive.store_blob(part.payload)
        return Arrival(raw, digest, source, mail)

    def store(self, arrival: Arrival, now: datetime, notes: list[Note]) -> IngestOutcome:
        """One message inside the batch's transaction, in its own savepoint."""
        if arrival.stored_as:
            row, message_id = arrival.stored_as
            return IngestOutcome("duplicate", arrival.digest, message_id, reason=f"same as message {row}")
        if arrival.problem:
            return self.quarantine(arrival, now, arrival.problem, notes)
        try:
            return self.process(arrival, now, notes)
        except (pw.OperationalError, pw.InterfaceError):
            raise  # the database is away: never quarantine for that
        except Exception as exc:  # a bug or a bad rule must not lose the mail
            log.exception("processing failed", extra={"sha256": arrival.digest,
                                                      "message_id": arrival.mail.message_id if arrival.mail else ""})
            return self.quarantine(arrival, now, f"processing failed: {type(exc).__name__}: {exc}", notes)

    def process(self, arrival: Arrival, now: datetime, notes: list[Note],
                replacing: int | None = None) -> IngestOutcome:
        mail, digest = arrival.mail, arrival.digest
        assert mail is not None
        verdict = hygiene.assess(mail, self.own_addresses)
        returned_to = verp.rows_returned_to(mail, self.policy.address, self.verp_key) \
            if verdict.kind == "bounce" and self.verp_key else ()
        bounce = hygiene.bounce_report(mail, arrival.raw, bool(returned_to)) if verdict.kind == "bounce" else None
        who = identify(mail, self.staff_policy)
        if arrival.source == "web" and who.is_staff:  # the portal's forms speak for customers, never for staff
            who = Identity(False, True, "written on the customer portal", code="portal")
        keys = arrival_keys(arrival)
        for attempt in range(3):
            try:
                with self.database.atomic():  # a savepoint: a failure rolls back this message only
                    if replacing:
                        Message.delete_by_id(replacing)
                    seen = lookup.already_stored(digest, keys)
                    if seen:
                        return IngestOutcome("duplicate", digest, mail.message_id, reason=f"same as message {seen.id}")
                    returned = tuple(bounces.Sent(*row) for row in lookup.outgoing_rows(returned_to))
                    by_tracking, by_reference, found = lookup.find_thread(
                        mail, self.prefix, tuple(r.message_id for r in returned) + bounce.original_message_ids
                        if bounce else ())
                    thread = lookup.thread_view(by_tracking, by_reference, found, self.policy.staff_addresses_for)
                    ours = bounces.attribute(bounce, tuple(
                        bounces.Sent(*row) for row in lookup.outgoing_recipients(bounce.original_message_ids)
                    ), returned) if bounce else bounces.NOTHING
                    matched = match(mail.sender, who.is_staff, thread)
                    if who.needs_proof and matched.role == "staff" and matched.complaint is not None \
                            and not lookup.replies_to_staff_mail(mail, matched.complaint.id):
                        who = UNPROVEN
                        matched = match(mail.sender, False, thread)
                    # a staff From we do not believe may still forward the complaint's own customer's mail
                    unproven_on_complaint = who.claims_staff and matched.role == "stranger" and matched.linked is not None
                    forwarded = self.forwarded(mail) \
                        if (who.is_staff and matched.role in ("new", "staff")) or unproven_on_complaint else None
                    before = None
                    if matched.role == "new" and isinstance(forwarded, forward.Forwarded):
                        earlier = lookup.complaint_with_event(forwarded.key)
                        before = lookup.complaint_view(earlier, self.policy.staff_addresses_for(earlier)) \
                            if earlier else None
                    recent = recent_complaints_from(mail.sender, now) \
                        if matched.role in ("new", "stranger") and not who.is_staff and not verdict.automatic else 0
                    plan = decide(Inputs(
                        mail=mail, verdict=verdict, identity=who, match=matched, now=now,
                        new_tracking=tracking.make(self.prefix, now.astimezone(self.policy.tz).year),
                        source=arrival.source, bounce_ids=ours.failed_ids, bounce_recipients=ours.bouncing,
                        bounce_permanent=bool(ours.failed_ids),
                        known_language=lookup.customer_language(mail.sender), forwarded=forwarded,
                        registered_before=before, sender_recent_new=recent), self.policy)
                    if self.quiet:
                        plan = replace(plan, outgoing=())
                    attachments = mail.attachments
                    if plan.message_kind in ("forward", "forwarded_customer", "forward_again") \
                            and isinstance(forwarded, forward.Forwarded):
                        attachments = forwarded.original.attachments  # the customer's, not the .eml around them
                    incoming = Incoming(digest, mail.message_id, len(arrival.raw), arrival.source, mail.sender,
                                        mail.subject, human=not verdict.automatic, attachments=attachments,
                                        content_key=keys[0], shortened=mail.shortened)
                    complaint = apply(plan, incoming, now, self.policy)
            except pw.IntegrityError as exc:
                if lookup.already_stored(digest, keys):  # another process stored it meanwhile
                    return IngestOutcome("duplicate", digest, mail.message_id, reason="stored concurrently")
                if attempt < 2:
                    continue  # a tracking number collision: draw another
                if replacing:
                    raise  # `quarantine retry`: the row stays quarantined, the caller hears why
                # the same unique key three times and nothing stored: a bug, not a duplicate; keep the mail
                return self.quarantine(arrival, now, f"unique key failure: {str(exc)[:300]}", notes)
            tracking_number = complaint.tracking if complaint else ""
            notes.append(lambda: log.info("processed", extra={
                "tracking": tracking_number, "message_id": mail.message_id, "source": arrival.source,  # noqa: B023 (the loop returns right after)
                "kind": plan.message_kind, "role": matched.role, "sha256": digest}))  # noqa: B023 (the loop returns right after)
            return IngestOutcome("processed", digest, mail.message_id, tracking_number, plan.message_kind)
        raise AssertionError("unreachable")

    def forwarded(self, mail: Mail) -> forward.Result:
        """The customer mail a staff member forwarded; its attachments go to the archive
        (content-addressed, so a retry or a duplicate writes nothing twice)."""
        found = forward.find(mail, self.is_colleague, self.languages)
        if isinstance(found, forward.Forwarded):
            for part in found.original.attachments:
                self.archive.store_blob(part.payload)
        return found

    def is_colleague(self, address: str) -> bool:
        """Staff and the gateway itself: a forward from them is followed down to the customer."""
        return address.lower() in self.own_addresses or claims_staff(address, self.staff_policy)

    def too_large(self, raw: bytes, digest: str, source: str) -> Arrival:
        """Stored and quarantined unparsed; a person who sent it is told, once a day at most."""
        limit = self.policy.config.storage.max_message_bytes
        head = re.split(rb"\r?\n\r?\n", raw[:256 * 1024], maxsplit=1)[0] + b"\r\n\r\n"
        try:
            mail: Mail | None = self.reader(head)
        except Unprocessable:
            mail = None
        notice = None
        if mail and not hygiene.assess(mail, self.own_addresses).automatic:
            language = self.policy.detect_language(mail.subject)
            notice = OutMail("too_large", mail.sender, "customer", language, threaded=False)
        return Arrival(raw, digest, source, mail, f"message larger than {limit} bytes", notice=notice, whole=False)

    def quarantine(self, arrival: Arrival, now: datetime, reason: str, notes: list[Note]) -> IngestOutcome:
        """Keep the raw bytes and the reason; `quarantine retry` reprocesses it."""
        mail, digest = arrival.mail, arrival.digest
        message_id = mail.message_id if mail else ""
        keys = arrival_keys(arrival)
        with self.database.atomic():
            seen = lookup.already_stored(digest, keys)
            if seen:
                return IngestOutcome("duplicate", digest, message_id, reason=f"same as message {seen.id}")
            Message.create(direction="in", message_id=message_id[:998] or None, sha256=digest, content_key=keys[0],
                           size=len(arrival.raw),
                           source=arrival.source, sender=(mail.sender if mail else "")[:320],
                           subject=(mail.subject if mail else "")[:500], kind="quarantined", state="quarantined",
                           reason=reason, received_at=naive(now))
            trigger = f"{now:%Y-%m-%d}"
            notice = arrival.notice
            if notice and not self.quiet and not OutgoingMail.select().where(
                    OutgoingMail.dedupe_key == dedupe_key(notice, trigger)).exists():
                queue(notice, None, now, self.policy.address, trigger)
        notes.append(lambda: log.warning("quarantined", extra={"sha256": digest, "message_id": message_id,
                                                               "source": arrival.source, "reason": reason}))
        return IngestOutcome("quarantined", digest, message_id, reason=reason)

    def retry(self, message: Message, now: datetime) -> IngestOutcome:
        """Reprocess a quarantined message (after a fix), replacing its row; errors propagate."""
        raw = self.archive.load(message.sha256)
        try:
            mail = self.reader(raw)
        except Unprocessable as exc:
            return IngestOutcome("quarantined", message.sha256, message.message_id or "", reason=str(exc))
        notes: list[Note] = []
        with write_transaction(self.database):
            outcome = self.process(Arrival(raw, message.sha256, message.source, mail), now, notes,
                                   replacing=message.id)
        for note in notes:
            note()
        return outcome
