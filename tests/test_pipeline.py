"""The path of one email through `gateway ingest` (the MTA pipe), end to end on SQLite."""
from __future__ import annotations

import email
import email.policy
import subprocess
import sys

from gatewaykit import gateway, listing, mail, outgoing, show, write_config

NOW = "2026-11-23T06:00:00Z"  # Monday 10:00 in Baku


def parse_eml(path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def ingest(config, raw: bytes, now: str = NOW) -> str:
    return gateway(config, "ingest", "--now", now, input=raw).stdout.decode()


def tracking_of(line: str) -> str:
    return line.split()[2]


def test_one_mail_makes_one_complaint_and_one_acknowledgement(tmp_path):
    config = write_config(tmp_path)
    raw = mail(subject="Order 123 late", body="My order has not arrived after ten days.", name="John Smith")
    line = ingest(config, raw)
    assert " processed CC-2026-" in line
    tracking = tracking_of(line)
    gateway(config, "tick", "--now", NOW)
    sent = [parse_eml(p) for p in outgoing(config)]
    acks = [m for m in sent if m["To"] == "aysel@example.az"]
    assert len(acks) == 1
    ack = acks[0]
    assert f"[{tracking}]" in ack["Subject"]
    assert ack["From"].addresses[0].addr_spec == "care@shop.test"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == email.message_from_bytes(raw)["Message-ID"]
    assert ack["Message-ID"].endswith("@shop.test>")
    assert tracking in ack.get_body(("plain",)).get_content()
    assert ack.get_body(("html",)) is not None
    data = show(config, tracking)
    assert data["status"] == "registered" and data["language"] == "en"
    assert data["customer"]["email"] == "aysel@example.az" and data["customer"]["name"] == "John Smith"
    assert data["due"]["acknowledge"] and data["due"]["resolve"]


def test_same_message_ingested_ten_times_is_one_complaint(tmp_path):
    config = write_config(tmp_path)
    raw = mail()
    lines = [ingest(config, raw) for _ in range(3)]
    lines.append(gateway(config, "ingest", "--now", NOW, *[str(_write(tmp_path, raw, i)) for i in range(7)]).stdout.decode())
    assert sum(line.count(" processed ") for line in lines) == 1
    assert sum(line.count(" duplicate ") for line in lines) == 9
    gateway(config, "tick", "--now", NOW)
    gateway(config, "tick", "--now", "2026-11-23T07:00:00Z")
    complaints = [r for r in listing(config) if r["status"] != "quarantined"]
    assert len(complaints) == 1
    assert len([p for p in outgoing(config) if parse_eml(p)["To"] == "aysel@example.az"]) == 1


def _write(tmp_path, raw: bytes, i: int):
    path = tmp_path / f"copy{i}.eml"
    path.write_bytes(raw)
    return path


def test_same_message_with_other_received_headers_is_a_duplicate_by_message_id(tmp_path):
    config = write_config(tmp_path)
    raw = mail(message_id="<fixed-1@example.az>")
    ingest(config, raw)
    line = ingest(config, b"Received: from relay2 by mx; Mon, 23 Nov 2026 10:01:00 +0400\r\n" + raw)
    assert " duplicate " in line


def test_a_mail_retried_with_a_new_transfer_encoding_is_still_a_duplicate(tmp_path):
    """An MTA that downgrades 8bit to quoted-printable changes the bytes, not the mail."""
    config = write_config(tmp_path)
    raw = mail(message_id="<fixed-2@example.az>", subject="Sifariş gecikir", body="Sifarişim on gündür gəlmir.")
    encoded = email.message_from_bytes(raw, policy=email.policy.default)
    encoded.set_content("Sifarişim on gündür gəlmir.\n", cte="quoted-printable")
    assert encoded.as_bytes() != raw
    ingest(config, raw)
    assert " duplicate " in ingest(config, b"Received: from relay3 by mx; Mon, 23 Nov 2026 10:02:00 +0400\r\n"
                                          + encoded.as_bytes())


def test_another_senders_mail_with_a_known_message_id_is_not_dropped(tmp_path):
    """Anyone can write any Message-ID: an outsider who learnt a customer's (or a client that
    reuses them, with another Date) must not suppress a mail by it. Each gets its complaint and
    acknowledgement."""
    config = write_config(tmp_path)
    first = ingest(config, mail(sender="aysel@example.az", message_id="<known-1@example.az>"))
    clash = ingest(config, mail(sender="intruder@example.net", message_id="<known-1@example.az>",
                                subject="Order late", body="My order is late."))
    same_sender = ingest(config, mail(sender="aysel@example.az", message_id="<known-1@example.az>",
                                      subject="Another order", body="And the second order is broken.",
                                      date="Tue, 24 Nov 2026 09:12:40 +0400"))
    assert [line.split()[1] for line in (first, clash, same_sender)] == ["processed"] * 3, (first, clash, same_sender)
    assert len({tracking_of(first), tracking_of(clash)}) == 2
    gateway(config, "tick", "--now", NOW)
    recipients = sorted(parse_eml(p)["To"] for p in outgoing(config) if "example" in parse_eml(p)["To"])
    assert recipients.count("intruder@example.net") == 1 and recipients.count("aysel@example.az") >= 1
    again = ingest(config, b"Received: from relay2 by mx; Mon, 23 Nov 2026 10:01:00 +0400\r\n"
                   + mail(sender="intruder@example.net", message_id="<known-1@example.az>"))
    assert " duplicate " in again  # the same mail once more is still one


def test_a_copy_a_gateway_marked_external_is_still_the_same_mail(tmp_path):
    """The IMAP copy of a mail another route delivered unrewritten, with a subject tag, a banner above
    the text and an antivirus footer below it, is the same mail: no second complaint, no second
    acknowledgement."""
    config = write_config(tmp_path)
    body = "Sifarişim on gündür gəlmir. Sifariş 12345."
    first = ingest(config, mail(message_id="<banner-1@example.az>", subject="Sifariş gecikir", body=body))
    marked = mail(message_id="<banner-1@example.az>", subject="[EXTERNAL] Sifariş gecikir",
                  body="CAUTION: This email originated from outside the organization.\n\n" + body
                  + "\n-- \nScanned by ClamAV on mail.shop.test\n")
    assert " processed " in first and " duplicate " in ingest(config, marked)


def test_copies_of_a_mail_without_message_id_are_one_by_sender_date_and_text(tmp_path):
    """A web form's mail with no Message-ID, over IMAP and the MTA pipe (other Received headers, a
    tagged subject, a banner): one complaint. Another text from the same form at the same Date is
    another complaint."""
    config = write_config(tmp_path)
    raw = mail(subject="Sipariş gecikti", body="Siparişim on gündür gelmedi.").replace(
        b"Message-ID:", b"X-Old-Message-ID:")
    first = ingest(config, b"Received: from web1 by imap-host; Mon, 23 Nov 2026 10:00:01 +0400\r\n" + raw)
    tagged = raw.replace(b"Subject: ", b"Subject: [HARICI] ").replace(
        b"\n\nSipari", "\n\nDİKKAT: Bu e-posta kuruluşunuzun dışından geldi.\n\nSipari".encode(), 1)
    again = ingest(config, b"Received: from web1 by care-mta; Mon, 23 Nov 2026 10:00:02 +0400\r\n" + tagged)
    other = ingest(config, mail(subject="Sipariş gecikti", body="Kargom hasarlı geldi.").replace(
        b"Message-ID:", b"X-Old-Message-ID:"))
    assert [line.split()[1] for line in (first, again, other)] == ["processed", "duplicate", "processed"]


def test_deadlines_run_from_when_we_received_the_mail_never_its_date_header(tmp_path):
    config = write_config(tmp_path)
    for date in ("Thu, 01 Jan 1970 00:00:00 +0000", "Fri, 01 Jan 2100 00:00:00 +0000"):
        raw = mail(message_id=f"<clock-{date[12:16]}@example.az>", body=f"My order is late ({date[12:16]}).")
        line = ingest(config, raw.replace(b"Date: Mon, 23 Nov 2026 10:00:00 +0400", f"Date: {date}".encode()))
        data = show(config, tracking_of(line))
        assert data["created_at"] == "2026-11-23T06:00:00Z"
        assert "2026-11-23T06:00:00Z" < data["due"]["acknowledge"] < data["due"]["resolve"] < "2026-12-31"


def test_a_mail_of_nul_bytes_is_quarantined_and_nobody_is_mailed(tmp_path):
    config = write_config(tmp_path)
    raw = (b"From: aysel@example.az\r\nTo: care@shop.test\r\nSubject: \x01\x02\r\n"
           b"Message-ID: <nul-1@example.az>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0400\r\n\r\n" + b"\x00" * 400 + b"\r\n")
    line = ingest(config, raw)
    assert line.split()[1] == "quarantined" and "unreadable" in line
    gateway(config, "tick", "--now", NOW)
    assert outgoing(config) == []
    assert [r["status"] for r in listing(config)] == ["quarantined"]
    assert "unreadable" in gateway(config, "quarantine", "list").stdout.decode()


def test_two_processes_ingesting_the_same_file_at_once(tmp_path):
    config = write_config(tmp_path)
    ingest(config, mail(sender="warmup@example.az"))  # schema exists before the race
    files = [_write(tmp_path, mail(sender=f"c{i}@example.az", message_id=f"<race-{i}@example.az>"), i)
             for i in range(20)]
    args = [sys.executable, "-m", "gateway", "--config", str(config), "ingest", "--now", NOW, *map(str, files)]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    text = "".join(o[0].decode() for o in outputs)
    assert text.count(" processed ") == 20 and text.count(" duplicate ") == 20
    gateway(config, "tick", "--now", NOW)
    acks = [parse_eml(p)["To"] for p in outgoing(config) if parse_eml(p)["To"].startswith("c")]
    assert sorted(acks) == sorted(f"c{i}@example.az" for i in range(20))


def test_malformed_mail_is_stored_and_quarantined_and_ingest_exits_zero(tmp_path):
    config = write_config(tmp_path)
    raw = b"Subject: no sender here\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nbroken"
    result = gateway(config, "ingest", "--now", NOW, input=raw)
    assert result.returncode == 0
    assert "quarantined" in result.stdout.decode()
    rows = listing(config, "--status", "quarantined")
    assert len(rows) == 1 and "From" in rows[0]["reason"]
    archived = list((tmp_path / "storage" / "archive").rglob("*.eml"))
    assert [p.read_bytes() for p in archived] == [raw]
    gateway(config, "tick", "--now", NOW)
    assert outgoing(config) == []  # nobody to answer, nothing sent


def test_reply_with_tracking_number_threads_into_the_complaint(tmp_path):
    config = write_config(tmp_path)
    tracking = tracking_of(ingest(config, mail(subject="Broken kettle")))
    for prefix in ("Re:", "RE: AW:", "Ответ:", "YNT:", "Cavab: Fwd:"):
        line = ingest(config, mail(subject=f"{prefix} [{tracking.lower()}] Broken kettle", body="More details."))
        assert tracking in line
    data = show(config, tracking)
    assert len([m for m in data["messages"] if m["direction"] == "in"]) == 6
    assert len([r for r in listing(config) if r["status"] != "quarantined"]) == 1


def test_reply_by_in_reply_to_our_acknowledgement_threads(tmp_path):
    config = write_config(tmp_path)
    tracking = tracking_of(ingest(config, mail(subject="Refund please")))
    gateway(config, "tick", "--now", NOW)
    ack_id = next(parse_eml(p)["Message-ID"] for p in outgoing(config) if parse_eml(p)["To"] == "aysel@example.az")
    line = ingest(config, mail(subject="something else entirely", in_reply_to=ack_id, body="Any news?"))
    assert tracking in line


def test_mistyped_tracking_number_does_not_thread(tmp_path):
    config = write_config(tmp_path)
    tracking = tracking_of(ingest(config, mail(subject="Refund please")))
    wrong = tracking[:-1] + ("A" if tracking[-1] != "A" else "B")
    line = ingest(config, mail(subject=f"Re: [{wrong}] Refund please"))
    assert tracking not in line and " processed CC-2026-" in line


def test_unknown_config_key_is_a_clear_error_with_exit_2(tmp_path):
    config = write_config(tmp_path, extra="[sla.nonsense]\n")
    text = config.read_text().replace("[gateway]\n", "[gateway]\nadress = \"x@y\"\n")
    config.write_text(text)
    result = gateway(config, "check", check=False)
    assert result.returncode == 2
    assert b"gateway.adress: unknown key" in result.stderr
    assert b"gateway.toml:3" in result.stderr
