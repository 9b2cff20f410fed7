"""Schema creation and upgrades, the same on SQLite and PostgreSQL.

Two kinds of change, two mechanisms:
- a new table (a new model in models.MODELS) is created by every upgrade run
  (CREATE TABLE IF NOT EXISTS), so adding a model needs no step;
- a change to an existing table (a column, an index, a data fix) is a numbered
  Step. Steps are idempotent (they look before they change), because a fresh
  database already gets the current tables from the models and then runs every
  step: both paths must end in the same schema.

`schema_version` records each step applied. Several daemons starting at once
on one PostgreSQL run `upgrade` concurrently: a transaction-scoped advisory
lock (SQLite: BEGIN IMMEDIATE) makes them take turns, and DDL is transactional
on both engines, so a step either happened and is recorded, or neither.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import peewee as pw
from playhouse.migrate import SchemaMigrator

from gateway.store.models import (
    MODELS,
    BaseModel,
    Complaint,
    Lease,
    Message,
    OutgoingMail,
    db,
    make_database,
    write_transaction,
)

log = logging.getLogger("gateway.migrate")
UPGRADE_LOCK = 0x6761746577617901  # pg advisory lock key: "gateway\x01"


class SchemaVersion(BaseModel):
    """One row per applied Step."""

    version = pw.IntegerField(primary_key=True)
    name = pw.CharField(max_length=200)
    applied_at = pw.DateTimeField()

    class Meta:
        table_name = "schema_version"


@dataclass(frozen=True)
class Step:
    version: int
    name: str
    apply: Callable[[pw.Database], None]


@dataclass(frozen=True)
class SchemaState:
    version: int  # highest applied step (0: none)
    latest: int  # highest step this code knows
    applied: tuple[int, ...] = ()

    @property
    def pending(self) -> tuple[int, ...]:
        return tuple(v for v in range(1, self.latest + 1) if v not in self.applied)


def add_column_if_missing(database: pw.Database, model: type[pw.Model], field_name: str) -> None:
    """ALTER TABLE ADD COLUMN for `model.field_name` unless the table already has it."""
    table = model._meta.table_name
    field = model._meta.fields[field_name]
    if field.column_name in {c.name for c in database.get_columns(table)}:
        return
    SchemaMigrator.from_database(database).add_column(table, field.column_name, field).run()


def add_index_if_missing(database: pw.Database, model: type[pw.Model], name: str, *fields: pw.Field,
                         unique: bool = False) -> None:
    database.execute(pw.ModelIndex(model, fields, unique=unique, safe=True, name=name))


def _outbox_claim_index(database: pw.Database) -> None:
    """The outbox claim filters on state and orders by next_attempt_at; under several
    claiming instances this keeps each claim an index range scan."""
    add_index_if_missing(database, OutgoingMail, "outgoing_mail_claim", OutgoingMail.state,
                         OutgoingMail.next_attempt_at)


def _lease_acquired_at(database: pw.Database) -> None:
    """Since when the current holder has had the mailbox (status, failover diagnosis)."""
    add_column_if_missing(database, Lease, "acquired_at")


def _rate_limit_indexes(database: pw.Database) -> None:
    """Storm protection counts recent mail per recipient and per complaint before every
    send; without these it scans every sent row, and the outbox slows as history grows."""
    add_index_if_missing(database, OutgoingMail, "outgoing_mail_recipient_sent", OutgoingMail.recipient,
                         OutgoingMail.sent_at)
    add_index_if_missing(database, OutgoingMail, "outgoing_mail_complaint_sent", OutgoingMail.complaint,
                         OutgoingMail.sent_at)


def _complaint_registrar(database: pw.Database) -> None:
    """Who registered a complaint for a customer (a forward, a phone or visit complaint)."""
    add_column_if_missing(database, Complaint, "registered_by")
    add_column_if_missing(database, Complaint, "registrar_name")


def _complaint_sweep_failures(database: pw.Database) -> None:
    """How many deadline passes in a row failed on a complaint: past [sla] sweep_max_failures it is skipped."""
    add_column_if_missing(database, Complaint, "sweep_failures")


def _outbox_claim_token(database: pw.Database) -> None:
    """Fences an outbox claim: only the worker holding the row's current token records its outcome."""
    add_column_if_missing(database, OutgoingMail, "claim_token")


def _packed_outgoing_copies(database: pw.Database) -> None:
    """Outgoing copies' text compressed (gateway.store.packing): the column, then the rows stored before it."""
    from gateway.store.packing import pack_existing
    add_column_if_missing(database, Message, "packed")
    packed = pack_existing(database)
    if packed:
        log.info("packed the text of outgoing copies; VACUUM (SQLite) returns the space to the disk",
                 extra={"count": packed})


