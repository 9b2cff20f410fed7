"""Staff replies: commands, relay modes, refused commands (no database)."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone

import pytest

from gateway import config as config_module
from gateway.desk.policy import Policy
from gateway.desk.view import ComplaintView
from gateway.ingest.steer import steer
from gateway.mail.parse import parse
from gatewaykit import write_config

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    return Policy.load(config_module.load(write_config(tmp_path_factory.mktemp("cfg"))))


def reply(body: str, subject: str = "Re: [CC-2026-4K7PQ2MX] Order"):
    return parse(f"From: agent@shop.test\r\nTo: care@shop.test\r\nSubject: {subject}\r\n"
                 f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}".encode())


def view(status: str = "registered", **extra) -> ComplaintView:
    return ComplaintView(id=7, tracking="CC-2026-4K7PQ2MX", customer_email="aysel@example.az", status=status,
                         language="az", created_at=NOW, due_resolve=NOW, **extra)


def test_plain_answer_is_relayed_and_starts_the_review(policy):
    plan = steer(reply("We are looking into it."), view(), NOW, policy)
    assert [(o.kind, o.recipient, o.language) for o in plan.outgoing] == [("relay", "aysel@example.az", "az")]
    assert plan.outgoing[0].params["message"] == "We are looking into it."
    assert plan.status == "in_review" and plan.updates["assignee"] == "agent@shop.test"


def test_commands_only_relay_nothing(policy):
    plan = steer(reply("#priority high\n#assign murad@shop.test"), view("investigating"), NOW, policy)
    assert plan.outgoing == () and plan.updates["priority"] == "high" and plan.updates["assignee"] == "murad@shop.test"


@pytest.mark.parametrize("command, kind, status", [
    ("#ask", "ask", "waiting_customer"), ("#resolve", "resolution", "resolved"), ("#close", "closed", "closed")])
def test_modes(policy, command, kind, status):
    plan = steer(reply(f"{command}\nText for the customer."), view("investigating"), NOW, policy)
    assert [o.kind for o in plan.outgoing] == [kind] and plan.status == status


def test_a_new_resolution_of_a_resolved_complaint_restarts_the_decision_clock(policy):
    """The customer is asked to decide again: the auto-close counts from this answer, not the first."""
    plan = steer(reply("#resolve\nThe refund was sent again today."), view("resolved"), NOW, policy)
    assert plan.updates["resolved_at"] == NOW and [o.kind for o in plan.outgoing] == ["resolution"]
    plain = steer(reply("It usually takes three days."), view("resolved"), NOW, policy)
    assert "resolved_at" not in plain.updates


def test_note_is_never_relayed(policy):
    plan = steer(reply("#note\nThe customer called twice."), view("investigating"), NOW, policy)
    assert plan.outgoing == () and plan.message_kind == "note"


def test_subject_command(policy):
    plan = steer(reply("Done.", subject="Re: [CC-2026-4K7PQ2MX] [status=resolved]"), view("investigating"), NOW, policy)
    assert plan.status == "resolved"


def test_extend_sets_the_date_and_tells_the_customer(policy):
    plan = steer(reply("#extend 2026-12-15 waiting for the supplier"), view("investigating"), NOW, policy)
    assert plan.updates["due_resolve"].date() == date(2026, 12, 15)
    delay = next(o for o in plan.outgoing if o.kind == "delay")
    assert delay.params["reason"] == "waiting for the supplier"
    assert not delay.params["planned"]  # view(): due_resolve == NOW, the deadline is passing
    assert [o.kind for o in plan.outgoing] == ["delay"]  # a business day: no note to staff


def test_extend_before_the_deadline_is_planned_and_a_holiday_moves_to_the_next_business_day(policy):
    later = dataclasses.replace(view("investigating"), due_resolve=datetime(2026, 12, 20, 14, tzinfo=timezone.utc))
    # 31 December (Solidarity Day) and 1-2 January (New Year) are Azerbaijani holidays, then a weekend
    plan = steer(reply("#extend 2026-12-31 waiting for the supplier"), later, NOW, policy)
    delay = next(o for o in plan.outgoing if o.kind == "delay")
    assert delay.params["planned"]
    landed = plan.updates["due_resolve"].date()
    assert landed > date(2026, 12, 31) and policy.calendar.is_business_day(landed)
    assert all(not policy.calendar.is_business_day(date(2026, 12, 31) + timedelta(days=d))
               for d in range((landed - date(2026, 12, 31)).days))  # every day skipped is a day off
    told = next(o for o in plan.outgoing if o.kind == "extended")
    assert told.recipient == "agent@shop.test" and told.audience == "staff" and told.params["asked"] == "2026-12-31"


def test_extend_to_an_earlier_date_is_good_news_not_a_delay(policy):
    """Finding 08: an earlier date was told as "it takes longer"; it is told as good news now."""
    promised = datetime(2026, 12, 20, 14, tzinfo=timezone.utc)
    later = dataclasses.replace(view("investigating"), due_resolve=promised, due_stage=promised)
    plan = steer(reply("#extend 2026-12-01 the part arrived early"), later, NOW, policy)
    delay = next(o for o in plan.outgoing if o.kind == "delay")
    assert delay.params["earlier"] and delay.params["old_date"] == promised.isoformat()
    assert plan.updates["due_resolve"].date() == date(2026, 12, 1)
    assert plan.updates["due_stage"] == plan.updates["due_resolve"]  # no stage ends after the new date


def test_extend_to_the_date_already_given_is_refused(policy):
    given = datetime(2026, 12, 15, 14, tzinfo=timezone.utc)  # 18:00 in Baku, the close of business
    plan = steer(reply("#extend 2026-12-15 waiting"), dataclasses.replace(view("investigating"), due_resolve=given),
                 NOW, policy)
    assert [o.kind for o in plan.outgoing] == ["command_error"] and "due_resolve" not in plan.updates


@pytest.mark.parametrize("level", ["high", "low"])
def test_priority_never_moves_the_date_the_customer_was_given(policy, level):
    """Finding 05: the promise stands; an earlier priority date becomes the staff's (stage) target."""
    promised = NOW + timedelta(days=20)
    plan = steer(reply(f"#priority {level}"), dataclasses.replace(view("investigating"), due_resolve=promised,
                                                                  due_stage=promised), NOW, policy)
    assert plan.updates["priority"] == level and "due_resolve" not in plan.updates and plan.outgoing == ()
    target = policy.initial_due(NOW, level).resolve
    assert plan.updates.get("due_stage") == (target if target < promised else None)


