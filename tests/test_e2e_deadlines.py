"""Business-day deadlines end to end: `gateway ingest --now`, `gateway tick --now`, the outbox.

The clock is only ever the --now given to the CLI, so the tests walk weeks of
business time in seconds and never sleep. Outgoing mail uses the maildir
transport: every mail the gateway sends is one storage/outgoing/*.eml, named by
its Message-ID, which `show --json` maps back to the kind of mail it is.

Dates below were worked out by hand from the policy in gatewaykit.BASE_CONFIG
(Baku time, 09:00-18:00, Azerbaijani public holidays, acknowledge 3 / review 3 /
resolve 10 business days, reminders 1 business day ahead, due dates at close of
business), so a wrong calendar or a wrong sweep fails here.
"""
from __future__ import annotations

import email
import email.policy
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from gatewaykit import mail, write_config
from timeline import Timeline

BAKU = ZoneInfo("Asia/Baku")
CUSTOMER = "aysel@example.az"
STAFF = "agent@shop.test"
HEAD = "head@shop.test"
DEPARTMENT = "logistics@shop.example"  # rules/30-routing.toml: delivery complaints go to logistics
AZ_COMPLAINT = ("Salam, sifarişim 10 gündür çatdırılmayıb. Zəhmət olmasa kömək edin, "
                "telefon 050 123 45 67.")
SLA = f'escalate_to = "{HEAD}"\n'


def baku(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BAKU)