def _message_content_key(database: pw.Database) -> None:
    """A Message-ID is no longer unique (a clashing one hid another sender's mail): its unique
    index becomes a plain one, and message.content_key (mail/identity.py) is the unique key
    instead; rows stored before get the legacy key (Message-ID and sender)."""
    from gateway.mail.identity import legacy_key
    table = Message._meta.table_name
    for index in database.get_indexes(table):
        if index.unique and list(index.columns) == ["message_id"]:
            database.execute_sql(f'DROP INDEX "{index.name}"')
    add_index_if_missing(database, Message, "message_message_id", Message.message_id)
    add_column_if_missing(database, Message, "content_key")
    add_index_if_missing(database, Message, "message_content_key", Message.content_key, unique=True)
    legacy = Message.select(Message.id, Message.message_id, Message.sender).where(
        Message.content_key.is_null() & Message.message_id.is_null(False) & (Message.direction == "in"))
    for row in list(legacy):
        Message.update(content_key=legacy_key(row.message_id or "", row.sender or "")).where(
            Message.id == row.id).execute()


STEPS: tuple[Step, ...] = (
    Step(1, "index outgoing_mail(state, next_attempt_at) for the outbox claim", _outbox_claim_index),
    Step(2, "lease.acquired_at", _lease_acquired_at),
    Step(3, "indexes outgoing_mail(recipient, sent_at) and (complaint, sent_at) for rate limits",
         _rate_limit_indexes),
    Step(4, "complaint.registered_by, complaint.registrar_name", _complaint_registrar),
    Step(5, "outgoing_mail.claim_token", _outbox_claim_token),
    Step(6, "message.packed: outgoing copies' text compressed", _packed_outgoing_copies),
    Step(7, "complaint.sweep_failures", _complaint_sweep_failures),
    Step(8, "message.message_id not unique; message.content_key unique", _message_content_key),
)


def state(database: pw.Database, steps: tuple[Step, ...] = STEPS) -> SchemaState:
    latest = max((s.version for s in steps), default=0)
    if not database.table_exists(SchemaVersion._meta.table_name):
        return SchemaState(0, latest)
    applied = tuple(sorted(row.version for row in SchemaVersion.select(SchemaVersion.version)))
    return SchemaState(max(applied, default=0), latest, applied)


def open_database(url: str, migrate: bool = True) -> pw.Database:
    """Bind the models to the database at `url` and bring its schema up to date (`upgrade` below)."""
    if url.startswith("sqlite:///"):
        from pathlib import Path
        path = url[len("sqlite:///"):]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    database = make_database(url)
    db.initialize(database)
    database.connect(reuse_if_open=True)
    if migrate:
        upgrade(database)
    return database


def upgrade(database: pw.Database, steps: tuple[Step, ...] = STEPS,
            models: tuple[type[pw.Model], ...] = MODELS) -> list[Step]:
    """Create missing tables, then apply every step not yet recorded, in order; returns
    the steps applied now. Safe to run from several processes at once. The models
    must be bound to `database` (open_database does that first)."""
    done: list[Step] = []
    applied = _applied_when_tables_exist(database, models)
    if applied is not None and {step.version for step in steps} <= applied:
        _warn_if_newer(applied, steps)
        return done  # no DDL at all: even "IF NOT EXISTS" takes table locks that can deadlock running peers
    with write_transaction(database):
        _serialise(database)
        database.create_tables([*models, SchemaVersion], safe=True)
        applied = {row.version for row in SchemaVersion.select(SchemaVersion.version)}
        for step in sorted(steps, key=lambda s: s.version):
            if step.version in applied:
                continue
            step.apply(database)
            SchemaVersion.create(version=step.version, name=step.name[:200],
                                 applied_at=datetime.now(timezone.utc).replace(tzinfo=None))
            log.info("schema step applied", extra={"version": step.version, "step": step.name})
            done.append(step)
        _warn_if_newer(applied, steps)
    return done


def _warn_if_newer(applied: set[int], steps: tuple[Step, ...]) -> None:
    newer = sorted(applied - {s.version for s in steps})
    if newer:
        log.warning("database has schema steps this gateway does not know: a newer version upgraded it",
                    extra={"versions": newer})


def _applied_when_tables_exist(database: pw.Database, models: tuple[type[pw.Model], ...]) -> set[int] | None:
    """The recorded steps, or None when a table is missing (read-only catalogue queries)."""
    tables = set(database.get_tables())
    every: tuple[type[pw.Model], ...] = (*models, SchemaVersion)
    if any(model._meta.table_name not in tables for model in every):
        return None
    return {row.version for row in SchemaVersion.select(SchemaVersion.version)}


def _serialise(database: pw.Database) -> None:
    """Make concurrent upgrades take turns (the lock ends with the transaction)."""
    if isinstance(database, pw.PostgresqlDatabase):
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (UPGRADE_LOCK,))
