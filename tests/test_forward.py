"""forward.find: customer mail forwarded by staff, as each common client writes it, in az/ru/tr/en."""
from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from gateway.mail.forward import Forwarded, Unreadable, find, received_at
from gateway.mail.forwarddate import parse_date
from gateway.mail.parse import parse

STAFF = ("leyla@shop.test", "orkhan@shop.test", "care@shop.test")
CUSTOMER = "aysel@example.az"
NAME = {"az": "Aysel Məmmədova", "ru": "Айсель Мамедова", "tr": "Ayşe Yılmaz", "en": "Alice Brown"}
TEXT = {
    "az": "Salam, noyabrın 2-də aldığım paltaryuyan maşın su buraxır. Zəhmət olmasa, kömək edin.",
    "ru": "Здравствуйте, стиральная машина, купленная 2 ноября, протекает. Помогите, пожалуйста.",
    "tr": "Merhaba, 2 Kasım'da aldığım çamaşır makinesi su sızdırıyor. Lütfen yardım edin.",
    "en": "Hello, the washing machine I bought on 2 November leaks. Please help.",
}
SUBJECT = {"az": "Paltaryuyan maşın", "ru": "Стиральная машина", "tr": "Çamaşır makinesi", "en": "Washing machine"}

# client -> language -> (marker line, [(label, value kind)], rule line above)
LABELS = {
    "gmail": {
        "en": ("---------- Forwarded message ---------", ("From", "Date", "Subject", "To")),
        "ru": ("---------- Пересылаемое сообщение ---------", ("От", "Дата", "Тема", "Кому")),
        "tr": ("---------- Yönlendirilmiş ileti ---------", ("Gönderen", "Tarih", "Konu", "Alıcı")),
        "az": ("---------- Yönləndirilmiş məktub ---------", ("Göndərən", "Tarix", "Mövzu", "Kimə")),
    },
    "outlook": {
        "en": ("________________________________", ("From", "Sent", "To", "Subject")),
        "ru": ("________________________________", ("От", "Отправлено", "Кому", "Тема")),
        "tr": ("________________________________", ("Kimden", "Gönderildi", "Kime", "Konu")),
        "az": ("________________________________", ("Kimdən", "Göndərildi", "Kimə", "Mövzu")),
    },
    "outlook_classic": {
        "en": ("-----Original Message-----", ("From", "Sent", "To", "Subject")),
        "ru": ("-----Исходное сообщение-----", ("От", "Отправлено", "Кому", "Тема")),
        "tr": ("-----Özgün İleti-----", ("Kimden", "Gönderildi", "Kime", "Konu")),
        "az": ("-----Orijinal məktub-----", ("Kimdən", "Göndərilib", "Kimə", "Mövzu")),
    },
    "thunderbird": {
        "en": ("-------- Forwarded Message --------", ("Subject", "Date", "From", "To")),
        "ru": ("-------- Пересылаемое сообщение --------", ("Тема", "Дата", "От", "Кому")),
        "tr": ("-------- İletilen Mesaj --------", ("Konu", "Tarih", "Kimden", "Kime")),
        "az": ("-------- Yönləndirilmiş Məktub --------", ("Mövzu", "Tarix", "Kimdən", "Kimə")),
    },
    "apple": {
        "en": ("Begin forwarded message:", ("From", "Subject", "Date", "To")),
        "ru": ("Начало переадресованного сообщения:", ("От", "Тема", "Дата", "Кому")),
        "tr": ("Yönlendirilen iletinin başlangıcı:", ("Kimden", "Konu", "Tarih", "Kime")),
        "az": ("Yönləndirilən məktubun başlanğıcı:", ("Kimdən", "Mövzu", "Tarix", "Kimə")),
    },
}
DATES = {
    "gmail": {"en": "Mon, Nov 23, 2026 at 10:00 AM", "ru": "пн, 23 нояб. 2026 г. в 10:00",
              "tr": "23 Kas 2026 Pzt, 10:00", "az": "B.e., 23 noy 2026, 10:00"},
    "outlook": {"en": "Monday, November 23, 2026 10:00 AM", "ru": "23 ноября 2026 г. 10:00",
                "tr": "23 Kasım 2026 Pazartesi 10:00", "az": "23 noyabr 2026 10:00"},
    "thunderbird": {lang: "Mon, 23 Nov 2026 10:00:00 +0400" for lang in NAME},
    "apple": {"en": "23 November 2026 at 10:00:00 GMT+4", "ru": "23 ноября 2026 г., в 10:00:00 GMT+4",
              "tr": "23 Kasım 2026 10:00:00 GMT+4", "az": "23 noyabr 2026 10:00:00 GMT+4"},
}
DATES["outlook_classic"] = DATES["outlook"]
ZONE = ZoneInfo("Asia/Baku")


