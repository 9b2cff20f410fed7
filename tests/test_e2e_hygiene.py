"""Real-world mail through the whole gateway: no loops, no storms, nothing lost."""
from __future__ import annotations

import email
import email.policy
import sqlite3
from email.message import EmailMessage
from pathlib import Path

import pytest

from gatewaykit import gateway, listing, mail, outgoing, show, write_config
from realmail import ABSENT, CORPUS, manifest

NOW = "2026-11-23T06:00:00Z"
MUST_NOT_BE_ANSWERED = frozenset({"autoreply", "bounce", "list"})


def db(config: Path) -> sqlite3.Connection:
    return sqlite3.connect(config.parent / "storage" / "gateway.db")


def parse_eml(path: Path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def with_attachment(subject: str, payload: bytes, maintype: str, subtype: str, filename: str,
                    message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Aysel <aysel@example.az>"
    msg["To"] = "care@shop.test"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg.set_content("Attached.")
    msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


@pytest.mark.skipif(not (CORPUS / "MANIFEST.tsv").is_file(), reason=ABSENT)
def test_every_corpus_message_is_stored_and_automatic_mail_is_never_answered(tmp_path):
    config = write_config(tmp_path / "gw")
    rows = manifest()
    files = [str(CORPUS / path) for path, _ in rows]
    result = gateway(config, "ingest", "--now", NOW, *files, timeout=600)
    lines = result.stdout.decode().splitlines()
    assert len(lines) == len(files)
    states = {line.split(": ", 1)[0]: line.split(": ", 1)[1].split()[0] for line in lines}
    assert set(states.values()) <= {"processed", "quarantined", "duplicate"}
    gateway(config, "tick", "--now", NOW)
    with db(config) as conn:
        stored = {row[0] for row in conn.execute("select sha256 from message where direction = 'in'")}
        answered = {row[0] for row in conn.execute(
            "select distinct m.sha256 from outgoing_mail o join message m on m.complaint_id = o.complaint_id "
            "where o.kind = 'ack' and o.recipient = m.sender and m.direction = 'in'")}
    import hashlib
    for path, tags in rows:
        digest = hashlib.sha256((CORPUS / path).read_bytes()).hexdigest()
        assert digest in stored or states[str(CORPUS / path)] == "duplicate", path
        if tags & MUST_NOT_BE_ANSWERED:
            assert digest not in answered, f"{path} ({', '.join(sorted(tags & MUST_NOT_BE_ANSWERED))}) got an answer"


def test_two_gateways_writing_to_each_other_stop_after_one_mail_each(tmp_path):
    a = write_config(tmp_path / "a")
    b = write_config(tmp_path / "b")
    b.write_text(b.read_text().replace('address = "care@shop.test"', 'address = "help@other.test"'))
    first = mail(sender="help@other.test", to="care@shop.test", subject="Hello from the other desk")
    gateway(a, "ingest", "--now", NOW, input=first)
    exchanged = 0
    for _ in range(4):  # ping-pong: whatever one sends to the other is delivered to it
        for sender, receiver, peer_address in ((a, b, "help@other.test"), (b, a, "care@shop.test")):
            gateway(sender, "tick", "--now", NOW)
            for path in outgoing(sender):
                if parse_eml(path)["To"] == peer_address and not path.name.startswith("delivered-"):
                    gateway(receiver, "ingest", "--now", NOW, input=path.read_bytes())
                    path.rename(path.with_name("delivered-" + path.name))
                    exchanged += 1
    assert exchanged == 1  # A acknowledged B's mail once; B never answered the acknowledgement
    [complaint] = [r for r in listing(b) if r["status"] != "quarantined"] or [None]
    assert complaint is None


def test_responder_answering_everything_cannot_start_a_storm(tmp_path):
    config = write_config(tmp_path, extra="")
    config.write_text(config.read_text().replace("retry_base_seconds = 60", "retry_base_seconds = 60\n"
                                                 "rate_per_recipient_hour = 3\nauto_answer_hours = 0"))
    line = gateway(config, "ingest", "--now", NOW, input=mail(sender="bot@example.org")).stdout.decode()
    tracking = line.split()[2]
    for i in range(8):  # a broken responder replying with an empty body each time (a status request)
        gateway(config, "ingest", "--now", NOW, input=mail(sender="bot@example.org", subject=f"Re: [{tracking}] x",
                                                          body=""))
    gateway(config, "tick", "--now", NOW)
    sent_to_bot = [p for p in outgoing(config) if parse_eml(p)["To"] == "bot@example.org"]
    assert len(sent_to_bot) == 3
    held = [o for o in show(config, tracking)["outgoing"] if o["state"] == "held"]
    assert len(held) == 6 and all("rate limit" in o["error"] for o in held)


def test_permanent_bounce_marks_the_mail_failed_and_the_address_bouncing(tmp_path):
    config = write_config(tmp_path)
    tracking = gateway(config, "ingest", "--now", NOW, input=mail(sender="gone@example.org")).stdout.decode().split()[2]
    gateway(config, "tick", "--now", NOW)
    ack = next(parse_eml(p) for p in outgoing(config) if parse_eml(p)["To"] == "gone@example.org")
    dsn = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\nTo: care@shop.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "<gone@example.org>: host mx said: 550 5.1.1 User unknown\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n"
        "Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {ack['Message-ID']}\r\n"
        "Subject: ack\r\n\r\n--B--\r\n").encode()
    gateway(config, "ingest", "--now", NOW, input=dsn)
    data = show(config, tracking)
    assert data["customer"]["bouncing"] is True
    assert next(o for o in data["outgoing"] if o["kind"] == "ack")["state"] == "failed"
    assert data["status"] == "registered"
    assert any(o["kind"] == "staff_notice" for o in data["outgoing"])  # staff told on the complaint
    gateway(config, "ingest", "--now", NOW, input=mail(sender="gone@example.org", subject=f"Re: [{tracking}]", body="status"))
    gateway(config, "tick", "--now", NOW)
    assert show(config, tracking)["customer"]["bouncing"] is False  # a new mail from it clears the mark


def test_mail_to_a_bouncing_address_is_held(tmp_path):
    config = write_config(tmp_path)
    tracking = gateway(config, "ingest", "--now", NOW, input=mail(sender="x@example.org")).stdout.decode().split()[2]
    with db(config) as conn:
        conn.execute("update customer set bouncing = 1 where email = 'x@example.org'")
    gateway(config, "tick", "--now", NOW)
    ack = next(o for o in show(config, tracking)["outgoing"] if o["kind"] == "ack")
    assert ack["state"] == "held" and "bouncing" in ack["error"]


def test_thirty_megabyte_attachment_is_stored_quarantined_and_the_sender_told_once(tmp_path):
    config = write_config(tmp_path)
    raw = with_attachment("Video of the broken TV", b"\0" * (30 * 1024 * 1024), "video", "mp4", "tv.mp4",
                          "<big-1@example.az>")
    assert gateway(config, "ingest", "--now", NOW, input=raw).stdout.decode().split(": ")[1].startswith("quarantined")
    second = raw.replace(b"<big-1@example.az>", b"<big-2@example.az>")
    gateway(config, "ingest", "--now", NOW, input=second)
    gateway(config, "tick", "--now", NOW)
    notices = [parse_eml(p) for p in outgoing(config)]
    assert len(notices) == 1 and notices[0]["To"] == "aysel@example.az"
    rows = listing(config, "--status", "quarantined")
    assert len(rows) == 2 and all("larger than" in r["reason"] for r in rows)
    assert sum(p.stat().st_size for p in (tmp_path / "storage" / "archive").rglob("*.eml")) >= 2 * len(raw)


def test_attachment_with_a_traversal_filename_is_stored_under_its_hash(tmp_path):
    config = write_config(tmp_path)
    raw = with_attachment("Receipt", b"root:x:0:0", "application", "octet-stream", "../../etc/passwd",
                          "<att-1@example.az>")
    gateway(config, "ingest", "--now", NOW, input=raw)
    with db(config) as conn:
        [(filename, digest)] = conn.execute("select filename, sha256 from attachment_record").fetchall()
    assert "/" not in filename and ".." not in filename.split("_")[0] + filename.replace("..", "", 0)[:0]
    assert not filename.startswith(".")
    stored = list((tmp_path / "storage" / "archive" / "attachments").rglob(digest))
    assert len(stored) == 1 and stored[0].read_bytes() == b"root:x:0:0"
    assert not (tmp_path / "etc").exists()


def test_quarantine_retry_after_a_fix(tmp_path):
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace('archive = "storage/archive"',
                                                 'archive = "storage/archive"\nmax_message_bytes = 300'))
    gateway(config, "ingest", "--now", NOW, input=mail(body="A long enough complaint. " * 20))
    [row] = listing(config, "--status", "quarantined")
    assert str(row["id"]) in gateway(config, "quarantine", "list").stdout.decode()
    config.write_text(config.read_text().replace("max_message_bytes = 300", "max_message_bytes = 1000000"))
    out = gateway(config, "quarantine", "retry", "--all", "--now", NOW).stdout.decode()
    assert " processed CC-2026-" in out
    assert listing(config, "--status", "quarantined") == []
    assert len([r for r in listing(config) if r["status"] == "registered"]) == 1


