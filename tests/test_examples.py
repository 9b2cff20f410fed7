"""The `examples/` blocks: one per seed policy, adopted as the README says, pass
`gateway check` and carry every key their policy needs."""
from __future__ import annotations

import pytest

from gateway import config
from gatewaykit import gateway
from policies import EXAMPLES, SEED_BLOCKS, adopt, adopted, dumps

BLOCKS = sorted(set(SEED_BLOCKS.values()))


@pytest.mark.parametrize("block", BLOCKS)
def test_adopted_block_passes_check(tmp_path, block):
    result = gateway(adopt(block, tmp_path), "check", check=False)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()


def test_every_block_file_belongs_to_a_seed():
    assert sorted(p.name for p in EXAMPLES.glob("*.toml")) == BLOCKS


@pytest.mark.parametrize(("block", "zone", "region", "language", "languages"), [
    ("policy-az-3-10.toml", "Asia/Baku", "AZ", "az", ("az", "ru", "tr", "en")),
    ("policy-tr-same-day.toml", "Europe/Istanbul", "TR", "tr", ("tr", "en")),
    ("policy-stages-2-4-1.toml", "Europe/Istanbul", "TR", "tr", ("tr", "ru", "en")),
    ("policy-priority-1-3-5.toml", "Europe/Istanbul", "TR", "tr", ("tr", "en")),
])
def test_block_sets_zone_region_and_languages(tmp_path, block, zone, region, language, languages):
    cfg = config.load(adopt(block, tmp_path))
    assert cfg.gateway.timezone == zone
    assert cfg.calendar.timezone in ("", zone)  # one business time zone
    assert cfg.gateway.phone_region == region and cfg.calendar.country == region
    assert cfg.gateway.default_language == language == cfg.staff.language
    assert cfg.gateway.languages == languages


def test_az_block_asks_for_the_patronymic_and_keeps_3_10(tmp_path):
    cfg = config.load(adopt("policy-az-3-10.toml", tmp_path))
    assert "patronymic" in cfg.staff.intake_required
    assert (cfg.sla.acknowledge, cfg.sla.review, cfg.sla.resolve) == (3, 3, 10)
    assert set(cfg.remedies) == {"az", "ru"}


def test_same_day_block_acknowledges_the_same_day_with_interim_updates(tmp_path):
    cfg = config.load(adopt("policy-tr-same-day.toml", tmp_path))
    assert cfg.sla.acknowledge == 0 and cfg.sla.due_end_of_day and cfg.sla.interim_every == 3


def test_poliser_block_names_its_four_statuses_in_ru_and_tr(tmp_path):
    cfg = config.load(adopt("policy-stages-2-4-1.toml", tmp_path))
    ru, tr = cfg.status_labels["ru"], cfg.status_labels["tr"]
    assert {ru["investigating"], ru["resolved"], ru["closed"], ru["escalated"]} == {
        "На стадии обработки", "Удовлетворено", "Завершен", "Актуальна"}
    assert set(tr) == set(ru) and len(set(tr.values())) == 4
    assert (cfg.sla.acknowledge, cfg.sla.investigate, cfg.sla.respond, cfg.sla.resolve) == (2, 4, 1, 7)


def test_priority_block_answers_by_priority(tmp_path):
    cfg = config.load(adopt("policy-priority-1-3-5.toml", tmp_path))
    assert cfg.sla.priority_resolve == {"high": 1, "normal": 3, "low": 5} and cfg.sla.acknowledge == 0


def test_no_block_names_a_financial_authority():
    for block in BLOCKS:
        text = (EXAMPLES / block).read_text(encoding="utf-8").lower()
        assert "financ" not in text and "финанс" not in text and "finans" not in text


def test_adopting_keeps_the_shipped_keys_the_block_leaves_out():
    data = adopted("policy-priority-1-3-5.toml", {"staff": {"notify": "desk@key.example"}})
    assert data["gateway"]["address"] == "customer.care@shop.example"
    assert data["staff"]["notify"] == "desk@key.example" and data["staff"]["language"] == "tr"
    assert "[sla.priority_resolve]" in dumps(data)


def test_poliser_customer_reads_the_policys_status_names_and_turkish_remedies(tmp_path):
    from gatewaykit import listing, mail, staff_notice_id
    cfg = adopt("policy-stages-2-4-1.toml", tmp_path)
    gateway(cfg, "ingest", "--now", "2026-03-02T10:00:00+03:00", input=mail(
        sender="ivan@example.ru", to="customer.care@shop.example", subject="Жалоба на качество",
        body="Здравствуйте, купленная кастрюля протекает после первого использования, прошу заменить."))
    tracking = listing(cfg)[0]["tracking"]
    gateway(cfg, "ingest", "--now", "2026-03-02T11:00:00+03:00", input=mail(
        sender="agent@shop.example", to="customer.care@shop.example", subject=f"Re: [{tracking}] Жалоба",
        body="#status investigating\n", in_reply_to=staff_notice_id(cfg, tracking)))
    status = gateway(cfg, "preview", "status", "--lang", "ru", "--complaint", tracking).stdout.decode()
    assert "Статус: На стадии обработки" in status
    remedies = gateway(cfg, "preview", "remedies", "--lang", "tr", "--complaint", tracking).stdout.decode()
    assert "- ikametgâhınızın bulunduğu yerdeki tüketici hakem heyeti" in remedies
    assert "finans" not in remedies.lower() and "düzenleyici ve denetleyici" not in remedies


def test_portal_shows_the_policys_status_names(tmp_path):
    from gateway.service.web.app import _strings
    from gatewaykit import REPO
    cfg = config.load(adopt("policy-stages-2-4-1.toml", tmp_path))
    strings = _strings(REPO / "templates" / "web" / "strings.toml", cfg.gateway.languages, cfg.status_labels)
    assert strings["ru"]["statuses"]["closed"] == "Завершен" and strings["tr"]["statuses"]["escalated"] == "Güncel"
    assert strings["ru"]["statuses"]["waiting_customer"]  # statuses the policy leaves out keep the portal's word


def test_the_turkish_desk_gets_turkish_staff_mail_whatever_the_customer_writes(tmp_path):
    from email import message_from_bytes
    from email import policy as mail_policy

    from gatewaykit import mail, outgoing
    cfg = adopt("policy-priority-1-3-5.toml", tmp_path, {"staff": {"notify": "desk@shop.example"}})
    gateway(cfg, "ingest", "--now", "2026-03-02T10:00:00+03:00", input=mail(
        sender="john@example.com", to="customer.care@shop.example", subject="Internet down",
        body="Hello, my internet connection has been down since yesterday morning, please help."))
    gateway(cfg, "tick", "--now", "2026-03-02T10:01:00+03:00")
    sent = {m["To"]: m for m in (message_from_bytes(p.read_bytes(), policy=mail_policy.default) for p in outgoing(cfg))}
    customer = sent.pop("john@example.com")
    (staff,) = sent.values()  # the department the rules route to, else [staff] notify
    assert staff["Content-Language"] == "tr" and "Yeni şikâyet" in str(staff["Subject"])
    body = staff.get_body(("plain",)).get_content()
    assert "Takip numarası:" in body and "Müşterinin yazdığı:" in body and "The customer" not in body
    assert customer["Content-Language"] == "en"