def test_staff_ending_the_wait_restart_the_clock_with_the_time_it_had_left(policy):
    """#ask pauses the clock; when staff (not the customer) end the wait, the paused days do not count."""
    asked = NOW - timedelta(days=14)
    due = NOW - timedelta(days=2)  # would be past now, had the clock run through the pause
    waiting = dataclasses.replace(view("waiting_customer"), paused_at=asked, due_resolve=due, due_stage=due)
    plan = steer(reply("#status in_review"), waiting, NOW, policy)
    assert plan.updates["paused_at"] is None
    assert plan.updates["due_resolve"] == policy.resumed_dues(waiting, NOW)["due_resolve"] > NOW


@pytest.mark.parametrize("day", ["2026-11-20", "2028-01-10"])
def test_extend_to_the_past_or_years_ahead_is_refused(policy, day):
    plan = steer(reply(f"#extend {day} waiting"), view("investigating"), NOW, policy)
    assert [o.kind for o in plan.outgoing] == ["command_error"] and "due_resolve" not in plan.updates


@pytest.mark.parametrize("body", ["#frobnicate\nHello", "#status teleported\nHello", "#priority urgent"])
def test_errors_refuse_the_whole_reply(policy, body):
    plan = steer(reply(body), view("investigating"), NOW, policy)
    assert [(o.kind, o.recipient) for o in plan.outgoing] == [("command_error", "agent@shop.test")]
    assert plan.status is None and not plan.updates


def test_impossible_transition_is_refused(policy):
    plan = steer(reply("#status investigating\nx"), view("closed"), NOW, policy)
    assert plan.outgoing[0].kind == "command_error"
    assert "cannot go from closed" in plan.outgoing[0].params["errors"][0]


@pytest.mark.parametrize("body", [
    "#resolve\n\nRegards,\nLeyla Hasanova\nTel: +994 12 555 55 55",
    "#ask\n\nOn Mon, 23 Nov 2026 at 10:00, Care <care@shop.test> wrote:\n> What is the order number?",
    "Sent from my iPhone",
    "#resolve\nOK.\n-- \nThe replacement part arrives on Monday and the courier will call you before he comes.",
])
def test_a_lost_answer_moves_nothing_and_tells_its_author(policy, body):
    plan = steer(reply(body), view("investigating"), NOW, policy)
    assert [(o.kind, o.recipient) for o in plan.outgoing] == [("command_error", "agent@shop.test")]
    assert plan.status is None and not plan.updates
    assert "nothing was sent" in plan.outgoing[0].params["errors"][-1]


