"""Health: what the daemon publishes, what `gateway status` and /metrics make of it."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gateway.config import ImapInbound
from gateway.service.health import read_health, render_text
from gateway.service.metrics import prometheus_text
from gateway.service.metricsserver import MetricsServer
from gateway.service.sourceboard import SourceBoard
from gateway.service.sources.imap import ImapWatcher
from gateway.service.sources.smtp import SmtpListener
from gateway.store.migrate import open_database
from gateway.store.models import Complaint, Customer, Message, OutgoingMail, SourceStatus
from gateway.store.query import list_json
from gatewaykit import gateway, mail, write_config
from servers import free_port

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)


@pytest.fixture
def database(tmp_path: Path):
    db = open_database(f"sqlite:///{tmp_path / 'storage' / 'gateway.db'}")
    yield db
    db.close()


@pytest.fixture
def listener():
    """A real SMTP listener (its sink is never called here)."""
    source = SmtpListener(f"127.0.0.1:{free_port()}", lambda raw, src: None, threading.Lock())
    source.start()
    yield source
    source.stop()


def naive(t: datetime) -> datetime:
    return t.astimezone(timezone.utc).replace(tzinfo=None)


def test_published_sources_read_back_with_their_last_mail(database, listener):
    watcher = ImapWatcher(ImapInbound(host="imap.invalid", username="care@shop.test"), lambda raw, src: None)
    board = SourceBoard("host:1")
    sink = board.track("smtp", listener.listen, lambda raw, src: "stored", clock=lambda: T0)
    assert sink(b"raw", "smtp") == "stored"
    board.publish([listener, watcher], T0)
    health = read_health(T0 + timedelta(seconds=5), heartbeat_seconds=10)
    smtp, imap = sorted(health.sources, key=lambda s: s.kind != "smtp")
    assert smtp.name == f"smtp:{listener.listen}" and smtp.connected and smtp.running
    assert smtp.last_mail_at == T0 and smtp.holders == ("host:1",)
    assert imap.kind == "imap" and not imap.connected and imap.running and imap.last_mail_at is None
    assert not health.ok


def test_a_silent_daemon_counts_as_not_running(database, listener):
    board = SourceBoard("host:1")
    board.publish([listener], T0)
    health = read_health(T0 + timedelta(seconds=31), heartbeat_seconds=10)  # three beats missed
    (smtp,) = health.sources
    assert not smtp.connected and not smtp.running and "no running daemon" in smtp.last_error
    assert "not running" in render_text(health)


def test_a_stopping_daemon_says_disconnected_and_keeps_the_last_mail(database, listener):
    board = SourceBoard("host:1")
    board.track("smtp", listener.listen, lambda raw, src: None, clock=lambda: T0)(b"x", "smtp")
    board.publish([listener], T0 + timedelta(seconds=1), stopping=True)
    later = SourceBoard("host:2")  # a restarted daemon: new holder, no mail yet
    later.publish([listener], T0 + timedelta(seconds=60))
    (smtp,) = read_health(T0 + timedelta(seconds=61), heartbeat_seconds=10).sources
    assert smtp.connected and smtp.holders == ("host:2",) and smtp.last_mail_at == T0
    assert SourceStatus.select().count() == 2


def test_outbox_quarantine_and_overdue_counts(database):
    customer = Customer.create(email="a@example.az")
    for number, (status, due) in enumerate((("investigating", T0 - timedelta(days=1)),
                                            ("resolved", T0 - timedelta(days=1)),
                                            ("registered", T0 + timedelta(days=1)))):
        Complaint.create(tracking=f"CC-T-{number}", customer=customer, status=status, due_resolve=naive(due),
                         created_at=naive(T0 - timedelta(days=20)), updated_at=naive(T0))
    for number, (state, created) in enumerate((("queued", T0 - timedelta(minutes=30)), ("sending", T0),
                                              ("failed", T0), ("held", T0), ("sent", T0))):
        OutgoingMail.create(kind="ack", recipient="a@example.az", message_id=f"m{number}@shop.test",
                            dedupe_key=f"k{number}", state=state, next_attempt_at=naive(T0),
                            created_at=naive(created))
    Message.create(direction="in", sha256="0" * 64, state="quarantined", received_at=naive(T0))
    health = read_health(T0, heartbeat_seconds=10)
    assert (health.outbox_pending, health.outbox_failed, health.outbox_held) == (2, 1, 1)
    assert health.outbox_oldest == T0 - timedelta(minutes=30)
    assert health.quarantined == 1 and health.overdue == 1
    text = prometheus_text(health)
    assert "gateway_outbox_pending 2.0" in text and "gateway_outbox_oldest_age_seconds 1800.0" in text
    assert "gateway_overdue_complaints 1.0" in text and "gateway_quarantined_messages 1.0" in text
    data = health.as_json()
    assert data["outbox_oldest"] == "2026-11-23T05:30:00+00:00" and data["ok"] is False


def test_overdue_is_what_list_overdue_lists(database):
    """One definition: a complaint waiting for the customer (the clock paused), answered or
    escalated is not overdue in `status` and /metrics either."""
    customer = Customer.create(email="a@example.az")
    for number, status in enumerate(("registered", "investigating", "waiting_customer", "resolved", "escalated",
                                     "closed", "reopened")):
        Complaint.create(tracking=f"CC-T-{number}", customer=customer, status=status,
                         due_resolve=naive(T0 - timedelta(hours=1)), created_at=naive(T0 - timedelta(days=20)),
                         updated_at=naive(T0))
    listed = {row["status"] for row in list_json(overdue=True, now=T0)}
    assert listed == {"registered", "investigating", "reopened"}
    assert read_health(T0, heartbeat_seconds=10).overdue == len(listed)


def test_prometheus_labels_are_escaped(database, listener):
    watcher = ImapWatcher(ImapInbound(host="h", username='we"ird\\name', folder="IN\nBOX"), lambda r, s: None)
    SourceBoard("h:1").publish([watcher, listener], T0)
    text = prometheus_text(read_health(T0, heartbeat_seconds=10))
    line = next(line for line in text.splitlines() if line.startswith("gateway_source_connected{source=\"imap"))
    assert '\\"' in line and "\\\\" in line and "\\n" in line and line.endswith(" 0.0")
    assert f'gateway_source_connected{{source="smtp:{listener.listen}",kind="smtp"}} 1.0' in text


def test_metrics_server_serves_metrics_and_status(database, listener):
    SourceBoard("h:1").publish([listener], T0)
    server = MetricsServer(f"127.0.0.1:{free_port()}", lambda: read_health(T0, 10), database).start()
    try:
        base = "http://%s:%d" % server.address
        with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            assert "gateway_source_connected{" in response.read().decode()
        with urllib.request.urlopen(base + "/status", timeout=10) as response:
            assert json.loads(response.read())["sources"][0]["connected"] is True
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(base + "/nothing", timeout=10)
        assert missing.value.code == 404
    finally:
        server.stop()


def test_status_cli_without_a_daemon(tmp_path):
    config = write_config(tmp_path)
    gateway(config, "ingest", "--now", "2026-11-23T10:00:00+04:00", input=mail())
    result = gateway(config, "status", "--json", check=False)
    assert result.returncode == 1  # no source reports: not healthy
    data = json.loads(result.stdout)
    assert data["sources"] == [] and data["outbox_pending"] == 2 and data["quarantined"] == 0
    text = gateway(config, "status", check=False).stdout.decode()
    assert "none published" in text and "outbox: 2 pending" in text


def test_outbox_age_of_a_row_dated_in_the_future_is_zero_not_negative(database):
    """A host whose clock runs ahead (or `tick --now`) queued it: no negative age in the metrics."""
    OutgoingMail.create(kind="ack", recipient="a@example.az", message_id="future@shop.test", dedupe_key="future",
                        state="queued", next_attempt_at=naive(T0), created_at=naive(T0 + timedelta(minutes=7)))
    text = prometheus_text(read_health(T0, heartbeat_seconds=10))
    assert "gateway_outbox_oldest_age_seconds 0.0" in text
    assert not any(line.split()[-1].startswith("-") for line in text.splitlines() if not line.startswith("#"))