DELIVERY_COMPLAINTS = [  # (subject, body): the commonest complaint there is, in four languages
    ("Sifarişim çatdırılmadı", "Salam, sifarişim 10 gündür gəlmir."),
    ("Siparişim teslim edilemedi", "Merhaba, kargom hâlâ gelmedi."),
    ("Заказ не доставлен", "Здравствуйте, заказ так и не привезли."),
    ("My parcel was undelivered", "Hello, the courier never came."),
    ("Delivery failed twice", "The courier failed to deliver twice."),
    ("Returned mail order refund", "I returned the mail order, where is my refund?"),
]


def test_delivery_complaints_with_bounce_like_subjects_are_complaints(tmp_path):
    """No machine evidence, no bounce: each is registered, acknowledged and sent to staff."""
    config = write_config(tmp_path)
    files = []
    for i, (subject, body) in enumerate(DELIVERY_COMPLAINTS):
        path = tmp_path / f"c{i}.eml"
        path.write_bytes(mail(sender=f"customer{i}@example.org", subject=subject, body=body))
        files.append(str(path))
    lines = gateway(config, "ingest", "--now", NOW, *files).stdout.decode().splitlines()
    assert all(" processed CC-" in line and line.endswith(" customer") for line in lines), lines
    for line, (subject, _) in zip(lines, DELIVERY_COMPLAINTS):
        kinds = {o["kind"] for o in show(config, line.split()[2])["outgoing"]}
        assert {"ack", "staff_new"} <= kinds, f"{subject}: {kinds}"


