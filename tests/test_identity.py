"""mail/identity.py: when two arrivals are one mail (pure)."""
from __future__ import annotations

from gateway.mail.identity import content_key, legacy_key
from gateway.mail.parse import Attachment, Mail


def a_mail(**fields) -> Mail:
    values = {"message_id": "m1@example.az", "sender": "aysel@example.az", "sender_name": "", "subject": "Sifariş gecikir",
              "text": "Sifarişim on gündür gəlmir.\n", "new_text": ""}
    return Mail(**{**values, **fields})


def test_the_same_mail_rewrapped_or_recased_has_one_key():
    assert content_key(a_mail()) == content_key(a_mail(text="Sifarişim  on gündür\r\ngəlmir.", sender="Aysel@Example.az"))


def test_a_clashing_message_id_with_anything_else_different_is_another_mail():
    base = content_key(a_mail())
    others = [a_mail(sender="intruder@example.net"), a_mail(subject="Заказ опаздывает"),
              a_mail(text="Sipariş gecikti, lütfen yardım edin."), a_mail(text="My order is late."),
              a_mail(attachments=(Attachment("receipt.pdf", "application/pdf", 3, "ab" * 32, b"pdf"),))]
    keys = {content_key(m) for m in others}
    assert base not in keys and len(keys) == len(others)


def test_without_a_message_id_only_the_bytes_count():
    assert content_key(a_mail(message_id="")) is None


def test_legacy_keys_name_message_id_and_sender_and_never_meet_content_keys():
    assert legacy_key("m1@example.az", "Aysel@example.az") == legacy_key("m1@example.az", "aysel@example.az")
    assert legacy_key("m1@example.az", "aysel@example.az") != legacy_key("m1@example.az", "ivan@example.ru")
    assert legacy_key("m1@example.az", "aysel@example.az").startswith("legacy:")
    assert len(legacy_key("x", "y")) <= 72 and len(content_key(a_mail()) or "") == 64