def utc_iso(moment: datetime) -> str:
    """How `show --json` writes a stored instant."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat() + "Z"


class Desk(Timeline):
    """One gateway config (gatewaykit.BASE_CONFIG, Baku) in a temp dir, driven through the CLI."""

    def __init__(self, directory: Path, sla: str = SLA):
        super().__init__(write_config(directory, extra=sla), "Asia/Baku")

    def ticks(self, first: date, last: date, hours: tuple[int, ...] = (9, 18)) -> None:
        """Tick at each of `hours` (Baku) of every weekday from first to last: at the opening and
        the close of business, when reminders and escalations fall due. (Weekends are left out to
        keep the suite quick; the due dates asserted already skip them.)"""
        self.days(first, last, hours=tuple(time(hour) for hour in hours), weekends=False)

    def staff_reply(self, tracking: str, text: str, at: datetime) -> None:
        """A staff member answers the new-complaint notification from their mail client."""
        self.reply(STAFF, self.mail_of(tracking, "staff_new")[0], text, at)

    def customer_reply(self, tracking: str, text: str, at: datetime) -> None:
        last = [s for s in self.sent if s.to == CUSTOMER and tracking in s.subject][-1]
        self.reply(CUSTOMER, last, text, at)


def az_complaint(subject: str = "Sifarişim gecikir") -> bytes:
    return mail(sender=CUSTOMER, name="Aysel Məmmədova", subject=subject, body=AZ_COMPLAINT)


DEADLINE_KINDS = ("reminder", "escalation", "delay", "closed", "interim")


# ---------------------------------------------------------------- Friday 17:30 in Baku

def test_friday_evening_complaint_every_deadline_mail_once_on_its_day(tmp_path):
    desk = Desk(tmp_path)
    tracking = desk.ingest(az_complaint(), baku(2026, 11, 27, 17, 30))
    data = desk.show(tracking)
    # 0.5 h on Friday, then Mon, Tue and most of Wed: due at the close of Wednesday 2 December;
    # ten business days run to Friday 11 December (no Azerbaijani holiday in between).
    assert data["due"] == {"acknowledge": utc_iso(baku(2026, 12, 2, 18)), "stage": utc_iso(baku(2026, 12, 2, 18)),
                           "resolve": utc_iso(baku(2026, 12, 11, 18))}
    ack = desk.mail_of(tracking, "ack")[0]
    assert ack.to == CUSTOMER and "11 dekabr 2026, 18:00" in ack.text  # the promise, in Azerbaijani

    desk.ticks(date(2026, 11, 28), date(2026, 12, 11))

    assert desk.timeline(tracking, DEADLINE_KINDS) == [
        (baku(2026, 12, 2, 9), "reminder", DEPARTMENT),    # review stage: one business day ahead
        (baku(2026, 12, 2, 18), "escalation", HEAD),       # review stage missed
        (baku(2026, 12, 11, 9), "reminder", DEPARTMENT),   # resolution: one business day ahead
        (baku(2026, 12, 11, 18), "delay", CUSTOMER),       # resolution missed: the customer is told why
        (baku(2026, 12, 11, 18), "escalation", HEAD),      # and when, and the head of department hears
    ]
    delay = desk.mail_of(tracking, "delay")[0]
    assert tracking in delay.subject and "Şikayətinizin həlli" in delay.subject
    # no reason from staff: only true facts (the date given passed), never an invented reason;
    # the next date is one more resolution period
    assert "baxışı sizə bildirdiyimiz tarixədək (11 dekabr 2026, 18:00) başa çatdıra bilmədik" in delay.text
    assert "yoxlama" not in delay.text and "Səbəb" not in delay.text
    assert "Həllin ən yaxın tarixi: 25 dekabr 2026, 18:00." in delay.text
    assert desk.show(tracking)["due"]["resolve"] == utc_iso(baku(2026, 12, 25, 18))

    assert desk.tick(baku(2026, 12, 11, 18)) == []  # the same moment again: nothing new
    assert desk.tick(baku(2026, 12, 12, 12)) == []


def test_daemon_down_for_days_catches_up_once_and_promises_a_future_date(tmp_path):
    desk = Desk(tmp_path)
    tracking = desk.ingest(az_complaint(), baku(2026, 11, 27, 17, 30))
    sent = desk.tick(baku(2026, 12, 14, 12))  # nothing ran from Friday 27 November to Monday 14 December
    kinds = desk.kinds(tracking)
    # both deadlines passed: no "deadline approaching" reminder, one escalation each, one delay notice
    assert sorted(kinds[s.message_id] for s in sent) == ["delay", "escalation", "escalation"]
    delay = desk.mail_of(tracking, "delay")[0]
    # counted from now, not from the missed date, so the promise is not already in the past
    assert "28 dekabr 2026, 18:00" in delay.text
    assert desk.tick(baku(2026, 12, 14, 12)) == []
    assert desk.tick(baku(2026, 12, 14, 13)) == []


# ---------------------------------------------------------------- before Novruz

def test_complaint_before_novruz_skips_the_holidays(tmp_path):
    desk = Desk(tmp_path)
    tracking = desk.ingest(az_complaint("Bağlama gəlmədi"), baku(2026, 3, 19, 10))
    # Novruz and Ramadan Bayram: 20-30 March 2026 are holidays (with the moved days off);
    # 8 h on Thursday 19 March, then from Tuesday 31 March.
    data = desk.show(tracking)
    assert data["due"]["acknowledge"] == utc_iso(baku(2026, 4, 2, 18))
    assert data["due"]["resolve"] == utc_iso(baku(2026, 4, 13, 18))
    assert "13 aprel 2026, 18:00" in desk.mail_of(tracking, "ack")[0].text
    desk.ticks(date(2026, 3, 20), date(2026, 4, 2), hours=(12,))
    assert desk.timeline(tracking, DEADLINE_KINDS) == [(baku(2026, 4, 2, 12), "reminder", DEPARTMENT)]


# ---------------------------------------------------------------- staff steering the clock

def test_ask_pauses_the_clock_and_the_answer_resumes_it_with_the_time_left(tmp_path):
    desk = Desk(tmp_path)
    tracking = desk.ingest(az_complaint(), baku(2026, 11, 27, 17, 30))
    desk.staff_reply(tracking, "#ask\nZəhmət olmasa sifariş nömrənizi göndərin.", baku(2026, 11, 30, 12))
    assert desk.show(tracking)["status"] == "waiting_customer"

    desk.ticks(date(2026, 11, 30), date(2026, 12, 6))  # the original stage deadline passes while paused
    assert desk.timeline(tracking, DEADLINE_KINDS) == []

    desk.customer_reply(tracking, "Sifariş nömrəsi 778812.", baku(2026, 12, 7, 12))
    data = desk.show(tracking)
    assert data["status"] == "registered"  # back where it was when staff asked
    # paused Monday 12:00 with 6 h + 2 days left to the stage and 6 h + 9 days to the resolution
    # deadline; resumed a week later, the same business time is left
    assert data["due"]["stage"] == utc_iso(baku(2026, 12, 9, 18))
    assert data["due"]["resolve"] == utc_iso(baku(2026, 12, 18, 18))

    desk.ticks(date(2026, 12, 7), date(2026, 12, 9))
    assert desk.timeline(tracking, DEADLINE_KINDS) == [
        (baku(2026, 12, 9, 9), "reminder", STAFF),  # the staff member who asked is now the assignee
        (baku(2026, 12, 9, 18), "escalation", HEAD),
    ]


def test_extend_moves_the_resolution_date_and_tells_the_customer_why(tmp_path):
    desk = Desk(tmp_path)
    tracking = desk.ingest(az_complaint(), baku(2026, 11, 27, 17, 30))
    desk.ticks(date(2026, 11, 28), date(2026, 12, 2))  # the review stage's reminder and escalation
    desk.staff_reply(tracking, "#extend 2026-12-18 Təchizatçıdan cavab gözləyirik", baku(2026, 12, 3, 11))
    assert desk.show(tracking)["due"]["resolve"] == utc_iso(baku(2026, 12, 18, 18))
    delays = desk.mail_of(tracking, "delay")
    assert [(d.at, d.to) for d in delays] == [(baku(2026, 12, 3, 11), CUSTOMER)]
    assert "Səbəb: Təchizatçıdan cavab gözləyirik" in delays[0].text
    assert "Həllin ən yaxın tarixi: 18 dekabr 2026, 18:00." in delays[0].text

    desk.ticks(date(2026, 12, 10), date(2026, 12, 11))  # the old date
    desk.ticks(date(2026, 12, 17), date(2026, 12, 18))  # the new one
    assert [(at, kind) for at, kind, _ in desk.timeline(tracking, DEADLINE_KINDS)] == [
        (baku(2026, 12, 2, 9), "reminder"),
        (baku(2026, 12, 2, 18), "escalation"),
        (baku(2026, 12, 3, 11), "delay"),          # from #extend; nothing on 11 December, the old date
        (baku(2026, 12, 18, 9), "reminder"),
        (baku(2026, 12, 18, 18), "delay"),         # staff's own date passed: the customer hears that
        (baku(2026, 12, 18, 18), "escalation"),    # and the next date, staff hear once
    ]
    assert "başa çatdıra bilmədik" not in delays[0].text  # made before 11 December: planned
    missed = desk.mail_of(tracking, "delay")[1]
    # the reason staff gave for the first new date is not repeated as if it still held
    assert "18 dekabr 2026, 18:00" in missed.text and "Səbəb" not in missed.text


def test_mail_after_a_missed_deadline_does_not_cancel_its_actions(tmp_path):
    desk = Desk(tmp_path)
    tracking = desk.ingest(az_complaint(), baku(2026, 11, 27, 17, 30))
    # the daemon was down from Friday 27 November; the customer's question is the first thing it sees
    desk.customer_reply(tracking, "status", baku(2026, 12, 14, 12))
    assert sorted(kind for _, kind, _ in desk.timeline(tracking, DEADLINE_KINDS)) == [
        "delay", "escalation", "escalation"]


def test_priority_change_never_moves_the_date_the_customer_was_given(tmp_path):
    """Finding 05: a raised priority once told the customer "we could not resolve it in the
    promised time" with a "nearest date" earlier than the promise; a lowered one moved the
    promise later without a word. The promise stands; an earlier priority date is the staff's target."""
    desk = Desk(tmp_path, sla=SLA + "priority_resolve = {high = 1, normal = 3, low = 5}\n")
    tracking = desk.ingest(az_complaint(), baku(2026, 11, 27, 17, 30))
    first = desk.show(tracking)["due"]
    assert first["resolve"] == utc_iso(baku(2026, 12, 2, 18))  # normal: 3 business days (seed 004)

    desk.staff_reply(tracking, "#note\n#priority high\nTəkrar müraciət edən müştəri.", baku(2026, 11, 30, 8))
    data = desk.show(tracking)
    assert data["priority"] == "high"
    assert data["due"]["resolve"] == first["resolve"]  # the promise
    assert data["due"]["stage"] == utc_iso(baku(2026, 11, 30, 18))  # staff's target: 1 business day from receipt
    assert data["due"]["acknowledge"] == first["acknowledge"]

    desk.staff_reply(tracking, "#note\n#priority low", baku(2026, 11, 30, 8, 30))
    data = desk.show(tracking)
    assert data["due"]["resolve"] == first["resolve"]  # later: nothing the customer was told moves
    assert "#extend" in [e for e in data["events"] if e["kind"] == "priority"][-1]["detail"]

    desk.staff_reply(tracking, "#note\n#priority high", baku(2026, 11, 30, 8, 45))
    desk.ticks(date(2026, 11, 30), date(2026, 12, 2))
    timeline = [(at, kind) for at, kind, _ in desk.timeline(tracking, DEADLINE_KINDS)]
    assert (baku(2026, 11, 30, 18), "escalation") in timeline  # the staff target missed: staff hear
    # the customer hears of a delay only when the date they were given passes, and it names that date
    assert [at for at, kind in timeline if kind == "delay"] == [baku(2026, 12, 2, 18)]
    assert "2 dekabr 2026, 18:00" in desk.mail_of(tracking, "delay")[0].text