def test_vacation_package_complaint_is_not_an_autoreply(tmp_path):
    config = write_config(tmp_path)
    line = gateway(config, "ingest", "--now", NOW, input=mail(
        sender="traveller@example.org", subject="Vacation package cancelled",
        body="You cancelled my vacation package without telling me. I want my money back.")).stdout.decode()
    assert " processed CC-" in line and line.rstrip().endswith("customer")


def _acks(config: Path, senders: list[str]) -> dict[str, str]:
    """Each customer's acknowledgement Message-ID, after a tick delivered them."""
    gateway(config, "tick", "--now", NOW)
    found = {str(m["To"]): str(m["Message-ID"]) for m in map(parse_eml, outgoing(config))}
    return {s: found[s] for s in senders}


def _complaints(config: Path, tmp_path: Path, senders: list[str]) -> dict[str, str]:
    files = []
    for i, sender in enumerate(senders):
        files.append(tmp_path / f"complaint{i}.eml")
        files[-1].write_bytes(mail(sender=sender, subject="Order late", body="Where is my order?"))
    lines = gateway(config, "ingest", "--now", NOW, *map(str, files)).stdout.decode().splitlines()
    return {sender: line.split()[2] for sender, line in zip(senders, lines)}


def _state(config: Path, tracking: str) -> tuple[bool, str, list[str]]:
    data = show(config, tracking)
    ack = next(o for o in data["outgoing"] if o["kind"] == "ack")
    return data["customer"]["bouncing"], ack["state"], [o["kind"] for o in data["outgoing"]]


