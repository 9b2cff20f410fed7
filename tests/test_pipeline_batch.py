"""`Pipeline.ingest_batch`: many messages, one transaction, the same outcomes as one by one.

In-process against a real runtime; the savepoint behaviour is checked on both
SQLite and PostgreSQL, whose failed statements poison a transaction unless a
savepoint catches them.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import peewee as pw
import pytest

from gateway import config as config_module
from gateway.ingest import pipeline as pipeline_module
from gateway.service.runtime import Runtime
from gateway.store.models import Complaint, Message, OutgoingMail
from gatewaykit import mail, write_config

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)  # Monday 10:00 in Baku
MALFORMED = b"Subject: no sender here\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nbroken"


def open_runtime(directory: Path, database: str = "sqlite:///storage/gateway.db") -> Runtime:
    return Runtime.open(config_module.load(write_config(directory, database=database)))


@pytest.fixture(params=["sqlite", "postgresql"])
def runtime(request, tmp_path: Path) -> Iterator[Runtime]:
    url = "sqlite:///storage/gateway.db"
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres").create_database()
    opened = open_runtime(tmp_path, url)
    yield opened
    opened.close()


def complaint(n: int, **fields: str) -> bytes:
    return mail(sender=f"c{n}@example.az", subject=f"Order {n} late", body="My order has not arrived.",
                message_id=f"<batch-{n}@example.az>", **fields)


def incoming_states() -> list[tuple[str | None, str]]:
    return [(m.message_id, m.state) for m in Message.select().where(Message.direction == "in").order_by(Message.id)]


def test_good_bad_and_duplicate_mail_in_one_batch(runtime):
    first = runtime.pipeline.ingest(complaint(0), "imap", NOW)
    outcomes = runtime.pipeline.ingest_batch([complaint(1), MALFORMED, complaint(2), complaint(0)], "imap", NOW)
    assert [o.state for o in outcomes] == ["processed", "quarantined", "processed", "duplicate"]
    assert [o.quarantined for o in outcomes] == [False, True, False, False]
    assert outcomes[1].reason and "From" in outcomes[1].reason
    assert outcomes[0].tracking != outcomes[2].tracking and all(o.tracking.startswith("CC-") for o in outcomes[::2])
    assert outcomes[3].reason == f"same as message {Message.get(Message.sha256 == first.sha256).id}"
    assert incoming_states() == [("batch-0@example.az", "processed"), ("batch-1@example.az", "processed"),
                                 (None, "quarantined"), ("batch-2@example.az", "processed")]
    acks = [r.recipient for r in OutgoingMail.select().where(OutgoingMail.kind == "ack").order_by(OutgoingMail.id)]
    assert acks == ["c0@example.az", "c1@example.az", "c2@example.az"]


def test_batch_outcomes_equal_one_by_one(tmp_path):
    raws = [complaint(1), MALFORMED, complaint(2), complaint(1), mail(sender="mailer-daemon@example.az",
                                                                      subject="Auto: out of office")]
    one_by_one = open_runtime(tmp_path / "single")
    singles = [one_by_one.pipeline.ingest(raw, "pipe", NOW) for raw in raws]
    one_by_one.close()
    batched = open_runtime(tmp_path / "batch")
    batch = batched.pipeline.ingest_batch(raws, "pipe", NOW)
    batched.close()

    def comparable(outcome):
        return outcome.state, outcome.sha256, outcome.message_id, outcome.kind, bool(outcome.tracking)

    assert [comparable(o) for o in batch] == [comparable(o) for o in singles]


def test_the_same_message_id_twice_in_one_batch_is_stored_once(runtime):
    again = complaint(7, headers={"Received": "from relay2 by mx; Mon, 23 Nov 2026 10:01:00 +0400"})
    outcomes = runtime.pipeline.ingest_batch([complaint(7), again], "imap", NOW)
    assert [o.state for o in outcomes] == ["processed", "duplicate"]
    assert outcomes[0].sha256 != outcomes[1].sha256
    assert Complaint.select().count() == 1 and len(incoming_states()) == 1


def test_a_message_that_breaks_processing_is_quarantined_alone(runtime, monkeypatch):
    real_decide = pipeline_module.decide

    def decide(inputs, policy):
        plan = real_decide(inputs, policy)
        if "poison" in inputs.mail.subject:
            raise RuntimeError("a bad rule")  # after lookups: its savepoint has work to undo
        return plan

    monkeypatch.setattr(pipeline_module, "decide", decide)
    outcomes = runtime.pipeline.ingest_batch(
        [complaint(1), mail(sender="p@example.az", subject="poison", message_id="<poison@example.az>"),
         complaint(2)], "imap", NOW)
    assert [o.state for o in outcomes] == ["processed", "quarantined", "processed"]
    assert outcomes[1].reason == "processing failed: RuntimeError: a bad rule"
    assert incoming_states() == [("batch-1@example.az", "processed"), ("poison@example.az", "quarantined"),
                                 ("batch-2@example.az", "processed")]
    assert Complaint.select().count() == 2


def test_a_database_error_mid_batch_stores_nothing_and_the_retry_is_exact(runtime, monkeypatch):
    real_apply = pipeline_module.apply

    def apply(plan, incoming, now, policy):
        if incoming.message_id == "batch-2@example.az":
            raise pw.OperationalError("database is away")
        return real_apply(plan, incoming, now, policy)

    raws = [complaint(1), MALFORMED, complaint(2), complaint(3)]
    monkeypatch.setattr(pipeline_module, "apply", apply)
    with pytest.raises(pw.OperationalError):
        runtime.pipeline.ingest_batch(raws, "imap", NOW)
    assert incoming_states() == [] and Complaint.select().count() == 0 and OutgoingMail.select().count() == 0

    monkeypatch.setattr(pipeline_module, "apply", real_apply)
    outcomes = runtime.pipeline.ingest_batch(raws, "imap", NOW)
    assert [o.state for o in outcomes] == ["processed", "quarantined", "processed", "processed"]
    assert [o.state for o in runtime.pipeline.ingest_batch(raws, "imap", NOW)] == ["duplicate"] * 4
    assert Complaint.select().count() == 3


def test_every_message_is_durable_in_the_archive_before_the_commit(runtime, monkeypatch):
    raws = [complaint(1), complaint(2), MALFORMED]
    digests = [hashlib.sha256(raw).hexdigest() for raw in raws]
    at_commit: list[bool] = []
    real_commit = runtime.database.commit

    def commit():
        at_commit.append(all(runtime.archive.path_for(d).exists() for d in digests))
        return real_commit()
    monkeypatch.setattr(runtime.database, "commit", commit)
    runtime.pipeline.ingest_batch(raws, "imap", NOW)
    assert at_commit and all(at_commit)
    assert [runtime.archive.load(d) for d in digests] == raws
    assert not list(runtime.archive.root.rglob(".tmp-*"))


def test_a_batch_the_database_refuses_leaves_no_temporary_files(runtime, monkeypatch):
    def refuse(*args, **kwargs):
        raise pw.OperationalError("database is locked")
    monkeypatch.setattr(runtime.pipeline, "store", refuse)
    with pytest.raises(pw.OperationalError):
        runtime.pipeline.ingest_batch([complaint(7)], "imap", NOW)
    assert not list(runtime.archive.root.rglob(".tmp-*"))


def test_a_unique_key_failure_that_is_no_duplicate_quarantines_the_mail(runtime, monkeypatch):
    """A bug that always hits a unique key (here: every tracking number drawn is taken) must not
    make the mail a 'duplicate' acknowledged to the source while nothing was stored."""
    first = runtime.pipeline.ingest(complaint(0), "imap", NOW)
    monkeypatch.setattr(pipeline_module.tracking, "make", lambda prefix, year: first.tracking)
    outcome = runtime.pipeline.ingest(complaint(1), "imap", NOW)
    assert outcome.state == "quarantined" and outcome.reason.startswith("unique key failure")
    stored = Message.get(Message.message_id == "batch-1@example.az")
    assert stored.state == "quarantined" and "unique key failure" in stored.reason
    assert runtime.pipeline.ingest(complaint(1), "imap", NOW).state == "duplicate"  # the MTA's retry: no second row
    monkeypatch.undo()
    retried = runtime.pipeline.retry(stored, NOW)
    assert retried.state == "processed" and retried.tracking != first.tracking


def test_a_one_megabyte_display_name_is_not_stored_as_the_customers_name(runtime):
    from gateway.store.models import Customer
    raw = mail(sender="long@example.az", name="A" + "a" * 1_000_000, message_id="<long-name@example.az>")
    outcome = runtime.pipeline.ingest(raw, "smtp", NOW)
    assert outcome.state == "processed"
    assert Customer.get(Customer.email == "long@example.az").name == ""
