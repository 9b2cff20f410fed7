"""Schema creation and upgrades (gateway.store.migrate) on SQLite and a real private PostgreSQL."""
from __future__ import annotations

import logging
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Iterator

import peewee as pw
import pytest

from gateway.store import migrate
from gateway.store.migrate import STEPS, SchemaVersion, Step, add_column_if_missing, open_database
from gateway.store.models import MODELS, BaseModel, Lease, OutgoingMail
from gatewaykit import gateway, write_config


class OldLease(BaseModel):
    """The lease table as the first release created it (before step 2)."""

    name = pw.CharField(max_length=500, unique=True)
    holder = pw.CharField(max_length=200)
    expires_at = pw.DateTimeField()

    class Meta:
        table_name = "lease"


class Widget(BaseModel):
    name = pw.CharField()


class WidgetWithColour(BaseModel):
    name = pw.CharField()
    colour = pw.CharField(default="blue")

    class Meta:
        table_name = "widget"


WIDGET_COLOUR = Step(99, "widget.colour", lambda d: add_column_if_missing(d, WidgetWithColour, "colour"))
LATEST = max(s.version for s in STEPS)
ALL = tuple(range(1, LATEST + 1))  # every step, in order


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gateway.db'}"
    return request.getfixturevalue("postgres").create_database()


@pytest.fixture
def bare(url: str) -> Iterator[pw.Database]:
    """The database, models bound, nothing created."""
    database = open_database(url, migrate=False)
    yield database
    database.close()


def columns(database: pw.Database, table: str) -> set[str]:
    return {c.name for c in database.get_columns(table)}


def index_names(database: pw.Database, table: str) -> set[str]:
    return {i.name for i in database.get_indexes(table)}


def test_fresh_database_gets_every_table_and_every_step(bare):
    applied = migrate.upgrade(bare)
    assert [s.version for s in applied] == [s.version for s in STEPS]
    assert {m._meta.table_name for m in MODELS} | {"schema_version"} <= set(bare.get_tables())
    assert "acquired_at" in columns(bare, "lease")
    assert {"outgoing_mail_claim", "outgoing_mail_recipient_sent"} <= set(index_names(bare, "outgoing_mail"))
    assert migrate.state(bare) == migrate.SchemaState(LATEST, LATEST, ALL)
    assert migrate.upgrade(bare) == []


def test_database_of_the_first_release_is_upgraded_keeping_its_rows(bare):
    first_release = tuple(m for m in MODELS if m is not Lease) + (OldLease,)
    bare.create_tables(first_release)
    OldLease.create(name="imap://care", holder="old-host:1", expires_at=datetime(2026, 1, 1))
    assert migrate.state(bare).pending == ALL

    assert tuple(s.version for s in migrate.upgrade(bare)) == ALL
    row = Lease.get(Lease.name == "imap://care")
    assert (row.holder, row.acquired_at) == ("old-host:1", None)
    assert "outgoing_mail_claim" in index_names(bare, "outgoing_mail")
    assert migrate.state(bare).pending == ()


def test_complaints_stored_before_step_4_get_the_registrar_columns(bare):
    """Step 4 adds complaint.registered_by/registrar_name; older complaints read as "not registered by staff"."""
    from playhouse.migrate import SchemaMigrator
    from playhouse.migrate import migrate as run_migration
    bare.create_tables(MODELS)
    run_migration(SchemaMigrator.from_database(bare).drop_column("complaint", "registered_by"),
                  SchemaMigrator.from_database(bare).drop_column("complaint", "registrar_name"))
    assert "registered_by" not in columns(bare, "complaint")
    migrate.upgrade(bare)
    assert {"registered_by", "registrar_name", "channel"} <= columns(bare, "complaint")


def test_messages_stored_before_step_8_keep_their_message_id_as_a_key_with_their_sender(bare):
    """Step 8: a Message-ID is no longer unique; old rows get a legacy key (Message-ID + sender),
    so the same mail arriving again after the upgrade is still a duplicate."""
    from playhouse.migrate import SchemaMigrator
    from playhouse.migrate import migrate as run_migration

    from gateway.mail.identity import legacy_key
    from gateway.store.lookup import already_stored
    from gateway.store.models import Message
    bare.create_tables(MODELS)  # then as releases before step 8 had it: a unique Message-ID, no content key
    bare.execute_sql('DROP INDEX "message_message_id"')
    bare.execute_sql('CREATE UNIQUE INDEX "message_message_id" ON "message" ("message_id")')
    run_migration(SchemaMigrator.from_database(bare).drop_column("message", "content_key"))
    at = datetime(2026, 1, 1)
    for direction, message_id, digest, sender in (("in", "a@x", "1", "cust@example.az"),
                                                  ("out", "b@care", "2", "care@shop.test")):
        Message.insert(direction=direction, message_id=message_id, sha256=digest * 64, sender=sender,
                       received_at=at).execute()
    migrate.upgrade(bare)
    rows = {m.message_id: m.content_key for m in Message.select()}
    assert rows == {"a@x": legacy_key("a@x", "cust@example.az"), "b@care": None}
    assert not any(i.unique for i in bare.get_indexes("message") if list(i.columns) == ["message_id"])
    assert already_stored("3" * 64, ("a" * 64, legacy_key("a@x", "cust@example.az"))).message_id == "a@x"
    assert already_stored("3" * 64, ("a" * 64, legacy_key("a@x", "other@example.az"))) is None
    Message.create(direction="in", message_id="a@x", sha256="3" * 64, sender="other@example.az",
                   content_key="a" * 64, received_at=at)  # the same Message-ID from someone else: its own row
    with pytest.raises(pw.IntegrityError), bare.atomic():
        Message.create(direction="in", message_id="a@x", sha256="4" * 64, content_key="a" * 64, received_at=at)
    assert migrate.upgrade(bare) == [] and migrate.state(bare).pending == ()