@pytest.mark.skipif(not (CORPUS / "MANIFEST.tsv").is_file(), reason=ABSENT)
def test_real_delayed_dsn_fails_nothing_and_holds_nobody(tmp_path):
    """flanker's "Delayed Mail (still being retried)", Action: delayed, 4.4.4, returning our acknowledgement."""
    config = write_config(tmp_path)
    tracking = _complaints(config, tmp_path, ["user@example.com"])["user@example.com"]
    ack = _acks(config, ["user@example.com"])["user@example.com"]
    dsn = (CORPUS / "flanker/bounce/no-mx.eml").read_bytes().replace(b"<19E44CA63F984902B7D654F8FF40F89D@bo>",
                                                                      ack.encode())
    line = gateway(config, "ingest", "--now", NOW, input=dsn).stdout.decode()
    assert line.split()[1:] == ["processed", tracking, line.split()[3], "bounce"]  # recorded on the complaint
    assert _state(config, tracking) == (False, "sent", ["ack", "staff_new"])


@pytest.mark.skipif(not (CORPUS / "MANIFEST.tsv").is_file(), reason=ABSENT)
def test_real_multi_recipient_dsn_fails_only_the_recipient_of_the_returned_mail(tmp_path):
    """enmime's DSN: arathib failed, johnh delayed, wsnell failed; the returned mail is our ack to wsnell.
    arathib is named as failed, but on a mail we never sent to arathib: not held."""
    customers = ["arathib@vnet.ibm.com", "johnh@hpnjld.njd.hp.com", "wsnell@sdcc13.ucsd.edu"]
    config = write_config(tmp_path)
    tracking = _complaints(config, tmp_path, customers)
    acks = _acks(config, customers)
    returned = f"Message-ID: {acks['wsnell@sdcc13.ucsd.edu']}\nTo: wsnell@sdcc13.ucsd.edu\nSubject: ack\n\nAck."
    dsn = (CORPUS / "enmime/dsn/testdata/multi_recipient_dsn.raw").read_bytes() \
        .replace(b"[original message goes here]", returned.encode())
    gateway(config, "ingest", "--now", NOW, input=dsn)
    wsnell = _state(config, tracking["wsnell@sdcc13.ucsd.edu"])
    assert wsnell[:2] == (True, "failed") and "staff_notice" in wsnell[2]
    assert _state(config, tracking["arathib@vnet.ibm.com"]) == (False, "sent", ["ack", "staff_new"])
    assert _state(config, tracking["johnh@hpnjld.njd.hp.com"]) == (False, "sent", ["ack", "staff_new"])


STRANGER_BOUNCE = """From: {sender}
To: care@shop.test
Subject: Undelivered Mail Returned to Sender
Message-ID: <fake-{n}@evil.example>

This is the mail system at host mx.evil.example.
I'm sorry to have to inform you that your message could not be delivered.

<victim@example.org>: host mx.example.org said: 550 5.1.1 User unknown

Message-ID: <{guess}>
"""


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@evil.example", "prankster@evil.example"])
def test_a_strangers_bounce_naming_a_customer_holds_nobody(tmp_path, sender):
    config = write_config(tmp_path)
    tracking = _complaints(config, tmp_path, ["victim@example.org"])["victim@example.org"]
    _acks(config, ["victim@example.org"])
    fake = STRANGER_BOUNCE.format(sender=sender, n=1, guess="0123456789abcdef@shop.test").encode()
    line = gateway(config, "ingest", "--now", NOW, input=fake).stdout.decode()
    # a machine's word is stored as a bounce on nothing; a person writing this is a person (acknowledged)
    assert line.split()[-1] == ("bounce" if "MAILER" in sender else "customer")
    assert _state(config, tracking) == (False, "sent", ["ack", "staff_new"])
    notice = next(o for o in show(config, tracking)["outgoing"] if o["kind"] == "staff_new")
    gateway(config, "ingest", "--now", NOW, input=mail(sender="team@shop.test", subject=f"Re: [{tracking}]",
                                                         body="#resolve\nWe refunded your order.",
                                                         in_reply_to=f"<{notice['message_id']}>"))
    gateway(config, "tick", "--now", NOW)
    outgoing = show(config, tracking)["outgoing"]
    assert "resolution" in [o["kind"] for o in outgoing] or "relay" in [o["kind"] for o in outgoing]
    assert all(o["state"] == "sent" for o in outgoing)  # the answer reached the victim


