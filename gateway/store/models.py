"""Peewee models and the database connection.

One DatabaseProxy is bound to every model; `open_database(url)` points it at
SQLite (WAL, the embedded default) or PostgreSQL. Unique keys, not luck, keep
processing idempotent: a message is unique by sha256 and by its content key
(Message-ID, sender and content: the same mail over another route), an outgoing
mail by its dedupe key, an event that must happen once by its key. A Message-ID
alone is not unique: anyone can write any, and a clashing one must not hide a mail.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote, urlparse

import peewee as pw
from playhouse.shortcuts import ReconnectMixin

db = pw.DatabaseProxy()


def utcnow() -> datetime:
    """Only for defaults of bookkeeping columns; decisions take `now` as input."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class JSONField(pw.TextField):
    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value: str | None) -> Any:
        return None if value is None else json.loads(value)


class BaseModel(pw.Model):
    # What peewee adds to every model by itself, declared so a type checker sees it too: the
    # integer primary key (the same AutoField peewee would add) and the model's own exception.
    id = pw.AutoField()
    DoesNotExist: type[pw.DoesNotExist]

    class Meta:
        database = db
        legacy_table_names = False


class Customer(BaseModel):
    email = pw.CharField(max_length=320, unique=True)
    name = pw.CharField(max_length=200, default="")
    phone = pw.CharField(max_length=32, default="")
    language = pw.CharField(max_length=8, default="")
    bouncing = pw.BooleanField(default=False)
    created_at = pw.DateTimeField(default=utcnow)
    complaints: pw.ModelSelect[Complaint]  # back-reference (peewee adds it)


class Complaint(BaseModel):
    tracking = pw.CharField(max_length=32, unique=True)
    customer = pw.ForeignKeyField(Customer, backref="complaints", on_delete="RESTRICT")
    subject = pw.CharField(max_length=500, default="")
    status = pw.CharField(max_length=24, index=True)
    priority = pw.CharField(max_length=8, default="normal")
    category = pw.CharField(max_length=64, default="")
    department = pw.CharField(max_length=320, default="")
    assignee = pw.CharField(max_length=320, default="")
    language = pw.CharField(max_length=8, default="en")
    channel = pw.CharField(max_length=16, default="email")  # email | web | forward | phone | visit
    registered_by = pw.CharField(max_length=320, default="")  # staff who registered it for the customer (step 4)
    registrar_name = pw.CharField(max_length=200, default="")  # their name as they wrote it (step 4)
    sensitive = pw.BooleanField(default=False)
    reject_count = pw.IntegerField(default=0)
    linked_to = pw.ForeignKeyField("self", null=True, backref="links", on_delete="SET NULL")
    why = JSONField(default=dict)  # which rule decided category/priority/department
    created_at = pw.DateTimeField()  # UTC, naive
    updated_at = pw.DateTimeField()
    due_acknowledge = pw.DateTimeField(null=True)
    due_stage = pw.DateTimeField(null=True)  # deadline of the current stage
    due_resolve = pw.DateTimeField(null=True)
    acknowledged_at = pw.DateTimeField(null=True)
    resolved_at = pw.DateTimeField(null=True)
    closed_at = pw.DateTimeField(null=True)
    paused_at = pw.DateTimeField(null=True)  # waiting_customer: deadlines stopped
    delay_reason = pw.TextField(default="")
    last_interim_at = pw.DateTimeField(null=True)
    next_action_at = pw.DateTimeField(null=True, index=True)  # the sweep's indexed cursor
    sweep_failures = pw.IntegerField(default=0)  # deadline passes in a row that failed on it (migrate step 7)
    # added by peewee at run time, declared for the type checker: key columns, back-references
    customer_id: int
    linked_to_id: int | None
    links: pw.ModelSelect[Complaint]
    messages: pw.ModelSelect[Message]
    events: pw.ModelSelect[Event]
    outgoing: pw.ModelSelect[OutgoingMail]
    secrets: pw.ModelSelect[ComplaintSecret]


