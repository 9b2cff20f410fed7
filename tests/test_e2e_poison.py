"""End to end (issue 16): the real daemon, sent a poison mail over SMTP, keeps serving.

The poison is a multipart mail of 24 MB (just under `max_message_bytes`) left unclosed, so
every line goes through the stdlib's parser (a single-part text that long is read only up to
parse.TEXT_MAX, a closed multipart's big bodies are taken out first: each in a fraction of a
second), which takes longer to read than the daemon's budget (`[gateway] read_seconds`, set to 0.25 s
here; an ordinary mail takes milliseconds). Mail of 50,000 MIME parts, the poison
before, is now read within a fraction of a second (parse reads the first MAX_PARTS).
While it is being read the listener still answers, /status still answers, and a
normal mail sent right after is acknowledged; the poison ends quarantined with
its reason, and sending it again is a duplicate, not another read.
"""
from __future__ import annotations

import json
import smtplib
import threading
import time
import urllib.request
import uuid
from pathlib import Path

from gatewaykit import DaemonProcess, gateway, listing, mail, outgoing, send_smtp, wait_for, write_config
from servers import free_port


def poison(size: int = 24 * 1024 * 1024) -> bytes:
    head = ("From: Aysel <aysel@example.az>\r\nTo: care@shop.test\r\nSubject: a long story\r\n"
            f"Message-ID: <poison-{uuid.uuid4().hex}@example.az>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="p"\r\n\r\n--p\r\n'
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
    line = "Sifarişim çatdırılmayıb. Заказ опаздывает. My order is late.\r\n".encode()
    return head.encode() + line * (size // len(line))  # unclosed: no fast path, the stdlib reads every line


def configured(directory: Path, smtp_port: int, metrics_port: int) -> Path:
    config = write_config(directory, smtp_port=smtp_port,
                          extra=f'[metrics]\nlisten = "127.0.0.1:{metrics_port}"\nheartbeat_seconds = 1\n')
    text = config.read_text().replace('tracking_prefix = "CC"\n', 'tracking_prefix = "CC"\nread_seconds = 0.25\n', 1)
    config.write_text(text)
    return config


def status(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=5) as answer:
        return json.loads(answer.read())


def status_up(port: int) -> dict | None:
    """/status once it listens (the health endpoint starts a moment after SMTP)."""
    try:
        return status(port)
    except OSError:
        return None


def test_a_poison_mail_is_quarantined_while_the_daemon_keeps_serving(tmp_path: Path) -> None:
    smtp_port, metrics_port = free_port(), free_port()
    config = configured(tmp_path, smtp_port, metrics_port)
    gateway(config, "check")
    with DaemonProcess(config) as daemon:
        daemon.wait_listening(smtp_port, timeout=60)
        wait_for(lambda: status_up(metrics_port), timeout=30)
        raw = poison()
        poisoned: dict[str, object] = {}

        def send_poison() -> None:
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=120) as client:
                poisoned["answer"] = client.sendmail("aysel@example.az", ["care@shop.test"], raw)

        sender = threading.Thread(target=send_poison)
        sender.start()
        time.sleep(0.5)  # the poison is being read now
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:  # the listener answers meanwhile
            assert client.noop()[0] == 250
        assert status(metrics_port)  # and so does /status
        send_smtp(smtp_port, mail(sender="leyla@example.az", subject="Sifarişim gecikir",
                                  body="Salam, sifarişim 10 gündür çatdırılmayıb."), sender="leyla@example.az")
        sender.join(120)
        assert poisoned.get("answer") == {}  # 250: stored (quarantined), never a 4xx the sender would retry
        quarantined = listing(config, "--status", "quarantined")
        assert len(quarantined) == 1 and "time budget" in json.dumps(quarantined)
        complaints = [c for c in listing(config) if c.get("status") != "quarantined"]
        assert [c["customer"]["email"] for c in complaints] == ["leyla@example.az"]
        send_smtp(smtp_port, raw)  # the sending server retries: the stored copy answers, nothing is read
        assert len(listing(config, "--status", "quarantined")) == 1
        wait_for(lambda: any(b"leyla@example.az" in p.read_bytes() for p in outgoing(config)), timeout=30)
        assert "took longer than the time budget" in daemon.output()
        assert daemon.stop() == 0