@pytest.mark.parametrize("sentence", [
    "Sifarişiniz bu gün anbarımızdan göndərildi.", "Ürününüz bugün depomuzdan gönderildi.",
    "Отправлено со склада 24 ноября.", "Sent via DHL Express on 24 November", "The courier wrote:",
    "Курьер написал:"])
def test_regression_answers_are_resolved_whole(policy, sentence):
    plan = steer(reply(f"#resolve\n{sentence}\nMore text after it."), view("investigating"), NOW, policy)
    [out] = plan.outgoing
    assert out.kind == "resolution" and out.params["message"] == f"{sentence}\nMore text after it."


def test_the_staff_signature_address_and_phone_are_not_relayed(policy):
    body = ("#resolve\nThe refund was sent; write to agent@shop.test if it does not arrive.\n\n"
            "Regards,\nAgent Smith\nTel. No.: +994 12 555 55 55\nagent@shop.test")
    [out] = steer(reply(body), view("investigating"), NOW, policy).outgoing
    assert out.params["message"] == "The refund was sent; write to care@shop.test if it does not arrive."


PASTED = ("Hello,\nbelow is what the warehouse told us about your replacement.\n\n"
          "From: Warehouse <stock@warehouse.az>\nSent: 24 November 2026 15:00\nTo: agent@shop.test\n"
          "Subject: order 1234\n\n"
          "The replacement shipped today with courier, tracking 12345, arrives Thursday.\n"
          "If nobody is home the courier leaves it at the pickup point on Nizami 10.")


def test_a_pasted_colleagues_mail_reaches_the_customer_whole(policy):
    plan = steer(reply("#resolve\n" + PASTED), view("investigating"), NOW, policy)
    message = plan.outgoing[0].params["message"]
    assert "Nizami 10" in message and "tracking 12345" in message and message.startswith("Hello,")
    assert "agent@shop.test" not in message  # a staff-domain address never reaches the customer


@pytest.mark.parametrize("quoted", [
    "From: Care <care@shop.test>\nSent: 24 November 2026 15:00\nTo: agent@shop.test\n"
    "Subject: [CC-2026-4K7PQ2MX] New complaint\n\nA new complaint arrived.",
    "From: Customer Care\nSent: 24 November 2026 15:00\nTo: agent@shop.test\n"
    "Subject: [CC-2026-4K7PQ2MX] New complaint\n\nA new complaint arrived.",
    "On Mon, 23 Nov 2026 at 10:00, Care <care@shop.test> wrote:\nA new complaint arrived.",
])
def test_our_own_notice_quoted_below_the_answer_is_cut(policy, quoted):
    plan = steer(reply("#resolve\nYour replacement ships tomorrow.\n\n" + quoted), view("investigating"), NOW, policy)
    assert plan.outgoing[0].params["message"] == "Your replacement ships tomorrow."


def test_a_pasted_mail_above_our_quoted_notice_stays_and_the_notice_goes(policy):
    body = PASTED + ("\n\nFrom: Care <care@shop.test>\nSent: 23 November 2026 10:00\nTo: agent@shop.test\n"
                     "Subject: [CC-2026-4K7PQ2MX] New complaint\n\nA new complaint arrived.")
    message = steer(reply("#resolve\n" + body), view("investigating"), NOW, policy).outgoing[0].params["message"]
    assert "Nizami 10" in message and "A new complaint arrived" not in message


# --- regression: our staff notice quoted under openers the client writes its own way -----------

def rendered_notice(lang: str, form: str) -> str:
    """The real staff notice (tracking CC-2026-4K7PQ2MX) as a client quotes it: its text, or its HTML as text."""
    from gateway.mail.htmltext import html_to_text
    from gateway.outbound.compose import Templates, sample_context
    from gatewaykit import REPO
    rendered = Templates(REPO / "templates" / "mail").render("staff_update", lang, sample_context(lang))
    return rendered.text if form == "txt" else html_to_text(rendered.html)