def test_resolved_without_an_answer_is_closed_once(tmp_path):
    desk = Desk(tmp_path)
    tracking = desk.ingest(az_complaint(), baku(2026, 11, 27, 17, 30))
    desk.staff_reply(tracking, "#resolve\nBağlamanız sabah çatdırılacaq.", baku(2026, 11, 30, 10))
    assert desk.show(tracking)["status"] == "resolved"

    desk.ticks(date(2026, 11, 30), date(2026, 12, 6))  # no deadline mail for a resolved complaint
    assert desk.timeline(tracking, DEADLINE_KINDS) == []
    assert desk.tick(baku(2026, 12, 7, 9, 59)) == []
    closing = desk.tick(baku(2026, 12, 7, 10))  # five business days after the resolution
    assert [(s.to, desk.kinds(tracking)[s.message_id]) for s in closing] == [(CUSTOMER, "closed")]
    assert closing[0].subject == f"Şikayətiniz bağlandı [{tracking}]"
    data = desk.show(tracking)
    assert data["status"] == "closed" and data["closed_at"] == utc_iso(baku(2026, 12, 7, 10))
    desk.ticks(date(2026, 12, 8), date(2026, 12, 14), hours=(12,))
    assert desk.timeline(tracking, DEADLINE_KINDS) == [(baku(2026, 12, 7, 10), "closed", CUSTOMER)]


