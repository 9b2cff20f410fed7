"""assess() rule by rule, and bounce_report() on DSN and plain-text bounces."""
from __future__ import annotations

import pytest

from gateway.mail.hygiene import Verdict, assess, bounce_report
from gateway.mail.parse import parse

OWN = frozenset({"care@example.com", "noreply@example.com"})


def mail_bytes(headers: str = "", subject: str = "Broken parcel", sender: str = "Ali <ali@example.org>",
               body: str = "My parcel arrived broken.") -> bytes:
    return (f"From: {sender}\r\nTo: care@example.com\r\nSubject: {subject}\r\n"
            f"Message-ID: <m1@example.org>\r\n{headers}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}"
            ).encode("utf-8")


def verdict(raw: bytes) -> Verdict:
    return assess(parse(raw), OWN)


def test_human_mail_is_not_automatic() -> None:
    assert verdict(mail_bytes()) == Verdict(False, "", "")


def test_auto_submitted_no_is_human() -> None:
    assert not verdict(mail_bytes("Auto-Submitted: no\r\n")).automatic


@pytest.mark.parametrize("headers, kind", [
    ("Auto-Submitted: auto-replied\r\n", "autoreply"),
    ("Auto-Submitted: auto-generated\r\n", "bulk"),
    ("Auto-Submitted: auto-notified; owner-email=x@example.org\r\n", "bulk"),
    ("Precedence: bulk\r\n", "bulk"),
    ("Precedence: junk\r\n", "bulk"),
    ("Precedence: list\r\n", "list"),
    ("List-Id: <complaints.lists.example.org>\r\n", "list"),
    ("List-Unsubscribe: <mailto:unsub@example.org>\r\n", "list"),
    ("X-Auto-Response-Suppress: All\r\n", "bulk"),
    ("X-Autoreply: yes\r\n", "autoreply"),
    ("X-Apple-Action: VACATION\r\n", "autoreply"),
    ("X-Autorespond: vacation\r\n", "autoreply"),
    ("Return-Path: <>\r\n", "autoreply"),
    ("X-Care-Gateway-Loop: care@example.com\r\n", "loop"),
])
def test_rfc3834_headers(headers: str, kind: str) -> None:
    result = verdict(mail_bytes(headers))
    assert result.automatic and result.kind == kind and result.reason


def test_custom_loop_header_name() -> None:
    raw = mail_bytes("X-Other-Loop: 1\r\n")
    assert assess(parse(raw), OWN, loop_header="X-Other-Loop").kind == "loop"
    assert not assess(parse(raw), OWN).automatic


def test_own_address_is_self_whatever_the_case() -> None:
    assert verdict(mail_bytes(sender="Desk <Care@Example.COM>")).kind == "self"


DAEMONS = ["MAILER-DAEMON@mx.example.org", "postmaster@example.org", "Mail Delivery System <mailer-daemon@example.net>"]


@pytest.mark.parametrize("sender", DAEMONS)
@pytest.mark.parametrize("evidence", [
    "Return-Path: <>\r\n", "Return-Path: \r\n", "Return-Path: <MAILER-DAEMON@mx.example.org>\r\n",
    "X-Envelope-From: <>\r\n", "Auto-Submitted: auto-replied\r\n", "Auto-Submitted: auto-generated\r\n",
    "X-Failed-Recipients: gone@example.org\r\n",
])
def test_daemon_senders_with_machine_evidence(sender: str, evidence: str) -> None:
    assert verdict(mail_bytes(evidence, sender=sender, subject="Hello")).kind == "bounce"


@pytest.mark.parametrize("sender", DAEMONS)
def test_daemon_sender_returning_our_headers_in_the_text(sender: str) -> None:
    body = ("Sorry, we were unable to deliver your message to the following address.\r\n\r\n"
            "--- Below this line is a copy of the message.\r\n\r\n"
            "Message-Id: <out.1@example.com>\r\nFrom: care@example.com\r\nSubject: ack\r\n")
    assert verdict(mail_bytes(sender=sender, subject="Failure Notice", body=body)).kind == "bounce"


