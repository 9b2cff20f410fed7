"""Contact details a customer gives by reply, through `gateway ingest`: stored when the
acknowledgement asked for them; a Turkish phone read in a Turkish complaint under an
Azerbaijani phone_region."""
from __future__ import annotations

from email import message_from_bytes
from email import policy as mail_policy

from gatewaykit import gateway, listing, mail, outgoing, show, write_config


def _ack_text(config) -> str:
    gateway(config, "tick", "--now", "2026-03-02T12:00:00+04:00")
    for path in outgoing(config):
        msg = message_from_bytes(path.read_bytes(), policy=mail_policy.default)
        if msg["To"] != "team@shop.test":
            return msg.get_body(("plain",)).get_content()
    raise AssertionError("no acknowledgement")


def test_name_and_phone_given_by_reply_are_stored(tmp_path):
    config = write_config(tmp_path)
    gateway(config, "ingest", "--now", "2026-03-02T10:00:00+04:00", input=mail(
        sender="aysel@example.az", name="Aysel", subject="Sifariş gecikir",
        body="Salam, sifarişim 10 gündür çatdırılmayıb, zəhmət olmasa kömək edin."))
    tracking = listing(config)[0]["tracking"]
    assert show(config, tracking)["customer"]["phone"] in ("", None)
    gateway(config, "ingest", "--now", "2026-03-02T11:00:00+04:00", input=mail(
        sender="aysel@example.az", subject=f"Re: [{tracking}] Sifariş gecikir",
        body="Ad: Aysel\nSoyad: Məmmədova\nAta adı: Rauf qızı\nTelefon: 050 123 45 67\n"))
    customer = show(config, tracking)["customer"]
    assert customer["name"] == "Aysel Rauf qızı Məmmədova" and customer["phone"] == "+994501234567"


def test_a_turkish_phone_in_a_turkish_complaint_under_az_is_not_asked_for_again(tmp_path):
    config = write_config(tmp_path)
    gateway(config, "ingest", "--now", "2026-03-02T10:00:00+04:00", input=mail(
        sender="ayse@example.com.tr", name="Ayşe Yılmaz", subject="Siparişim gelmedi",
        body="Merhaba, siparişim on gündür gelmedi, lütfen yardımcı olun. Telefonum 0532 123 45 67"))
    tracking = listing(config)[0]["tracking"]
    assert show(config, tracking)["customer"]["phone"] == "+905321234567"
    assert "0532" not in _ack_text(config)


def test_a_known_name_is_not_replaced_by_a_reply_that_only_mentions_words(tmp_path):
    config = write_config(tmp_path)
    gateway(config, "ingest", "--now", "2026-03-02T10:00:00+04:00", input=mail(
        sender="ivan@example.ru", name="Иван Петров", subject="Заказ",
        body="Здравствуйте, мой заказ до сих пор не доставлен, курьер не приехал."))
    tracking = listing(config)[0]["tracking"]
    gateway(config, "ingest", "--now", "2026-03-02T11:00:00+04:00", input=mail(
        sender="ivan@example.ru", subject=f"Re: [{tracking}] Заказ",
        body="Меня зовут обратно в магазин. Имя: Сергей\nТелефон: +7 912 345-67-89"))
    customer = show(config, tracking)["customer"]
    assert customer["name"] == "Иван Петров" and customer["phone"] == "+79123456789"