# ---------------------------------------------------------------- list --overdue

def test_list_overdue_shows_open_complaints_past_their_resolution_date(tmp_path):
    desk = Desk(tmp_path)
    late = desk.ingest(az_complaint(), baku(2026, 11, 27, 17, 30))  # due 11 December 18:00
    recent = desk.ingest(mail(sender="oleg@example.ru", subject="Посылка задерживается",
                              body="Здравствуйте, моя посылка задерживается уже неделю."), baku(2026, 12, 7, 10))
    resolved = desk.ingest(mail(sender="mehmet@example.com.tr", subject="Kargo gecikti",
                                body="Merhaba, kargom bir haftadır gelmedi."), baku(2026, 11, 27, 12))
    desk.staff_reply(resolved, "#resolve\nKargonuz teslim edildi.", baku(2026, 11, 30, 10))

    def overdue(at: datetime) -> list[str]:
        return [row["tracking"] for row in desk.listing("--overdue", "--now", at.isoformat())]

    assert overdue(baku(2026, 12, 11, 17, 59)) == []
    rows = desk.listing("--overdue", "--now", baku(2026, 12, 11, 18, 1).isoformat())
    assert [row["tracking"] for row in rows] == [late]
    assert rows[0]["due"]["resolve"] == utc_iso(baku(2026, 12, 11, 18)) and rows[0]["status"] == "registered"
    assert recent not in overdue(baku(2026, 12, 21, 17, 59))
    assert set(overdue(baku(2026, 12, 21, 18, 1))) == {late, recent}



# ---------------------------------------------------------------- one business time zone

ISTANBUL = ZoneInfo("Europe/Istanbul")


def istanbul_desk(tmp_path: Path) -> Desk:
    """A Turkish desk set up as the examples/ block says: only [calendar] timezone names the zone."""
    desk = Desk(tmp_path)
    text = desk.config.read_text().replace('timezone = "Asia/Baku"\n', "")
    desk.config.write_text(text.replace('[calendar]\ncountry = "AZ"',
                                        '[calendar]\ncountry = "TR"\ntimezone = "Europe/Istanbul"'))
    return desk


