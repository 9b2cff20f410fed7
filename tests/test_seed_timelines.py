"""Each seed policy lived through day by day, as its `examples/` block sets it up.

`gateway ingest --now` / `gateway tick --now` across weekends and the country's
public holidays; every mail the gateway sends is checked: the day and hour it
went, its language, and that it says what the policy promises and nothing untrue
(no invented date, no "deadline approaching" after the deadline, no delay notice
repeated).
"""
from __future__ import annotations

from datetime import date, time

from gatewaykit import mail
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
    assert desk.show(tracking)["priority"] == "high"
    ack = desk.mail_of(tracking, "ack")[0]
    assert "28 Nisan 2026, 18:00" in ack.text and ack.language == "tr"
    assert ack.date_header.endswith("+0300")

    # nobody touches it; the sweep runs through 28-30 April, Labour Day (1 May), the weekend, 4 May
    desk.days(date(2026, 4, 27), date(2026, 5, 4), hours=(time(9), time(13), time(14), time(18)))

    assert [(when, kind) for when, kind, _ in desk.timeline(tracking, DEADLINE_KINDS)] == [
        (at(2026, 4, 28, 14), "reminder"),     # half a business day before 28 April 18:00
        (at(2026, 4, 28, 18), "delay"),        # the customer: once, with the policy's date
        (at(2026, 4, 28, 18), "escalation"),   # the deadline missed: staff, once
        (at(2026, 5, 4, 14), "reminder"),      # before the date the customer was given
        (at(2026, 5, 4, 18), "delay"),         # that one missed too: the customer is told again (the
        (at(2026, 5, 4, 18), "escalation"),    # ack promised it), staff hear once more
    ]
    delay = desk.mail_of(tracking, "delay")[0]
    # 28 April + 3 business days (resolve = 3; 1 May a holiday, 2-3 May the weekend): 4 May 18:00,
    # and that is the date the complaint now runs to: the notice is true
    assert "4 Mayıs 2026, 18:00" in delay.text and delay.language == "tr"
    assert "size bildirdiğimiz tarihe (28 Nisan 2026, 18:00) kadar tamamlayamadık" in delay.text
    data = desk.show(tracking)
    assert data["due"]["resolve"].startswith("2026-05-07T15:00")  # the second notice's date, 3 days on
    second = desk.mail_of(tracking, "delay")[1]
    assert "(4 Mayıs 2026, 18:00)" in second.text and "7 Mayıs 2026, 18:00" in second.text
    # the escalation names the deadline that was missed, as it was when it was missed
    escalation = desk.mail_of(tracking, "escalation")[0]
    assert "28 Nisan 2026, 18:00" in escalation.text and "4 Mayıs" not in escalation.text
    reminder = desk.mail_of(tracking, "reminder")[0]
    assert "28 Nisan 2026, 18:00" in reminder.text


def test_004_every_rejection_is_investigated_again_never_escalated(tmp_path):
    desk = key_internet(tmp_path)
    at = desk.at
    tracking = desk.ingest(mail(sender=TR_CUSTOMER, name="Mehmet Yılmaz", subject="Faturamda hata var",
                                body="Merhaba, bu ayki faturamda kullanmadığım bir ücret var. Tel: 0532 123 45 67"),
                           at(2026, 6, 1, 10))
    staff_new = desk.mail_of(tracking, "staff_new")[0]
    for round_, day in enumerate((2, 3, 4), 1):
        desk.reply("uzman@shop.example", staff_new, f"#resolve\nÜcreti iade ettik ({round_}).", at(2026, 6, day, 10))
        answer = desk.mail_of(tracking, "resolution")[-1]
        assert answer.language == "tr" and f"({round_})" in answer.text
        desk.reply(TR_CUSTOMER, answer, "Kabul etmiyorum, sorun devam ediyor.", at(2026, 6, day, 11))
        data = desk.show(tracking)
        assert data["status"] == "reopened" and data["reject_count"] == round_
        reopened = desk.mail_of(tracking, "reopened")[-1]
        # investigated again with a fresh, true date: the normal priority's 3 business days from now
        assert reopened.language == "tr" and "Gelişmeler" not in reopened.subject
        update = [s for s in desk.mail_of(tracking, "staff_update") if s.at == at(2026, 6, day, 11)]
        assert update and "Kabul etmiyorum, sorun devam ediyor." in update[0].text  # the customer's words
    assert not desk.mail_of(tracking, "remedies") and not desk.mail_of(tracking, "escalation")


# ---------------------------------------------------------------- seeds 000 (az) / 001 (ru): 3 and 10 days

AZ_CUSTOMER = "aysel@example.az"
AGENT = "agent@shop.example"