UNKNOWN_OPENERS = {
    "thunderbird-ru": "23.11.2026 10:01, Shop Care пишет:",
    "thunderbird-ru-2": "23.11.2026 10:01, Shop Care написал(а):",
    "thunderbird-tr": "23.11.2026 10:01 tarihinde Shop Care yazdı:",
    "thunderbird-az": "23.11.2026 10:01, Shop Care yazır:",
    "thunderbird-en": "On 23/11/2026 10:01, Shop Care wrote:",
    "outlook-rule-alone": "________________________________",
    "outlook-az-name-only": "Kimdən: Shop Care\nGöndərilib: 23 noyabr 2026, 10:01\nKimə: Agent\nMövzu: Yeni şikayət",
    "lotus-notes": '-----"Shop Care" <care@shop.test> wrote: -----\n\nTo: agent@shop.test\n'
                   'From: "Shop Care" <care@shop.test>\nDate: 23.11.2026 10:01\nSubject: New complaint',
    "lotus-notes-old": "Shop Care <care@shop.test>\n23.11.2026 10:01\n\nTo\nagent@shop.test\ncc\n\nSubject\nNew complaint",
}


@pytest.mark.parametrize("lang", ["az", "ru", "tr", "en"])
@pytest.mark.parametrize("form", ["txt", "html"])
@pytest.mark.parametrize("opener", sorted(UNKNOWN_OPENERS))
def test_regression_staff_notice_quoted_under_an_unknown_attribution_is_not_relayed(policy, lang, form, opener):
    body = f"#resolve\nYour replacement ships tomorrow.\n\n{UNKNOWN_OPENERS[opener]}\n\n{rendered_notice(lang, form)}"
    [out] = steer(reply(body), view("investigating"), NOW, policy).outgoing
    assert out.kind == "resolution" and out.params["message"] == "Your replacement ships tomorrow."


@pytest.mark.parametrize("form", ["txt", "html"])
@pytest.mark.parametrize("command", ["#resolve", "#close", "#ask", ""])
def test_regression_staff_notice_pasted_without_any_opener_is_refused_and_its_author_told(policy, form, command):
    body = f"{command}\nYour replacement ships tomorrow.\n\n{rendered_notice('en', form)}"
    plan = steer(reply(body), view("investigating"), NOW, policy)
    assert [(o.kind, o.recipient) for o in plan.outgoing] == [("command_error", "agent@shop.test")]
    assert "desk's notice" in plan.outgoing[0].params["errors"][-1] and plan.status is None


@pytest.mark.parametrize("opener", [
    "23.11.2026 10:01, Anbar пишет:", "23.11.2026 10:01 tarihinde Depo yazdı:", "23.11.2026 10:01, Anbar yazır:",
    "On 23/11/2026 10:01, Warehouse wrote:", "________________________________",
    "Kimdən: Anbar\nGöndərilib: 23 noyabr 2026, 10:01\nKimə: Agent\nMövzu: sifariş 1234",
])
def test_a_colleagues_mail_under_the_same_openers_is_relayed(policy, opener):
    pasted = f"{opener}\n\nThe replacement shipped today with courier, tracking 12345, arrives Thursday."
    [out] = steer(reply(f"#resolve\nHere is what the warehouse says.\n\n{pasted}"), view("investigating"),
                  NOW, policy).outgoing
    assert out.kind == "resolution" and out.params["message"] == f"Here is what the warehouse says.\n\n{pasted}"


@pytest.mark.parametrize("line", ["#note", "# note", "#nоte", "#NOTE"])
def test_regression_note_below_the_first_line_relays_nothing(policy, line):
    plan = steer(reply(f"The customer called twice.\n{line}\nDo not refund before the check."),
                 view("investigating"), NOW, policy)
    assert [(o.kind, o.key) for o in plan.outgoing] == [("staff_notice", "kept_internal")]  # its author is told
    assert plan.message_kind == "note"
    assert plan.events[-1].detail == "The customer called twice.\nDo not refund before the check."


def test_regression_a_second_resolve_in_the_body_is_not_relayed(policy):
    [out] = steer(reply("#resolve\nThe refund was sent.\n#resolve\nIt takes three days."), view("investigating"),
                  NOW, policy).outgoing
    assert out.kind == "resolution" and out.params["message"] == "The refund was sent.\nIt takes three days."