POSTMASTER_COMPLAINTS = [  # a customer company's postmaster writes as a person; the subjects say "not delivered"
    ("Sifarişim çatdırılmadı", "Salam, 3 həftədir sifarişim çatdırılmadı. Xahiş edirəm yoxlayın, sifariş 4411."),
    ("Заказ не доставлен", "Здравствуйте, заказ 4411 так и не доставлен, курьер не пришёл. Верните деньги."),
    ("Siparişim teslim edilemedi", "Merhaba, 4411 numaralı siparişim teslim edilemedi. Lütfen yardımcı olun."),
    ("Undelivered order, returned mail from your courier",
     "Hello, my order 4411 was never delivered: the delivery failed twice and your mail said 550 permanent error."),
]


@pytest.mark.parametrize("sender", ["Postmaster <postmaster@customer.example>", "postmaster@musteri.com.tr",
                                    "MAILER-DAEMON@customer.example"])
@pytest.mark.parametrize("subject, body", POSTMASTER_COMPLAINTS)
@pytest.mark.parametrize("headers", ["", "Return-Path: <postmaster@customer.example>\r\n",
                                     "Auto-Submitted: no\r\nIn-Reply-To: <out.1@example.com>\r\n"])
def test_a_postmaster_writing_a_complaint_is_a_person(sender: str, subject: str, body: str, headers: str) -> None:
    """Only machine evidence makes a daemon's From a bounce: not the address, not the words."""
    result = verdict(mail_bytes(headers, sender=sender, subject=subject, body=body))
    assert (result.automatic, result.kind) == (False, ""), result


def test_a_postmaster_quoting_our_mail_is_a_person() -> None:
    body = ("Your courier never came.\r\n\r\nOn Mon, 23 Nov 2026 at 10:00, care@example.com wrote:\r\n"
            "> Message-ID: <out.1@example.com>\r\n> Your complaint was registered.\r\n")
    assert not verdict(mail_bytes(sender="postmaster@customer.example", body=body)).automatic


@pytest.mark.parametrize("subject", [
    "Out of Office: Broken parcel", "Automatic reply: Broken parcel", "Autoreply: Broken parcel",
    "Auto-Reply", "Автоответ: Жалоба", "Автоматический ответ: Жалоба", "Otomatik yanıt: Şikayet",
    "OTOMATİK YANIT: Şikayet", "Ofis dışındayım", "İşyerinde değil: Şikayet", "Avtomatik cavab: Şikayət",
    "AVTOMATİK CAVAB", "Abwesenheitsnotiz: Paket",
])
@pytest.mark.parametrize("evidence", ["Return-Path: <>\r\n", "Auto-Submitted: auto-generated\r\n",
                                      "Precedence: bulk\r\n", "Precedence: junk\r\n"])
def test_out_of_office_subjects_of_automatic_mail(subject: str, evidence: str) -> None:
    result = verdict(mail_bytes(evidence, subject=subject))
    assert (result.automatic, result.kind) == (True, "autoreply")


@pytest.mark.parametrize("subject", ["Out of Office: Broken parcel", "Автоответ: Жалоба", "Otomatik yanıt: Şikayet",
                                     "Avtomatik cavab: Şikayət", "Vacation: tour cancelled, I want my money back",
                                     "Vacation - hotel booking problem"])
def test_an_out_of_office_subject_alone_never_decides(subject: str) -> None:
    """A person can type any subject ("Vacation: tour cancelled"): a label needs a header with it."""
    assert not verdict(mail_bytes(subject=subject)).automatic


BOUNCE_SUBJECTS = ["Undelivered Mail Returned to Sender", "Delivery Status Notification (Failure)",
                   "Mail delivery failed", "Undeliverable: Broken parcel", "Недоставленное сообщение",
                   "Returned mail: see transcript for details"]


@pytest.mark.parametrize("evidence", ["Return-Path: <>\r\n", "Auto-Submitted: auto-generated\r\n",
                                      "Auto-Submitted: auto-replied\r\n"])
