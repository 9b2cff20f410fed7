"""A person's text under their own signature is theirs: a P.S. or a sentence after the contact lines.

quotes.split_signature used to count everything below a signature's first contact line as
signature, so "P.S. it's still broken" under a phone number reached neither the reply reader
nor staff. Real signatures (contacts, addresses, company lines, client footers, disclaimers)
stay signature.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from gateway.desk.intent import read, status_only
from gateway.desk.rulefiles import load_rules
from gateway.mail.parse import parse
from gateway.mail.quotes import split_reply

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"

SIGNATURE = {
    "en": "Regards,\nJohn Smith\nTel: +1 555 0100",
    "ru": "С уважением,\nИван Петров\nТел.: +7 495 123-45-67",
    "tr": "Saygılarımla,\nAyşe Yılmaz\nTel: +90 212 555 55 55",
    "az": "Hörmətlə,\nLeyla Həsənova\nMob.: +994 50 123 45 67",
}
OWN = {"en": "Where is my order?", "ru": "Где мой заказ?", "tr": "Siparişim nerede?", "az": "Sifarişim haradadır?"}
POSTSCRIPTS = [
    ("en", "P.S. it's still broken"), ("en", "PS: the courier never called"), ("en", "P.P.S. the box was open"),
    ("en", "Note: I am away next week"), ("ru", "П.С. всё ещё не работает"), ("ru", "ПС: курьер так и не позвонил"),
    ("ru", "P.S. адрес изменился"), ("ru", "Примечание: дома буду только вечером"),
    ("tr", "Not: kargo firması da cevap vermiyor"), ("tr", "P.S. ürün hâlâ çalışmıyor"),
    ("az", "Qeyd: kuryer zəng etmədi"), ("az", "P.S. telefon hələ də işləmir"),
]


@pytest.mark.parametrize("language, postscript", POSTSCRIPTS)
@pytest.mark.parametrize("gap", ["\n", "\n\n"])
def test_a_postscript_under_the_contact_lines_is_kept(language, postscript, gap):
    new, _, signature = split_reply(f"{OWN[language]}\n\n{SIGNATURE[language]}{gap}{postscript}")
    assert new == f"{OWN[language]}\n\n{postscript}"
    assert signature == SIGNATURE[language]


@pytest.mark.parametrize("language, sentence", [
    ("en", "The courier came today but left without the parcel."),
    ("ru", "Курьер приходил сегодня, но посылку не оставил."),
    ("tr", "Kurye bugün geldi ama paketi bırakmadı."),
    ("az", "Kuryer bu gün gəldi, amma bağlamanı qoymadı."),
    ("en", "it's still broken and nobody called me back"),
])
def test_a_sentence_paragraph_under_a_signature_is_kept(language, sentence):
    for signature in (SIGNATURE[language], "-- \nJohn Smith\n+1 555 0100"):
        new, _, sig = split_reply(f"{OWN[language]}\n\n{signature}\n\n{sentence}\n\nSent from my iPhone")
        assert new == f"{OWN[language]}\n\n{sentence}"
        assert sig == f"{signature}\n\nSent from my iPhone"


@pytest.mark.parametrize("signature", [
    "Regards,\nJohn Smith\nTel: +1 555 0100\nShop LLC\nBaku, Azerbaijan",
    "Regards,\nJohn Smith\nTel: +1 555 0100\n\nShop LLC | Baku | Azerbaijan\nwww.shop.example",
    "С уважением,\nИван Петров\nТел.: +7 495 123-45-67\n\nАдрес: г. Москва, ул. Ленина, д. 5.",
    "Hörmətlə,\nLeyla Həsənova\nTel: +994 50 123 45 67\n\nÜnvan: Bakı şəhəri, Nizami küçəsi 5.",
    "Saygılarımla,\nAyşe Yılmaz\nTel: +90 212 555 55 55\n\nAdres: Atatürk Cad. No 5, İstanbul.",
    "-- \nJohn Smith\nNorthwind Trading LLC\n+1 555 0100\njohn@northwind.example",
    "Regards,\nJohn\nTel: 050 123 45 67\n\nNOTICE:  This communication and its attachments, if any, may contain\n"
    "sensitive, privileged, or other confidential information.",
])
def test_real_signatures_stay_signature(signature):
    new, _, sig = split_reply(f"The parcel has not arrived.\n\n{signature}")
    assert (new, sig) == ("The parcel has not arrived.", signature)


def test_the_postscript_reaches_the_reply_reader_and_staff():
    rules = load_rules(RULES_DIR, ("az", "ru", "tr", "en"))
    body = "I accept.\n\nRegards,\nJohn Smith\nTel: +1 555 0100\nP.S. it's still broken"
    assert read(rules, body, "en") != "accept"
    assert not status_only(rules, "Status?\n\n-- \nJohn\n+1 555 0100\nP.S. my new address is 5 Nizami street")
    mail = parse(("From: john@example.com\r\nTo: care@shop.test\r\nSubject: Re: order\r\nMessage-ID: <p@s>\r\n"
                  "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode())
    assert "P.S. it's still broken" in mail.new_text and "P.S." not in mail.signature