@pytest.mark.parametrize("line", ["#nota", "# internal", "#reslove"])
def test_regression_an_unknown_command_in_the_body_relays_nothing_and_tells_the_author(policy, line):
    plan = steer(reply(f"The refund was sent.\n{line}\nDo not tell the customer about the fee."),
                 view("investigating"), NOW, policy)
    assert [(o.kind, o.recipient) for o in plan.outgoing] == [("command_error", "agent@shop.test")]
    assert "unknown command" in plan.outgoing[0].params["errors"][0] and plan.status is None


@pytest.mark.parametrize("address", ["aysel@example.az", "murad@gmail.com", "agent@shop.test.evil.az"])
def test_regression_assign_to_somebody_who_is_not_staff_is_refused(policy, address):
    plan = steer(reply(f"#assign {address}\nWe are looking into it."), view("investigating"), NOW, policy)
    assert [(o.kind, o.recipient) for o in plan.outgoing] == [("command_error", "agent@shop.test")]
    error = plan.outgoing[0].params["errors"][0]
    assert "not a staff address" in error and "shop.test" in error and not plan.updates


THANKS = {"az": "təşəkkür edirik", "ru": "Благодарим Вас за обращение", "tr": "teşekkür ederiz",
          "en": "Thank you for letting us know"}


@pytest.mark.parametrize("lang", ["az", "ru", "tr", "en"])
def test_regression_close_with_text_relays_the_text_not_a_thank_you(policy, lang):
    from gateway.mail.htmltext import html_to_text
    from gateway.outbound.compose import Templates, sample_context
    from gatewaykit import REPO
    text = "We could not reach you by phone three times, so the complaint is closed without a refund."
    plan = steer(reply(f"#close\n{text}"), dataclasses.replace(view("investigating"), language=lang), NOW, policy)
    [out] = plan.outgoing
    assert out.kind == "closed" and out.params["message"] == text and plan.status == "closed"
    templates = Templates(REPO / "templates" / "mail")
    told = templates.render("closed", lang, {**sample_context(lang), "message": text})
    for shown in (told.text, html_to_text(told.html)):
        assert text in shown and THANKS[lang] not in shown
    silent = templates.render("closed", lang, {**sample_context(lang), "message": ""})  # the customer accepted
    assert THANKS[lang] in silent.text and THANKS[lang] in html_to_text(silent.html)


def test_regression_a_confidentiality_disclaimer_is_not_relayed(policy):
    body = ("#resolve\nYour refund was sent today.\n\nRegards,\nAgent Smith\n\nThis e-mail and any attachments are "
            "confidential. If you received it in error, please delete it.")
    [out] = steer(reply(body), view("investigating"), NOW, policy).outgoing
    assert out.kind == "resolution" and out.params["message"] == "Your refund was sent today."


@pytest.mark.parametrize("body", ["We are looking into it.", "#resolve\nThe refund was sent.",
                                  "#extend 2026-12-15 waiting for the supplier"])
def test_regression_an_answer_to_an_unconfirmed_complaint_tells_its_author_it_waits(policy, body):
    held = dataclasses.replace(view("investigating"), awaiting_confirmation=True)
    plan = steer(reply(body), held, NOW, policy)
    notice = [o for o in plan.outgoing if o.audience == "staff" and o.kind == "staff_notice"]
    assert [(o.recipient, o.params) for o in notice] == [("agent@shop.test", {"held": True})]
    assert any(e.kind == "answer_held" for e in plan.events)


def test_a_confirm_with_the_answer_sends_it_and_tells_nobody_it_waits(policy):
    held = dataclasses.replace(view("investigating"), awaiting_confirmation=True)
    plan = steer(reply("#confirm\nWe are looking into it."), held, NOW, policy)
    assert [o.kind for o in plan.outgoing] == ["relay"] and plan.release_held


@pytest.mark.parametrize("lang", ["az", "ru", "tr", "en"])
def test_the_held_notice_says_how_to_send_it(lang):
    from gateway.outbound.compose import Templates, sample_context
    from gatewaykit import REPO
    told = Templates(REPO / "templates" / "mail").render("staff_notice", lang, {**sample_context(lang), "held": True})
    assert "#confirm" in told.text and "#confirm" in told.html


@pytest.mark.parametrize("says", ["Shop Care пишет:", "Shop Care yazdı:", "Shop Care yazır:", "Shop Care wrote:"])
def test_regression_a_dateless_attribution_over_our_quoted_notice_goes_with_it(policy, says):
    quoted = "\n".join("> " + line for line in rendered_notice("en", "txt").split("\n"))
    body = f"#resolve\nYour replacement ships tomorrow.\n\n{says}\n{quoted}"
    [out] = steer(reply(body), view("investigating"), NOW, policy).outgoing
    assert out.params["message"] == "Your replacement ships tomorrow."


