"""parse(): charsets, encoded headers, HTML-only mail, attachments, hostile input."""
from __future__ import annotations

import base64
import quopri
from datetime import timezone
from email.message import EmailMessage

import pytest

from gateway.mail import charsets
from gateway.mail.htmltext import html_to_text
from gateway.mail.parse import Unprocessable, message_ids, parse, safe_filename

RU = "Здравствуйте! Посылка пришла повреждённой, прошу вернуть деньги."
TR = "Merhaba, siparişim hasarlı geldi. Lütfen iade işlemini başlatın, teşekkürler."
AZ = "Salam, sifarişim zədələnmiş gəlib. Zəhmət olmasa pulu qaytarın."


def raw_mail(body: bytes, *, charset: str | None = None, subject: bytes = b"Complaint",
             extra: bytes = b"", ctype: bytes = b"text/plain", cte: bytes = b"8bit") -> bytes:
    declared = b"; charset=" + charset.encode() if charset else b""
    return (b"From: Customer <Customer@Example.org>\r\nTo: care@example.com\r\nSubject: " + subject
            + b"\r\nMessage-ID: <abc.123@example.org>\r\nDate: Mon, 04 Mar 2024 10:12:00 +0300\r\n"
            + extra + b"MIME-Version: 1.0\r\nContent-Type: " + ctype + declared
            + b"\r\nContent-Transfer-Encoding: " + cte + b"\r\n\r\n" + body)


@pytest.mark.parametrize("text, encoding, declared", [
    (RU, "koi8-r", "koi8-r"),  # declared correctly
    (RU, "windows-1251", "windows-1251"),
    (RU, "koi8-r", "windows-1251"),  # declared wrongly
    (RU, "windows-1251", "koi8-r"),
    (RU, "windows-1251", None),  # not declared at all
    (RU, "windows-1251", "us-ascii"),
    (RU, "windows-1251", "iso-8859-1"),
    (RU, "koi8-r", "x-unknown"),  # a name no codec knows
    (TR, "iso-8859-9", "iso-8859-9"),
    (TR, "windows-1254", "windows-1254"),
    (TR, "windows-1254", None),
    (TR, "windows-1254", "iso-8859-1"),
    (TR, "iso-8859-9", "us-ascii"),
    (AZ, "utf-8", None),
    (AZ, "utf-8", "iso-8859-9"),
])
def test_body_charsets_are_decoded_to_readable_text(text: str, encoding: str, declared: str | None) -> None:
    mail = parse(raw_mail(text.encode(encoding), charset=declared))
    assert mail.text == text
    assert mail.new_text == text


def test_a_wrong_declaration_is_recorded_as_a_defect() -> None:
    mail = parse(raw_mail(RU.encode("koi8-r"), charset="windows-1251"))
    assert any("decoded as koi8-r" in d for d in mail.defects)


def test_utf8_with_bad_bytes_keeps_the_readable_rest() -> None:
    body = RU.encode("utf-8")
    broken = body[:20] + b"\xff\xfe" + body[20:]
    mail = parse(raw_mail(broken, charset="utf-8"))
    assert mail.text.startswith(RU.encode("utf-8")[:20].decode("utf-8"))
    assert mail.text.endswith(RU[-20:])
    assert "\ufffd" in mail.text


def test_charset_aliases_python_does_not_know() -> None:
    assert charsets.codec_name("x-mac-cyrillic") == "mac-cyrillic"
    assert charsets.codec_name("iso-8859-8-i") == "iso8859-8"
    assert charsets.codec_name("win-1251") == "cp1251"
    assert charsets.codec_name("garbage-charset") is None