def kontakt_home(tmp_path) -> Timeline:
    return Timeline(adopt("policy-az-3-10.toml", tmp_path), "Asia/Baku")


def test_000_before_novruz_one_true_delay_notice_then_answer_accept_close_and_reopen(tmp_path):
    desk = kontakt_home(tmp_path)
    at = desk.at
    # Thursday 19 March 2026; Novruz and Ramadan Bayram keep Baku off work from 20 to 30 March
    tracking = desk.ingest(mail(sender=AZ_CUSTOMER, name="Aysel Məmmədova", subject="Paltaryuyan maşın işləmir",
                                body="Salam, ötən həftə aldığım paltaryuyan maşın işləmir. Telefon: 050 123 45 67"),
                           at(2026, 3, 19, 10))
    ack = desk.mail_of(tracking, "ack")[0]
    assert ack.language == "az" and ack.at == at(2026, 3, 19, 10) and ack.date_header.endswith("+0400")
    assert "13 aprel 2026, 18:00" in ack.text  # 10 business days after the holidays

    desk.days(date(2026, 3, 19), date(2026, 4, 13), hours=(time(9), time(18)))
    assert [(when, kind) for when, kind, _ in desk.timeline(tracking, DEADLINE_KINDS)] == [
        (at(2026, 4, 2, 9), "reminder"),      # review (3 days) due 2 April 18:00: one business day before
        (at(2026, 4, 2, 18), "escalation"),
        (at(2026, 4, 13, 9), "reminder"),     # resolution due Monday 13 April 18:00
        (at(2026, 4, 13, 18), "delay"),       # "the reason and the nearest date", once
        (at(2026, 4, 13, 18), "escalation"),
    ]
    delay = desk.mail_of(tracking, "delay")[0]
    assert delay.language == "az" and "Həllin ən yaxın tarixi: 27 aprel 2026, 18:00." in delay.text
    assert desk.show(tracking)["due"]["resolve"].startswith("2026-04-27T14:00")  # the notice is true

    staff_new = desk.mail_of(tracking, "staff_new")[0]
    assert staff_new.language == "az"
    desk.reply(AGENT, staff_new, "#resolve\nUsta sabah gəlib maşını pulsuz təmir edəcək.", at(2026, 4, 14, 10))
    resolution = desk.mail_of(tracking, "resolution")[0]
    assert resolution.language == "az" and "pulsuz təmir" in resolution.text
    desk.reply(AZ_CUSTOMER, resolution, "Qəbul edirəm, təşəkkürlər.", at(2026, 4, 14, 12))
    closed = desk.mail_of(tracking, "closed")[0]
    assert desk.show(tracking)["status"] == "closed"
    assert "30 gün ərzində" in closed.text and f"[{tracking}]" in closed.text  # reply: reopened; footer agrees

    desk.reply(AZ_CUSTOMER, closed, "Maşın yenə işləmir, təmir kömək etmədi.", at(2026, 4, 20, 11))
    data = desk.show(tracking)
    assert data["status"] == "reopened"
    reopened = desk.mail_of(tracking, "reopened")[0]
    assert reopened.language == "az" and "bu yaxınlarda bağlandığı üçün" in reopened.text
    assert "qəbul etmədiyiniz" not in reopened.text.lower()


def test_001_russian_customer_reads_russian_sentences_and_no_codes(tmp_path):
    desk = kontakt_home(tmp_path)
    at = desk.at
    tracking = desk.ingest(mail(sender="oleg@example.ru", name="Олег Петров", subject="Не работает холодильник",
                                body="Здравствуйте, холодильник, купленный в вашем магазине, не морозит."),
                           at(2026, 11, 23, 10))
    ack = desk.mail_of(tracking, "ack")[0]
    assert ack.language == "ru" and "7 декабря 2026 г., 18:00" in ack.text or "7 декабря 2026" in ack.text
    desk.reply("oleg@example.ru", ack, "Какой статус моей жалобы?", at(2026, 11, 24, 10))
    status = desk.mail_of(tracking, "status")[0]
    assert status.language == "ru" and "Ваша жалоба зарегистрирована." in status.text
    assert "created" not in status.text and "registered" not in status.text


# ---------------------------------------------------------------- seed 003: Poliser, stages 2 / 4 / 1

RU_CUSTOMER = "irina@example.ru"


def poliser(tmp_path) -> Timeline:
    return Timeline(adopt("policy-stages-2-4-1.toml", tmp_path), "Europe/Istanbul")