class Message(BaseModel):
    """Every mail in or out, raw bytes in the archive under its sha256."""

    complaint = pw.ForeignKeyField(Complaint, null=True, backref="messages", on_delete="SET NULL")
    direction = pw.CharField(max_length=3)  # in | out
    message_id = pw.CharField(max_length=998, null=True, index=True)  # not unique (migrate step 8)
    sha256 = pw.CharField(max_length=64, unique=True)
    # A mail in: sha256 of its Message-ID, sender and Date, or of its fingerprint (mail/identity.py content_key;
    # v1 keys of rows stored before it stay); "legacy:..." (Message-ID and sender) for rows stored before
    # migrate step 8; null with neither Message-ID nor Date, and for ours.
    # Unique: the index is made by migrate step 8 only (create_tables runs before the steps and would
    # index a column an older table does not have yet).
    content_key = pw.CharField(max_length=72, null=True)
    size = pw.IntegerField(default=0)
    source = pw.CharField(max_length=16, default="")  # smtp | imap | pipe | outbox
    sender = pw.CharField(max_length=320, default="")
    recipient = pw.CharField(max_length=320, default="")
    subject = pw.CharField(max_length=500, default="")
    kind = pw.CharField(max_length=24, default="")  # customer, staff, note, autoreply, bounce, ...
    state = pw.CharField(max_length=16, default="processed", index=True)  # processed | quarantined
    reason = pw.TextField(default="")
    text = pw.TextField(default="")  # the new text, for show/status; the original stays archived
    received_at = pw.DateTimeField()
    packed = pw.BlobField(null=True)  # our outgoing copy's text, compressed (gateway.store.packing; migrate step 6)
    complaint_id: int | None  # added by peewee (the key column), declared for the type checker
    attachments: pw.ModelSelect[AttachmentRecord]


class AttachmentRecord(BaseModel):
    """An attachment of a stored message; the bytes live in the archive under sha256."""

    message = pw.ForeignKeyField(Message, backref="attachments", on_delete="CASCADE")
    filename = pw.CharField(max_length=255, default="")
    content_type = pw.CharField(max_length=255, default="application/octet-stream")
    size = pw.IntegerField(default=0)
    sha256 = pw.CharField(max_length=64, index=True)


class Event(BaseModel):
    """The complaint's history; `key` (when set) makes an action happen once."""

    complaint = pw.ForeignKeyField(Complaint, backref="events", on_delete="CASCADE")
    at = pw.DateTimeField()
    actor = pw.CharField(max_length=320, default="gateway")
    kind = pw.CharField(max_length=32)
    from_status = pw.CharField(max_length=24, default="")
    to_status = pw.CharField(max_length=24, default="")
    detail = pw.TextField(default="")
    key = pw.CharField(max_length=200, null=True, unique=True)
    complaint_id: int  # added by peewee (the key column), declared for the type checker


class OutgoingMail(BaseModel):
    """The outbox: a row first, rendered and sent after commit by the worker."""

    complaint = pw.ForeignKeyField(Complaint, null=True, backref="outgoing", on_delete="SET NULL")
    kind = pw.CharField(max_length=32)  # template name
    language = pw.CharField(max_length=8, default="en")
    recipient = pw.CharField(max_length=320)
    audience = pw.CharField(max_length=8, default="customer")  # customer | staff
    message_id = pw.CharField(max_length=998, unique=True)
    in_reply_to = pw.CharField(max_length=998, default="")
    references = pw.TextField(default="")
    params = JSONField(default=dict)
    dedupe_key = pw.CharField(max_length=200, unique=True)
    state = pw.CharField(max_length=12, default="queued", index=True)  # queued|sent|failed|held
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(index=True)  # queued: when due; sending: the claim's expiry (DB clock)
    claim_token = pw.CharField(max_length=40, null=True)  # the claim that may send it (migrate step 5)
    last_error = pw.TextField(default="")
    created_at = pw.DateTimeField()
    sent_at = pw.DateTimeField(null=True)
    complaint_id: int | None  # added by peewee (the key column), declared for the type checker


class TextDictionary(BaseModel):
    """A preset zlib dictionary for packing outgoing copies of one kind and language
    (gateway.store.packing); never changed once written, so every copy packed with it stays readable."""

    kind = pw.CharField(max_length=32)
    language = pw.CharField(max_length=8)
    data = pw.BlobField()
    created_at = pw.DateTimeField()

    class Meta:
        indexes = ((("kind", "language"), True),)


class ComplaintSecret(BaseModel):
    """The customer's secret for tracking a complaint on the web, stored as a salted
    SHA-256 (the secret is random, ~50 bits: a slow hash would add nothing but latency)."""

    complaint = pw.ForeignKeyField(Complaint, unique=True, backref="secrets", on_delete="CASCADE")
    digest = pw.CharField(max_length=120)


class WebThrottle(BaseModel):
    """Failed tracking attempts per client address or tracking number, shared by every
    portal process through the database."""

    key = pw.CharField(max_length=200, unique=True)  # "client:1.2.3.4" | "tracking:CC-2026-..."
    failures = pw.IntegerField(default=0)
    first_at = pw.DateTimeField()
    locked_until = pw.DateTimeField(null=True)


