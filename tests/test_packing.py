"""Outgoing copies are stored packed (zlib against a per-kind dictionary) and read back whole."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest
from playhouse.migrate import SchemaMigrator
from playhouse.migrate import migrate as run_migration

from gateway import config as config_module
from gateway.service.runtime import Runtime
from gateway.store import migrate
from gateway.store.models import Message, TextDictionary
from gateway.store.packing import dictionary_id_of, message_text, pack, unpack
from gateway.store.query import complaint_json
from gatewaykit import mail, write_config

T = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
TEXTS = {
    "az": "Hörmətli müştəri, şikayətiniz qeydə alındı. İzləmə nömrəsi: CC-2026-ABCD. Cavab müddəti: 3 iş günü.",
    "ru": "Уважаемый клиент, ваша жалоба зарегистрирована. Номер: CC-2026-ABCD. Срок ответа: 3 рабочих дня.",
    "tr": "Sayın müşterimiz, şikâyetiniz kaydedildi. Takip numarası: CC-2026-ABCD. Yanıt süresi: 3 iş günü.",
    "en": "Dear customer, your complaint is registered. Tracking number: CC-2026-ABCD. Answer within 3 days.",
}


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_pack_round_trips_with_and_without_a_dictionary(lang):
    text = TEXTS[lang] + "\n\n— Shop Care\n"
    for dictionary_id, dictionary in ((0, b""), (7, TEXTS[lang].encode())):
        packed = pack(text, dictionary_id, dictionary)
        assert dictionary_id_of(packed) == dictionary_id
        assert unpack(packed, dictionary) == text
    assert unpack(pack("", 0, b""), b"") == ""


def test_a_dictionary_of_the_same_template_makes_a_copy_small():
    first = TEXTS["az"].replace("ABCD", "K7PQ")
    assert len(pack(TEXTS["az"], 1, first.encode())) < len(TEXTS["az"].encode()) / 4


@pytest.fixture(params=["sqlite", "postgresql"])
def runtime(request, tmp_path: Path) -> Iterator[Runtime]:
    database = "sqlite:///storage/gateway.db"
    if request.param == "postgresql":
        database = request.getfixturevalue("postgres").create_database()
    runtime = Runtime.open(config_module.load(write_config(tmp_path, database=database)))
    yield runtime
    runtime.close()


def sent_copies(runtime: Runtime, count: int) -> list[Message]:
    raws = [mail(sender=f"p{n}@example.az", message_id=f"<pack-{n}@example.az>") for n in range(count)]
    runtime.pipeline.ingest_batch(raws, "smtp", T)
    runtime.outbox.deliver_due(T)
    return list(Message.select().where(Message.direction == "out").order_by(Message.id))


def test_outgoing_copies_are_packed_and_show_prints_their_whole_text(runtime):
    copies = sent_copies(runtime, 3)
    assert copies and all(c.text == "" and c.packed for c in copies)
    texts = [message_text(c) for c in copies]
    assert all(t.strip() for t in texts)
    acks = [(c, t) for c, t in zip(copies, texts) if c.kind == "ack"]
    assert len(acks) == 3 and all(t.count("CC-") >= 1 for _, t in acks)
    later = acks[-1][0]
    assert len(bytes(later.packed)) * 4 < len(acks[-1][1].encode())  # the dictionary did its job
    assert TextDictionary.select().count() == len({(c.kind, "en") for c in copies})
    dictionaries = b"".join(bytes(d.data) for d in TextDictionary.select())
    assert dictionaries and not any(f"p{n}@example.az".encode() in dictionaries for n in range(3))  # sample data only
    assert acks[0][0].complaint.tracking.encode() not in dictionaries
    shown = complaint_json(later.complaint.tracking)
    out = [m for m in shown["messages"] if m["direction"] == "out" and m["kind"] == "ack"]
    assert out[0]["text"] == acks[-1][1]
    incoming = [m for m in shown["messages"] if m["direction"] == "in"]
    assert incoming[0]["text"] == "My order is late."  # mail that came in stays plain


def test_copies_stored_before_step_6_are_packed_by_the_upgrade(runtime):
    copies = sent_copies(runtime, 2)
    texts = {c.id: message_text(c) for c in copies}
    database = runtime.database
    for copy in copies:  # as a gateway before step 6 stored them
        Message.update(text=texts[copy.id], packed=None).where(Message.id == copy.id).execute()
    SchemaVersion = migrate.SchemaVersion
    SchemaVersion.delete().where(SchemaVersion.version == 6).execute()
    run_migration(SchemaMigrator.from_database(database).drop_column("message", "packed"))
    migrate.upgrade(database)
    again = list(Message.select().where(Message.direction == "out").order_by(Message.id))
    assert all(m.text == "" and m.packed for m in again)
    assert {m.id: message_text(m) for m in again} == texts
    assert 6 in migrate.state(database).applied