def is_staff(address: str) -> bool:
    return address in STAFF or address.endswith("@shop.test")


def inline(client: str, lang: str, staff_text: str = "", quote: str = "", sender_value: str = "") -> str:
    marker, labels = LABELS[client][lang]
    values = {0: sender_value or f"{NAME[lang]} <{CUSTOMER}>"}
    lines = [staff_text, "", marker] if staff_text else [marker]
    if client == "apple":
        lines.append("")
    for label in labels:
        if label in ("From", "От", "Gönderen", "Göndərən", "Kimden", "Kimdən"):
            value = values[0]
        elif label in ("Date", "Sent", "Дата", "Отправлено", "Tarih", "Gönderildi", "Tarix", "Göndərildi",
                       "Göndərilib"):
            value = DATES[client][lang]
        elif label in ("Subject", "Тема", "Konu", "Mövzu"):
            value = SUBJECT[lang]
        else:
            value = "Leyla <leyla@shop.test>"
        sep = ": \t" if client == "thunderbird" else ": "
        lines.append(f"{quote}{label}{sep}{value}")
    lines += [quote.rstrip(), f"{quote}{TEXT[lang]}", f"{quote}", f"{quote}{NAME[lang]}"]
    return "\n".join(lines)


def staff_mail(body: str, subject: str = "Fwd: x", sender: str = "leyla@shop.test", html: bool = False,
               attach: list[bytes] | None = None):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "care@shop.test"
    msg["Subject"] = subject
    msg["Message-ID"] = "<fwd-1@shop.test>"
    msg["Date"] = "Tue, 24 Nov 2026 09:00:00 +0400"
    if html:
        msg.set_content(body, subtype="html")
    else:
        msg.set_content(body)
    for raw in attach or ():
        msg.add_attachment(email.message_from_bytes(raw, policy=email.policy.default))
    return parse(msg.as_bytes())


CASES = [(client, lang) for client in LABELS for lang in ("az", "ru", "tr", "en")]


@pytest.mark.parametrize("client,lang", CASES)
def test_inline_forward_of_each_client_and_language(client, lang):
    found = find(staff_mail(inline(client, lang, staff_text="#priority high\nPlease look at this.")), is_staff)
    assert isinstance(found, Forwarded), found
    assert found.original.sender == CUSTOMER
    assert found.original.sender_name == NAME[lang]
    assert found.original.subject == SUBJECT[lang]
    assert TEXT[lang] in found.original.new_text
    assert "leyla@shop.test" not in found.original.new_text
    assert found.staff_text == "#priority high\nPlease look at this."
    assert found.how == "inline"
    written = found.written.replace(tzinfo=found.written.tzinfo or ZONE)
    assert written.date() == datetime(2026, 11, 23).date()
    now = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)
    assert received_at(found, now, ZONE) < now


@pytest.mark.parametrize("lang", ("az", "ru", "tr", "en"))
def test_outlook_web_html_only_forward(lang):
    _marker, labels = LABELS["outlook"][lang]
    values = [f"{NAME[lang]} &lt;{CUSTOMER}&gt;", DATES["outlook"][lang], "Leyla &lt;leyla@shop.test&gt;",
              SUBJECT[lang]]
    rows = "<br>".join(f"<b>{label}:</b> {value}" for label, value in zip(labels, values))
    html = (f"<div>Baxın, xahiş edirəm.</div><div id=appendonsend></div><hr style='display:inline-block'>"
            f"<div id=divRplyFwdMsg dir=ltr><font>{rows}</font><div>&nbsp;</div></div>"
            f"<div><p>{TEXT[lang]}</p></div>")
    found = find(staff_mail(html, html=True), is_staff)
    assert isinstance(found, Forwarded), found
    assert found.original.sender == CUSTOMER and TEXT[lang] in found.original.new_text
    assert found.staff_text == "Baxın, xahiş edirəm."