@pytest.mark.parametrize("header, expected", [
    (b"=?koi8-r?B?" + base64.b64encode("Жалоба".encode("koi8-r")) + b"?=", "Жалоба"),
    (b"=?windows-1251?Q?=C6=E0=EB=EE=E1=E0?= =?utf-8?Q?_=E2=84=96_5?=", "Жалоба № 5"),
    (b"=?iso-8859-9?Q?=DEikayet?=", "Şikayet"),
    (b"=?utf-8?B?" + base64.b64encode("Şikayət".encode()) + b"?=", "Şikayət"),
    (b"Re: =?UTF-8?Q?=D0=9E=D1=82=D0=B2=D0=B5=D1=82?=", "Re: Ответ"),
    ("Жалоба на курьера".encode("windows-1251"), "Жалоба на курьера"),  # raw 8-bit, undeclared
    ("Şikayətim var".encode("utf-8"), "Şikayətim var"),  # RFC 6532 raw UTF-8
    (b"=?unknown-8bit?Q?Kargo_=FCcreti?=", "Kargo ücreti"),
])
def test_subjects_in_rfc2047_and_raw_8bit(header: bytes, expected: str) -> None:
    assert parse(raw_mail(b"x", subject=header)).subject == expected


def test_subject_with_cr_lf_is_one_line() -> None:
    raw = raw_mail(b"x", subject=b"=?utf-8?Q?Hello=0D=0ABcc:_victim@example.net=0Aagain?=")
    mail = parse(raw)
    assert "\r" not in mail.subject and "\n" not in mail.subject
    assert mail.subject == "Hello Bcc: victim@example.net again"
    assert all("\n" not in value and "\r" not in value for _, value in mail.headers)


