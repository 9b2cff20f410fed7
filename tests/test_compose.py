"""Templates -> EmailMessage: strict rendering, fallback, RFC 3834 headers, no header injection."""
from __future__ import annotations

import email
import email.policy

import jinja2
import pytest

from gateway.checks import sample_context
from gateway.compose import Envelope, Rendered, Templates, TemplateMissing, build_message
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
