"""The complaint's life by email, driven through the running daemon.

Customers and staff write to the daemon's real SMTP listener; everything the
gateway sends goes through the smtp transport to an aiosmtpd peer, where the
test reads it as the customer and staff would.
"""
from __future__ import annotations

import email
import email.policy
import shutil
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest

from gatewaykit import DaemonProcess, mail, send_smtp, show, wait_for, write_config
from servers import SmtpPeer, free_port

CUSTOMER = "aysel@example.az"
STAFF = "agent@shop.test"


class Desk:
    """A running gateway with a relay peer; helpers to write as customer or staff."""

    def __init__(self, tmp_path: Path, peer: SmtpPeer, require_auth: bool = False):
        self.peer, self.port = peer, free_port()
        extra = f"[outbound.smtp]\nhost = \"127.0.0.1\"\nport = {peer.port}\nsecurity = \"none\"\n"
        self.config = write_config(tmp_path, smtp_port=self.port, transport="smtp", outbound_extra=extra,
                                   require_auth=require_auth)
        self.daemon = DaemonProcess(self.config)
        self.daemon.wait_listening(self.port)
        self.seen = 0

    def send(self, raw: bytes, sender: str) -> None:
        send_smtp(self.port, raw, sender=sender, to="care@shop.test")

    def expect(self, count: int) -> list[EmailMessage]:
        """The next `count` mails the gateway sent."""
        received = self.peer.wait_for(self.seen + count, timeout=30)
        new = received[self.seen:self.seen + count]
        self.seen += count
        return [email.message_from_bytes(r.data, policy=email.policy.default) for r in new]

    def to(self, messages: list[EmailMessage], address: str) -> EmailMessage:
        return next(m for m in messages if m["To"] == address)

    def close(self) -> None:
        assert self.daemon.stop() == 0, self.daemon.output()
        self.daemon.__exit__()


@pytest.fixture
def desk(tmp_path):
    with SmtpPeer() as peer:
        d = Desk(tmp_path, peer)
        yield d
        d.close()


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def reply(to_message: EmailMessage, sender: str, text: str, subject: str | None = None) -> bytes:
    return mail(sender=sender, subject=subject or f"Re: {to_message['Subject']}", body=text,
                in_reply_to=to_message["Message-ID"], references=to_message["Message-ID"])


def open_complaint(desk: Desk) -> tuple[str, EmailMessage, EmailMessage]:
    desk.send(mail(sender=CUSTOMER, name="Aysel Mammadova", subject="Broken kettle",
                   body="The kettle I bought last week stopped working. Phone +994 50 123 45 67."), CUSTOMER)
    first = desk.expect(2)
    ack, staff_new = desk.to(first, CUSTOMER), next(m for m in first if m["To"] != CUSTOMER)
    tracking = ack["Subject"].split("[", 1)[1].split("]", 1)[0]
    assert tracking in staff_new["Subject"] and staff_new["Reply-To"] == "care@shop.test"
    assert "The kettle I bought last week" in body(staff_new)
    return tracking, ack, staff_new


def test_full_path_to_escalation(desk):
    tracking, ack, staff_new = open_complaint(desk)
    assert f"[{tracking}]" in body(ack)

    desk.send(reply(staff_new, STAFF, "#status investigating\n\nWe are checking with the workshop."), STAFF)
    relay = desk.expect(1)[0]
    assert relay["To"] == CUSTOMER and "checking with the workshop" in body(relay)
    assert STAFF not in relay.as_string() and relay["From"].addresses[0].addr_spec == "care@shop.test"
    assert relay["In-Reply-To"]  # threaded into the customer's conversation

    desk.send(reply(relay, CUSTOMER, "status"), CUSTOMER)
    status = desk.expect(1)[0]
    assert status["To"] == CUSTOMER and tracking in status["Subject"]

    desk.send(reply(staff_new, STAFF, "#ask\nPlease send us the receipt number."), STAFF)
    ask = desk.expect(1)[0]
    assert "receipt number" in body(ask)
    assert show(desk.config, tracking)["status"] == "waiting_customer"

    desk.send(reply(ask, CUSTOMER, "The receipt number is 778812."), CUSTOMER)
    update = desk.expect(1)[0]
    assert update["To"] != CUSTOMER and "778812" in body(update)
    assert show(desk.config, tracking)["status"] == "investigating"

    desk.send(reply(staff_new, STAFF, "#resolve\nWe will replace the kettle."), STAFF)
    resolution = desk.expect(1)[0]
    assert "replace the kettle" in body(resolution) and "accept" in body(resolution).lower()

    desk.send(reply(resolution, CUSTOMER, "reject"), CUSTOMER)
    reopened = desk.to(desk.expect(2), CUSTOMER)
    assert show(desk.config, tracking)["status"] == "reopened"
    assert tracking in reopened["Subject"]

    desk.send(reply(staff_new, STAFF, "#resolve\nWe will refund the full price instead."), STAFF)
    resolution2 = desk.expect(1)[0]
    desk.send(reply(resolution2, CUSTOMER, "reject"), CUSTOMER)
    remedies = desk.to(desk.expect(2), CUSTOMER)
    data = show(desk.config, tracking)
    assert data["status"] == "escalated" and data["reject_count"] == 2
    statuses = [e["to"] for e in data["events"] if e["kind"] == "status"]
    assert statuses == ["investigating", "waiting_customer", "investigating", "resolved", "reopened",
                        "resolved", "escalated"]
    assert tracking in remedies["Subject"]