def test_a_turkish_desk_reads_every_time_in_istanbul_time(tmp_path):
    desk = istanbul_desk(tmp_path)
    at = datetime(2026, 12, 1, 10, 0, tzinfo=ISTANBUL)  # Tuesday 10:00 in Istanbul
    tracking = desk.ingest(mail(sender="mehmet@example.com.tr", subject="Kargo gecikti",
                                body="Merhaba, kargom bir haftadır gelmedi, yardımcı olur musunuz?"), at)
    ack = desk.mail_of(tracking, "ack")[0]
    assert "15 Aralık 2026, 18:00" in ack.text, ack.text  # 10 business days, at the close in Istanbul
    message = email.message_from_bytes(next(desk.outgoing.glob("*.eml")).read_bytes(), policy=email.policy.default)
    assert str(message["Date"]).endswith("+0300")  # the business zone's clock on the envelope too
    desk.ingest(mail(sender="mehmet@example.com.tr", subject=f"Re: {ack.subject}", body="durum"),
                at + timedelta(hours=1))
    status = desk.mail_of(tracking, "status")[0]
    assert "10:00" in status.text and "11:00" not in status.text.split("Kayıt tarihi")[1].splitlines()[0]

    desk.staff_reply(tracking, "#extend 2026-12-18 Tedarikçiden yanıt bekliyoruz", at + timedelta(hours=2))
    # the end of the business day in Istanbul (18:00 +03:00 = 15:00 UTC), not in Baku or UTC
    assert desk.show(tracking)["due"]["resolve"] == utc_iso(datetime(2026, 12, 18, 18, tzinfo=ISTANBUL))
    delay = desk.mail_of(tracking, "delay")[0]
    assert "18 Aralık 2026, 18:00" in delay.text


def test_extend_before_the_deadline_is_planned_and_a_saturday_lands_on_monday(tmp_path):
    desk = Desk(tmp_path)
    tracking = desk.ingest(az_complaint(), baku(2026, 11, 27, 17, 30))  # due 11 December 18:00
    desk.staff_reply(tracking, "#extend 2026-12-12 Təchizatçıdan cavab gözləyirik", baku(2026, 12, 7, 11))
    assert desk.show(tracking)["due"]["resolve"] == utc_iso(baku(2026, 12, 14, 18))  # Saturday -> Monday
    delay = desk.mail_of(tracking, "delay")[0]
    assert "başa çatdıra bilmədik" not in delay.text  # nothing was missed yet
    assert "həmin tarix çatmadan" in delay.text and "14 dekabr 2026, 18:00" in delay.text
    told = desk.mail_of(tracking, "extended")
    assert [s.to for s in told] == [STAFF] and "2026-12-12" in told[0].text and "14 December 2026" in told[0].text  # staff: en

    desk.ticks(date(2026, 12, 11), date(2026, 12, 14))
    assert [(at, kind) for at, kind, _ in desk.timeline(tracking, DEADLINE_KINDS) if kind != "delay"] == [
        (baku(2026, 12, 7, 11), "escalation"),   # the review stage (2 December), missed while nothing ticked
        (baku(2026, 12, 14, 9), "reminder"),     # one business day (9 working hours) before the new date
        (baku(2026, 12, 14, 18), "escalation")]  # the new date missed: once
    # the date staff gave passed too: the customer is told, once, with the policy's next date
    assert [d.at for d in desk.mail_of(tracking, "delay")] == [baku(2026, 12, 7, 11), baku(2026, 12, 14, 18)]


def test_extend_to_a_date_already_past_is_refused(tmp_path):
    desk = Desk(tmp_path)
    tracking = desk.ingest(az_complaint(), baku(2026, 11, 27, 17, 30))
    desk.staff_reply(tracking, "#extend 2026-11-30 gecikmə", baku(2026, 12, 7, 11))
    assert desk.mail_of(tracking, "command_error") and not desk.mail_of(tracking, "delay")
    assert desk.show(tracking)["due"]["resolve"] == utc_iso(baku(2026, 12, 11, 18))


def test_an_unanswered_question_reminds_staff_once_and_tells_the_customer_nothing(tmp_path):
    """Finding 11i: an #ask left unanswered kept the complaint paused, silently, for weeks."""
    desk = Desk(tmp_path)
    tracking = desk.ingest(az_complaint(), baku(2026, 11, 27, 17, 30))
    desk.staff_reply(tracking, "#ask\nSifariş nömrənizi yazın, zəhmət olmasa.", baku(2026, 11, 30, 12))
    desk.ticks(date(2026, 11, 30), date(2026, 12, 21))
    timeline = desk.timeline(tracking, DEADLINE_KINDS)
    # five business days on (Monday 7 December, 12:00), at the sweep's next tick; once
    assert [(at.date(), kind, to) for at, kind, to in timeline] == [(date(2026, 12, 7), "reminder", STAFF)]
    reminder = desk.mail_of(tracking, "reminder")[0]
    assert "#ask" in reminder.text and "#close" in reminder.text