class Checkpoint(BaseModel):
    """IMAP catch-up state per mailbox."""

    mailbox = pw.CharField(max_length=500, unique=True)
    uidvalidity = pw.BigIntegerField(default=0)
    last_uid = pw.BigIntegerField(default=0)


class Lease(BaseModel):
    """Who consumes a mailbox when several daemons share a database."""

    name = pw.CharField(max_length=500, unique=True)
    holder = pw.CharField(max_length=200)
    expires_at = pw.DateTimeField()
    acquired_at = pw.DateTimeField(null=True)  # since when `holder` has it (migrate step 2)



class SourceStatus(BaseModel):
    """What each source of a running daemon last reported: `gateway status` runs in
    another process and can only read it from here. `updated_at` is the heartbeat;
    a row that stopped beating belongs to a daemon that is gone."""

    name = pw.CharField(max_length=500)  # "smtp:127.0.0.1:2525", "imap:user@host/INBOX"
    holder = pw.CharField(max_length=200)  # host:pid of the daemon
    kind = pw.CharField(max_length=8)
    connected = pw.BooleanField(default=False)
    last_contact_at = pw.DateTimeField(null=True)
    last_mail_at = pw.DateTimeField(null=True)
    last_error = pw.TextField(default="")
    updated_at = pw.DateTimeField()

    class Meta:
        indexes = ((("name", "holder"), True),)


class JobRun(BaseModel):
    """A periodic job done for one period (e.g. the weekly report of 2026-W48): the
    unique key makes it happen once across restarts and instances."""

    key = pw.CharField(max_length=200, unique=True)
    holder = pw.CharField(max_length=200, default="")
    at = pw.DateTimeField()


MODELS: tuple[type[BaseModel], ...] = (Customer, Complaint, Message, AttachmentRecord, Event, OutgoingMail, Checkpoint,
                                       Lease, SourceStatus, JobRun, ComplaintSecret, WebThrottle, TextDictionary)


# A database that is unreachable or dropped the connection; never a reason to quarantine mail.
CONNECTION_ERRORS: tuple[type[Exception], ...] = (pw.OperationalError, pw.InterfaceError)
# libpq: give up connecting after 10 s; notice a silently dead server in about 25 s.
PG_CONNECTION_OPTIONS: dict[str, Any] = {"connect_timeout": 10, "keepalives": 1, "keepalives_idle": 10,
                         "keepalives_interval": 5, "keepalives_count": 3}


class ReconnectingPostgresqlDatabase(ReconnectMixin, pw.PostgresqlDatabase):
    """After a PostgreSQL restart or failover every thread's connection is dead; the
    next statement or BEGIN outside a transaction replaces it and runs again.
    Inside a transaction the error propagates (peewee's ReconnectMixin rule): the
    work rolls back and its caller retries it whole, never half."""

    reconnect_errors = (
        (pw.OperationalError, "server closed the connection"),
        (pw.OperationalError, "terminating connection"),
        (pw.OperationalError, "could not receive data from server"),
        (pw.OperationalError, "ssl connection has been closed unexpectedly"),
        (pw.OperationalError, "no connection to the server"),
        (pw.InterfaceError, "connection already closed"),
    )


def make_database(url: str) -> pw.Database:
    """A peewee database for a sqlite:/// or postgresql:// URL."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(url[len("sqlite:///"):]) or ":memory:"
        # synchronous=full: a commit is on disk when it returns, because what follows a commit
        # is irreversible (the SMTP client is told 250 and forgets the mail; the IMAP message
        # is moved). "normal" in WAL mode may lose the last commits on power loss (~0.4 ms a
        # commit here).
        return pw.SqliteDatabase(path, timeout=30, pragmas={
            "journal_mode": "wal", "synchronous": "full", "foreign_keys": 1, "busy_timeout": 30000})
    if parsed.scheme in ("postgresql", "postgres"):
        return ReconnectingPostgresqlDatabase(
            unquote(parsed.path.lstrip("/")), host=parsed.hostname, port=parsed.port or 5432,
            user=unquote(parsed.username or "") or None, password=unquote(parsed.password or "") or None,
            **PG_CONNECTION_OPTIONS)
    raise ValueError(f"unsupported database URL scheme {parsed.scheme!r} (use sqlite:/// or postgresql://)")


def write_transaction(database: pw.Database):
    """A transaction that takes the write lock at once (SQLite: BEGIN IMMEDIATE),
    so two processes serialise instead of failing on lock upgrade."""
    if isinstance(database, pw.SqliteDatabase):
        return database.atomic(lock_type="IMMEDIATE")
    return database.atomic()
