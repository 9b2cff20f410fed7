"""What the tests of the decision steps (ingest/decide.py and what it calls) share: the instant they
decide at, a human customer's verdict and identity, and the complaint a reply meets."""
from __future__ import annotations

from datetime import datetime, timezone

from gateway.desk.view import ComplaintView
from gateway.ingest.staff import Identity
from gateway.mail.hygiene import Verdict

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
HUMAN = Verdict(False, "", "")
CUSTOMER = Identity(False, False, "not a staff address")


def complaint(status: str = "investigating", **extra) -> ComplaintView:
    """Complaint 7 of aysel@example.az, in English, every deadline at NOW, agent@shop.test on it."""
    return ComplaintView(id=7, tracking="CC-2026-4K7PQ2MX", customer_email="aysel@example.az", status=status,
                         language="en", created_at=NOW, due_stage=NOW, due_resolve=NOW,
                         staff_addresses=("agent@shop.test",), **extra)