@pytest.mark.parametrize("subject", BOUNCE_SUBJECTS)
def test_plain_text_bounce_subjects_with_machine_evidence(subject: str, evidence: str) -> None:
    assert verdict(mail_bytes(evidence, subject=subject, sender="mx@example.net")).kind == "bounce"


@pytest.mark.parametrize("subject", BOUNCE_SUBJECTS)
def test_a_bounce_subject_alone_never_decides(subject: str) -> None:
    """A stranger can type any subject: without machine evidence it is a person writing."""
    assert not verdict(mail_bytes(subject=subject, sender="mx@example.net")).automatic


def test_null_sender_with_failed_recipients_header_is_a_bounce() -> None:
    raw = mail_bytes("Return-Path: <>\r\nX-Failed-Recipients: gone@example.org\r\n", subject="Hello")
    assert verdict(raw).kind == "bounce"


def test_only_the_topmost_return_path_counts() -> None:
    """The delivering MTA (or our listener) writes the envelope sender on top; one lower down is the sender's."""
    forged = mail_bytes("Return-Path: <>\r\n").replace(b"From:", b"Return-Path: <ali@example.org>\r\nFrom:", 1)
    assert not verdict(forged).automatic
    assert verdict(mail_bytes("Return-Path: <>\r\nReturn-Path: <ali@example.org>\r\n")).automatic


# Customers complaining about delivery in their own words: complaints, never bounces.
DELIVERY_COMPLAINTS = [
    "Sifarişim çatdırılmadı", "Siparişim teslim edilemedi", "Заказ не доставлен", "My parcel was undelivered",
    "Delivery failed twice", "Returned mail order refund", "Sifariş çatdırıla bilmədi, pulumu qaytarın",
    "Kargom ulaştırılamadı", "Paketim iletilemedi diyor", "Посылка не может быть доставлена уже неделю",
    "Письмо о возврате: не доставлено", "Delivery failure - courier never came", "Non-delivery of order 5512",
    "Undeliverable address? I live here!", "Failure notice from your courier", "Mail delivery failed, parcel lost",
    "Kargo teslim edilemedi ve iade edildi", "Bağlama çatdırılmadı, kuryer gəlmədi",
]


@pytest.mark.parametrize("subject", DELIVERY_COMPLAINTS)
def test_customer_delivery_complaints_are_not_bounces(subject: str) -> None:
    result = verdict(mail_bytes(subject=subject, body="Salam, sifarişim hələ də gəlmədi. / Where is my order?"))
    assert not result.automatic, result


@pytest.mark.parametrize("subject", [
    "Vacation package cancelled", "Vacation tour refund", "I was out of the office when the courier came",
    "Courier came while I was out of office", "Re: automatic reply from your shop was useless",
    "Автоответ вашего магазина бесполезен", "Я был вне офиса, когда пришёл курьер",
    "Otomatik yanıt almak istemiyorum", "Ofis dışındaydım, kurye gelmiş", "Avtomatik cavab yox, insan cavabı istəyirəm",
    "Ofisdən kənarda idim, kuryer gəlib",
])
def test_ordinary_subjects_with_responder_words_are_human(subject: str) -> None:
    assert not verdict(mail_bytes(subject=subject)).automatic


@pytest.mark.parametrize("subject", ["Where is my office chair order?", "Complaint about auto parts",
                                     "Ответ на жалобу", "Re: Şikayet [CG-2024-ABCD]", "Paket gəlmədi"])
def test_ordinary_subjects_stay_human(subject: str) -> None:
    assert not verdict(mail_bytes(subject=subject)).automatic


DSN = """From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: care@example.com
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
Message-ID: <dsn.1@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; gone@example.org
Original-Recipient: rfc822;gone@example.org
Action: failed
Status: {status}
Diagnostic-Code: smtp; {code} User unknown

--B
Content-Type: {returned}

From: care@example.com
To: gone@example.org
Subject: [CG-2024-ABCD] Your complaint
Message-ID: <out.42@care.example.com>

--B--
"""


