"""Nothing of the staff member reaches the customer; an answer is never lost silently."""
from __future__ import annotations

import pytest

from gateway.ingest.relaytext import lost_answer, scrub_staff
from gateway.mail.quotes import split_reply

STAFF = "leyla.hasanova@shop.example"
CARE = "care@shop.example"


def scrub(text: str) -> str:
    new, _, signature = split_reply(text)
    return scrub_staff(new, (STAFF,), signature, CARE, "AZ", "Leyla Həsənova")


@pytest.mark.parametrize("text", [
    # Outlook desktop/web without "-- ", closing first (en, ru, tr, az)
    "Your refund was sent today.\n\nRegards,\nLeyla Hasanova\nCustomer Care\nTel. No.: +994 12 555 55 55\n" + STAFF,
    "Your refund was sent today.\n\nС уважением,\nЛейла Гасанова\nТел.: +994 12 555 55 55\n" + STAFF,
    "Your refund was sent today.\n\nSaygılarımla,\nLeyla Hasanova\nTel: +994 12 555 55 55",
    "Your refund was sent today.\n\nHörmətlə,\nLeyla Həsənova\nMob: 050 555 55 55\n" + STAFF,
    # Apple Mail / Yahoo: a name + contact block, no closing at all
    "Your refund was sent today.\n\nLeyla Hasanova\nCustomer Care, Shop LLC\nTel: +994 12 555 55 55\n" + STAFF,
])
def test_signature_address_and_phone_never_reach_the_customer(text: str) -> None:
    out = scrub(text)
    assert out == "Your refund was sent today."


def test_the_staff_address_in_the_text_becomes_the_care_address() -> None:
    out = scrub(f"Write to me at {STAFF.upper()} if the courier does not come.\n\n-- \nLeyla\n+994 12 555 55 55")
    assert out == f"Write to me at {CARE} if the courier does not come."


def test_the_staff_phone_in_the_text_is_removed_other_numbers_stay() -> None:
    text = ("The courier's number is +994 50 777 77 77.\nMy number: +994 12 555 55 55\nOrder 123456 ships today.\n\n"
            "Regards,\nLeyla Hasanova\nTel: +994 12 555 55 55")
    out = scrub(text)
    assert out == "The courier's number is +994 50 777 77 77.\nOrder 123456 ships today."


def test_a_contact_paragraph_that_is_not_the_staff_members_stays() -> None:
    text = "Please call our courier.\n\nCourier Desk\nTel: +994 50 777 77 77"
    assert scrub(text) == text


@pytest.mark.parametrize("body, signature, mode, commands, lost", [
    ("", "", "resolution", True, True),
    ("", "Sent from my iPhone", "ask", True, True),
    ("", "", "relay", False, True),
    ("", "Regards,\nLeyla", "relay", True, False),  # commands only, Outlook signature below them
    ("OK.", "-- \nThe replacement part arrives on Monday and the courier will call you before he comes.\nLeyla",
     "resolution", True, True),
    ("The replacement part arrives on Monday.", "Regards,\nLeyla\nTel: +994 12 555 55 55\nThis e-mail and any "
     "attachment are confidential; if you received it in error please delete it and tell the sender.",
     "resolution", True, False),
    ("Done.", "", "closed", True, False),
])
def test_lost_answer(body: str, signature: str, mode: str, commands: bool, lost: bool) -> None:
    assert bool(lost_answer(body, signature, mode, commands)) is lost


def test_text_cut_off_by_a_dash_dash_line_is_caught() -> None:
    assert lost_answer("Options:", "-- \nWe can refund you.\nOr replace the kettle.", "resolution", True)
    assert not lost_answer("Options: refund or replacement.", "-- \nLeyla\nShop Care", "resolution", True)


def test_an_outlook_block_with_a_street_address_before_the_phone_goes_whole() -> None:
    text = ("Your refund was sent today.\n\nHörmətlə,\nLeyla Həsənova\nNizami küç. 10, Bakı\n"
            "Tel: +994 12 555 55 55\n" + STAFF)
    assert scrub(text) == "Your refund was sent today."


def test_a_closing_block_without_the_staff_address_goes_when_it_names_them() -> None:
    text = "Your refund was sent today.\n\nHörmətlə,\nLeyla Həsənova\nNizami küç. 10, Bakı\nTel: +994 12 555 55 55"
    assert scrub(text) == "Your refund was sent today."


_JOHN_BLOCK = ("Kind regards,\nJohn Miller\nSenior Care Specialist | Shop Ltd.\nMob: +994 50 222 33 44\n"
               "28 May Street 5, Baku AZ1000\njohn.miller@shop.test")


@pytest.mark.parametrize("sender,name,signature", [
    ("john.miller@shop.test", "John Miller", _JOHN_BLOCK),
    ("agent@shop.test", "", _JOHN_BLOCK),  # a shared mailbox: a colleague's address at our domain
    ("mehmet@shop.test", "Mehmet Kaya", "Saygılarımla,\nMehmet Kaya\nMüşteri Hizmetleri | Shop Ticaret A.Ş.\n"
                                        "Cep: 0532 765 43 21\nmehmet.kaya@shop.test"),
    ("agent@shop.test", "", "С уважением,\nИрина Петрова\nООО «Шоп Азербайджан», отдел доставки.\n"
                            "Моб.: +994 50 333 44 55"),
    ("agent@shop.test", "", "Hörmətlə,\nLeyla Həsənova\nMüştəri xidmətləri, \"Shop\" MMC.\nMob: 050 444 55 66"),
    ("john@shop.test", "John Miller", "John Miller\nCustomer Care Team Lead, Shop Inc.\nM: +994 50 222 33 44"),
    ("agent@shop.test", "", "Kind regards,\nAnar Quliyev\nThis e-mail is confidential.\nTel: +994 12 444 55 66\n"
                            "anar.quliyev@shop.test"),
])
def test_a_signature_with_dotted_title_lines_never_reaches_the_customer(sender: str, name: str,
                                                                         signature: str) -> None:
    new, _, sig = split_reply("Your replacement ships tomorrow.\n\n" + signature)
    out = scrub_staff(new, (sender,), sig, "care@shop.test", "AZ", name)
    assert out == "Your replacement ships tomorrow."
    assert not lost_answer(out, sig, "resolution", True)


