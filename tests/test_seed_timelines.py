"""Each seed policy lived through day by day, as its `examples/` block sets it up.

`gateway ingest --now` / `gateway tick --now` across weekends and the country's
public holidays; every mail the gateway sends is checked: the day and hour it
went, its language, and that it says what the policy promises and nothing untrue
(no invented date, no "deadline approaching" after the deadline, no delay notice
repeated).
"""
from __future__ import annotations

from datetime import date, time

from gatewaykit import mail, show
from policies import adopt
from timeline import Timeline

TR_CUSTOMER = "mehmet@example.com.tr"
DEADLINE_KINDS = ("reminder", "escalation", "delay", "interim", "closed")


def key_internet(tmp_path) -> Timeline:
    """Seed 004 (Key İnternet, Ankara): priorities answered in 1 / 3 / 5 business days."""
    return Timeline(adopt("policy-priority-1-3-5.toml", tmp_path), "Europe/Istanbul")


# ---------------------------------------------------------------- seed 004: the regression

def test_004_untouched_high_priority_complaint_gets_one_true_delay_notice(tmp_path):
    desk = key_internet(tmp_path)
    at = desk.at
    # Monday 27 April 2026, 10:00 in Ankara; "avukat" makes it high priority: answer within 1 business day
    tracking = desk.ingest(mail(sender=TR_CUSTOMER, name="Mehmet Yılmaz", subject="İnternetim 3 gündür yok",
                                body="Merhaba, internetim üç gündür çalışmıyor. Çözülmezse avukatıma "
                                     "başvuracağım. Telefon: 0532 123 45 67"), at(2026, 4, 27, 10))
    assert show(desk.config, tracking)["priority"] == "high"
    ack = desk.mail_of(tracking, "ack")[0]
    assert "28 Nisan 2026, 18:00" in ack.text and ack.language == "tr"
    assert ack.date_header.endswith("+0300")

    # nobody touches it; the sweep runs through 28-30 April, Labour Day (1 May), the weekend, 4 May
    desk.days(date(2026, 4, 27), date(2026, 5, 4), hours=(time(9), time(13), time(14), time(18)))

    assert [(when, kind) for when, kind, _ in desk.timeline(tracking, DEADLINE_KINDS)] == [
        (at(2026, 4, 28, 14), "reminder"),     # half a business day before 28 April 18:00
        (at(2026, 4, 28, 18), "escalation"),   # the deadline missed: once
        (at(2026, 4, 28, 18), "delay"),        # the customer: once, with the policy's date
        (at(2026, 5, 4, 14), "reminder"),      # before the date the customer was given
        (at(2026, 5, 4, 18), "escalation"),    # that one missed too: staff hear, the customer is not
    ]                                          # promised yet another invented date
    delay = desk.mail_of(tracking, "delay")[0]
    # 28 April + 3 business days (resolve = 3; 1 May a holiday, 2-3 May the weekend): 4 May 18:00,
    # and that is the date the complaint now runs to: the notice is true
    assert "4 Mayıs 2026, 18:00" in delay.text and delay.language == "tr"
    assert "taahhüt ettiğimiz süre içinde sonuçlandıramadık" in delay.text
    data = show(desk.config, tracking)
    assert data["due"]["resolve"].startswith("2026-05-04T15:00")
    # the escalation names the deadline that was missed, as it was when it was missed
    escalation = desk.mail_of(tracking, "escalation")[0]
    assert "28 Nisan 2026, 18:00" in escalation.text and "4 Mayıs" not in escalation.text
    reminder = desk.mail_of(tracking, "reminder")[0]
    assert "28 Nisan 2026, 18:00" in reminder.text
