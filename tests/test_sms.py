"""Registration and decision notices by SMS ([sms]), against a local HTTP receiver
standing in for the provider's API."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gatewaykit import gateway, mail, show, staff_notice_id, write_config
from servers import free_port


class Receiver:
    """The provider: records each POST; answers with `status`."""

    def __init__(self, status: int = 200):
        self.status, self.received = status, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                outer.received.append((dict(self.headers), json.loads(self.rfile.read(length))))
                self.send_response(outer.status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture()
def receiver():
    found = Receiver()
    yield found
    found.close()


def sms_config(tmp_path, url: str, enabled: bool = True):
    return write_config(tmp_path, extra=f"""
[web]
public_url = "https://care.shop.test"

[sms]
enabled = {str(enabled).lower()}
url = "{url}"
token_env = "SMS_TOKEN"
sender = "ShopCare"
""")


def complaint_with_phone(config, sender="aysel@example.az") -> str:
    raw = mail(sender=sender, name="Aysel Məmmədova", subject="Sifarişim gecikir",
               body="Salam, sifarişim 10 gündür çatdırılmayıb. Telefon: 050 123 45 67")
    return gateway(config, "ingest", input=raw).stdout.decode().split()[2]


def test_registration_sms_carries_number_secret_and_link(tmp_path, receiver, monkeypatch):
    monkeypatch.setenv("SMS_TOKEN", "t0ken")
    config = sms_config(tmp_path, receiver.url)
    tracking = complaint_with_phone(config)
    gateway(config, "tick")
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    assert headers["Authorization"] == "Bearer t0ken" and body["to"] == "+994501234567"
    assert body["from"] == "ShopCare" and tracking in body["text"]
    assert "Gizli kod: " in body["text"] and "https://care.shop.test/track" in body["text"]
    kinds = {o["kind"]: o["state"] for o in show(config, tracking)["outgoing"]}
    assert kinds["ack"] == "sent" and kinds["sms_ack"] == "sent"


def test_the_decision_notice_goes_by_sms_too(tmp_path, receiver):
    config = sms_config(tmp_path, receiver.url)
    tracking = complaint_with_phone(config)
    answer = mail(sender="agent@shop.test", subject=f"Re: [{tracking}]", body="#resolve\nKuryer sabah gələcək.\n",
                  in_reply_to=staff_notice_id(config, tracking))
    gateway(config, "ingest", input=answer)
    gateway(config, "tick")
    texts = [body["text"] for _, body in receiver.received]
    assert len(texts) == 2 and "e-poçtla cavab verdik" in texts[1]


def test_no_phone_no_sms_and_off_by_default(tmp_path, receiver):
    config = sms_config(tmp_path / "on", receiver.url)
    gateway(config, "ingest", input=mail(sender="nophone@example.com", body="My order is late."))
    off = sms_config(tmp_path / "off", receiver.url, enabled=False)
    complaint_with_phone(off)
    gateway(config, "tick")
    gateway(off, "tick")
    assert receiver.received == []


@pytest.mark.parametrize("status, state", [(503, "queued"), (400, "failed")])
def test_provider_errors_are_retried_or_final(tmp_path, status, state):
    provider = Receiver(status)
    try:
        config = sms_config(tmp_path, provider.url)
        tracking = complaint_with_phone(config)
        gateway(config, "tick")
        rows = {o["kind"]: o for o in show(config, tracking)["outgoing"]}
        assert rows["sms_ack"]["state"] == state and rows["ack"]["state"] == "sent"
    finally:
        provider.close()


def test_check_rejects_a_bad_provider_url(tmp_path):
    config = sms_config(tmp_path, "ftp://provider")
    result = gateway(config, "check", check=False)
    assert result.returncode == 2 and b"sms.url" in result.stderr