def test_apple_mail_quoted_forward_is_unquoted():
    found = find(staff_mail(inline("apple", "en", quote="> ")), is_staff)
    assert isinstance(found, Forwarded)
    assert found.original.new_text.startswith(TEXT["en"])
    assert ">" not in found.original.new_text


def test_outlook_mailto_brackets_and_bold_labels():
    body = ("FYI\n\n*From:* Alice Brown [mailto:Alice.Brown@Example.com]\n*Sent:* Monday, November 23, 2026 "
            "10:00 AM\n*To:* Sales\n*Subject:* Broken kettle\n\nThe kettle broke after a day.\n")
    found = find(staff_mail(body), is_staff)
    assert isinstance(found, Forwarded)
    assert (found.original.sender, found.original.sender_name) == ("alice.brown@example.com", "Alice Brown")
    assert found.original.new_text == "The kettle broke after a day."


def test_forward_of_a_colleagues_forward_reaches_the_customer():
    inner = inline("gmail", "en")
    body = ("Please register.\n\n---------- Forwarded message ---------\nFrom: Orkhan <orkhan@shop.test>\n"
            "Date: Mon, Nov 23, 2026 at 11:00 AM\nSubject: Fwd: Washing machine\nTo: <leyla@shop.test>\n\n"
            "Leyla, this one is for you.\n\n" + inner)
    found = find(staff_mail(body), is_staff)
    assert isinstance(found, Forwarded)
    assert found.original.sender == CUSTOMER
    assert found.staff_text == "Please register."


def test_outlook_name_without_address_is_unreadable():
    body = ("________________________________\nFrom: Aysel Məmmədova\nSent: Monday, November 23, 2026 10:00 AM\n"
            "To: Leyla\nSubject: Paltaryuyan maşın\n\n" + TEXT["az"])
    found = find(staff_mail(body), is_staff)
    assert isinstance(found, Unreadable)
    assert "attachment" in found.reason


def customer_original(lang: str = "ru", with_attachment: bool = True) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{NAME[lang]} <{CUSTOMER}>"
    msg["To"] = "leyla@shop.test"
    msg["Subject"] = SUBJECT[lang]
    msg["Message-ID"] = "<orig-1@example.az>"
    msg["Date"] = "Mon, 23 Nov 2026 10:00:00 +0400"
    msg.set_content(TEXT[lang] + "\n\n> old quoted line\n")
    if with_attachment:
        msg.add_attachment(b"\x89PNG fake photo", maintype="image", subtype="png", filename="leak.png")
    return msg.as_bytes()


@pytest.mark.parametrize("lang", ("az", "ru", "tr", "en"))
def test_attached_message_is_the_original(lang):
    found = find(staff_mail("#category delivery", attach=[customer_original(lang)]), is_staff)
    assert isinstance(found, Forwarded)
    original = found.original
    assert (original.sender, original.sender_name, original.subject) == (CUSTOMER, NAME[lang], SUBJECT[lang])
    assert original.new_text == TEXT[lang]
    assert [a.filename for a in original.attachments] == ["leak.png"]
    assert original.message_id == "orig-1@example.az"
    assert found.written == datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
    assert found.staff_text == "#category delivery"


def test_attached_messages_of_two_customers_are_refused():
    other = customer_original().replace(CUSTOMER.encode(), b"rauf@example.org")
    found = find(staff_mail("", attach=[customer_original(), other]), is_staff)
    assert isinstance(found, Unreadable) and "several customers" in found.reason


# Ordinary staff mail that only mentions header words must never be taken for a forward.
ORDINARY = {
    "en": ["From: the warehouse we got the goods back yesterday.\nSubject to approval, we refund.\nThanks",
           "Date: tomorrow. To: all. From: me.", "I forwarded the message to the supplier; from: Baku."],
    "ru": ["От: склада пришёл ответ, тема: доставка.\nКому: всем сотрудникам\nСпасибо",
           "Пересылаемое сообщение потерялось, от клиента нет ответа."],
    "tr": ["Kimden geldiğini bilmiyorum.\nKonu: iade\nTarih: yarın", "Yönlendirilmiş ileti yok, Kime yazalım?"],
    "az": ["Kimdən: anbardan cavab gəldi.\nMövzu: çatdırılma\nKimə: hamıya",
           "Göndərən: müştəri deyil, mağazadır. Tarix: sabah."],
}