def test_one_automatic_answer_per_complaint_per_window(tmp_path):
    """A responder hygiene cannot see (empty replies read as status requests) gets one status mail;
    its further replies reach staff, not the responder; after the window a question is answered again."""
    config = write_config(tmp_path)
    tracking = gateway(config, "ingest", "--now", NOW, input=mail(sender="bot@example.org")).stdout.decode().split()[2]
    for i in range(5):
        gateway(config, "ingest", "--now", f"2026-11-23T06:{10 + i}:00Z",
                input=mail(sender="bot@example.org", subject=f"Re: [{tracking}] x", body=""))
    gateway(config, "tick", "--now", "2026-11-23T06:30:00Z")
    to_bot = [o["kind"] for o in show(config, tracking)["outgoing"] if o["recipient"] == "bot@example.org"]
    assert sorted(to_bot) == ["ack", "status"]
    data = show(config, tracking)
    unanswered = [e for e in data["events"] if e["kind"] == "status_request" and "not answered" in e["detail"]]
    assert len(unanswered) == 4
    assert sum(o["kind"] == "staff_update" for o in data["outgoing"]) == 4  # a person asking again is seen
    later = "2026-11-23T12:11:00Z"  # six hours after the status answer
    gateway(config, "ingest", "--now", later, input=mail(sender="bot@example.org", subject=f"Re: [{tracking}] x",
                                                        body="Any news?"))
    to_bot = [o["kind"] for o in show(config, tracking)["outgoing"] if o["recipient"] == "bot@example.org"]
    assert sorted(to_bot) == ["ack", "status", "status"]


def test_out_of_office_text_without_headers_is_not_answered(tmp_path):
    config = write_config(tmp_path)
    tracking = gateway(config, "ingest", "--now", NOW, input=mail(sender="irina@example.ru")).stdout.decode().split()[2]
    line = gateway(config, "ingest", "--now", NOW, input=mail(
        sender="irina@example.ru", subject=f"Re: [{tracking}] Ваша жалоба",
        body="Здравствуйте!\n\nЯ в отпуске до 15 мая. Когда вернусь, отвечу.\n\nИрина")).stdout.decode()
    # body-only evidence: kept as the customer's message, staff told, only our answer held back
    assert line.split()[-1] in ("customer", "status_request")
    data = show(config, tracking)
    assert [o["kind"] for o in data["outgoing"]] == ["ack", "staff_new", "staff_update"]
    assert any(e["kind"] == "answer_held" for e in data["events"])


# A hostile tester's mails: people writing that they are away, with no automatic header.
AWAY_BUT_COMPLAINING = [
    ("Телевизор", "Здравствуйте. Я в отпуске до 10 декабря. Телевизор, который вы мне продали, не включается. "
                  "Когда вернусь, привезу его в магазин."),
    ("TV", "Hello, I am on vacation until 10 December. The TV I bought from you last week does not turn on. "
           "When I get back I will bring it to the store, please fix it."),
    ("Buzdolabı", "Merhaba, izindeyim ama buzdolabım soğutmuyor. Döndüğümde servis gelsin lütfen."),
    ("Soyuducu", "Salam. Məzuniyyətdəyəm, amma aldığım soyuducu işləmir. Qayıdanda usta göndərin, xahiş edirəm."),
    ("Washing machine", "My washing machine still leaks water all over the kitchen. "
                        "The reply was sent automatically and did not help at all."),
    ("Laptop", "My address peter@old.com is no longer in use, write here. The laptop I bought from you will not start."),
    ("Vacation: tour cancelled, I want my money back", "The agency cancelled the tour and kept the money."),
    ("Vacation - hotel booking problem", "The hotel cancelled my booking and kept the deposit."),
]