def test_accept_closes_the_complaint(desk):
    tracking, _, staff_new = open_complaint(desk)
    desk.send(reply(staff_new, STAFF, "#resolve\nWe sent a replacement today."), STAFF)
    resolution = desk.expect(1)[0]
    desk.send(reply(resolution, CUSTOMER, "Accept"), CUSTOMER)
    closed = desk.to(desk.expect(2), CUSTOMER)
    assert tracking in closed["Subject"]
    data = show(desk.config, tracking)
    assert data["status"] == "closed" and data["closed_at"]


def test_stranger_quoting_a_tracking_number_gets_a_new_linked_complaint(desk):
    tracking, _ack, _ = open_complaint(desk)
    desk.send(mail(sender="nosy@example.org", subject=f"Re: [{tracking}] what is the status?", body="status"),
              "nosy@example.org")
    sent = desk.expect(2)
    to_stranger = desk.to(sent, "nosy@example.org")
    assert tracking not in to_stranger["Subject"]  # the stranger gets their own number
    assert "kettle" not in body(to_stranger).lower()
    original = show(desk.config, tracking)
    assert all(m["sender"] != "nosy@example.org" for m in original["messages"])
    new_tracking = to_stranger["Subject"].split("[", 1)[1].split("]", 1)[0]
    assert show(desk.config, new_tracking)["linked_to"] == tracking


def test_bad_command_gets_an_error_and_nothing_is_relayed(desk):
    tracking, _, staff_new = open_complaint(desk)
    desk.send(reply(staff_new, STAFF, "#frobnicate now\nDear customer, this must not be relayed."), STAFF)
    error = desk.expect(1)[0]
    assert error["To"] == STAFF and "#status" in body(error)
    desk.send(reply(staff_new, STAFF, "#status closed_forever\nNot relayed either."), STAFF)
    assert desk.expect(1)[0]["To"] == STAFF
    data = show(desk.config, tracking)
    assert data["status"] == "registered"
    assert not [o for o in data["outgoing"] if o["kind"] == "relay"]


def test_note_is_not_relayed(desk):
    tracking, _, staff_new = open_complaint(desk)
    desk.send(reply(staff_new, STAFF, "#note\n#priority high\nCustomer is a repeat buyer."), STAFF)
    wait_for(lambda: any(e["kind"] == "note" for e in show(desk.config, tracking)["events"]))
    data = show(desk.config, tracking)
    assert data["priority"] == "high"
    assert {o["kind"] for o in data["outgoing"]} == {"ack", "staff_new"}


def test_forged_staff_from_without_authentication_is_refused(tmp_path):
    with SmtpPeer() as peer:
        desk = Desk(tmp_path, peer, require_auth=True)
        try:
            tracking, _, staff_new = open_complaint(desk)
            desk.send(reply(staff_new, STAFF, "#close\nClosing this."), STAFF)
            refused, = desk.expect(1)  # nothing to the customer; the address's owner is told
            assert refused["To"] == STAFF and "NOT acted on" in body(refused)
            assert show(desk.config, tracking)["status"] == "registered"
            authentic = reply(staff_new, STAFF, "#status in_review\nWe are on it.")
            authentic = (b"Authentication-Results: mx.shop.test; dkim=pass header.d=shop.test; "
                         b"spf=pass smtp.mailfrom=agent@shop.test\r\n" + authentic)
            desk.send(authentic, STAFF)
            assert desk.expect(1)[0]["To"] == CUSTOMER
            assert show(desk.config, tracking)["status"] == "in_review"
        finally:
            desk.close()


