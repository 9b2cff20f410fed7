"""Report figures on a generated data set whose answers are worked out by hand below.

Calendar: Asia/Baku (UTC+4), Mon-Fri 09:00-18:00, no public holidays, so a
business day is plain to count. Period: Mon 2 Nov 2026 to Mon 16 Nov 2026
(ISO weeks 45 and 46), figures as of Mon 30 Nov 2026 12:00.

    A delivery high   email  Mon 02 09:00, ack at once; resolved Tue 03 09:00 (1 bd), due Wed 04: on time
    B delivery normal email  Mon 02 09:00, ack at once; resolved Thu 05 09:00 (3 bd), due 16th: on time; reopened
    C billing  normal phone  Tue 10 09:00, ack 13:30 (0.5 bd); resolved Tue 24 09:00 (10 bd), due 23rd: late
    D billing  low    email  Wed 11 09:00, ack Tue 17 (4 bd; due Mon 16: late); unresolved, due 18th: late; escalated
    E quality  normal email  Thu 12 09:00, ack Fri 13 (1 bd); resolved Fri 13 09:00 (1 bd) after a delay notice: late
    G delivery normal email  Fri 13 09:00, ack at once; unresolved, due 10 Dec (not yet): not counted
    F billing  20 Oct: outside the period

received 6; categories delivery 3, billing 2, quality 1; priorities normal 4, high 1, low 1; channels email 5, phone 1
acknowledged on time 5/6 = 83.3%; resolved on time 2/5 (A, B of A B C D E) = 40.0%
median acknowledge: [0, 0, 0, 0.5, 1, 4] -> 0.25; median resolve: [1, 1, 3, 10] -> 2.0
reopened 1/6 = 16.7%, escalated 1/6 = 16.7%
"""
from __future__ import annotations

import csv
import email
import email.policy
import io
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gateway.config import SmtpOutbound
from gateway.config import load as load_config
from gateway.desk.business import BusinessCalendar
from gateway.jobs.report import ComplaintFacts, Rate, build, compute, render_text
from gateway.jobs.report_html import render_html
from gateway.jobs.report_mail import mail_weekly_report, previous_week, weekly_due
from gateway.outbound.transports import EmlFolderTransport, SmtpTransport, TemporaryFailure
from gateway.store.migrate import open_database
from gateway.store.models import Complaint, Customer, Event, JobRun
from gatewaykit import gateway, write_config

BAKU = ZoneInfo("Asia/Baku")
CALENDAR = BusinessCalendar(zone=BAKU)
SINCE, UNTIL = datetime(2026, 11, 2, tzinfo=BAKU), datetime(2026, 11, 16, tzinfo=BAKU)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=BAKU)


def at(day: int, hour: int = 9, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BAKU).astimezone(timezone.utc)


DATA: dict[str, dict] = {
    "A": dict(created_at=at(2), category="delivery", priority="high", due_acknowledge=at(5, 18),
              acknowledged_at=at(2), due_resolve=at(4, 18), resolved_at=at(3)),
    "B": dict(created_at=at(2), category="delivery", due_acknowledge=at(5, 18), acknowledged_at=at(2),
              due_resolve=at(16, 18), resolved_at=at(5), reopened=True),
    "C": dict(created_at=at(10), category="billing", channel="phone", due_acknowledge=at(13, 18),
              acknowledged_at=at(10, 13, 30), due_resolve=at(23, 18), resolved_at=at(24)),
    "D": dict(created_at=at(11), category="billing", priority="low", due_acknowledge=at(16, 18),
              acknowledged_at=at(17), due_resolve=at(18, 18), escalated=True),
    "E": dict(created_at=at(12), category="quality", due_acknowledge=at(17, 18), acknowledged_at=at(13),
              due_resolve=at(26, 18), resolved_at=at(13), delayed=True),
    "G": dict(created_at=at(13), category="delivery", due_acknowledge=at(18, 18), acknowledged_at=at(13),
              due_resolve=at(10, 18, month=12)),
    "F": dict(created_at=at(20, month=10), category="billing", due_acknowledge=at(23, 18, month=10),
              acknowledged_at=at(20, month=10)),
}


def facts() -> list[ComplaintFacts]:
    return [ComplaintFacts(**values) for values in DATA.values()]