def test_a_staff_line_over_a_quote_of_the_customers_words_stays(policy):
    body = ("#resolve\nThe courier wrote:\n> the parcel for CC-2026-4K7PQ2MX is at the depot\n"
            "So you can pick it up today.")
    [out] = steer(reply(body), view("investigating"), NOW, policy).outgoing
    assert out.params["message"] == "The courier wrote:\nSo you can pick it up today."


@pytest.mark.parametrize("command", ["", "#resolve\n", "#ask\n"])
def test_a_staff_answer_parse_shortened_is_never_relayed_in_part(policy, command):
    """Only its start was read: the customer would get part of an answer; its author hears why."""
    mail = dataclasses.replace(reply(f"{command}We refunded the order. " * 50), shortened=True)
    plan = steer(mail, view("investigating"), NOW, policy)
    assert [(o.kind, o.recipient) for o in plan.outgoing] == [("command_error", "agent@shop.test")]
    assert "only its start was read" in plan.outgoing[0].params["errors"][-1] and plan.status is None


def test_a_shortened_note_is_still_kept(policy):
    mail = dataclasses.replace(reply("#note\nThe customer called twice."), shortened=True)
    assert steer(mail, view("investigating"), NOW, policy).message_kind == "note"


SECRET = "Customer is on our fraud watchlist, do not refund."


@pytest.mark.parametrize("body", [
    f"- #note\n{SECRET}", f"*#note* {SECRET}", f"• #note\n{SECRET}", f"\u200b#note\n{SECRET}", f"1. #note {SECRET}",
    f"Note: #note {SECRET}", f"\"#note\" {SECRET}", f"{SECRET}\n\n-- \nRashad\n#note", f"\ufeff#note {SECRET}",
])
def test_regression_internal_text_with_a_note_written_any_way_never_reaches_the_customer(policy, body):
    plan = steer(reply(body), view("investigating"), NOW, policy)
    to_customer = [o for o in plan.outgoing if o.audience == "customer"]
    assert not to_customer and plan.status is None
    assert plan.message_kind == "note" or [o.kind for o in plan.outgoing] == ["command_error"]


@pytest.mark.parametrize("body", [
    "Dear customer,\n\n# Note\nPlease bring the receipt and the box to our Nizami st. store.\n\nRashad",
    f"{SECRET}\n#NOTE", f"- #note\n{SECRET}", f"{SECRET}\n\n-- \nRashad\n#note",
])
def test_regression_a_note_not_written_plainly_tells_its_author_nothing_was_sent(policy, body):
    plan = steer(reply(body), view("investigating"), NOW, policy)
    assert plan.message_kind == "note"
    [told] = plan.outgoing
    assert (told.kind, told.recipient, told.audience) == ("staff_notice", "agent@shop.test", "staff")
    assert "nothing was sent to the customer" in told.params["message"]


def test_a_plain_note_at_the_top_is_recorded_without_a_notice(policy):
    plan = steer(reply(f"#note\n{SECRET}"), view("investigating"), NOW, policy)
    assert plan.message_kind == "note" and plan.outgoing == ()


NOTICE_TOPS = {  # the first lines of our staff_new notice, pasted without its field lines
    "en": "A new complaint has been registered.\n\nThe customer wrote:",
    "az": "Yeni şikayət qeydə alındı.\n\nMüştərinin məktubu:",
    "ru": "Зарегистрирована новая жалоба.\n\nКлиент написал:",
    "tr": "Yeni bir şikâyet kaydedildi.\n\nMüşterinin yazdığı:",
}
CUSTOMER_WORDS = f"\n\n{'-' * 40}\nMy card ending 4417 was charged twice. My home address is Nizami 12, apt 5.\n{'-' * 40}\n"
OUTLOOK_NAME_ONLY = {
    "en": "From: Shop Care\nSent: Saturday, November 23, 2026 10:01 AM\nTo: Agent\nSubject: New complaint",
    "az": "Kimdən: Shop Care\nGöndərilib: 23 noyabr 2026, 10:01\nKimə: Agent\nMövzu: Yeni şikayət",
    "ru": "От: Shop Care\nОтправлено: 23 ноября 2026 г. 10:01\nКому: Agent\nТема: Новая жалоба",
    "tr": "Kimden: Shop Care\nGönderildi: 23 Kasım 2026 Cumartesi 10:01\nKime: Agent\nKonu: Yeni şikâyet",
}