@pytest.mark.skipif(shutil.which("mutt") is None, reason="mutt is not installed (apt-get install mutt)")
def test_staff_reply_sent_by_mutt(desk, tmp_path):
    tracking, _, staff_new = open_complaint(desk)
    home = tmp_path / "mutt-home"
    (home / "Mail").mkdir(parents=True)
    muttrc = home / "muttrc"
    muttrc.write_text(f'set smtp_url="smtp://127.0.0.1:{desk.port}/"\nset from="{STAFF}"\nset use_from=yes\n'
                      'set copy=no\nset record=""\nset postpone=no\nset folder="~/Mail"\nset charset="utf-8"\n'
                      'set send_charset="utf-8"\nset ssl_starttls=no\nset ssl_force_tls=no\n')
    draft = home / "draft.eml"
    draft.write_text(f"From: {STAFF}\nTo: care@shop.test\nSubject: Re: {staff_new['Subject']}\n"
                     f"In-Reply-To: {staff_new['Message-ID']}\nReferences: {staff_new['Message-ID']}\n\n"
                     "#status investigating\nWe ordered the spare part.\n\n"
                     f"> {body(staff_new).splitlines()[0]}\n", encoding="utf-8")
    result = subprocess.run(["timeout", "60", "mutt", "-n", "-F", str(muttrc), "-H", str(draft)],
                            env={"HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "dumb"},
                            stdin=subprocess.DEVNULL, capture_output=True)
    assert result.returncode == 0, result.stdout + result.stderr
    relay = desk.expect(1)[0]
    assert relay["To"] == CUSTOMER and "spare part" in body(relay)
    assert "> " not in body(relay).split("spare part")[1][:20]
    assert show(desk.config, tracking)["status"] == "investigating"


@pytest.mark.skipif(shutil.which("mutt") is None, reason="mutt is not installed (apt-get install mutt)")
def test_resolution_from_mutt_arrives_whole_without_the_staff_signature(desk, tmp_path):
    """mutt as the real staff client: a #resolve with mutt's attribution, a quote and a "-- " signature."""
    tracking, _, staff_new = open_complaint(desk)
    home = tmp_path / "mutt-home"
    (home / "Mail").mkdir(parents=True)
    muttrc = home / "muttrc"
    muttrc.write_text(f'set smtp_url="smtp://127.0.0.1:{desk.port}/"\nset from="Agent Smith <{STAFF}>"\n'
                      'set use_from=yes\nset copy=no\nset record=""\nset postpone=no\nset folder="~/Mail"\n'
                      'set charset="utf-8"\nset send_charset="utf-8"\nset ssl_starttls=no\nset ssl_force_tls=no\n')
    answer = ("Sifarişiniz bu gün anbarımızdan göndərildi.\nThe courier wrote:\n"
              "he will call you tomorrow before 12:00.")
    draft = home / "draft.eml"
    draft.write_text(f"From: Agent Smith <{STAFF}>\nTo: care@shop.test\nSubject: Re: {staff_new['Subject']}\n"
                     f"In-Reply-To: {staff_new['Message-ID']}\nReferences: {staff_new['Message-ID']}\n\n"
                     f"#resolve\n{answer}\n\n"
                     f"On Mon, Nov 23, 2026 at 10:01:00AM +0400, Customer Care wrote:\n"
                     f"> {body(staff_new).splitlines()[0]}\n\n-- \nAgent Smith <{STAFF}>\n+994 12 555 55 55\n",
                     encoding="utf-8")
    result = subprocess.run(["timeout", "60", "mutt", "-n", "-F", str(muttrc), "-H", str(draft)],
                            env={"HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "dumb"},
                            stdin=subprocess.DEVNULL, capture_output=True)
    assert result.returncode == 0, result.stdout + result.stderr
    relay = desk.expect(1)[0]
    text = body(relay).replace("\r\n", "\n")
    assert relay["To"] == CUSTOMER and answer in text
    assert STAFF not in text and "555 55 55" not in text and "Agent Smith" not in text
    assert show(desk.config, tracking)["status"] == "resolved"
