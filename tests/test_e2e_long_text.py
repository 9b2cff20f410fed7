"""A mail whose text is over parse's TEXT_MAX, end to end: stored shortened and marked, its
raw bytes whole in the archive, staff told with the start of it and a note saying so."""
from __future__ import annotations

import email
import email.policy
from pathlib import Path

from gateway.desk.plan import STAFF_TEXT_MAX, staff_message
from gateway.ingest.apply import SHORTENED_MARK
from gateway.mail.parse import TEXT_MAX, sha256
from gateway.store.archive import Archive
from gatewaykit import gateway_inline, mail, outgoing, show, write_config

NOW = "2026-11-23T06:00:00Z"
LINES = {
    "az": "Sifarişim çatdırılmayıb, zəhmət olmasa kömək edin.",
    "ru": "Заказ не доставлен, помогите, пожалуйста.",
    "tr": "Siparişim teslim edilmedi, lütfen yardım edin.",
    "en": "My order was not delivered, please help.",
}


def test_a_text_of_3_mb_is_stored_shortened_and_staff_are_told(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    body = "".join(f"{LINES[lang]} {i}\n" for i in range(3 * TEXT_MAX // 200) for lang in LINES)
    raw = mail(subject="Order not delivered", body=body)
    line = gateway_inline(config, "ingest", "--now", NOW, input=raw).stdout.decode()
    tracking = line.split()[2]
    [message] = show(config, tracking)["messages"]
    assert message["text"].endswith(SHORTENED_MARK) and body.startswith(message["text"][: -len(SHORTENED_MARK)])
    assert len(message["text"].encode()) <= TEXT_MAX + len(SHORTENED_MARK.encode())
    assert Archive(tmp_path / "storage" / "archive").load(message["sha256"]) == raw == \
        Archive(tmp_path / "storage" / "archive").load(sha256(raw))
    gateway_inline(config, "tick", "--now", NOW)
    sent = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in outgoing(config)]
    [staff] = [m for m in sent if m["To"] != "aysel@example.az"]  # the department the rules chose
    text = staff.get_body(("plain",)).get_content()
    assert f"gateway show {tracking}" in text and "Shortened" in text
    assert LINES["az"] in text and len(text) < STAFF_TEXT_MAX + 10_000
    assert f"gateway show {tracking}" in staff.get_body(("html",)).get_content()
    [ack] = [m for m in sent if m["To"] == "aysel@example.az"]
    assert "Shortened" not in ack.get_body(("plain",)).get_content()


def test_an_ordinary_notice_carries_the_whole_text_and_no_note() -> None:
    for lang, line in LINES.items():
        params = staff_message(f"{line}\n" * 10)
        assert params == {"message": f"{line}\n" * 10, "shortened": False}, lang
        assert staff_message(line, shortened=True)["shortened"]


def test_a_long_text_goes_to_staff_cut_at_a_line_end() -> None:
    for lang, line in LINES.items():
        text = f"{line}\n" * (2 * STAFF_TEXT_MAX // len(line))
        params = staff_message(text)
        assert params["shortened"] and params["message"].endswith(f"{line}\n[...]"), lang
        assert len(params["message"]) <= STAFF_TEXT_MAX + 6 and text.startswith(params["message"][:-6])
