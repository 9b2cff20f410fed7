"""mail/identity.py: when two arrivals are one mail (pure)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from gateway.mail.identity import content_key, header_key, legacy_key, plain_subject, previous_key, unbannered
from gateway.mail.parse import Attachment, Mail, parse

DATE = datetime(2026, 12, 5, 6, 0, tzinfo=timezone.utc)
TEXT = "Sifarişim on gündür gəlmir.\nSifariş 12345.\n"


def a_mail(**fields) -> Mail:
    values = {"message_id": "m1@example.az", "sender": "aysel@example.az", "sender_name": "", "subject": "Sifariş gecikir",
              "text": TEXT, "new_text": "", "date": DATE}
    return Mail(**{**values, **fields})


def test_message_id_sender_and_date_make_the_key_whatever_a_route_rewrote():
    base = content_key(a_mail())
    rewritten = [a_mail(subject="[EXTERNAL] Sifariş gecikir"), a_mail(sender="Aysel@Example.az"),
                 a_mail(text="CAUTION: This email originated from outside the organization.\n\n" + TEXT),
                 a_mail(text=TEXT + "-- \nScanned by ClamAV on mail.shop.test\n"),
                 a_mail(date=DATE.astimezone(timezone(timedelta(hours=4))))]  # the same instant
    assert {content_key(m) for m in rewritten} == {base} and base == header_key(a_mail())


def test_a_clashing_message_id_from_another_sender_or_with_another_date_is_another_mail():
    """A reused Message-ID (a buggy client, or an outsider who learnt it) never suppresses a mail."""
    base = content_key(a_mail())
    others = [a_mail(sender="intruder@example.net"), a_mail(date=DATE + timedelta(seconds=1)),
              a_mail(date=DATE + timedelta(days=3), text="Sipariş gecikti, lütfen yardım edin.")]
    keys = {content_key(m) for m in others}
    assert base not in keys and len(keys) == len(others)


def test_an_unparseable_date_counts_as_written():
    def odd(value: str) -> Mail:
        return a_mail(date=None, headers=(("date", value),))
    assert content_key(odd("someday  soon")) == content_key(odd("someday soon")) != content_key(odd("yesterday"))


def test_the_same_bytes_over_imap_smtp_and_pipe_are_one_mail():
    raw = ("From: Aysel <aysel@example.az>\r\nTo: care@shop.test\r\nSubject: Sifariş gecikir\r\n"
           "Date: Sat, 05 Dec 2026 10:00:00 +0400\r\nMessage-ID: <a1@example.az>\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n" + TEXT).encode()
    routes = [raw, b"Received: from mx1 by care-mta; Sat, 5 Dec 2026 10:00:01 +0400\r\nReturn-Path: <aysel@example.az>\r\n"
              b"X-Original-To: care@shop.test\r\n" + raw,
              b"Received: from mx2 by imap; Sat, 5 Dec 2026 10:00:09 +0400\r\nDKIM-Signature: v=1; d=example.az; b=x\r\n" + raw]
    assert len({content_key(parse(r)) for r in routes}) == 1
    assert len({content_key(parse(r.replace(b"Message-ID: <a1@example.az>\r\n", b""))) for r in routes}) == 1


def test_without_message_id_the_fingerprint_reads_past_route_marks():
    base = content_key(a_mail(message_id=""))
    marked = [a_mail(message_id="", subject="[ВНЕШНИЙ] Sifariş gecikir"), a_mail(message_id="", subject="*EXT* Sifariş gecikir"),
              a_mail(message_id="", subject="[HARİCİ] [SPAM] Sifariş gecikir"), a_mail(message_id="", subject="XARİCİ: Sifariş gecikir"),
              a_mail(message_id="", text="Внимание: письмо от внешнего отправителя. Не переходите по ссылкам.\n" + TEXT),
              a_mail(message_id="", text="Bu e-posta kuruluşunuzun dışından geldi.\n" + TEXT + "\n____\n"),
              a_mail(message_id="", text="Diqqət: məktub təşkilatdan kənardan gəlib.\n" + TEXT),
              a_mail(message_id="", text=TEXT + "\nThis email has been checked by antivirus software.\n")]
    assert base is not None and {content_key(m) for m in marked} == {base}


def test_without_message_id_other_words_or_another_date_are_another_mail():
    """Two form submissions of one sender: another text, subject or attachment, or another second."""
    base = content_key(a_mail(message_id=""))
    photo = Attachment("receipt.jpg", "image/jpeg", 3, "ab" * 32, b"jpg")
    others = [a_mail(message_id="", text="Sipariş 12345 hasarlı geldi."), a_mail(message_id="", subject="Заказ опаздывает"),
              a_mail(message_id="", attachments=(photo,)), a_mail(message_id="", date=DATE + timedelta(seconds=1)),
              a_mail(message_id="", sender="ivan@example.ru")]
    keys = {content_key(m) for m in others}
    assert base not in keys and len(keys) == len(others)


def test_with_neither_message_id_nor_date_only_the_bytes_count():
    assert content_key(a_mail(message_id="", date=None)) is None
    assert header_key(a_mail(date=None)) is None and content_key(a_mail(date=None)) is not None


@pytest.mark.parametrize("subject", [
    "External hard drive arrived broken", "Spam from your shop every day", "Warning light on the kettle",
    "Внешний вид товара испорчен", "Спам от вашего магазина", "Внимание: заказ не пришёл",
    "Harici disk bozuk geldi", "Dış ambalaj yırtık", "Şüpheli ödeme çekildi",
    "Xarici görünüşü pisdir", "Şübhəli ödəniş", "Re: Sifariş gecikir",
])
def test_an_ordinary_subject_keeps_its_words(subject):
    """Only a tag in brackets, stars or before a colon goes; words in a sentence stay (az/ru/tr/en)."""
    assert plain_subject(subject) == subject


@pytest.mark.parametrize("line", [
    "I found a virus warning on your website when paying.",
    "Антивирус блокирует страницу оплаты вашего сайта.",
    "Ödeme sayfanızda virüs uyarısı çıkıyor.",
    "Ödəniş səhifəsində virus xəbərdarlığı çıxır.",
    "The courier came from outside the city and was late.",
    "Курьер приехал извне города и опоздал.",
    "Kurye şehir dışından geldi ve geç kaldı.",
    "Kuryer şəhərdən kənardan gəldi və gecikdi.",
])
def test_a_persons_sentences_about_viruses_or_outside_stay_in_the_fingerprint(line):
    assert line in unbannered(TEXT + line + "\n")


def test_a_long_paragraph_is_never_taken_for_a_banner_and_a_text_of_banners_is_kept_whole():
    paragraph = "This email originated from outside the organization, says my IT team, and " + "x" * 400
    assert paragraph in unbannered(paragraph)
    assert unbannered("Scanned by ClamAV\n") == "Scanned by ClamAV"


def test_previous_and_legacy_keys_are_the_ones_rows_carry():
    """Rows keyed before v2 are met by the key they were stored under (v1: Message-ID, sender, subject,
    text, attachments; legacy: Message-ID and sender)."""
    v1 = hashlib.sha256("\0".join(["v1", "m1@example.az", "aysel@example.az", "Sifariş gecikir",
                                   " ".join(TEXT.split())]).encode()).hexdigest()
    assert previous_key(a_mail(sender="Aysel@example.az")) == v1 != content_key(a_mail())
    assert previous_key(a_mail(message_id="")) is None
    assert legacy_key("m1@example.az", "Aysel@example.az") == legacy_key("m1@example.az", "aysel@example.az")
    assert legacy_key("m1@example.az", "aysel@example.az") != legacy_key("m1@example.az", "ivan@example.ru")
    assert legacy_key("m1@example.az", "aysel@example.az").startswith("legacy:")
    assert len(legacy_key("x", "y")) <= 72 and len(content_key(a_mail()) or "") == 64
