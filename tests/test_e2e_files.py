"""The customer's files reach staff: attached to the staff notice from the archive at send time,
within `[staff] attach_max_mb`; past it listed by name, type and size with how to fetch them."""
from __future__ import annotations

import email
import email.policy
import sqlite3
from email.message import EmailMessage

from gatewaykit import gateway, outgoing, show, write_config

NOW = "2026-11-24T06:00:00Z"
LATER = "2026-11-24T07:00:00Z"
CUSTOMER = "olga@example.ru"
PDF = b"%PDF-1.4 receipt " + b"0" * 3000
JPEG = b"\xff\xd8\xff\xe0 photo " + b"1" * 6000


def customer_mail(files: list[tuple[bytes, str, str, str]], subject: str = "Сломался чайник",
                  headers: dict[str, str] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = f"Olga <{CUSTOMER}>", "care@shop.test", subject
    msg["Message-ID"] = email.utils.make_msgid(domain="example.ru")
    msg["Date"] = "Tue, 24 Nov 2026 10:00:00 +0400"
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content("Чайник сломался через неделю. Фото и чек во вложении.")
    for payload, maintype, subtype, name in files:
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def config_with_cap(tmp_path, cap_mb: str = ""):
    config = write_config(tmp_path)
    if cap_mb:
        config.write_text(config.read_text().replace("[staff]\n", f"[staff]\nattach_max_mb = {cap_mb}\n"))
    return config


def sent_to(config, address: str) -> list[email.message.EmailMessage]:
    """Mail to `address`; "staff": to anyone but the customer (the routing rules pick the desk)."""
    found = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in outgoing(config)]
    return [m for m in found if (m["To"] != CUSTOMER if address == "staff" else m["To"] == address)]


def files(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def test_staff_notice_carries_the_customers_receipt_and_photo_and_the_customer_gets_none_back(tmp_path):
    config = config_with_cap(tmp_path)
    raw = customer_mail([(PDF, "application", "pdf", "чек.pdf"), (JPEG, "image", "jpeg", "../../foto.jpg")])
    tracking = gateway(config, "ingest", "--now", NOW, input=raw).stdout.decode().split()[2]
    gateway(config, "tick", "--now", NOW)
    (notice,) = sent_to(config, "staff")
    assert files(notice) == {"чек.pdf": PDF, "foto.jpg": JPEG}  # a path in a name is dropped
    text = notice.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "чек.pdf (application/pdf, 2 KB): attached" in text and "foto.jpg (image/jpeg, 5 KB): attached" in text
    assert "foto.jpg" in notice.get_body(("html",)).get_content()
    (ack,) = sent_to(config, CUSTOMER)
    assert not list(ack.iter_attachments())
    outbox_row = next(o for o in show(config, tracking)["outgoing"] if o["kind"] == "staff_new")
    assert outbox_row["state"] == "sent"
    stored = show(config, tracking)["messages"][0]["attachments"]
    assert [a["filename"] for a in stored] == ["чек.pdf", "foto.jpg"]
    with sqlite3.connect(tmp_path / "storage" / "gateway.db") as conn:
        (params,), = conn.execute("SELECT params FROM outgoing_mail WHERE kind = 'staff_new'")
    assert "PDF-1.4" not in params and "files_of" in params  # a key into the archive, never the bytes


def test_over_the_cap_the_files_are_listed_with_how_to_get_them(tmp_path):
    config = config_with_cap(tmp_path, "0.004")  # 4 KB: the receipt fits, the photo does not
    raw = customer_mail([(PDF, "application", "pdf", "receipt.pdf"), (JPEG, "image", "jpeg", "photo.jpg")])
    tracking = gateway(config, "ingest", "--now", NOW, input=raw).stdout.decode().split()[2]
    gateway(config, "tick", "--now", NOW)
    (notice,) = sent_to(config, "staff")
    assert files(notice) == {"receipt.pdf": PDF}
    text = notice.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "photo.jpg (image/jpeg, 5 KB): not attached" in text
    assert f"gateway show {tracking} --json" in text and "gateway export --customer" in text


def test_the_photo_sent_after_an_ask_reaches_staff_with_the_customers_reply(tmp_path):
    config = config_with_cap(tmp_path)
    tracking = gateway(config, "ingest", "--now", NOW, input=customer_mail([])).stdout.decode().split()[2]
    gateway(config, "tick", "--now", NOW)
    (ack,) = sent_to(config, CUSTOMER)
    reply = customer_mail([(JPEG, "image", "jpeg", "kettle.jpg")], subject=f"Re: [{tracking}] Сломался чайник",
                          headers={"In-Reply-To": ack["Message-ID"]})
    gateway(config, "ingest", "--now", LATER, input=reply)
    gateway(config, "tick", "--now", LATER)
    update = [m for m in sent_to(config, "staff") if files(m)]
    assert len(update) == 1 and files(update[0]) == {"kettle.jpg": JPEG}


def test_the_template_lists_files_in_every_language():
    from pathlib import Path

    from gateway.outbound.compose import Templates, sample_context
    templates = Templates(Path(__file__).resolve().parents[1] / "templates" / "mail")
    for lang in ("az", "ru", "tr", "en"):
        rendered = templates.render("staff_update", lang, sample_context(lang))
        assert "receipt.pdf (application/pdf, 47 KB)" in rendered.text and "photo.jpg" in rendered.html
        assert "gateway export --customer" in rendered.text
