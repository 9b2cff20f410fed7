"""Staff identity end to end (in-process, SQLite): with authentication off, a staff From acts
on a complaint only by replying to the desk's mail to staff; a forgery changes nothing, mails
no customer, and the address's owner is told."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

from gateway import config as config_module
from gateway.ingest.staff import staff_warnings
from gateway.service.runtime import Runtime
from gateway.store.models import Complaint, Event, OutgoingMail
from gatewaykit import mail, write_config

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
CUSTOMER = "aysel@example.az"
STAFF = "agent@shop.test"


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    opened = Runtime.open(config_module.load(write_config(tmp_path)))
    yield opened
    opened.close()


def open_complaint(runtime: Runtime) -> tuple[str, OutgoingMail, OutgoingMail]:
    outcome = runtime.pipeline.ingest(mail(sender=CUSTOMER, message_id="<c1@example.az>"), "smtp", NOW)
    complaint = Complaint.get(Complaint.tracking == outcome.tracking)
    ack = OutgoingMail.get((OutgoingMail.complaint == complaint) & (OutgoingMail.kind == "ack"))
    staff_new = OutgoingMail.get((OutgoingMail.complaint == complaint) & (OutgoingMail.kind == "staff_new"))
    return outcome.tracking, ack, staff_new


def to_customer(tracking: str) -> list[str]:
    complaint = Complaint.get(Complaint.tracking == tracking)
    return [o.kind for o in OutgoingMail.select().where(
        (OutgoingMail.complaint == complaint) & (OutgoingMail.recipient == CUSTOMER))]


def test_forged_staff_from_naming_the_tracking_number_is_refused_and_its_owner_told(runtime):
    tracking, _, _ = open_complaint(runtime)
    forged = mail(sender=STAFF, subject=f"Re: [{tracking}]", body="#resolve\nPay the fee at http://evil.example")
    outcome = runtime.pipeline.ingest(forged, "smtp", NOW)
    assert outcome.state == "processed" and outcome.kind == "staff_refused"
    complaint = Complaint.get(Complaint.tracking == tracking)
    assert complaint.status == "registered" and to_customer(tracking) == ["ack"]
    notice = OutgoingMail.get((OutgoingMail.recipient == STAFF) & (OutgoingMail.kind == "staff_notice"))
    assert "NOT acted on" in notice.params["message"] and notice.audience == "staff"
    assert Event.select().where((Event.complaint == complaint) & (Event.kind == "staff_refused")).exists()
    assert Complaint.select().count() == 1  # no complaint is opened in a staff member's name


def test_forged_reply_to_the_customers_acknowledgement_is_refused(runtime):
    """The customer (or anyone they forward it to) knows the ack's Message-ID; only staff saw the notice's."""
    tracking, ack, _ = open_complaint(runtime)
    forged = mail(sender=STAFF, subject="Re: your complaint", body="#close\nDone.", in_reply_to=f"<{ack.message_id}>")
    assert runtime.pipeline.ingest(forged, "smtp", NOW).kind == "staff_refused"
    assert Complaint.get(Complaint.tracking == tracking).status == "registered"


def test_staff_reply_to_the_desks_notice_acts(runtime):
    tracking, _, staff_new = open_complaint(runtime)
    reply = mail(sender="colleague@shop.test", subject=f"Re: [{tracking}] New complaint",
                 body="#status in_review\nWe are looking into it.", in_reply_to=f"<{staff_new.message_id}>",
                 references=f"<{staff_new.message_id}>")
    outcome = runtime.pipeline.ingest(reply, "smtp", NOW)
    assert outcome.kind != "staff_refused"
    assert Complaint.get(Complaint.tracking == tracking).status == "in_review"
    assert "relay" in to_customer(tracking)


def test_notice_of_another_complaint_proves_nothing_here(runtime):
    tracking, _, _ = open_complaint(runtime)
    other = runtime.pipeline.ingest(mail(sender="rauf@example.org", message_id="<c2@example.org>"), "smtp", NOW)
    other_notice = OutgoingMail.get((OutgoingMail.complaint == Complaint.get(Complaint.tracking == other.tracking))
                                    & (OutgoingMail.kind == "staff_new"))
    forged = mail(sender=STAFF, subject=f"Re: [{tracking}]", body="#close", in_reply_to=f"<{other_notice.message_id}>")
    assert runtime.pipeline.ingest(forged, "smtp", NOW).kind == "staff_refused"


def test_check_warns_when_staff_are_not_authenticated(tmp_path):
    loose = config_module.load(write_config(tmp_path / "loose"))
    strict = config_module.load(write_config(tmp_path / "strict", require_auth=True))
    assert staff_warnings(loose) and "require_authentication" in staff_warnings(loose)[0]
    assert staff_warnings(strict) == []


def test_shipped_config_warns(tmp_path):
    from gatewaykit import REPO
    assert staff_warnings(config_module.load(REPO / "gateway.toml"))


@pytest.mark.parametrize("opener", ["23.11.2026 10:01, Shop Care пишет:", "________________________________",
                                    "Kimdən: Shop Care\nGöndərilib: 23 noyabr 2026, 10:01\nKimə: Agent\n"
                                    "Mövzu: Yeni şikayət"])
def test_regression_the_notice_as_sent_quoted_under_an_unknown_opener_never_reaches_the_customer(runtime, opener):
    """The desk's own notice, rendered as the outbox sends it, pasted below the answer the way a client we
    do not know quotes: the customer gets the answer, nothing of the notice."""
    tracking, _, staff_new = open_complaint(runtime)
    notice = runtime.outbox.render(staff_new, NOW)[1].text
    reply = mail(sender="colleague@shop.test", subject=f"Re: [{tracking}] New complaint",
                 body=f"Your replacement ships tomorrow.\n\n{opener}\n\n{notice}",
                 in_reply_to=f"<{staff_new.message_id}>", references=f"<{staff_new.message_id}>")
    runtime.pipeline.ingest(reply, "smtp", NOW)
    relay = OutgoingMail.get((OutgoingMail.recipient == CUSTOMER) & (OutgoingMail.kind == "relay"))
    assert relay.params["message"] == "Your replacement ships tomorrow."


WATCHLIST = "Customer is on our fraud watchlist, do not refund."


@pytest.mark.parametrize("body", [
    f"- #note\n{WATCHLIST}", f"*#note* {WATCHLIST}", f"• #note\n{WATCHLIST}", f"\u200b#note\n{WATCHLIST}",
    f"{WATCHLIST}\n\n-- \nRashad\n#note",
])
def test_regression_a_note_written_as_people_write_it_never_reaches_the_customer(runtime: Runtime, body: str) -> None:
    """The hostile tester's reproducers (a bullet, Markdown, a zero-width space, a "#note" under "-- ")."""
    tracking, _, staff_new = open_complaint(runtime)
    reply = mail(sender="colleague@shop.test", subject=f"Re: [{tracking}] New complaint", body=body,
                 in_reply_to=f"<{staff_new.message_id}>", references=f"<{staff_new.message_id}>")
    runtime.pipeline.ingest(reply, "smtp", NOW)
    complaint = Complaint.get(Complaint.tracking == tracking)
    leaked = [o.kind for o in OutgoingMail.select().where(OutgoingMail.complaint == complaint)
              if "fraud watchlist" in str(o.params) and o.recipient == CUSTOMER]
    assert not leaked
    told = [o.kind for o in OutgoingMail.select().where(OutgoingMail.recipient == "colleague@shop.test")]
    assert told and set(told) <= {"staff_notice", "command_error"}
