"""One sender's storm of new complaints: a handful of mails to staff, not one each."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from pathlib import Path
from typing import Iterator

import pytest

from gateway import config as config_module
from gateway.service.runtime import Runtime
from gateway.store.models import Complaint, OutgoingMail
from gatewaykit import mail, write_config

NOW = datetime(2026, 11, 23, 6, 10, tzinfo=timezone.utc)
STORM = "storm@example.org"


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    opened = Runtime.open(config_module.load(write_config(tmp_path)))
    yield opened
    opened.close()


def staff_rows() -> list[OutgoingMail]:
    return list(OutgoingMail.select().where(OutgoingMail.audience == "staff").order_by(OutgoingMail.id))


def storm(runtime: Runtime, count: int, sender: str = STORM, start: datetime = NOW) -> list[str]:
    trackings = []
    for n in range(count):
        raw = mail(sender=sender, subject=f"Order {n} broken", body=f"My order number {n} arrived broken.",
                   message_id=f"<storm-{sender}-{start:%H%M}-{n}@example.org>")
        trackings.append(runtime.pipeline.ingest(raw, "smtp", start + timedelta(seconds=n / 2)).tracking)
    return trackings


def test_a_hundred_complaints_in_a_minute_make_a_handful_of_staff_mails(runtime):
    trackings = storm(runtime, 100)
    assert len(set(trackings)) == 100 and Complaint.select().count() == 100  # every complaint registered
    rows = staff_rows()
    assert [r.kind for r in rows] == ["staff_new"] * 3 + ["staff_notice"]
    digest = rows[-1]
    assert digest.params["digest_count"] == 97 and digest.state == "queued"
    assert [t for t, _ in digest.params["digest"]] == trackings[3:]
    assert "97 more new complaint" in digest.params["message"] and trackings[-1] in digest.params["message"]
    assert digest.next_attempt_at == datetime(2026, 11, 23, 7, 0)  # when the hour ends
    acks = OutgoingMail.select().where((OutgoingMail.recipient == STORM) & (OutgoingMail.kind == "ack"))
    assert acks.count() == 100  # queued; the outbox's per-recipient limit holds most of them

    report = runtime.outbox.deliver_due(NOW + timedelta(minutes=1))
    assert report.held >= 90  # acknowledgements limited as before
    sent = [message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in (Path(runtime.config.base_dir) / "storage" / "outgoing").glob("*.eml")]
    assert len([m for m in sent if m["To"] == digest.recipient]) == 3  # the digest waits for the hour's end
    runtime.outbox.deliver_due(datetime(2026, 11, 23, 7, 0, 1, tzinfo=timezone.utc))
    assert OutgoingMail.get_by_id(digest.id).state == "sent"


def test_after_the_storm_and_for_other_senders_are_untouched(runtime):
    storm(runtime, 5)
    storm(runtime, 2, sender="calm@example.az")
    storm(runtime, 2, start=NOW + timedelta(hours=2))  # the storm is over: one notice each again
    kinds = [(r.kind, r.params.get("digest_count")) for r in staff_rows()]
    assert kinds == [("staff_new", None)] * 3 + [("staff_notice", 2)] + [("staff_new", None)] * 4


def test_limit_zero_announces_every_complaint(tmp_path):
    config = write_config(tmp_path, extra="")
    text = config.read_text().replace('notify = "team@shop.test"', 'notify = "team@shop.test"\nnotify_per_sender_hour = 0')
    config.write_text(text)
    opened = Runtime.open(config_module.load(config))
    try:
        storm(opened, 6)
        assert [r.kind for r in staff_rows()] == ["staff_new"] * 6
    finally:
        opened.close()
