"""VERP (`[outbound] verp = true`): each mail's envelope sender names its outbox row, signed; a
bounce to that return path fails exactly that mail's recipient (issue 16). The SMTP peer is
aiosmtpd; the bounce is fed back as the delivering MTA or our listener records it."""
from __future__ import annotations

import pytest

from gateway import config as config_module
from gateway.mail import verp
from gateway.mail.bounces import Attributed, Sent, attribute
from gateway.mail.hygiene import Bounce
from gateway.mail.parse import parse
from gatewaykit import gateway, mail, show, write_config
from servers import SmtpPeer

NOW = "2026-11-23T06:00:00Z"
KEY = b"k" * 32


def test_a_return_path_names_its_row_and_only_with_our_key() -> None:
    path = verp.return_path("care@shop.test", 42, KEY)
    assert path.startswith("care+42-") and path.endswith("@shop.test")
    assert verp.row_of(path, "care@shop.test", KEY) == 42
    assert verp.row_of(f"<{path.upper()}>", "care@shop.test", KEY) == 42  # relays that change case
    assert verp.row_of(path, "care@shop.test", b"x" * 32) is None  # another key
    assert verp.row_of(path.replace("42-", "43-"), "care@shop.test", KEY) is None  # another row, same signature
    assert verp.row_of(path.replace("@shop.test", "@evil.example"), "care@shop.test", KEY) is None
    assert verp.row_of("care@shop.test", "care@shop.test", KEY) is None
    assert verp.row_of("care+42-0000000000000000@shop.test", "care@shop.test", KEY) is None


def test_the_rows_a_mail_came_back_to_are_read_from_the_envelope_headers() -> None:
    path = verp.return_path("care@shop.test", 7, KEY)
    raw = (f"Return-Path: <>\r\nX-Original-To: {path}\r\nFrom: MAILER-DAEMON@mx.example\r\n"
           f"To: {path}\r\nSubject: Undelivered\r\n\r\nfailed\r\n").encode()
    assert verp.rows_returned_to(parse(raw), "care@shop.test", KEY) == (7,)
    plain = raw.replace(path.encode(), b"care@shop.test")
    assert verp.rows_returned_to(parse(plain), "care@shop.test", KEY) == ()


def test_a_returned_report_fails_that_row_whatever_recipient_it_names() -> None:
    row = Sent("ack-1@shop.test", "Aysel@example.az")
    forwarded = Bounce((), ("aysel@new.example",), ("aysel@new.example",), True, "550 5.1.1")
    assert attribute(forwarded, (), (row,)) == Attributed(("ack-1@shop.test",), ("aysel@example.az",), True)
    delayed = Bounce((), ("aysel@new.example",), (), False, "4.4.1")
    assert attribute(delayed, (), (row,)) == Attributed((), (), True)


def test_verp_needs_an_address_without_a_plus(tmp_path) -> None:
    config = write_config(tmp_path, outbound_extra="verp = true\n")
    config.write_text(config.read_text().replace('address = "care@shop.test"', 'address = "care+desk@shop.test"'))
    with pytest.raises(config_module.ConfigError, match="outbound.verp"):
        config_module.load(config)


def smtp_config(tmp_path, peer: SmtpPeer, on: bool = True):
    extra = ("verp = true\n" if on else "") + \
        f"[outbound.smtp]\nhost = \"127.0.0.1\"\nport = {peer.port}\nsecurity = \"none\"\ntimeout = 10\n"
    return write_config(tmp_path, transport="smtp", outbound_extra=extra)


def bounce(to: str, failed: str = "aysel@forward.example") -> bytes:
    """A plain-text report from the relay, as Postfix delivers it: no Message-ID of ours, and it
    names the address the mail was forwarded to, not the one we sent it to."""
    return (f"Return-Path: <>\r\nX-Original-To: {to}\r\nDelivered-To: {to}\r\n"
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.az>\r\n"
            f"To: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            f"Message-ID: <dsn-{abs(hash(to))}@mx.example.az>\r\n\r\n"
            "I'm sorry to have to inform you that your message could not\r\n"
            "be delivered to one or more recipients.\r\n\r\n"
            f"<{failed}>: host mx.forward.example said: 550 5.1.1 User unknown\r\n").encode()


def test_mail_leaves_with_its_return_path_and_its_bounce_marks_that_recipient(tmp_path) -> None:
    with SmtpPeer() as peer:
        config = smtp_config(tmp_path, peer)
        line = gateway(config, "ingest", "--now", NOW, input=mail(sender="aysel@example.az")).stdout.decode()
        tracking = line.split()[2]
        gateway(config, "tick", "--now", NOW)
        received = peer.wait_for(2)
        ack = next(r for r in received if r.rcpt_tos == ("aysel@example.az",))
        assert ack.mail_from.startswith("care+") and ack.mail_from.endswith("@shop.test")
        assert {r.mail_from for r in received} != {ack.mail_from}  # one return path per mail
        assert b"From: " in ack.data and b"care@shop.test" in ack.data  # the header From is unchanged
        forged = ack.mail_from.split("-")[0] + "-0123456789abcdef@shop.test"
        gateway(config, "ingest", "--now", NOW, input=bounce(forged))
        assert show(config, tracking)["customer"]["bouncing"] is False
        gateway(config, "ingest", "--now", NOW, input=bounce(ack.mail_from))
        data = show(config, tracking)
        assert data["customer"]["bouncing"] is True
        states = {o["kind"]: o for o in data["outgoing"]}
        assert states["ack"]["state"] == "failed" and "bounced" in states["ack"]["error"]
        assert states["staff_new"]["state"] == "sent"  # only the mail that came back


def test_without_verp_such_a_report_marks_nobody(tmp_path) -> None:
    with SmtpPeer() as peer:
        config = smtp_config(tmp_path, peer, on=False)
        tracking = gateway(config, "ingest", "--now", NOW, input=mail(sender="aysel@example.az")).stdout.decode().split()[2]
        gateway(config, "tick", "--now", NOW)
        assert {r.mail_from for r in peer.wait_for(2)} == {"care@shop.test"}
        gateway(config, "ingest", "--now", NOW, input=bounce("care@shop.test"))
        assert show(config, tracking)["customer"]["bouncing"] is False