def check_known_answers(report) -> None:
    assert report.received == 6
    assert report.by_category == (("delivery", 3), ("billing", 2), ("quality", 1))
    assert report.by_priority == (("normal", 4), ("high", 1), ("low", 1))
    assert report.by_channel == (("email", 5), ("phone", 1))
    assert report.acknowledged_on_time == Rate(5, 6) and report.acknowledged_on_time.percent == 83.3
    assert report.resolved_on_time == Rate(2, 5) and report.resolved_on_time.percent == 40.0
    assert report.reopen_rate == Rate(1, 6) and report.escalation_rate == Rate(1, 6)
    assert report.reopen_rate.percent == 16.7


def test_figures_of_the_generated_set():
    report = compute(facts(), SINCE, UNTIL, NOW, CALENDAR)
    check_known_answers(report)
    assert report.median_acknowledge_days == 0.25
    assert report.median_resolve_days == 2.0
    assert [w.week for w in report.weeks] == ["2026-W45", "2026-W46"]
    assert report.top_categories == ("delivery", "billing", "quality")
    assert [dict(w.counts) for w in report.weeks] == [{"delivery": 2, "billing": 0, "quality": 0},
                                                      {"delivery": 1, "billing": 2, "quality": 1}]


def test_categories_beyond_the_top_are_grouped_as_other():
    report = compute(facts(), SINCE, UNTIL, NOW, CALENDAR, top=2)
    assert report.top_categories == ("delivery", "billing", "(other categories)")
    assert [dict(w.counts) for w in report.weeks] == [{"delivery": 2, "billing": 0, "(other categories)": 0},
                                                      {"delivery": 1, "billing": 2, "(other categories)": 1}]


def test_the_rules_other_category_and_the_remainder_are_never_the_same_row():
    rows = [ComplaintFacts(created_at=datetime(2026, 11, 3, 10, 0, tzinfo=BAKU), category=name)
            for name in ("other", "other", "other", "delivery", "delivery", "billing", "quality")]
    report = compute(rows, SINCE, UNTIL, NOW, CALENDAR, top=2)
    assert report.top_categories == ("other", "delivery", "(other categories)")
    for week in report.weeks:
        names = [name for name, _ in week.counts]
        assert len(names) == len(set(names))
    assert dict(report.weeks[0].counts) == {"other": 3, "delivery": 2, "(other categories)": 2}


def test_outcomes_not_known_yet_are_not_counted():
    early = datetime(2026, 11, 16, 12, 0, tzinfo=BAKU)
    pending = [ComplaintFacts(**DATA[name]) for name in ("A", "D", "G")]  # D due the 18th, G in December: open
    report = compute(pending, SINCE, UNTIL, early, CALENDAR)
    assert report.resolved_on_time == Rate(1, 1)
    assert compute(pending, SINCE, UNTIL, NOW, CALENDAR).resolved_on_time == Rate(1, 2)  # D is now late


def test_an_empty_period_has_no_percentages():
    report = compute([], SINCE, UNTIL, NOW, CALENDAR)
    assert report.received == 0 and report.acknowledged_on_time.percent is None
    assert report.median_resolve_days is None
    assert "acknowledged_on_time_percent       -" in render_text(report)


# ---------------------------------------------------------------- from the database

def store(values: dict, tracking: str) -> None:
    naive = {k: v.astimezone(timezone.utc).replace(tzinfo=None) for k, v in values.items() if isinstance(v, datetime)}
    customer, _ = Customer.get_or_create(email=f"{tracking.lower()}@example.az")
    complaint = Complaint.create(
        tracking=tracking, customer=customer, status="resolved" if values.get("resolved_at") else "investigating",
        category=values["category"], priority=values.get("priority", "normal"), channel=values.get("channel", "email"),
        updated_at=naive["created_at"], **naive)
    for flag, status in (("reopened", "reopened"), ("escalated", "escalated")):
        if values.get(flag):
            Event.create(complaint=complaint, at=naive["created_at"], kind="status", from_status="resolved",
                         to_status=status)
    if values.get("delayed"):
        Event.create(complaint=complaint, at=naive["created_at"], kind="delay_notice", actor="scheduler")
    Event.create(complaint=complaint, at=naive["created_at"], kind="created", to_status="registered")


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    """A config whose database holds the generated set."""
    config = write_config(tmp_path, extra='[report]\nmail_to = "manager@shop.test"\nweekday = "mon"\nat = "08:00"\n')
    database = open_database(f"sqlite:///{tmp_path / 'storage' / 'gateway.db'}")
    with database.atomic():
        for name, values in DATA.items():
            store(values, f"CC-2026-TEST{name}")
    yield config
    database.close()


