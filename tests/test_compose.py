"""Templates -> EmailMessage: strict rendering, fallback, RFC 3834 headers, no header injection."""
from __future__ import annotations

import email
import email.policy

import jinja2
import pytest

from gateway.outbound.compose import Envelope, Rendered, TemplateMissing, Templates, build_message, sample_context
from gatewaykit import REPO

TEMPLATES = Templates(REPO / "templates" / "mail", "az")


def envelope(**extra) -> Envelope:
    base = dict(sender_name="Shop Care", sender="care@shop.test", recipient="aysel@example.az",
                message_id="abc@shop.test", in_reply_to="m1@example.az", references=("m0@example.az", "m1@example.az"),
                language="az", tracking="CC-2026-4K7PQ2MX")
    return Envelope(**{**base, **extra})


def test_render_and_headers():
    rendered = TEMPLATES.render("ack", "az", sample_context("az"))
    msg = email.message_from_bytes(bytes(build_message(envelope(), rendered)), policy=email.policy.default)
    assert "[CC-2026-4K7PQ2MX]" in msg["Subject"]
    assert msg["Auto-Submitted"] == "auto-replied" and msg["X-Auto-Response-Suppress"] == "All"
    assert msg["X-Care-Gateway-Loop"] == "care@shop.test"
    assert msg["In-Reply-To"] == "<m1@example.az>" and msg["References"] == "<m0@example.az> <m1@example.az>"
    assert msg["Content-Language"] == "az" and msg.get_content_type() == "multipart/alternative"


def test_fallback_to_default_then_english(tmp_path):
    (tmp_path / "only.en.txt").write_text("Subject: hi [{{ tracking }}]\n\nbody")
    templates = Templates(tmp_path, "az")
    assert templates.find("only", "ru") == ("only.en", "en")
    with pytest.raises(TemplateMissing):
        templates.find("nothing", "ru")


def test_undefined_variable_is_an_error_not_a_blank(tmp_path):
    (tmp_path / "x.en.txt").write_text("Subject: [{{ tracking }}]\n\nDear {{ customer.nmae }}")
    with pytest.raises(jinja2.UndefinedError):
        Templates(tmp_path, "en").render("x", "en", sample_context("en"))


def test_tracking_is_added_when_a_template_forgot_it():
    msg = build_message(envelope(), Rendered("Hello", "body", ""))
    assert msg["Subject"] == "[CC-2026-4K7PQ2MX] Hello"


def test_customer_input_cannot_inject_headers():
    msg = build_message(envelope(sender_name="Care\r\nBcc: victim@example.com"),
                        Rendered("Re: hi\r\nBcc: victim@example.com", "body", ""))
    parsed = email.message_from_bytes(bytes(msg), policy=email.policy.default)
    assert parsed["Bcc"] is None and "\n" not in parsed["Subject"]


def raw_of(rendered: Rendered, **extra) -> bytes:
    return bytes(build_message(envelope(**extra), rendered))


def test_non_ascii_subject_is_encoded_and_the_tracking_prefix_stays_readable():
    raw = raw_of(Rendered("Şikayətiniz qeydə alındı", "Hörmətli müştəri", ""))
    subject_line = raw.split(b"\r\nSubject: ", 1)[1]
    assert subject_line.startswith(b"[CC-2026-4K7PQ2MX] =?utf-8?")
    assert raw.isascii() is False  # the body is 8bit UTF-8 ...
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert headers.isascii()  # ... the headers never are anything but ASCII
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "[CC-2026-4K7PQ2MX] Şikayətiniz qeydə alındı"


def test_non_ascii_sender_name_is_an_encoded_word():
    msg = email.message_from_bytes(raw_of(Rendered("Hi", "body", ""), sender_name="Müştəri xidməti"),
                                   policy=email.policy.default)
    assert msg["From"].addresses[0].display_name == "Müştəri xidməti"
    assert msg["From"].addresses[0].addr_spec == "care@shop.test"


def test_text_only_mail_is_one_utf8_part_with_crlf_lines():
    raw = raw_of(Rendered("Hi", "Hörmətli müştəri,\nline two", ""))
    assert b"\r\nline two" in raw and b"\nline two" not in raw.replace(b"\r\n", b"")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.get_content_type() == "text/plain" and msg["MIME-Version"] == "1.0"
    assert msg["Content-Transfer-Encoding"] == "8bit"
    assert msg.get_content().replace("\r\n", "\n").rstrip("\n") == "Hörmətli müştəri,\nline two"


def test_a_line_too_long_for_smtp_goes_quoted_printable():
    long_html = "<p>" + "ə" * 1200 + "</p>"
    raw = raw_of(Rendered("Hi", "short text", long_html))
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    html = msg.get_body(("html",))
    assert html["Content-Transfer-Encoding"] == "quoted-printable"
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == long_html
    assert msg.get_body(("plain",))["Content-Transfer-Encoding"] == "7bit"