@pytest.mark.parametrize("returned", ["message/rfc822", "text/rfc822-headers"])
def test_dsn_bounce_report(returned: str) -> None:
    raw = DSN.format(status="5.1.1", code="550 5.1.1", returned=returned).encode()
    mail = parse(raw)
    assert assess(mail, OWN) == Verdict(True, "bounce", "delivery status notification (multipart/report)")
    report = bounce_report(mail, raw)
    assert report is not None
    assert report.original_message_ids == ("out.42@care.example.com",)
    assert report.recipients == ("gone@example.org",)
    assert report.permanent is True and report.failed == ("gone@example.org",)
    assert report.diagnostic == "smtp; 550 5.1.1 User unknown"


@pytest.mark.parametrize("action", ["delayed", "relayed", "delivered", "expanded", "Delayed (still trying)"])
def test_dsn_actions_other_than_failed_fail_nobody(action: str) -> None:
    raw = DSN.format(status="4.4.1", code="451 4.4.1", returned="message/rfc822") \
        .replace("Action: failed", f"Action: {action}").encode()
    report = bounce_report(parse(raw), raw)
    assert report is not None and report.permanent is False and report.failed == ()
    assert report.recipients == ("gone@example.org",) and report.original_message_ids == ("out.42@care.example.com",)


def test_failed_action_is_a_failure_even_with_a_4xx_status() -> None:
    """RFC 3464: Action failed ends the attempts ("gave up after 5 days", Status 4.4.7)."""
    raw = DSN.format(status="4.4.7", code="421 4.4.7", returned="message/rfc822").encode()
    report = bounce_report(parse(raw), raw)
    assert report is not None and report.permanent and report.failed == ("gone@example.org",)


def test_dsn_without_action_falls_back_to_the_status_class() -> None:
    for status, failed in (("5.1.1", ("gone@example.org",)), ("4.2.2", ())):
        raw = DSN.format(status=status, code="x", returned="message/rfc822").replace("Action: failed\n", "").encode()
        report = bounce_report(parse(raw), raw)
        assert report is not None and report.failed == failed


def test_failed_lists_both_final_and_original_recipient() -> None:
    raw = DSN.format(status="5.1.1", code="550", returned="message/rfc822") \
        .replace("Original-Recipient: rfc822;gone@example.org", "Original-Recipient: rfc822;Customer@Example.az") \
        .encode()
    report = bounce_report(parse(raw), raw)
    assert report is not None and report.failed == ("gone@example.org", "customer@example.az")


MULTI = DSN.replace("Status: {status}\nDiagnostic-Code: smtp; {code} User unknown\n",
                    "Status: 5.1.1\n\nFinal-Recipient: rfc822; slow@example.net\nAction: delayed\nStatus: 4.4.1\n")


def test_multi_recipient_dsn_is_read_per_recipient() -> None:
    raw = MULTI.format(returned="message/rfc822").encode()
    report = bounce_report(parse(raw), raw)
    assert report is not None
    assert report.recipients == ("gone@example.org", "slow@example.net")
    assert report.failed == ("gone@example.org",)


def test_plain_text_delay_notice_fails_nobody() -> None:
    raw = PLAIN_BOUNCE.replace("This is a permanent error. The following address(es) failed:",
                               "Delivery is delayed; the following address(es) failed temporarily, will retry:") \
        .replace("550 5.1.1 No such user here", "451 4.4.1 try later").encode()
    report = bounce_report(parse(raw), raw)
    assert report is not None and report.recipients == ("gone@example.org",)
    assert report.permanent is False and report.failed == ()


PLAIN_BOUNCE = """From: MAILER-DAEMON@mx.example.net
To: care@example.com
Subject: Mail delivery failed: returning message to sender
Message-ID: <b.2@mx.example.net>

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  gone@example.org
    host mx.example.org [192.0.2.1]
    SMTP error from remote mail server after RCPT TO:<gone@example.org>:
    550 5.1.1 No such user here

------ This is a copy of the message, including all the headers. ------

Message-ID: <out.43@care.example.com>
From: care@example.com
Subject: [CG-2024-ABCD] Your complaint
"""


