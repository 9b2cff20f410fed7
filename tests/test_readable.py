"""mail/readable.py: a mail of NUL bytes or control characters is no complaint; any word is."""
from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.mail.parse import Attachment, Mail, parse
from gateway.mail.readable import unreadable


def a_mail(subject: str = "", text: str = "", attachments: tuple[Attachment, ...] = ()) -> Mail:
    return Mail(message_id="m@example.az", sender="aysel@example.az", sender_name="", subject=subject, text=text,
                new_text=text, attachments=attachments)


@pytest.mark.parametrize("subject, text", [
    ("", "\x00" * 500),
    ("\x01\x02", "\x07\x08\x0b\x0c \t\r\n" * 20),
    ("   ", "\n\n\n"),
    ("", ""),
    ("\ufffd\ufffd", "\ufffd" * 30),  # undecodable bytes
    ("\u200b\ufeff", "\u200b\u200c\u200d\u2060\n"),  # zero-width characters only
])
def test_nothing_to_read_is_unreadable(subject, text):
    assert unreadable(a_mail(subject, text)).startswith("unreadable:")


@pytest.mark.parametrize("subject, text", [
    ("", "Sifarişim on gündür gəlmir, pulumu qaytarın."),  # az
    ("", "Мой заказ не пришёл уже десять дней."),  # ru
    ("", "Siparişim on gündür gelmedi, iade istiyorum."),  # tr
    ("", "My order has not arrived after ten days."),  # en
    ("Sifariş gecikir", "\x00" * 50),  # the subject says it
    ("Заказ", ""),
    ("", "12345"),  # an order number alone
    ("", "😡😡"),
    ("\x00", "Ödəniş\x00 geri qaytarılmayıb"),  # a NUL among words: still words
    ("", ":("),  # a reply to an answer: the customer is not happy
    ("", "???"),
    ("?", ""),
    ("--", "...\n?!"),
])
def test_any_word_in_any_of_the_four_languages_is_readable(subject, text):
    assert unreadable(a_mail(subject, text)) == ""


def test_a_photo_without_text_is_a_complaint():
    photo = Attachment("receipt.jpg", "image/jpeg", 3, "ab" * 32, b"jpg")
    assert unreadable(a_mail("", "", (photo,))) == ""


def test_a_parsed_mail_of_nul_bytes_is_unreadable():
    raw = (b"From: a@example.az\r\nTo: care@shop.test\r\nSubject: \r\nMessage-ID: <n1@example.az>\r\n\r\n"
           + b"\x00" * 50 + b"\r\n")
    assert unreadable(parse(raw)).startswith("unreadable:")


def test_a_picture_pasted_into_html_is_a_complaint():
    pasted = replace(a_mail("", ""), html='<p><img src="data:image/png;base64,iVBORw0KGgo="></p>')
    assert unreadable(pasted) == ""
