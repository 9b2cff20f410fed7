"""Only the complaint's own customer (or staff) joins a complaint; strangers never do."""
from __future__ import annotations

from gateway.desk.view import ComplaintView, Thread
from gateway.ingest.match import match

COMPLAINT = ComplaintView(id=1, tracking="CC-2026-4K7PQ2MX", customer_email="aysel@example.az", status="registered")


def test_customer_by_tracking_number():
    m = match("Aysel@Example.az", False, Thread(by_tracking=COMPLAINT))
    assert m.role == "customer" and m.complaint == COMPLAINT


def test_staff_by_reference():
    m = match("agent@shop.test", True, Thread(by_reference=COMPLAINT))
    assert m.role == "staff" and m.complaint == COMPLAINT


def test_stranger_never_joins_but_is_linked():
    m = match("nosy@example.org", False, Thread(by_tracking=COMPLAINT, by_reference=COMPLAINT))
    assert m.role == "stranger" and m.complaint is None and m.linked == COMPLAINT


def test_tracking_number_wins_over_references():
    other = ComplaintView(id=2, tracking="CC-2026-ZZZZZZZ0", customer_email="aysel@example.az", status="closed")
    assert match("aysel@example.az", False, Thread(by_tracking=COMPLAINT, by_reference=other)).complaint == COMPLAINT


def test_nothing_known_is_a_new_complaint():
    assert match("aysel@example.az", False, Thread()).role == "new"
