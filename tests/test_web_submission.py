"""The portal's forms as mail (pure): validation and the message the pipeline reads."""
from __future__ import annotations

import email
from datetime import datetime, timezone
from email import policy as email_policy

from gateway.desk import secret
from gateway.service.web.app import typed_tracking
from gateway.service.web.submission import Filing, Upload, clean, complaint_mail, decision_mail, problems

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)
TYPES = ("application/pdf", "image/png", "image/jpeg", "text/plain")
GOOD = {"name": "Aysel", "surname": "Məmmədova", "patronymic": "Rauf qızı", "phone": "+994 50 123 45 67",
        "email": "aysel@example.az", "subject": "Sifariş", "text": "Sifarişim gecikir.\nİkinci sətir."}


def test_a_complete_form_has_no_problems():
    assert problems(clean(GOOD), None, 1000, TYPES) == []


def test_each_problem_is_named():
    bad = clean({**GOOD, "name": " ", "email": "aysel at example", "phone": "call me", "subject": "x" * 201})
    assert problems(bad, None, 1000, TYPES) == ["required:name", "too_long:subject", "invalid:email",
                                                "invalid:phone"]


def test_header_injection_in_fields_cannot_add_headers():
    fields = clean({**GOOD, "name": "Aysel\r\nBcc: victim@example.com", "subject": "Hi\nX-Evil: 1"})
    raw = complaint_mail(Filing(fields), "care@shop.test", "t0", "shop.test", NOW)
    parsed = email.message_from_bytes(raw, policy=email_policy.default)
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    assert parsed["Message-ID"] == "<web-t0@shop.test>"


def test_the_mail_carries_name_text_phone_and_attachment():
    upload = Upload("../../etc/passwd.pdf", "application/pdf", b"%PDF-1.4 x")
    raw = complaint_mail(Filing(clean(GOOD), upload), "care@shop.test", "t1", "shop.test", NOW)
    parsed = email.message_from_bytes(raw, policy=email_policy.default)
    assert parsed["From"].addresses[0].display_name == "Aysel Rauf qızı Məmmədova"
    body = parsed.get_body(("plain",)).get_content()
    assert body.startswith("Sifarişim gecikir.\nİkinci sətir.") and "\n-- \n" in body and "+994 50 123 45 67" in body
    attachment = next(parsed.iter_attachments())
    assert attachment.get_filename() == "passwd.pdf" and attachment.get_content() == b"%PDF-1.4 x"


def test_uploads_are_judged_by_their_bytes():
    assert problems(clean(GOOD), Upload("a.png", "image/png", b"%PDF-"), 1000, TYPES) == ["attachment:type"]
    assert problems(clean(GOOD), Upload("a.exe", "application/x-msdownload", b"MZ"), 1000, TYPES) == \
        ["attachment:type"]
    assert problems(clean(GOOD), Upload("a.txt", "text/plain", b"\xff\xfe\x00bad"), 1000, TYPES) == \
        ["attachment:type"]
    assert problems(clean(GOOD), Upload("a.pdf", "application/pdf", b"%PDF-" + b"0" * 2000), 1000, TYPES) == \
        ["attachment:size"]
    assert problems(clean(GOOD), Upload("a.jpg", "image/jpeg", b"\xff\xd8\xff\xe0"), 1000, TYPES) == []


def test_the_decision_mail_threads_by_tracking_number():
    raw = decision_mail("aysel@example.az", "care@shop.test", "CC-2026-4K7PQ2MX", "Sifariş", "qəbul edirəm",
                        "t2", "shop.test", NOW)
    parsed = email.message_from_bytes(raw, policy=email_policy.default)
    assert "[CC-2026-4K7PQ2MX]" in parsed["Subject"] and parsed.get_content().strip() == "qəbul edirəm"


def test_tracking_numbers_as_customers_type_them():
    assert typed_tracking(" cc 2026 4k7pq2mx ", "CC").startswith("CC-2026-")
    assert typed_tracking("CC-2026-4K7PQ2MX", "CC").startswith("CC-2026-4K7PQ2M")
    assert typed_tracking("x" * 500, "CC") == "X" * 60


def test_secrets_verify_as_typed_and_only_so():
    value = secret.make()
    stored = secret.digest(value)
    assert secret.verify(value.lower().replace("-", " "), stored)
    assert not secret.verify(value[:-1] + ("A" if value[-1] != "A" else "B"), stored)
    assert not secret.verify(value, "garbage") and value not in stored