def test_figures_read_back_from_the_database(desk):
    report = build(SINCE, UNTIL, NOW, CALENDAR)
    check_known_answers(report)
    assert report.median_resolve_days == 2.0


def test_cli_report_csv_and_html(desk, tmp_path):
    out = gateway(desk, "report", "--since", "2026-11-02", "--until", "2026-11-16", "--format", "csv").stdout
    rows = {(section, key): value for section, key, value in csv.reader(io.StringIO(out.decode()))}
    assert rows[("received", "complaints")] == "6"
    assert rows[("category", "delivery")] == "3" and rows[("channel", "phone")] == "1"
    assert rows[("deadline", "acknowledged_on_time_percent")] == "83.3"
    assert rows[("rate", "escalated")] == "1" and rows[("rate", "escalated_of")] == "6"
    assert rows[("period", "since")] == "2026-11-02T00:00:00+04:00"
    html_file = tmp_path / "report.html"
    gateway(desk, "report", "--since", "2026-11-02", "--until", "2026-11-16", "--format", "html",
            "--output", str(html_file))
    page = html_file.read_text("utf-8")
    assert page.count("<svg") == 4 and "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")


def test_html_escapes_category_names():
    evil = [ComplaintFacts(created_at=at(3), category="<b>&co</b>")]
    page = render_html(compute(evil, SINCE, UNTIL, NOW, CALENDAR))
    assert "<b>&co</b>" not in page and "&lt;b&gt;&amp;co&lt;/b&gt;" in page


# ---------------------------------------------------------------- weekly mail

def test_weekly_slot_and_period():
    assert not weekly_due(datetime(2026, 11, 16, 7, 59, tzinfo=BAKU), CALENDAR, "mon", "08:00")
    assert weekly_due(datetime(2026, 11, 16, 8, 0, tzinfo=BAKU), CALENDAR, "mon", "08:00")
    assert weekly_due(datetime(2026, 11, 22, 23, 0, tzinfo=BAKU), CALENDAR, "mon", "08:00")
    assert not weekly_due(datetime(2026, 11, 18, 9, 0, tzinfo=BAKU), CALENDAR, "thu", "08:00")
    week, since, until = previous_week(datetime(2026, 11, 16, 8, 0, tzinfo=BAKU), CALENDAR)
    assert (week, since, until) == ("2026-W46", datetime(2026, 11, 9, tzinfo=BAKU), datetime(2026, 11, 16, tzinfo=BAKU))


def test_weekly_report_is_mailed_once_per_week(desk, tmp_path):
    config = load_config(desk)
    calendar = BusinessCalendar(zone=BAKU)
    outbox = tmp_path / "reports"
    transport = EmlFolderTransport(outbox)
    from gateway.store.models import db
    before = datetime(2026, 11, 16, 7, 0, tzinfo=BAKU)
    assert mail_weekly_report(config, calendar, db.obj, transport, before, "t") is None
    monday = datetime(2026, 11, 16, 8, 5, tzinfo=BAKU)
    assert mail_weekly_report(config, calendar, db.obj, transport, monday, "t") == "2026-W46"
    assert mail_weekly_report(config, calendar, db.obj, transport, monday, "t2") is None
    sent = list(outbox.glob("*.eml"))
    assert len(sent) == 1
    message = email.message_from_bytes(sent[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "manager@shop.test" and message["Subject"] == "Complaints report 2026-W46"
    assert message["Auto-Submitted"] == "auto-generated"
    assert "<svg" in message.get_body(("html",)).get_content()
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "complaints-2026-W46.csv"
    assert "received,complaints,4" in attachment.get_content()  # C, D, E, G were received in week 46


def test_a_failed_report_mail_is_tried_again(desk, smtp_peer_factory):
    config = load_config(desk)
    peer = smtp_peer_factory(default_reply="451 4.3.0 try later")
    failing = SmtpTransport(SmtpOutbound(host=peer.host, port=peer.port, security="none", timeout=10))
    from gateway.store.models import db
    monday = datetime(2026, 11, 16, 9, 0, tzinfo=BAKU)
    with pytest.raises(TemporaryFailure):
        mail_weekly_report(config, CALENDAR, db.obj, failing, monday, "t")
    assert JobRun.select().count() == 0  # the claim was given back
    working = smtp_peer_factory()
    transport = SmtpTransport(SmtpOutbound(host=working.host, port=working.port, security="none", timeout=10))
    assert mail_weekly_report(config, CALENDAR, db.obj, transport, monday, "t") == "2026-W46"
    assert working.wait_for(1)[0].rcpt_tos == ("manager@shop.test",)