@pytest.mark.parametrize("text", [
    "Call our hotline +994 12 000 00 00 if the courier does not come.",
    "Звоните на горячую линию +994 12 000 00 00, если курьер не придёт.",
    "Kurye gelmezse +994 12 000 00 00 numaralı hattı arayın.",
    "Kuryer gəlməsə, +994 12 000 00 00 qaynar xəttinə zəng edin.",
])
def test_a_hotline_number_in_the_answer_stays(text: str) -> None:
    body = "Your replacement ships tomorrow.\n" + text
    new, _, sig = split_reply(body + "\n\nKind regards,\nJohn Miller\nSenior Care Specialist | Shop Ltd.\n"
                              "Mob: +994 50 222 33 44")
    assert scrub_staff(new, ("john@shop.test",), sig, "care@shop.test", "AZ", "John Miller") == body


@pytest.mark.parametrize("text", [
    "Your parcel is at the depot.\nKind regards from the whole team.\nThe courier calls first.",
    "Ваша посылка на складе.\nС уважением к вашему времени мы ускорим доставку.",
    "Paketiniz depoda.\nSaygılarımla bildiririm ki kargo yarın gelir.",
    "Bağlamanız anbardadır.\nHörmətlə bildiririk ki, kuryer sabah gələcək.",
])
def test_sentences_with_closing_words_stay(text: str) -> None:
    new, _, sig = split_reply(text)
    assert scrub_staff(new, ("john@shop.test",), sig, "care@shop.test", "AZ", "John Miller") == text


def test_only_staff_domains_are_replaced_not_a_staff_members_mail_provider() -> None:
    text = "Write to the courier at courier@gmail.com or to returns@shop.test."
    out = scrub_staff(text, ("leyla@gmail.com",), "", "care@shop.test", "AZ", "Leyla", ("shop.test",))
    assert out == "Write to the courier at courier@gmail.com or to care@shop.test."


def test_every_field_label_of_our_staff_notices_is_known() -> None:
    """internal_text and staff_reply know our notice by its field lines: a label added to a template is added here."""
    import re

    from gateway.ingest.relaytext import NOTICE_LABELS
    from gatewaykit import REPO
    folder = REPO / "templates" / "mail"
    labels = set()
    for path in folder.glob("_staff_footer.*.txt"):
        labels |= {m.group(1) for m in re.finditer(r"^([^{ #\n][^:{\n]{0,30}):\s+\{", path.read_text(), re.M)}
    for path in folder.glob("_staff.*.html"):
        labels |= set(re.findall(r'vertical-align:top;">([^<{]{1,40})</td>', path.read_text()))
    assert len(labels) > 40 and {label.lower() for label in labels} <= NOTICE_LABELS


@pytest.mark.parametrize("text", [
    "Status: shipped on Monday.\nYour tracking number is 12345.",
    "Статус: отправлено.\nТема: возврат.",
    "Durum: kargoda. Konu: iade.",
    "Status: göndərilib.\nMövzu: geri qaytarma.",
])
def test_an_answer_with_a_field_or_two_is_not_our_notice(text: str) -> None:
    from gateway.ingest.relaytext import internal_text
    assert internal_text(text) == ""


def test_regression_a_disclaimer_below_a_short_answer_is_not_a_cut_answer() -> None:
    text = ("Done, the refund was sent.\n\nBu məktub məxfidir və yalnız ünvanlandığı şəxs üçün nəzərdə tutulub. "
            "Səhvən almısınızsa, göndərənə bildirin və məktubu silin. Məktubun məzmununu yaymaq qadağandır.")
    new, _, signature = split_reply(text)
    assert scrub_staff(new, (STAFF,), signature, CARE, "AZ", "Leyla") == "Done, the refund was sent."
    assert not lost_answer(new, signature, "resolution", True)


def test_every_fixed_sentence_we_know_our_notices_by_is_in_their_templates() -> None:
    """A sentence reworded in a template must be reworded here, or pasted notices would reach customers again."""
    from gateway.ingest.relaytext import NOTICE_SENTENCES
    from gatewaykit import REPO
    texts = [p.read_text(encoding="utf-8").casefold() for p in (REPO / "templates" / "mail").glob("staff_*.txt")]
    assert len(NOTICE_SENTENCES) >= 16
    for sentence in NOTICE_SENTENCES:
        assert any(sentence in text for text in texts), sentence


@pytest.mark.parametrize("text", [
    "Müştəri yazdı ki, kartdan iki dəfə pul çıxılıb. Yeni şikayətiniz qeydə alındı və yoxlanılır.",
    "Клиент написал нам вчера. Ваша новая жалоба зарегистрирована и рассматривается.",
    "Müşteri dün yazdı. Yeni şikâyetiniz kaydedildi ve inceleniyor.",
    "The customer wrote to us yesterday. Your new complaint has been registered and is being reviewed.",
])
def test_an_answer_mentioning_a_registered_complaint_is_not_our_notice(text: str) -> None:
    from gateway.ingest.relaytext import internal_text, notice_sentences
    assert notice_sentences(text) == 0 and internal_text(text) == ""
