"""PostgreSQL as the gateway's database: same features as SQLite, and surviving restarts.

Against the suite's private PostgreSQL cluster (tests/servers.py); the restart
tests stop and start that cluster, which only cuts connections.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from gateway import config as config_module
from gateway.service.runtime import Runtime
from gateway.store.models import CONNECTION_ERRORS, Complaint, Message, ReconnectingPostgresqlDatabase
from gatewaykit import gateway, listing, mail, outgoing, show, write_config

NOW = "2026-11-23T10:00:00+04:00"


@pytest.fixture(params=["sqlite", "postgresql"])
def config(request, tmp_path: Path) -> Path:
    url = "sqlite:///storage/gateway.db"
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres").create_database()
    return write_config(tmp_path, database=url)


def test_the_same_commands_give_the_same_results_on_both_backends(config, tmp_path):
    (tmp_path / "new.eml").write_bytes(mail(subject="Broken kettle", body="The kettle stopped working."))
    line = gateway(config, "ingest", "--now", NOW, str(tmp_path / "new.eml")).stdout.decode()
    tracking = line.split()[2]
    assert " processed " in line and tracking.startswith("CC-")
    (tmp_path / "again.eml").write_bytes(mail(subject=f"Re: [{tracking}] Broken kettle", body="Any news?"))
    gateway(config, "ingest", "--now", NOW, str(tmp_path / "again.eml"), str(tmp_path / "new.eml"))
    gateway(config, "tick", "--now", NOW)

    complaint = show(config, tracking)
    assert complaint["customer"]["email"] == "aysel@example.az" and len(complaint["messages"]) >= 2
    assert [c["tracking"] for c in listing(config)] == [tracking]
    assert len(outgoing(config)) >= 2  # the acknowledgement and the staff notice at least
    assert gateway(config, "quarantine", "list").stdout == b""


@pytest.fixture
def pg_runtime(postgres, tmp_path):
    config = config_module.load(write_config(tmp_path, database=postgres.create_database()))
    runtime = Runtime.open(config)
    yield runtime
    if postgres._pid() is None:
        postgres.start()
    runtime.close()


def test_connections_cut_by_a_restart_are_replaced_without_a_restart(pg_runtime, postgres):
    assert isinstance(pg_runtime.database, ReconnectingPostgresqlDatabase)
    assert Complaint.select().count() == 0
    postgres.restart()
    assert Complaint.select().count() == 0  # the dead connection was replaced on the spot
    with pg_runtime.database.atomic():
        assert Message.select().count() == 0


def test_an_outage_raises_instead_of_quarantining_and_the_mail_goes_in_afterwards(pg_runtime, postgres):
    raw = mail(subject="Order late", body="Where is my order?")
    now = datetime.now(timezone.utc)
    postgres.stop()
    with pytest.raises(CONNECTION_ERRORS):
        pg_runtime.pipeline.ingest(raw, "imap", now)
    postgres.start()
    outcome = pg_runtime.pipeline.ingest(raw, "imap", now)
    assert outcome.state == "processed" and outcome.tracking
    assert [m.state for m in Message.select().where(Message.direction == "in")] == ["processed"]

