"""The outbox against a real SMTP peer (aiosmtpd): retry on 4xx, fail on 5xx, TLS and AUTH."""
from __future__ import annotations

import email
import email.policy
import os

from gatewaykit import gateway, mail, show, write_config
from servers import SmtpPeer, password_authenticator, server_tls_context

NOW = "2026-11-23T06:00:00Z"


def smtp_config(tmp_path, peer: SmtpPeer, security: str = "none", username: str = "", ca_file: str = ""):
    extra = (f"[outbound.smtp]\nhost = \"127.0.0.1\"\nport = {peer.port}\nsecurity = \"{security}\"\n"
             f"username = \"{username}\"\npassword_env = \"TEST_RELAY_PASSWORD\"\nca_file = \"{ca_file}\"\n"
             "timeout = 10\n")
    return write_config(tmp_path, transport="smtp", outbound_extra=extra)


def new_complaint(config) -> str:
    line = gateway(config, "ingest", "--now", NOW, input=mail(sender="cust@example.az")).stdout.decode()
    return line.split()[2]


def outgoing_states(config, tracking):
    return {o["kind"]: o for o in show(config, tracking)["outgoing"]}


def test_relay_answering_451_then_250_delivers_on_retry(tmp_path):
    with SmtpPeer(replies=["451 4.3.0 try later", "451 4.3.0 try later"]) as peer:
        config = smtp_config(tmp_path, peer)
        tracking = new_complaint(config)
        gateway(config, "tick", "--now", NOW)
        assert peer.messages == []
        states = outgoing_states(config, tracking)
        assert all(o["state"] == "queued" and "451" in o["error"] for o in states.values())
        gateway(config, "tick", "--now", "2026-11-23T06:00:30Z")  # before the backoff: nothing
        assert peer.attempts == 2
        gateway(config, "tick", "--now", "2026-11-23T06:02:00Z")
        received = peer.wait_for(2)
        assert "cust@example.az" in {r.rcpt_tos[0] for r in received} and len(received) == 2
        assert all(o["state"] == "sent" for o in outgoing_states(config, tracking).values())
        ack = email.message_from_bytes(next(r.data for r in received if r.rcpt_tos[0] == "cust@example.az"),
                                       policy=email.policy.default)
        assert ack["Auto-Submitted"] == "auto-replied" and tracking in ack["Subject"]


def test_relay_answering_550_marks_failed_with_the_reason_and_keeps_the_row(tmp_path):
    with SmtpPeer(default_reply="550 5.1.1 no such user") as peer:
        config = smtp_config(tmp_path, peer)
        tracking = new_complaint(config)
        gateway(config, "tick", "--now", NOW)
        gateway(config, "tick", "--now", "2026-11-24T06:00:00Z")
        assert peer.attempts == 2  # one attempt per mail, never retried
        for o in outgoing_states(config, tracking).values():
            assert o["state"] == "failed" and "550" in o["error"]
        events = [e["kind"] for e in show(config, tracking)["events"]]
        assert "mail_failed" in events


def test_relay_down_is_retried_not_dropped(tmp_path):
    peer = SmtpPeer()
    config = smtp_config(tmp_path, peer)  # not started: connection refused
    tracking = new_complaint(config)
    gateway(config, "tick", "--now", NOW)
    assert all(o["state"] == "queued" for o in outgoing_states(config, tracking).values())
    with peer:
        gateway(config, "tick", "--now", "2026-11-23T07:00:00Z")
        peer.wait_for(2)


def test_starttls_and_auth_relay(tmp_path, tls_cert):
    cert, key = tls_cert
    with SmtpPeer(tls_context=server_tls_context(cert, key), require_starttls=True,
                  authenticator=password_authenticator("gw", "s3cret"), auth_required=True) as peer:
        config = smtp_config(tmp_path, peer, security="starttls", username="gw", ca_file=str(cert))
        new_complaint(config)
        env = {**os.environ, "TEST_RELAY_PASSWORD": "s3cret"}
        os.environ["TEST_RELAY_PASSWORD"] = "s3cret"
        try:
            gateway(config, "tick", "--now", NOW)
        finally:
            os.environ.pop("TEST_RELAY_PASSWORD", None)
        received = peer.wait_for(2)
        assert all(r.login == "gw" for r in received)
        assert env


def test_implicit_tls_relay(tmp_path, tls_cert):
    cert, key = tls_cert
    with SmtpPeer(tls_context=server_tls_context(cert, key), implicit_tls=True) as peer:
        config = smtp_config(tmp_path, peer, security="tls", ca_file=str(cert))
        new_complaint(config)
        gateway(config, "tick", "--now", NOW)
        assert len(peer.wait_for(2)) == 2


def test_header_injection_through_the_subject_is_impossible(tmp_path):
    config = write_config(tmp_path)
    raw = (b"From: cust@example.az\r\nTo: care@shop.test\r\nMessage-ID: <inj@example.az>\r\n"
           b"Subject: =?utf-8?q?hello=0D=0ABcc=3A_victim=40example=2Ecom?=\r\n\r\nbody\r\n")
    gateway(config, "ingest", "--now", NOW, input=raw)
    gateway(config, "tick", "--now", NOW)
    for path in (tmp_path / "storage" / "outgoing").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert message["Bcc"] is None
        assert "\n" not in message["Subject"]