@pytest.mark.parametrize("lang", sorted(NOTICE_TOPS))
def test_regression_our_notice_top_pasted_without_an_opener_is_refused(policy, lang):
    body = f"Dear Aysel, we refunded the second charge today.\n\n{NOTICE_TOPS[lang]}{CUSTOMER_WORDS}"
    plan = steer(reply(body), view("investigating"), NOW, policy)
    assert [(o.kind, o.recipient) for o in plan.outgoing] == [("command_error", "agent@shop.test")]


@pytest.mark.parametrize("lang", sorted(NOTICE_TOPS))
def test_regression_our_notice_top_under_a_name_only_outlook_block_is_cut(policy, lang):
    body = f"Dear Aysel, we refunded the second charge today.\n\n{OUTLOOK_NAME_ONLY[lang]}\n\n{NOTICE_TOPS[lang]}"
    [out] = steer(reply(body + CUSTOMER_WORDS), view("investigating"), NOW, policy).outgoing
    assert out.kind == "relay" and out.params["message"] == "Dear Aysel, we refunded the second charge today."


FORWARD_LINES = {"en": "-------- Forwarded Message --------", "gmail": "---------- Forwarded message ---------",
                 "tr": "-------- İletilen Mesaj --------", "ru": "-------- Пересланное сообщение --------",
                 "az": "-------- Yönləndirilmiş məktub --------"}
THUNDERBIRD_FORWARD = "Subject: \tNew complaint\nDate: \tMon, 23 Nov 2026 10:01\nFrom: \tShop Care <care@shop.test>\n"


@pytest.mark.parametrize("lang", ["az", "ru", "tr", "en"])
@pytest.mark.parametrize("line", sorted(FORWARD_LINES))
def test_regression_the_forward_line_over_our_notice_goes_with_it(policy, lang, line):
    body = (f"Dear Aysel, we refunded the second charge today.\n\n{FORWARD_LINES[line]}\n{THUNDERBIRD_FORWARD}\n"
            f"{rendered_notice(lang, 'txt')}")
    [out] = steer(reply(body), view("investigating"), NOW, policy).outgoing
    assert out.kind == "relay" and out.params["message"] == "Dear Aysel, we refunded the second charge today."


@pytest.mark.parametrize("line", sorted(FORWARD_LINES))
def test_a_colleagues_mail_forwarded_under_the_answer_reaches_the_customer_whole(policy, line):
    pasted = (f"{FORWARD_LINES[line]}\nSubject: \torder 1234\nDate: \tMon, 23 Nov 2026 10:01\n"
              "From: \tWarehouse <depo@example.az>\n\nThe replacement shipped today, tracking 12345, arrives Thursday.")
    [out] = steer(reply(f"Here is what the warehouse says.\n\n{pasted}"), view("investigating"), NOW, policy).outgoing
    assert out.kind == "relay" and out.params["message"] == f"Here is what the warehouse says.\n\n{pasted}"


def test_the_resolution_mail_carries_the_day_it_closes_by_itself(policy):
    plan = steer(reply("#resolve\nThe refund was sent today."), view("investigating"), NOW, policy)
    resolution = next(o for o in plan.outgoing if o.kind == "resolution")
    assert resolution.params["closes_on"] == policy.auto_close_at(NOW).isoformat()


@pytest.mark.parametrize("html", [
    f"<ul><li>#note {SECRET}</li></ul>", f"<div>&#8203;#note {SECRET}</div>", f"<p>{SECRET}</p><ul><li>#note</li></ul>",
    f"<p>{SECRET}</p><p><b>#note</b></p>", f"<h2>#note</h2><p>{SECRET}</p>",
])
def test_regression_a_note_in_html_markup_never_reaches_the_customer(policy, html):
    mail = parse(("From: agent@shop.test\r\nTo: care@shop.test\r\nSubject: Re: [CC-2026-4K7PQ2MX] Order\r\n"
                  f"Content-Type: text/html; charset=utf-8\r\n\r\n<html><body>{html}</body></html>").encode())
    plan = steer(mail, view("investigating"), NOW, policy)
    assert not [o for o in plan.outgoing if o.audience == "customer"]
    assert plan.message_kind == "note" or [o.kind for o in plan.outgoing] == ["command_error"]
