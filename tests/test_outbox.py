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


# ---------------------------------------------------------------- gateway outbox list | retry

def broken_templates(tmp_path):
    """A copy of the shipped templates whose English acknowledgement names a variable that does not exist."""
    import shutil

    from gatewaykit import REPO
    directory = tmp_path / "templates"
    shutil.copytree(REPO / "templates" / "mail", directory)
    ack = directory / "ack.en.txt"
    good = ack.read_text(encoding="utf-8")
    ack.write_text(good.replace("\n", "\n{{ complaint.no_such_field.name }}\n", 1), encoding="utf-8")
    config = write_config(tmp_path / "desk")
    config.write_text(config.read_text().replace(f'templates = "{REPO}/templates/mail"', f'templates = "{directory}"'))
    return config, ack, good


def outbox(config, *args, check=True):
    return gateway(config, "outbox", *args, check=check)


def test_an_admin_fixes_a_template_and_resends_what_failed(tmp_path):
    import json
    config, ack, good = broken_templates(tmp_path)
    tracking = new_complaint(config)
    gateway(config, "tick", "--now", NOW)
    failed = json.loads(outbox(config, "list", "--failed", "--json").stdout)
    assert [(r["kind"], r["state"], r["tracking"], r["recipient"]) for r in failed] == \
        [("ack", "failed", tracking, "cust@example.az")]
    assert "no_such_field" in failed[0]["error"]
    assert json.loads(outbox(config, "list", "--queued", "--json").stdout) == []
    text = outbox(config, "list").stdout.decode()
    assert text.startswith(f"{failed[0]['id']}\tfailed\tack.en\tcust@example.az\t{tracking}\t1\t")

    still = outbox(config, "retry", str(failed[0]["id"]), "--now", NOW, check=False)  # not fixed yet
    assert still.returncode == 1 and b"still cannot render" in still.stderr and b"no_such_field" in still.stderr
    assert outbox(config, "list", "--failed", "--json").stdout == json.dumps(failed, ensure_ascii=False).encode() + b"\n"

    ack.write_text(good, encoding="utf-8")  # the fix
    retried = outbox(config, "retry", "--failed", "--now", "2026-11-23T07:00:00Z")
    assert retried.stdout.decode() == f"{failed[0]['id']}: queued ack.en to cust@example.az\n"
    queued = json.loads(outbox(config, "list", "--queued", "--json").stdout)
    assert [(r["id"], r["attempts"], r["error"]) for r in queued] == [(failed[0]["id"], 0, None)]
    gateway(config, "tick", "--now", "2026-11-23T07:00:00Z")
    assert json.loads(outbox(config, "list", "--json").stdout) == []
    acks = [o for o in show(config, tracking)["outgoing"] if o["kind"] == "ack"]
    assert [o["state"] for o in acks] == ["sent"]
    sent = list((config.parent / "storage" / "outgoing").glob("*.eml"))
    assert any(tracking in p.read_text(errors="replace") and "cust@example.az" in p.read_text(errors="replace")
               for p in sent)
    kinds = [e["kind"] for e in show(config, tracking)["events"]]
    assert kinds.index("mail_failed") < kinds.index("mail_retried")

    again = outbox(config, "retry", str(failed[0]["id"]), check=False)  # sent: never twice
    assert again.returncode == 1 and b"already sent" in again.stderr


def test_outbox_retry_usage_and_unknown_rows(tmp_path):
    config = write_config(tmp_path)
    new_complaint(config)
    assert outbox(config, "retry", check=False).returncode == 2
    assert outbox(config, "retry", "1", "--failed", check=False).returncode == 2
    assert outbox(config, "list", "--failed", "--queued", check=False).returncode == 2
    unknown = outbox(config, "retry", "999", check=False)
    assert unknown.returncode == 1 and b"no outgoing mail 999" in unknown.stderr
    queued = outbox(config, "retry", "1", check=False)  # queued, not failed: left alone
    assert queued.returncode == 1 and b"already queued" in queued.stderr
    assert outbox(config, "retry", "--failed").stdout == b""  # nothing failed: nothing to do, fine


def test_retry_failed_takes_only_rows_that_failed_for_a_retryable_reason(tmp_path):
    """A relay refusal of ours (5.7.1 relaying denied) is queued again; a refusal of the address
    itself (5.1.1) is named and left for `retry ID`, as are rows storm protection held."""
    import json
    with SmtpPeer(replies=["550 5.1.1 no such user", "554 5.7.1 relaying denied"]) as peer:
        config = smtp_config(tmp_path, peer)
        new_complaint(config)
        gateway(config, "tick", "--now", NOW)
        failed = {r["error"][:9]: r["id"] for r in json.loads(outbox(config, "list", "--failed", "--json").stdout)}
        assert set(failed) == {"550 5.1.1", "554 5.7.1"}
        retried = outbox(config, "retry", "--failed", "--now", NOW)
        assert retried.stdout.decode().startswith(f"{failed['554 5.7.1']}: queued ")
        assert f"{failed['550 5.1.1']}: left failed: the relay refused the recipient's address" \
            in retried.stderr.decode()
        assert outbox(config, "retry", str(failed["550 5.1.1"]), "--now", NOW).returncode == 0  # a person decided


def test_rows_held_by_storm_protection_are_not_retried_in_bulk(tmp_path):
    import json
    config = write_config(tmp_path, outbound_extra="rate_per_complaint_day = 1")
    new_complaint(config)  # an acknowledgement and a notice to staff: the second is over the limit
    gateway(config, "tick", "--now", NOW)
    held = json.loads(outbox(config, "list", "--json").stdout)
    assert [(r["state"], r["error"][:11]) for r in held] == [("held", "rate limit:")]
    bulk = outbox(config, "retry", "--failed", "--now", NOW)
    assert bulk.stdout == b"" and json.loads(outbox(config, "list", "--json").stdout)[0]["state"] == "held"
    one = outbox(config, "retry", str(held[0]["id"]), "--now", NOW)
    assert one.stdout.decode().startswith(f"{held[0]['id']}: queued ")


def test_which_reasons_retry_takes_in_bulk_and_one_by_one():
    from gateway.desk.plan import AWAITING_CONFIRMATION
    from gateway.outbound.outbox import requeue_refusal
    from gateway.store.models import OutgoingMail
    cases = [  # (state, last error, --failed queues it, ID queues it)
        ("failed", "TypeError: 'NoneType' object is not subscriptable", True, True),  # a template fixed since
        ("failed", "gave up after 8 attempts: 451 4.3.0 try later", True, True),
        ("failed", "554 5.7.1 relaying denied", True, True),
        ("failed", "SMS provider answered 401", True, True),
        ("failed", "550 5.1.1 no such user", False, True),
        ("held", "rate limit: 10 mails to this recipient in the last hour", False, True),
        ("held", "recipient address is bouncing", False, True),
        ("held", AWAITING_CONFIRMATION, False, False),
        ("sent", "", False, False),
        ("queued", "", False, False),
    ]
    for state, error, bulk, one in cases:
        row = OutgoingMail(state=state, last_error=error)
        assert (requeue_refusal(row, one_by_one=False) == "", requeue_refusal(row, one_by_one=True) == "") \
            == (bulk, one), (state, error)
