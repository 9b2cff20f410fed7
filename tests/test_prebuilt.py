"""Statements built once per database give the rows peewee itself would, on both backends."""
from __future__ import annotations

from datetime import datetime

import peewee as pw
import pytest

from gateway.store import prebuilt
from gateway.store.migrate import open_database
from gateway.store.models import Complaint, Customer, Message

AT = datetime(2026, 11, 23, 10, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> pw.Database:
    url = f"sqlite:///{tmp_path}/gateway.db"
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres").create_database()
    database = open_database(url)
    yield database
    database.close()


def test_insert_fills_defaults_like_create_and_returns_the_id(database):
    first = prebuilt.insert(Customer, email="a@example.com", language="az")
    second = prebuilt.insert(Customer, email="b@example.com")
    assert second == first + 1
    row = Customer.get_by_id(first)
    assert (row.email, row.language, row.name, row.bouncing) == ("a@example.com", "az", "", False)
    assert row.created_at is not None  # the callable default ran


def test_a_cached_statement_takes_new_values(database):
    customer = prebuilt.insert(Customer, email="c@example.com")
    for n in range(3):
        prebuilt.insert(Message, complaint=None, direction="in", message_id=f"m{n}@x", sha256=f"{n:064d}",
                        size=n, source="pipe", sender="c@example.com", subject=f"s{n}", kind="customer",
                        state="processed", received_at=AT)
    assert [m.subject for m in Message.select().order_by(Message.id)] == ["s0", "s1", "s2"]
    key = next(k for k in vars(database)["_gateway_statements"] if k[1] == "Message")
    assert key[0] == "insert"  # built once, reused twice
    assert customer


def test_select_and_update_round_trip(database):
    customer_id = prebuilt.insert(Customer, email="d@example.com")
    complaint_id = prebuilt.insert(Complaint, tracking="CC-2026-AAAA", customer=customer_id, subject="x",
                                   status="registered", created_at=AT, updated_at=AT)
    for tracking in ("CC-2026-AAAA", "CC-2026-NONE"):
        found = prebuilt.select(Complaint, "by_tracking", [tracking, 1],
                                lambda: Complaint.select().where(Complaint.tracking == tracking).limit(1))  # noqa: B023 (called before the loop moves on)
        assert [c.id for c in found] == ([complaint_id] if tracking.endswith("AAAA") else [])
    complaint = Complaint.get_by_id(complaint_id)
    complaint.status, complaint.priority = "in_progress", "high"
    prebuilt.update(complaint)
    again = Complaint.get_by_id(complaint_id)
    assert (again.status, again.priority, again.subject) == ("in_progress", "high", "x")


def test_update_writes_a_foreign_key_without_fetching_its_row(database):
    customer_id = prebuilt.insert(Customer, email="f@example.com")
    complaint_id = prebuilt.insert(Complaint, tracking="CC-2026-BBBB", customer=customer_id, subject="y",
                                   status="registered", created_at=AT, updated_at=AT)
    complaint = Complaint.get_by_id(complaint_id)
    complaint.status = "closed"
    queries = []
    real = database.execute_sql
    database.execute_sql = lambda sql, params=None, *rest: queries.append(sql) or real(sql, params, *rest)
    try:
        prebuilt.update(complaint)
    finally:
        del database.execute_sql
    assert len(queries) == 1 and queries[0].startswith("UPDATE")
    again = Complaint.get_by_id(complaint_id)
    assert (again.status, again.customer_id) == ("closed", customer_id)


def test_unknown_columns_are_refused(database):
    with pytest.raises(TypeError, match="no columns"):
        prebuilt.insert(Customer, email="e@example.com", shoe_size=42)



def test_instance_helpers_insert_copy_restore_and_see_a_fetched_relation(database):
    customer = prebuilt.insert_instance(Customer(email="a@example.az", name="Aysel"))
    assert customer.id and Customer.get_by_id(customer.id).name == "Aysel" and not customer.dirty_fields
    complaint = Complaint.create(tracking="CC-T-1", customer=customer.id, status="registered",
                                 created_at=datetime(2026, 11, 23), updated_at=datetime(2026, 11, 23))
    loaded = Complaint.get_by_id(complaint.id)
    assert prebuilt.values_of(loaded)["customer"] == customer.id  # the id, nothing fetched
    assert not prebuilt.fetched(loaded, "customer")
    assert loaded.customer.email == "a@example.az" and prebuilt.fetched(loaded, "customer")
    before = prebuilt.values_of(loaded)
    loaded.status = "closed"
    prebuilt.restore(loaded, before)
    assert loaded.status == "registered"