@pytest.mark.parametrize("lang,text", [(lang, text) for lang, texts in ORDINARY.items() for text in texts])
def test_ordinary_staff_sentences_are_not_forwards(lang, text):
    assert find(staff_mail(text, subject="Qeyd"), is_staff) is None


def test_dates_in_every_client_style():
    assert parse_date("Mon, Nov 23, 2026 at 3:05 PM") == datetime(2026, 11, 23, 15, 5)
    assert parse_date("23 iyul 2026, 10:00") == datetime(2026, 7, 23, 10, 0)
    assert parse_date("2026-11-23 10:00") == datetime(2026, 11, 23, 10, 0)
    assert parse_date("11/23/2026 10:00 AM") == datetime(2026, 11, 23, 10, 0)
    assert parse_date("23.11.2026 10:00") == datetime(2026, 11, 23, 10, 0)
    assert parse_date("23 November 2026 at 10:00:00 GMT+4").utcoffset() == timedelta(hours=4)
    assert parse_date("yesterday") is None and parse_date("") is None


def test_implausible_dates_fall_back_to_now():
    now = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)
    body = inline("gmail", "en").replace(DATES["gmail"]["en"], "Mon, Nov 23, 2031 at 10:00 AM")
    found = find(staff_mail(body), is_staff)
    assert received_at(found, now, ZONE) == now


def test_huge_and_crafted_bodies_stay_linear():
    """Thousands of header-like lines without an address, then 200k colons: read once, and at
    most an error to the staff member (bench/forward.py measures the time)."""
    crafted = ("From: x\nDate: y\nTo: z\n" * 20000) + ":" * 200000
    found = find(staff_mail(crafted), is_staff)
    assert found is None or isinstance(found, Unreadable)


def test_decomposed_unicode_labels_still_match():
    import unicodedata
    body = unicodedata.normalize("NFD", inline("outlook", "az"))
    found = find(staff_mail(body), is_staff)
    assert isinstance(found, Forwarded) and found.original.sender == CUSTOMER


@pytest.mark.parametrize("marker", ["-------- Пересылаемое сообщение --------",
                                    "-------- Начало переадресованного сообщения --------",
                                    "----- Forwarded Message -----"])
def test_yandex_and_mailru_one_line_attribution(marker):
    body = (f"Посмотрите, пожалуйста.\n\n{marker}\n23.11.2026, 10:00, \"Айсель Мамедова\" <{CUSTOMER}>:\n\n"
            f"{TEXT['ru']}\n")
    found = find(staff_mail(body), is_staff)
    assert isinstance(found, Forwarded), found
    assert (found.original.sender, found.original.sender_name) == (CUSTOMER, "Айсель Мамедова")
    assert found.original.new_text == TEXT["ru"] and found.staff_text == "Посмотрите, пожалуйста."
    assert found.written == datetime(2026, 11, 23, 10, 0)


def test_mailru_header_block_with_ot_kogo():
    body = ("-------- Пересылаемое сообщение --------\nОт кого: Айсель <aysel@example.az>\nКому: leyla@shop.test\n"
            "Дата: Понедельник, 23 ноября 2026, 10:00 +04:00\nТема: Стиральная машина\n\n" + TEXT["ru"])
    found = find(staff_mail(body), is_staff)
    assert isinstance(found, Forwarded) and found.original.sender == CUSTOMER
    assert found.written.utcoffset() == timedelta(hours=4)


def test_yahoo_forward():
    body = ("Please see.\n\n----- Forwarded Message -----\nFrom: Alice Brown <alice@example.com>\n"
            "To: Sales <sales@shop.test>\nSent: Monday, November 23, 2026, 10:00:00 AM GMT+4\n"
            "Subject: Broken kettle\n\nThe kettle broke.")
    found = find(staff_mail(body), is_staff)
    assert isinstance(found, Forwarded) and found.original.sender == "alice@example.com"
    assert found.original.subject == "Broken kettle"
