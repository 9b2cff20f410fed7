"""Special-category data is looked for in every customer message, and the privacy
warning goes once per complaint (through `gateway ingest` and `tick`)."""
from __future__ import annotations

from email import message_from_bytes
from email import policy as mail_policy

from gatewaykit import gateway, listing, mail, outgoing, show
from policies import adopt

CUSTOMER = "ayse@example.com.tr"


def _privacy_mails(config) -> list:
    gateway(config, "tick", "--now", "2026-03-03T12:00:00+03:00")
    found = []
    for path in outgoing(config):
        msg = message_from_bytes(path.read_bytes(), policy=mail_policy.default)
        if msg["To"] == CUSTOMER and "özel nitelikli" in str(msg["Subject"]):
            found.append(msg)
    return found


def _reply(config, tracking: str, body: str, at: str) -> None:
    gateway(config, "ingest", "--now", at, input=mail(sender=CUSTOMER, to="customer.care@shop.example",
                                                      subject=f"Re: [{tracking}] Sipariş", body=body))


def test_a_later_message_with_health_data_gets_the_kvkk_warning_once(tmp_path):
    config = adopt("policy-tr-same-day.toml", tmp_path)
    gateway(config, "ingest", "--now", "2026-03-02T10:00:00+03:00", input=mail(
        sender=CUSTOMER, to="customer.care@shop.example", subject="Sipariş",
        body="Merhaba, siparişim on gündür gelmedi, lütfen yardımcı olun."))
    tracking = listing(config)[0]["tracking"]
    assert not show(config, tracking)["sensitive"] and _privacy_mails(config) == []
    _reply(config, tracking, "Diyabet hastasıyım, ilaçlarım bu paketteydi, acil lazım.", "2026-03-02T11:00:00+03:00")
    assert show(config, tracking)["sensitive"]
    assert len(_privacy_mails(config)) == 1
    _reply(config, tracking, "Ayrıca kanser tedavisi görüyorum, lütfen acele edin.", "2026-03-02T12:00:00+03:00")
    assert len(_privacy_mails(config)) == 1  # once per complaint
    kinds = [e["kind"] for e in show(config, tracking)["events"]]
    assert kinds.count("sensitive_data") == 1


def test_an_ordinary_reply_raises_no_warning(tmp_path):
    config = adopt("policy-tr-same-day.toml", tmp_path)
    gateway(config, "ingest", "--now", "2026-03-02T10:00:00+03:00", input=mail(
        sender=CUSTOMER, to="customer.care@shop.example", subject="Sipariş",
        body="Merhaba, siparişim on gündür gelmedi, lütfen yardımcı olun."))
    tracking = listing(config)[0]["tracking"]
    _reply(config, tracking, "İade politikanız nedir? Ürünün kökeni de yanlış yazılmış.", "2026-03-02T11:00:00+03:00")
    assert not show(config, tracking)["sensitive"] and _privacy_mails(config) == []
