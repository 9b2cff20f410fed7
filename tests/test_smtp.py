"""The SMTP/LMTP listener keeps the envelope with the mail (a real aiosmtpd listener, smtplib as the client)."""
from __future__ import annotations

import smtplib
import threading
from dataclasses import dataclass

import pytest

from gateway.mail.hygiene import assess
from gateway.mail.parse import parse
from gateway.service.sources.smtp import SmtpListener, with_envelope
from servers import free_port

OWN = frozenset({"care@shop.test"})


@dataclass
class Stored:
    state: str = "processed"


class Sink:
    def __init__(self) -> None:
        self.raws: list[bytes] = []

    def __call__(self, raw: bytes, source: str) -> Stored:
        self.raws.append(raw)
        return Stored()


@pytest.fixture(params=[False, True], ids=["smtp", "lmtp"])
def listener(request):
    sink, port = Sink(), free_port()
    server = SmtpListener(f"127.0.0.1:{port}", sink, threading.Lock(), lmtp=request.param)
    server.start()
    yield sink, port, request.param
    server.stop()


def send(port: int, lmtp: bool, sender: str, recipients: list[str], raw: bytes) -> None:
    client = smtplib.LMTP("127.0.0.1", port) if lmtp else smtplib.SMTP("127.0.0.1", port, timeout=10)
    with client:
        if lmtp:
            client.ehlo_or_helo_if_needed()
        client.sendmail(sender, recipients, raw)


PLAIN_BOUNCE = (b"From: Mail Delivery Service <deliveries@mx.example.net>\r\nTo: care@shop.test\r\n"
                b"Subject: Mail delivery failed\r\nMessage-ID: <b.1@mx.example.net>\r\n\r\n"
                b"A message that you sent could not be delivered.\r\n")


def test_a_null_sender_bounce_without_return_path_is_seen_as_one(listener):
    sink, port, lmtp = listener
    send(port, lmtp, "", ["care@shop.test"], PLAIN_BOUNCE)
    [raw] = sink.raws
    assert raw.startswith(b"Return-Path: <>\r\nX-Original-To: care@shop.test\r\n")
    assert raw.endswith(PLAIN_BOUNCE)  # the mail itself is stored as it came
    assert assess(parse(raw), OWN).kind == "bounce"
    assert not assess(parse(PLAIN_BOUNCE), OWN).automatic  # the same text from a person's envelope is a person


def test_a_customer_claiming_the_null_sender_in_a_header_is_still_a_customer(listener):
    sink, port, lmtp = listener
    forged = b"Return-Path: <>\r\n" + PLAIN_BOUNCE.replace(b"Subject: Mail delivery failed", b"Subject: Order late")
    send(port, lmtp, "aysel@example.az", ["care@shop.test", "sales@shop.test"], forged)
    [raw] = sink.raws
    assert raw.startswith(b"Return-Path: <aysel@example.az>\r\nX-Original-To: care@shop.test\r\n"
                          b"X-Original-To: sales@shop.test\r\n")
    assert not assess(parse(raw), OWN).automatic


def test_envelope_lines_follow_the_mails_line_endings_and_drop_unsafe_characters():
    assert with_envelope(b"Subject: x\n\nbody\n", "a@b.c", ["c@d.e"]) == \
        b"Return-Path: <a@b.c>\nX-Original-To: c@d.e\nSubject: x\n\nbody\n"
    assert with_envelope(b"Subject: x\r\n\r\n", None, ["x\r\nBcc: y@z.w"]).startswith(
        b"Return-Path: <>\r\nX-Original-To: xBcc:y@z.w\r\n")
    assert with_envelope(b"S: x\r\n\r\n", "\u0430\u0439@\u043f\u0440.\u0440\u0444", []) == \
        "Return-Path: <\u0430\u0439@\u043f\u0440.\u0440\u0444>\r\nS: x\r\n\r\n".encode()


def test_concurrent_sessions_store_through_one_worker_thread(listener):
    """The bound on the listener's threads (and so on its database connections): one per
    listener, however many sessions wait; every mail is still stored."""
    sink, port, lmtp = listener
    before = {t.ident for t in threading.enumerate()}
    senders = [threading.Thread(target=send, args=(port, lmtp, f"c{n}@example.az", ["care@shop.test"],
                                                   f"Subject: {n}\r\n\r\nOrder {n} is late.\r\n".encode()))
               for n in range(12)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join(30)
    assert len(sink.raws) == 12
    workers = [t for t in threading.enumerate() if t.name.startswith(("smtp-ingest", "lmtp-ingest"))]
    assert len(workers) == 1
    assert not [t for t in threading.enumerate() if t.ident not in before and t.name.startswith("asyncio")]