def test_plain_text_bounce_report() -> None:
    raw = PLAIN_BOUNCE.encode()
    mail = parse(raw)
    assert assess(mail, OWN).kind == "bounce"
    report = bounce_report(mail, raw)
    assert report is not None
    assert report.original_message_ids == ("out.43@care.example.com",)
    assert report.recipients == ("gone@example.org",)
    assert report.permanent is True
    assert "550 5.1.1" in report.diagnostic


def test_exim_failed_recipients_header() -> None:
    raw = PLAIN_BOUNCE.replace("Message-ID: <b.2", "X-Failed-Recipients: Gone@Example.org\nMessage-ID: <b.2").encode()
    report = bounce_report(parse(raw), raw)
    assert report is not None and report.recipients == ("gone@example.org",)


def test_human_mail_has_no_bounce_report() -> None:
    raw = mail_bytes()
    assert bounce_report(parse(raw), raw) is None


def _to(raw: bytes, to: str) -> bytes:
    return raw.replace(b"To: care@example.com", f"To: {to}".encode())


def test_newsletter_role_sender_not_written_to_us_is_bulk() -> None:
    raw = _to(mail_bytes(sender="Shop News <welcome@news.example.net>"), "someone@example.net")
    assert verdict(raw).kind == "bulk"


def test_role_sender_writing_to_us_is_a_person() -> None:
    assert not verdict(mail_bytes(sender="Info Desk <welcome@partner.example.net>")).automatic


@pytest.mark.parametrize("subject, automatic", [
    ("RE: [xdebug-general] crappy firewall", True),
    ("[users-list] weekly digest", True),
    ("[PRJ-OTH] project tag by a person", False),
])
def test_list_tag_in_subject_of_mail_not_written_to_us(subject: str, automatic: bool) -> None:
    raw = _to(mail_bytes(subject=subject), "someone@example.net")
    assert verdict(raw).automatic is automatic
    assert not verdict(mail_bytes(subject=subject)).automatic  # written to us: a person quoting a tag


# --- hostile subjects: reply-prefix chains (issue 16) ------------------------------

def _prefix_chain(n: int, rest: str) -> str:
    prefixes = ("Re: ", "RE:", "Fwd: ", "AW: ", "YNT: ", "Ответ: ", "Cavab: ", "Re:  ")
    return "".join(prefixes[i % len(prefixes)] for i in range(n)) + rest


@pytest.mark.parametrize("n", [30, 100_000])
def test_a_chain_of_reply_prefixes_is_read_in_linear_time(n: int) -> None:
    from gateway.mail.hygiene import LIST_TAG_SUBJECT
    from tests.hostile import finishes

    assert finishes(LIST_TAG_SUBJECT.match, _prefix_chain(n, "no tag here"))
    assert finishes(LIST_TAG_SUBJECT.match, _prefix_chain(n, "[no-close"))
    assert finishes(verdict, _to(mail_bytes(subject=_prefix_chain(n, "x")), "someone@example.net"))


@pytest.mark.parametrize("subject", [
    "Sifarişim gecikir", "Заказ не пришёл вовремя", "Siparişim hâlâ gelmedi", "My parcel is late",
    "Re: [CC-2026-4K7PQ2MX] Sifarişim", "Ответ: [магазин] заказ",
])
@pytest.mark.parametrize("prefixes", [0, 1, 30])
def test_long_threads_of_ordinary_subjects_stay_human(subject: str, prefixes: int) -> None:
    """Outlook threads carry 25+ prefixes by accident; they are still a person's mail."""
    chained = _prefix_chain(prefixes, subject)
    assert not verdict(mail_bytes(subject=chained)).automatic
    assert not verdict(_to(mail_bytes(subject=chained), "someone@example.net")).automatic


@pytest.mark.parametrize("prefixes", [0, 1, 30])
def test_a_list_tag_after_many_prefixes_is_still_a_list(prefixes: int) -> None:
    raw = _to(mail_bytes(subject=_prefix_chain(prefixes, "[users-list] weekly digest")), "someone@example.net")
    assert verdict(raw).kind == "list"
