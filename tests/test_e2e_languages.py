"""A complaint in each language: acknowledged in that language, the right department told."""
from __future__ import annotations

import email
import email.policy

import pytest

from gatewaykit import gateway, mail, outgoing, show, write_config

NOW = "2026-11-23T06:00:00Z"

CASES = [
    ("az", "Salam, sifarişim hələ də çatdırılmayıb, kuryer gəlmədi. Zəhmət olmasa kömək edin.",
     "logistics@shop.example", "Hörmətli"),
    ("tr", "Merhaba, siparişim hâlâ teslim edilmedi, kargo gelmedi. Lütfen yardımcı olun.",
     "logistics@shop.example", "Sayın"),
    ("ru", "Здравствуйте, деньги за возвращённый товар так и не вернули, прошу оформить возврат.",
     "finance@shop.example", "Благодарим"),
    ("en", "Hello, the blender I bought is defective and stopped working after two days.",
     "quality@shop.example", "Dear"),
]


def parse_eml(path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


@pytest.mark.parametrize("lang, text, department, greeting", CASES)
def test_acknowledged_in_the_customers_language_and_routed(tmp_path, lang, text, department, greeting):
    config = write_config(tmp_path)
    sender = f"customer-{lang}@example.net"
    tracking = gateway(config, "ingest", "--now", NOW, input=mail(sender=sender, subject="Complaint",
                                                                  body=text)).stdout.decode().split()[2]
    gateway(config, "tick", "--now", NOW)
    sent = {parse_eml(p)["To"]: parse_eml(p) for p in outgoing(config)}
    ack = sent[sender]
    assert ack["Content-Language"] == lang
    assert greeting in ack.get_body(("plain",)).get_content()
    assert department in sent, f"staff notification went to {set(sent) - {sender}}"
    data = show(config, tracking)
    assert data["language"] == lang and data["why"]["department"]


def test_staff_language_override_and_the_customer_remembers_it(tmp_path):
    config = write_config(tmp_path, require_auth=True)  # a fresh staff mail (no reply) needs authentication
    tracking = gateway(config, "ingest", "--now", NOW, input=mail(
        sender="c@example.net", body=CASES[3][1])).stdout.decode().split()[2]
    gateway(config, "ingest", "--now", NOW, input=mail(
        sender="agent@shop.test", subject=f"Re: [{tracking}]", body="#language ru\nМы проверяем ваш заказ.",
        headers={"Authentication-Results": "mx.shop.test; dkim=pass header.d=shop.test"}))
    gateway(config, "tick", "--now", NOW)
    relay = [parse_eml(p) for p in outgoing(config) if parse_eml(p)["To"] == "c@example.net"][-1]
    assert relay["Content-Language"] == "ru"
    assert show(config, tracking)["language"] == "ru"
    second = gateway(config, "ingest", "--now", NOW, input=mail(
        sender="c@example.net", subject="Again", body="ok")).stdout.decode().split()[2]
    assert show(config, second)["language"] == "ru"  # too short to detect: the remembered language


def test_sensitive_data_gets_the_privacy_warning_once(tmp_path):
    config = write_config(tmp_path)
    body = "My order is late. I have diabetes and need the glucose meter urgently for my health."
    tracking = gateway(config, "ingest", "--now", NOW, input=mail(sender="s@example.net", body=body)).stdout.decode().split()[2]
    gateway(config, "tick", "--now", NOW)
    data = show(config, tracking)
    assert data["sensitive"] is True
    assert [o["kind"] for o in data["outgoing"]].count("privacy") == 1