def test_new_mail_reading_like_an_out_of_office_is_a_complaint(tmp_path):
    """Body-only out-of-office evidence never drops a new mail: a responder answering our
    acknowledgement carries our thread, a new mail is a person's."""
    config = write_config(tmp_path)
    files = []
    for i, (subject, body) in enumerate(AWAY_BUT_COMPLAINING):
        path = tmp_path / f"away{i}.eml"
        path.write_bytes(mail(sender=f"away{i}@example.org", subject=subject, body=body))
        files.append(str(path))
    lines = gateway(config, "ingest", "--now", NOW, *files).stdout.decode().splitlines()
    assert all(" processed CC-" in line and line.endswith(" customer") for line in lines), lines
    for line, (subject, _) in zip(lines, AWAY_BUT_COMPLAINING):
        kinds = {o["kind"] for o in show(config, line.split()[2])["outgoing"]}
        assert {"ack", "staff_new"} <= kinds, f"{subject}: {kinds}"


AWAY_BUT_REJECTING = [
    "I am on vacation until 10 December, but I do not accept this answer.",
    "Я в отпуске до 10 декабря. Не согласен с решением, когда вернусь — позвоню.",
    "İzindeyim, pazartesiye kadar. Kabul etmiyorum.",
    "Məzuniyyətdəyəm, qayıdanda zəng edəcəm. Rədd edirəm.",
]


@pytest.mark.parametrize("body", AWAY_BUT_REJECTING)
def test_a_reply_to_the_resolution_that_reads_away_is_the_customers_decision(tmp_path, body):
    config = write_config(tmp_path)
    tracking = _complaints(config, tmp_path, ["away@example.org"])["away@example.org"]
    notice = next(o for o in show(config, tracking)["outgoing"] if o["kind"] == "staff_new")
    gateway(config, "ingest", "--now", NOW, input=mail(sender="team@shop.test", subject=f"Re: [{tracking}]",
                                                         body="#resolve\nWe refunded your order.",
                                                         in_reply_to=f"<{notice['message_id']}>"))
    assert show(config, tracking)["status"] == "resolved"
    line = gateway(config, "ingest", "--now", NOW, input=mail(
        sender="away@example.org", subject=f"Re: [{tracking}] Your complaint", body=body)).stdout.decode()
    # a decision when gateway.desk.intent reads one; otherwise an undecided reply staff must read
    assert line.split()[-1] in ("reject", "customer"), line
    gateway(config, "tick", "--now", "2027-02-01T06:00:00Z")  # long after any auto-close deadline
    data = show(config, tracking)
    assert data["status"] != "closed"
    assert sum(o["kind"] == "staff_update" for o in data["outgoing"]) >= 1


@pytest.mark.parametrize("subject, body", [
    ("Sifarişim çatdırılmadı", "Salam, sifarişim 3 həftədir çatdırılmadı. Zəhmət olmasa yoxlayın."),
    ("Заказ не доставлен", "Здравствуйте, заказ так и не доставлен. Прошу вернуть деньги."),
    ("Siparişim teslim edilemedi", "Merhaba, siparişim teslim edilemedi, lütfen yardımcı olun."),
    ("Delivery failed twice", "Hello, the courier failed to deliver my order twice. Please help."),
])
def test_a_postmasters_own_complaint_is_registered_and_acknowledged(tmp_path, subject, body):
    """postmaster@ is a person's mailbox: without machine evidence its mail is a complaint."""
    config = write_config(tmp_path)
    raw = mail(sender="postmaster@customer.example", subject=subject, body=body,
               headers={"Return-Path": "<postmaster@customer.example>"})
    line = gateway(config, "ingest", "--now", NOW, input=raw).stdout.decode()
    assert line.split()[-1] == "customer", line
    gateway(config, "tick", "--now", NOW)
    tracking = line.split()[2]
    kinds = sorted(o["kind"] for o in show(config, tracking)["outgoing"])
    assert kinds == ["ack", "staff_new"]


def test_a_daemons_null_sender_bounce_stays_a_bounce(tmp_path):
    config = write_config(tmp_path)
    raw = mail(sender="MAILER-DAEMON@mx.example.org", subject="Siparişim teslim edilemedi", body="x",
               headers={"Return-Path": "<>"})
    line = gateway(config, "ingest", "--now", NOW, input=raw).stdout.decode()
    assert line.split()[-1] == "bounce", line