def test_003_rejected_twice_gets_remedies_and_shows_no_date_while_no_deadline_runs(tmp_path):
    desk = poliser(tmp_path)
    at = desk.at
    tracking = desk.ingest(mail(sender=RU_CUSTOMER, name="Ирина Смирнова", subject="Не пришёл возврат",
                                body="Здравствуйте, возврат за отменённый заказ так и не пришёл на карту."),
                           at(2026, 12, 7, 10))
    ack = desk.mail_of(tracking, "ack")[0]
    assert ack.language == "ru" and ack.date_header.endswith("+0300")
    assert "16 декабря 2026" in ack.text and "17:30" in ack.text  # 7 business days, at 17:30 in Istanbul
    staff_new = desk.mail_of(tracking, "staff_new")[0]
    desk.reply(AGENT, staff_new, "#status investigating\nПроверяем платёж в банке.", at(2026, 12, 8, 9))
    desk.reply(AGENT, staff_new, "#resolve\nВозврат отправлен повторно.", at(2026, 12, 10, 9))
    answer = desk.mail_of(tracking, "resolution")[0]
    desk.reply(RU_CUSTOMER, answer, "Не принимаю, денег нет.", at(2026, 12, 10, 12))
    reopened = desk.mail_of(tracking, "reopened")[0]
    assert reopened.language == "ru" and "не приняли" in reopened.text
    desk.reply(AGENT, staff_new, "#resolve\nБанк подтвердил зачисление.", at(2026, 12, 11, 9))
    answer = desk.mail_of(tracking, "resolution")[1]
    desk.reply(RU_CUSTOMER, answer, "Не принимаю.", at(2026, 12, 11, 12))
    data = desk.show(tracking)
    assert data["status"] == "escalated" and data["reject_count"] == 2
    remedies = desk.mail_of(tracking, "remedies")[0]
    assert remedies.language == "ru" and "в комиссию по потребительским спорам" in remedies.text
    words = [s for s in desk.mail_of(tracking, "staff_update") if s.at == at(2026, 12, 11, 12)]
    assert words and "Не принимаю." in words[0].text  # staff read the customer, not a deadline template

    desk.reply(RU_CUSTOMER, remedies, "Какой статус?", at(2026, 12, 14, 10))
    status = desk.mail_of(tracking, "status")[0]
    assert "Статус: Актуальна" in status.text
    assert "Ожидаемый срок решения" not in status.text  # no deadline runs while escalated
    desk.days(date(2026, 12, 14), date(2026, 12, 24), hours=(time(17, 30),))
    assert desk.timeline(tracking, ("delay", "reminder", "escalation")) == []


# ---------------------------------------------------------------- seed 002: same day, interim updates, KVKK

def test_002_same_day_acknowledgement_interim_updates_on_business_days_and_the_kvkk_warning(tmp_path):
    from gateway import config as config_module
    from gateway.desk.business import BusinessCalendar
    config = adopt("policy-tr-same-day.toml", tmp_path)
    desk = Timeline(config, "Europe/Istanbul")
    cfg = config_module.load(config)
    cal = BusinessCalendar.from_config(cfg.calendar, cfg.business_zone)
    at = desk.at
    # Monday 26 October 2026; 29 October (Republic Day) is a public holiday in Turkey
    received = at(2026, 10, 26, 10)
    tracking = desk.ingest(mail(sender=TR_CUSTOMER, name="Ayşe Demir", subject="Ürün iadesi yapılmadı",
                                body="Merhaba, iade ettiğim ürünün ücreti hâlâ yatmadı. Hastalığım nedeniyle "
                                     "mağazaya gelemiyorum, sağlık raporumu ekleyebilirim."), received)
    ack = desk.mail_of(tracking, "ack")[0]
    assert ack.at == received and ack.language == "tr" and tracking in ack.subject  # the same day, with the number
    due = desk.show(tracking)["due"]
    assert due["acknowledge"].startswith("2026-10-26T15:00")  # the end of that business day (18:00 Istanbul)
    privacy = desk.mail_of(tracking, "privacy")
    assert [p.at for p in privacy] == [received] and privacy[0].language == "tr"

    desk.days(date(2026, 10, 26), date(2026, 11, 6), hours=(time(10), time(18)))
    interims = desk.mail_of(tracking, "interim")
    assert interims, "the policy promises interim updates"
    expected, start = [], received
    while True:  # every 3 business days from the last one: never on 29 October or a weekend
        start = cal.add_business_days(start, 3)
        if start > at(2026, 11, 6, 18):
            break
        expected.append(start)
    assert [s.at for s in interims] == [min(t for t in (at(d.year, d.month, d.day, h) for d in [e.date()]
                                                        for h in (10, 18)) if t >= e) for e in expected]
    for interim in interims:
        assert interim.language == "tr" and cal.is_business_day(interim.at.date())
        assert "Son yapılan işlem: Şikâyetiniz kayıt altına alındı." in interim.text
    assert len(desk.mail_of(tracking, "privacy")) == 1