def test_rfc2231_filename_and_sender_name() -> None:
    raw = (b"From: =?utf-8?B?" + base64.b64encode("Айдын Мамедов".encode()) + b"?= <aydin@example.az>\r\n"
           b"Subject: docs\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n"
           b"--b\r\nContent-Type: application/pdf\r\n"
           b"Content-Disposition: attachment; filename*=utf-8''%C5%9Fikay%C9%99t.pdf\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"%PDF-1.4 test") + b"\r\n--b--\r\n")
    mail = parse(raw)
    assert mail.sender == "aydin@example.az"
    assert mail.sender_name == "Айдын Мамедов"
    [attachment] = mail.attachments
    assert attachment.filename == "şikayət.pdf"
    assert attachment.payload == b"%PDF-1.4 test"
    assert attachment.size == 13 and attachment.content_type == "application/pdf"
    assert mail.text == "see attached"


def _with_attachment(filename: str, payload: bytes = b"data", ctype: str = "application/octet-stream") -> bytes:
    msg = EmailMessage()
    msg["From"] = "a@example.org"
    msg["Subject"] = "file"
    msg.set_content("see file")
    maintype, subtype = ctype.split("/")
    msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


@pytest.mark.parametrize("filename, expected", [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\windows\\system32\\evil.dll", "evil.dll"),
    ("/etc/shadow", "shadow"),
    ("..", "part1.bin"),
    ("invoice\u202etxt.exe", "invoicetxt.exe"),  # right-to-left override removed
    ("bad\x00name\x1f.txt", "badname.txt"),
    (".hidden", "hidden"),
    ("a<b>c:d|e?.txt", "a_b_c_d_e_.txt"),
])
def test_attachment_filenames_are_sanitised(filename: str, expected: str) -> None:
    [attachment] = parse(_with_attachment(filename)).attachments
    assert attachment.filename == expected


def test_long_filename_keeps_its_extension() -> None:
    name = safe_filename("x" * 400 + ".pdf")
    assert len(name) <= 150 and name.endswith(".pdf")


def test_attachment_hash_and_size() -> None:
    payload = bytes(range(256)) * 10
    [attachment] = parse(_with_attachment("bin.dat", payload)).attachments
    assert attachment.size == len(payload)
    assert attachment.sha256 == __import__("hashlib").sha256(payload).hexdigest()


def test_thirty_megabyte_attachment() -> None:
    payload = b"\x00\x01binary\xff" * (30 * 1024 * 1024 // 10)
    mail = parse(_with_attachment("scan.tiff", payload, "image/tiff"))
    [attachment] = mail.attachments
    assert attachment.size == len(payload)
    assert attachment.payload == payload
    assert mail.text == "see file"


HTML_ONLY = """<html><head><style>p {color: red}</style><title>t</title></head><body>
<p>Dear team,</p><p>my order <b>#12345</b> arrived&nbsp;broken.<br>Please help.</p>
<ul><li>box crushed</li><li>item scratched</li></ul>
<div class="gmail_quote">On Mon, Mar 4, 2024 at 10:12 AM Care &lt;care@example.com&gt; wrote:<br>
<blockquote class="gmail_quote"><p>Your complaint was registered.</p></blockquote></div>
<script>alert(1)</script></body></html>"""


def test_html_only_mail_becomes_readable_text() -> None:
    mail = parse(raw_mail(HTML_ONLY.encode(), charset="utf-8", ctype=b"text/html"))
    assert mail.text.splitlines()[:5] == ["Dear team,", "", "my order #12345 arrived broken.", "Please help.", ""]
    assert "- box crushed" in mail.text and "- item scratched" in mail.text
    assert "> Your complaint was registered." in mail.text
    assert "alert" not in mail.text and "color" not in mail.text
    assert mail.new_text.endswith("- item scratched")
    assert mail.quoted.startswith("On Mon, Mar 4, 2024")
    assert mail.html == HTML_ONLY


def test_plain_part_is_preferred_over_html_alternative() -> None:
    msg = EmailMessage()
    msg["From"] = "a@example.org"
    msg.set_content("plain version")
    msg.add_alternative("<p>html version</p>", subtype="html")
    mail = parse(msg.as_bytes())
    assert mail.text == "plain version"
    assert mail.html.strip() == "<p>html version</p>"


def test_empty_plain_part_falls_back_to_html() -> None:
    msg = EmailMessage()
    msg["From"] = "a@example.org"
    msg.set_content("")
    msg.add_alternative("<p>only here</p>", subtype="html")
    assert parse(msg.as_bytes()).text == "only here"


def test_html_to_text_nested_blockquotes() -> None:
    assert html_to_text("<p>a</p><blockquote>b<blockquote>c</blockquote></blockquote>") == "a\n\n> b\n\n> > c"


def test_envelope_fields() -> None:
    raw = raw_mail(b"Body", extra=b"In-Reply-To: <out.1@care.example.com>\r\n"
                               b"References: <out.0@care.example.com> <out.1@care.example.com>\r\n"
                               b"Cc: Other <Other@Example.net>, third@example.net\r\nReply-To: r@example.org\r\n")
    mail = parse(raw)
    assert mail.sender == "customer@example.org" and mail.sender_name == "Customer"
    assert mail.message_id == "abc.123@example.org"
    assert mail.in_reply_to == ("out.1@care.example.com",)
    assert mail.references == ("out.0@care.example.com", "out.1@care.example.com")
    assert mail.cc == ("other@example.net", "third@example.net") and mail.to == ("care@example.com",)
    assert mail.reply_to == "r@example.org"
    assert mail.date is not None and mail.date.utcoffset() is not None
    assert mail.date.astimezone(timezone.utc).hour == 7
    assert mail.header("content-transfer-encoding") == "8bit"


def test_message_ids_helper() -> None:
    assert message_ids("<a@b> junk <c@d> <a@b>") == ("a@b", "c@d")


@pytest.mark.parametrize("raw, reason", [
    (b"Subject: no sender\r\n\r\nbody", "no usable From address"),
    (b"From: undisclosed\r\nSubject: x\r\n\r\nbody", "no usable From address"),
    (b"From: MAILER DAEMON <>\r\n\r\nbody", "no usable From address"),
    (b"", "no usable From address"),
    (b"\x00\xff\xfe garbage \x80\x81", "no usable From address"),
])
def test_unprocessable(raw: bytes, reason: str) -> None:
    with pytest.raises(Unprocessable, match=reason):
        parse(raw)


def test_sender_header_is_used_when_from_has_no_address() -> None:
    mail = parse(b"From: Support Team\r\nSender: desk@example.org\r\nSubject: x\r\n\r\nbody")
    assert mail.sender == "desk@example.org"
    assert any("Sender used" in d for d in mail.defects)


@pytest.mark.parametrize("from_value, sender, name", [
    # two mailboxes without a comma (mikel/mail's raw_email_multiple_from, seen from real scripts)
    (b"tim@powerupdev.example concierge@powerupdev.example", "tim@powerupdev.example", ""),
    # a second mailbox after the first one's angle brackets (enmime's malformed-multiple-address-header-values)
    (b"Bob Dunite <Bob@Extern.example> Bobby Dunite <bobby@extern.example>", "bob@extern.example", "Bob Dunite"),
])
def test_an_unreadable_from_still_names_its_first_address(from_value: bytes, sender: str, name: str) -> None:
    """No parser reads these headers, and quarantine would keep a person's mail for good:
    retrying it meets the same header."""
    mail = parse(b"From: " + from_value + b"\r\nSubject: x\r\n\r\nbody")
    assert (mail.sender, mail.sender_name) == (sender, name)
    assert "From header unreadable; first of 2 address(es) in it used" in mail.defects


@pytest.mark.parametrize("from_value", [b"user2", b"=?UTF-16?B?//492Enc?= test", b"Bob <bob@localhost> Ann <ann@localhost>"])
def test_a_from_without_a_routable_address_stays_unprocessable(from_value: bytes) -> None:
    with pytest.raises(Unprocessable, match="no usable From address"):
        parse(b"From: " + from_value + b"\r\nSubject: x\r\n\r\nbody")


def test_a_readable_from_is_not_salvaged() -> None:
    mail = parse(b"From: Ann <ann@example.org>, Bob <bob@example.org>\r\nSubject: x\r\n\r\nbody")
    assert mail.sender == "ann@example.org" and not any("unreadable" in d for d in mail.defects)


def test_deep_nesting_is_unprocessable_not_a_crash() -> None:
    depth = 5000
    head = b"".join(b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1) for i in range(depth))
    raw = b"From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n" + head
    try:
        mail = parse(raw)
    except Unprocessable as exc:
        assert "nested" in str(exc) or "parser error" in str(exc)
    else:
        assert mail.sender == "a@example.org"


def test_broken_base64_and_missing_boundary_are_defects_not_failures() -> None:
    raw = (b"From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=never\r\n\r\nno boundary here\r\n")
    mail = parse(raw)
    assert mail.defects
    raw2 = raw_mail(b"this is not base64!!!", charset="utf-8", cte=b"base64")
    assert parse(raw2).sender == "customer@example.org"


def test_unindented_continuation_line_does_not_lose_the_sender() -> None:
    raw = (b"Received: from x\r\nby y with SMTP; Mon, 4 Mar 2024\r\nFrom: a@example.org\r\n"
           b"Subject: hi\r\n\r\nbody")
    mail = parse(raw)
    assert mail.sender == "a@example.org" and mail.subject == "hi" and mail.text == "body"
    assert any("repaired" in d for d in mail.defects)


def test_leading_bom_is_ignored() -> None:
    assert parse(b"\xef\xbb\xbfFrom: a@example.org\r\n\r\nbody").sender == "a@example.org"


def test_forwarded_message_is_an_attachment_not_body() -> None:
    inner = b"From: x@example.net\r\nSubject: old\r\nMessage-ID: <old@x>\r\n\r\nold text"
    raw = (b"From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nsee forwarded\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
           + inner + b"\r\n--b--\r\n")
    mail = parse(raw)
    assert mail.text == "see forwarded"
    [attachment] = mail.attachments
    assert attachment.content_type == "message/rfc822" and attachment.filename.endswith(".eml")
    assert b"Message-ID: <old@x>" in attachment.payload


# --- hostile sizes: the single-part reader, the part cap, overlong address headers ----------

def _full_parser(monkeypatch: pytest.MonkeyPatch, raw: bytes):
    """parse() as the stdlib's line-by-line parser alone would read it."""
    import gateway.mail.parse as module
    with monkeypatch.context() as patch:
        patch.setattr(module, "_single_part", lambda raw: None)
        return parse(raw)


@pytest.mark.parametrize("raw", [
    raw_mail(RU.encode("koi8-r"), charset="koi8-r"),
    raw_mail(AZ.encode()),
    raw_mail(base64.encodebytes(TR.encode()), charset="utf-8", cte=b"base64"),
    raw_mail(base64.b64encode(RU.encode())[:-2], charset="utf-8", cte=b"base64"),  # bad padding
    raw_mail(b"aGVs*bG8g\r\nd29y!bGQ=\r\n", cte=b"base64"),  # stray characters
    raw_mail(b"Sifari=C5=9Fim gecikir=\r\n, k=C3=B6m=C9=99k edin.\r\n", charset="utf-8", cte=b"quoted-printable"),
    raw_mail(b"begin 644 x\n#86)C\n`\nend\n", cte=b"x-uuencode"),
    raw_mail(b"<p>Salam, <b>sifari\xc5\x9fim</b> gecikir</p>", ctype=b"text/html", charset="utf-8"),
    raw_mail(b"%PDF-1.4 \x00\xff binary", ctype=b"application/pdf; name=x.pdf", cte=b"binary"),
    raw_mail(AZ.encode()).replace(b"\r\n", b"\n"),
    b"From MAILER-DAEMON Mon Mar  4 10:12:00 2024\n" + raw_mail(TR.encode()).replace(b"\r\n", b"\n"),
    b"\r\n" + raw_mail(AZ.encode()),  # a blank first line ends the headers
    raw_mail(AZ.encode()).replace(b"Subject: Complaint\r\n", b"Subject: Complaint\r\nwrapped without indent\r\n"),
    raw_mail(AZ.encode()).replace(b"\r\n", b"\r"),  # bare CR line ends
    raw_mail(b"Salam\r\n\r\n\r\n-- \r\nAysel\r\n"),
    raw_mail(b""),
])
def test_single_part_mail_reads_as_the_full_parser_reads_it(monkeypatch: pytest.MonkeyPatch, raw: bytes) -> None:
    try:
        expected = _full_parser(monkeypatch, raw)
    except Unprocessable as exc:
        with pytest.raises(Unprocessable, match=str(exc)[:20]):
            parse(raw)
        return
    found = parse(raw)
    assert found == expected
    assert [a.payload for a in found.attachments] == [a.payload for a in expected.attachments]


def test_only_the_first_parts_of_a_mail_of_20000_parts_are_read() -> None:
    from gateway.mail.parse import MAX_PARTS
    part = b"--w\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPart %d: my order is late.\r\n"
    raw = (b"From: Aysel <aysel@example.az>\r\nTo: care@example.com\r\nSubject: wide\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="w"\r\n\r\n'
           + b"".join(part % i for i in range(20_000)) + b"--w--\r\n")
    mail = parse(raw)
    assert mail.text.startswith("Part 0: my order is late.") and "Part 498:" in mail.text  # the multipart is part 1
    assert "Part 500:" not in mail.text and "Part 19999" not in mail.text
    assert f"more than {MAX_PARTS} MIME parts: only the first {MAX_PARTS} read" in mail.defects


def test_a_mail_with_few_parts_and_many_dash_lines_is_read_whole() -> None:
    lines = b"".join(b"--w is not our boundary but looks close %d\r\n" % i for i in range(3000))
    raw = (b"From: Aysel <aysel@example.az>\r\nTo: care@example.com\r\nSubject: dashes\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="ww"\r\n\r\n--ww\r\nContent-Type: text/plain\r\n\r\n'
           + lines + b"The end.\r\n--ww--\r\n")
    mail = parse(raw)
    assert mail.text.endswith("The end.") and not any("MIME parts" in d for d in mail.defects)


def test_a_display_name_of_1_mb_is_cut_and_the_address_kept() -> None:
    raw = raw_mail(b"My order is late.").replace(
        b"From: Customer <Customer@Example.org>", b'From: "' + b"Aysel " * 180_000 + b'" <aysel@example.az>')
    mail = parse(raw)
    assert mail.sender == "aysel@example.az"
    assert mail.sender_name.startswith("Aysel Aysel") and len(mail.sender_name) <= 1000
    assert any("From header of" in d for d in mail.defects)


@pytest.mark.parametrize("name", ["=?utf-8?b?" + base64.b64encode("Məmmədova ".encode()).decode() + "?= " * 5000,
                                  "Ayşe, Fatma; (Leyla) " * 3000])
def test_an_overlong_encoded_or_punctuated_name_keeps_its_address(name: str) -> None:
    raw = raw_mail(b"Late.").replace(b"From: Customer <Customer@Example.org>", f"From: {name} <ali@example.az>".encode())
    assert parse(raw).sender == "ali@example.az"


def test_a_cc_of_20000_addresses_is_read_up_to_the_cap() -> None:
    cc = ", ".join(f"p{i}@example.az" for i in range(20_000))
    mail = parse(raw_mail(b"Late.", extra=f"Cc: {cc}\r\n".encode()))
    assert mail.cc[:2] == ("p0@example.az", "p1@example.az") and 1000 < len(mail.cc) < 20_000
    assert all(a.startswith("p") and a.endswith("@example.az") for a in mail.cc)


# --- long text: read up to TEXT_MAX, the mail marked shortened -------------------------------

_LONG_LINES = {"az": AZ, "ru": RU, "tr": TR, "en": "Hello, my parcel arrived damaged. Please refund me, thank you."}


def _multipart(text: bytes, charset: str) -> bytes:
    return (b"From: Aysel <aysel@example.az>\r\nTo: care@example.com\r\nSubject: long\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset='
            + charset.encode() + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + text
            + b"\r\n--b\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(b"%PDF" * 1000) + b"--b--\r\n")


@pytest.mark.parametrize("lang", sorted(_LONG_LINES))
@pytest.mark.parametrize("shape", ["8bit", "base64", "quoted-printable", "multipart", "koi8-r"])
def test_a_long_text_is_read_up_to_the_cap_in_its_own_charset(lang: str, shape: str) -> None:
    from gateway.mail.parse import TEXT_MAX
    line = _LONG_LINES[lang] + "\n"
    charset = "koi8-r" if shape == "koi8-r" and lang == "ru" else "utf-8"
    text = (line * (3 * TEXT_MAX // len(line))).encode(charset, "replace")
    if shape == "base64":
        raw = raw_mail(base64.encodebytes(text), charset=charset, cte=b"base64")
    elif shape == "quoted-printable":
        raw = raw_mail(quopri.encodestring(text), charset=charset, cte=b"quoted-printable")
    elif shape == "multipart":
        raw = _multipart(text, charset)
    else:
        raw = raw_mail(text, charset=charset)
    mail = parse(raw)
    assert mail.shortened and any("only its start read" in d for d in mail.defects)
    assert len(mail.text.encode(charset, "replace")) <= TEXT_MAX
    expected = text.decode(charset).replace("\r\n", "\n").strip("\n")
    assert len(mail.text) > 0.9 * TEXT_MAX / 2 and expected.startswith(mail.text)  # whole lines, right charset
    if shape == "multipart":
        assert [a.filename for a in mail.attachments] == ["a.pdf"] and mail.attachments[0].size == 4000


@pytest.mark.parametrize("lang", sorted(_LONG_LINES))
def test_a_text_under_the_cap_is_whole_and_not_marked(lang: str) -> None:
    text = (_LONG_LINES[lang] + "\n") * 2000
    mail = parse(raw_mail(base64.encodebytes(text.encode()), charset="utf-8", cte=b"base64"))
    assert mail.text == text.strip("\n") and not mail.shortened


def test_a_cut_never_splits_a_character_of_one_endless_word() -> None:
    from gateway.mail.parse import TEXT_MAX, cut_text
    for word in (("я" * TEXT_MAX).encode(), ("a" + "я" * TEXT_MAX).encode(), ("ab" + "я" * TEXT_MAX).encode()):
        head = cut_text(word, TEXT_MAX)
        assert TEXT_MAX - 4096 < len(head) <= TEXT_MAX and word.startswith(head)
        head.decode("utf-8")  # whole characters only
    spaced = ("ğ " * TEXT_MAX).encode()
    assert cut_text(spaced, TEXT_MAX).endswith(b" ") and cut_text(spaced, TEXT_MAX).decode("utf-8")


def test_a_long_text_attachment_is_kept_whole() -> None:
    from gateway.mail.parse import TEXT_MAX
    log_file = b"line of a log\n" * (2 * TEXT_MAX // 14)
    raw = raw_mail(log_file, ctype=b"text/plain; name=app.log", extra=b"Content-Disposition: attachment; filename=app.log\r\n")
    mail = parse(raw)
    assert not mail.shortened and mail.attachments[0].payload == log_file


# --- multipart bodies taken out before the stdlib parses the rest (mail/mimesplit.py) ---------

def _mixed(*parts: bytes, boundary: bytes = b"b", eol: bytes = b"\r\n", close: bool = True) -> bytes:
    head = (b"From: Aysel <aysel@example.az>\r\nTo: care@example.com\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\npreamble\r\n')
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return (head + body + (b"--" + boundary + b"--\r\nepilogue\r\n" if close else b"")).replace(b"\r\n", eol)


_BIG_AZ = (AZ + "\r\n").encode() * 3000
_BIG_PDF = base64.encodebytes(bytes(range(256)) * 800).replace(b"\n", b"\r\n")
_TEXT = b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
_PDF = b"Content-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
_ALTERNATIVE = (b'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n--alt\r\n'
                b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                + quopri.encodestring(_BIG_AZ) + b"\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                + b"<p>" + _BIG_AZ + b"</p>\r\n--alt--")


@pytest.mark.parametrize("raw", [
    _mixed(_TEXT + _BIG_AZ, _PDF + _BIG_PDF),
    _mixed(_ALTERNATIVE, _PDF + _BIG_PDF),
    _mixed(_TEXT + (RU + "\r\n").encode() * 40_000, _PDF + _BIG_PDF),  # over TEXT_MAX: shortened both ways
    _mixed(_TEXT + _BIG_AZ + b"--bx is not a delimiter\r\n--b  \t", _PDF + _BIG_PDF),
    _mixed(_TEXT + _BIG_AZ, _PDF + _BIG_PDF, close=False),
    _mixed(b"\r\n" + _BIG_AZ, _PDF + _BIG_PDF),  # a part without headers
    _mixed(_TEXT + _BIG_AZ, _PDF + _BIG_PDF[:-7]),  # broken base64
    _mixed(_TEXT + _BIG_AZ, _PDF + _BIG_PDF, eol=b"\n"),
    _mixed(_TEXT + b"short", b"Content-Type: message/rfc822\r\n\r\n" + raw_mail(_BIG_AZ)),
    _mixed(_ALTERNATIVE.replace(b"<p>", b"<p>\r\n--b\r\n"), _PDF + _BIG_PDF),  # an outer delimiter inside
    _mixed(_TEXT + _BIG_AZ, b"Content-Type: text/plain; name=x.txt\r\nContent-Disposition: attachment\r\n\r\n" + _BIG_AZ),
])
def test_a_multipart_mail_reads_as_the_full_parser_reads_it(monkeypatch: pytest.MonkeyPatch, raw: bytes) -> None:
    from gateway.mail import mimesplit
    with monkeypatch.context() as patch:
        patch.setattr(mimesplit, "hollow", lambda raw: None)
        expected = parse(raw)
    found = parse(raw)
    assert found == expected
    assert [a.payload for a in found.attachments] == [a.payload for a in expected.attachments]


def test_big_leaf_bodies_are_taken_out_and_small_ones_kept() -> None:
    from gateway.mail.mimesplit import hollow
    raw = _mixed(_TEXT + _BIG_AZ, _PDF + _BIG_PDF, _TEXT + b"small")
    found = hollow(raw)
    assert found is not None and sorted(found.bodies.values(), key=len) == sorted([_BIG_AZ, _BIG_PDF], key=len)
    assert b"small" in found.raw and len(found.raw) < 1000
    assert hollow(_mixed(_TEXT + _BIG_AZ, _PDF + _BIG_PDF, close=False)) is None