def test_rows_keyed_before_v2_are_met_by_the_copies_of_their_mail_and_need_no_step(bare):
    """The v2 key (Message-ID, sender, Date) needs the Date, which rows do not hold, so no step can
    re-key them; a copy arriving after the upgrade meets a row stored this morning by its v1 key
    (mail/identity.previous_key), and a same-sender mail reusing the Message-ID with another Date
    and text is still stored."""
    from gateway.ingest.pipeline import Arrival, arrival_keys
    from gateway.mail.identity import previous_key
    from gateway.mail.parse import parse
    from gateway.store.lookup import already_stored
    from gateway.store.models import Message
    migrate.upgrade(bare)
    raw = (b"From: aysel@example.az\r\nSubject: Order late\r\nMessage-ID: <v1@example.az>\r\n"
           b"Date: Mon, 23 Nov 2026 10:00:00 +0400\r\n\r\nMy order is late.\r\n")
    Message.create(direction="in", message_id="v1@example.az", sha256="5" * 64, sender="aysel@example.az",
                   content_key=previous_key(parse(raw)), received_at=datetime(2026, 11, 23))
    copy = b"Received: from mx2 by imap; Mon, 23 Nov 2026 10:00:05 +0400\r\n" + raw
    assert already_stored("6" * 64, arrival_keys(Arrival(copy, "6" * 64, "imap", parse(copy)))).sha256 == "5" * 64
    reused = raw.replace(b"10:00:00", b"18:30:00").replace(b"My order is late.", b"Another order is broken.")
    assert already_stored("7" * 64, arrival_keys(Arrival(reused, "7" * 64, "pipe", parse(reused)))) is None


def test_outbox_rows_stored_before_step_5_get_a_claim_token_column(bare):
    """Step 5 adds outgoing_mail.claim_token; a row queued before it reads as unclaimed."""
    from playhouse.migrate import SchemaMigrator
    from playhouse.migrate import migrate as run_migration
    bare.create_tables(MODELS)
    run_migration(SchemaMigrator.from_database(bare).drop_column("outgoing_mail", "claim_token"))
    assert "claim_token" not in columns(bare, "outgoing_mail")
    migrate.upgrade(bare)
    assert "claim_token" in columns(bare, "outgoing_mail")


def test_a_column_step_converges_on_old_and_fresh_tables(bare):
    bare.create_tables([Widget])
    Widget.create(name="kept")
    migrate.upgrade(bare, steps=STEPS + (WIDGET_COLOUR,), models=MODELS + (Widget,))
    assert WidgetWithColour.get().colour == "blue"  # existing row got the default
    assert migrate.upgrade(bare, steps=STEPS + (WIDGET_COLOUR,), models=MODELS + (Widget,)) == []
    assert SchemaVersion.get_by_id(99).name == "widget.colour"


def test_a_column_step_is_a_no_op_when_the_model_already_created_it(bare):
    migrate.upgrade(bare, steps=STEPS + (WIDGET_COLOUR,), models=MODELS + (WidgetWithColour,))
    assert columns(bare, "widget") == {"id", "name", "colour"}
    assert 99 in migrate.state(bare, STEPS + (WIDGET_COLOUR,)).applied


def test_steps_a_newer_gateway_applied_are_reported_not_fatal(bare, caplog):
    migrate.upgrade(bare)
    SchemaVersion.create(version=42, name="from the future", applied_at=datetime(2030, 1, 1))
    caplog.set_level(logging.WARNING, logger="gateway.migrate")
    assert migrate.upgrade(bare) == []
    assert any(getattr(r, "versions", None) == [42] for r in caplog.records)


def test_gateway_migrate_command(tmp_path, url):
    config = write_config(tmp_path, database=url)
    first = gateway(config, "migrate").stdout.decode()
    assert "applied 1:" in first and f"applied {LATEST}:" in first and f"schema version {LATEST} (latest {LATEST})" in first
    again = gateway(config, "migrate").stdout.decode()
    assert "applied" not in again and f"schema version {LATEST}" in again


def test_concurrent_upgrades_on_postgres_take_turns(postgres, tmp_path):
    """Several daemons starting at once on one fresh database all come up."""
    config = write_config(tmp_path, database=postgres.create_database())
    commands = [subprocess.Popen([sys.executable, "-m", "gateway", "--config", str(config), "migrate"],
                                 cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    results = [(p.wait(60), p.stdout.read().decode(), p.stderr.read().decode()) for p in commands]
    assert [code for code, _, _ in results] == [0, 0, 0, 0], results
    outputs = "".join(out for _, out, _ in results)
    assert outputs.count("applied 1:") == 1 and outputs.count("applied 2:") == 1
    database = open_database(postgres.url(config_database_name(config)), migrate=False)
    try:
        assert tuple(r.version for r in SchemaVersion.select().order_by(SchemaVersion.version)) == ALL
        assert OutgoingMail.select().count() == 0
    finally:
        database.close()


def config_database_name(config: Path) -> str:
    line = next(x for x in config.read_text().splitlines() if x.startswith("database ="))
    return line.split("/")[-1].strip('"')
