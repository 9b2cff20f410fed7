"""The customer's decision on our answer, end to end: `gateway ingest` and `tick` with --now.

A reply to the resolution mail, written as customers write it (typed without ə,
top-posted over the quoted resolution with an Outlook signature, in four
languages), closes or reopens the complaint and sends the right mails; a reply
that decides nothing goes to staff, and the sweep does not close the complaint
afterwards "for want of a decision".
"""
from __future__ import annotations

from datetime import date

import pytest

from gatewaykit import show
from test_e2e_deadlines import CUSTOMER, Desk, az_complaint, baku

RESOLVED_AT = baku(2026, 11, 30, 10)
AUTO_CLOSE_AT = baku(2026, 12, 7, 10)  # five business days after RESOLVED_AT (see test_e2e_deadlines)


def resolved(desk: Desk) -> str:
    tracking = desk.ingest(az_complaint(), baku(2026, 11, 27, 17, 30))
    desk.staff_reply(tracking, "#resolve\nBağlamanız sabah çatdırılacaq.", RESOLVED_AT)
    assert show(desk.config, tracking)["status"] == "resolved"
    return tracking


def outlook_top_post(text: str, quoted: str) -> str:
    return (f"{text}\n\nKind regards,\nAysel Mammadova\nChief Accountant\nTel. No.: +994 12 555 01 02\n"
            f"Mob. No.: +994 50 555 01 03\n\n________________________________\n"
            f"From: Customer Care <care@shop.test>\nSent: Monday, November 30, 2026 10:05 AM\n"
            f"To: {CUSTOMER}\nSubject: Re: Sifarişim gecikir\n\n{quoted}")


def kinds_sent(desk: Desk, tracking: str, sent) -> list[tuple[str, str]]:
    by_id = desk.kinds(tracking)
    return sorted((by_id[s.message_id], s.to) for s in sent if s.message_id in by_id)


@pytest.mark.parametrize("reply, status, mail_kind", [
    ("Qebul edirem", "closed", "closed"),
    ("Rədd edirəm, bağlama hələ də gəlməyib.", "reopened", "reopened"),
    ("Согласен, претензий нет.", "closed", "closed"),
    ("ret", "reopened", "reopened"),
])
def test_a_decision_closes_or_reopens(tmp_path, reply, status, mail_kind):
    desk = Desk(tmp_path)
    tracking = resolved(desk)
    desk.customer_reply(tracking, reply, baku(2026, 12, 1, 11))
    data = show(desk.config, tracking)
    assert data["status"] == status
    assert (mail_kind, CUSTOMER) in kinds_sent(desk, tracking, desk.sent)


def test_top_posted_accept_over_the_quoted_resolution_with_an_outlook_signature(tmp_path):
    desk = Desk(tmp_path)
    tracking = resolved(desk)
    quoted = desk.mail_of(tracking, "resolution")[0].text  # tells how to accept *and* reject
    desk.customer_reply(tracking, outlook_top_post("I accept.", quoted), baku(2026, 12, 1, 11))
    assert show(desk.config, tracking)["status"] == "closed"


def test_a_reply_that_decides_nothing_reaches_staff_and_is_not_closed_for_silence(tmp_path):
    desk = Desk(tmp_path)
    tracking = resolved(desk)
    desk.customer_reply(tracking, "Təşəkkürlər, amma pulun qaytarılması hələ kartıma gəlməyib.",
                        baku(2026, 12, 1, 11))
    data = show(desk.config, tracking)
    assert data["status"] == "resolved"
    assert "decision_unclear" in [e["kind"] for e in data["events"]]
    [update] = desk.mail_of(tracking, "staff_update")
    assert "pulun qaytarılması" in update.text and "#resolve" in update.text  # what to do, in the staff notice
    assert not [s for s in desk.sent if s.to == CUSTOMER and s.at == baku(2026, 12, 1, 11)]  # no surprise mail

    desk.ticks(date(2026, 12, 2), date(2026, 12, 8), hours=(10,))
    data = show(desk.config, tracking)
    assert data["status"] == "resolved"  # the customer was not silent
    assert desk.mail_of(tracking, "closed") == []
    assert "auto_close_held" in [e["kind"] for e in data["events"]]

    # staff answer again: a new decision is asked for, and its silence closes as before
    desk.staff_reply(tracking, "#resolve\nPul 3 iş günü ərzində kartınıza qaytarılacaq.", baku(2026, 12, 9, 10))
    desk.tick(baku(2026, 12, 16, 10))
    assert show(desk.config, tracking)["status"] == "closed"
    assert len(desk.mail_of(tracking, "closed")) == 1


def test_prose_with_decision_words_is_a_message_not_a_decision(tmp_path):
    desk = Desk(tmp_path)
    tracking = resolved(desk)
    desk.customer_reply(tracking, "Kuryer dünən zəng etdi, amma mən evdə yox idim; bağlamanı qəbul edə "
                                  "bilmədim, zəhmət olmasa yenidən göndərin.", baku(2026, 12, 1, 11))
    data = show(desk.config, tracking)
    assert data["status"] == "resolved" and data["reject_count"] == 0
    assert len(desk.mail_of(tracking, "staff_update")) == 1
