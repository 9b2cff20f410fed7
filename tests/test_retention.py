"""Retention purge and the subject access export, through the CLI on real ingested mail."""
from __future__ import annotations

import hashlib
import json
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from gateway.jobs.retention import KEPT_EVENT_DETAILS, blob_path, purge_cutoff
from gateway.store.archive import Archive
from gateway.store.migrate import open_database
from gateway.store.models import AttachmentRecord, Complaint, Event, Message
from gatewaykit import DaemonProcess, gateway, show, wait_for, write_config
from servers import free_port

AYSEL, BOB, CAROL = "aysel@example.az", "bob@example.com", "carol@example.com"
SECRET = "The parcel with my grandmother's ring never came"
PDF = b"%PDF-1.4 receipt of order 4711 for Aysel Mammadova"


def complaint_mail(sender: str, name: str, subject: str, body: str, attachment: bytes | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = f"{name} <{sender}>", "care@shop.test", subject
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[1])
    msg.set_content(body)
    if attachment:
        msg.add_attachment(attachment, maintype="application", subtype="pdf", filename="receipt-aysel.pdf")
    return msg.as_bytes()


def ingest(config: Path, raw: bytes, now: str) -> str:
    line = gateway(config, "ingest", "--now", now, input=raw).stdout.decode()
    assert line.startswith("-: processed CC-"), line
    return line.split()[2]


def close(config: Path, tracking: str, closed_at: str) -> None:
    """Test setup: the complaint's life in between is not what is tested here."""
    database = open_database(f"sqlite:///{config.parent / 'storage' / 'gateway.db'}")
    Complaint.update(status="closed", closed_at=closed_at, resolved_at=closed_at).where(
        Complaint.tracking == tracking).execute()
    database.close()


@pytest.fixture
def desk(tmp_path: Path) -> dict:
    config = write_config(tmp_path, extra="[retention]\npurge_closed_after_days = 30\n")
    old = ingest(config, complaint_mail(AYSEL, "Aysel Mammadova", "Lost parcel",
                                        f"{SECRET}. Phone +994 50 123 45 67.", PDF), "2026-09-01T10:00:00+04:00")
    bob = ingest(config, complaint_mail(BOB, "Bob Smith", "Broken kettle", "The kettle leaks. +994 55 765 43 21"),
                 "2026-09-02T10:00:00+04:00")
    carol = ingest(config, complaint_mail(CAROL, "Carol Jones", "Wrong size", "The shoes are too small."),
                   "2026-11-02T10:00:00+04:00")
    fresh = ingest(config, complaint_mail(AYSEL, "Aysel Mammadova", "Another problem", "The lamp flickers."),
                   "2026-11-20T10:00:00+04:00")
    gateway(config, "tick", "--now", "2026-11-20T10:01:00+04:00")  # acknowledgements sent and archived
    close(config, old, "2026-09-10 10:00:00")
    close(config, bob, "2026-09-11 10:00:00")
    close(config, carol, "2026-11-10 10:00:00")  # closed 15 days before: kept
    return {"config": config, "old": old, "bob": bob, "carol": carol, "fresh": fresh,
            "archive": Archive(tmp_path / "storage" / "archive")}


def report_csv(config: Path) -> str:
    period = ("--since", "2026-08-01", "--until", "2026-12-01")
    return gateway(config, "report", *period, "--format", "csv").stdout.decode()


def test_purge_forgets_personal_data_and_keeps_the_figures(desk):
    config, archive = desk["config"], desk["archive"]
    before = show(config, desk["old"])
    assert SECRET in before["messages"][0]["text"] and before["customer"]["phone"]
    raw_paths = [archive.path_for(m["sha256"]) for m in before["messages"]]
    assert len(raw_paths) >= 2 and all(p.exists() for p in raw_paths)  # the mail and our acknowledgement
    figures = report_csv(config)
    messages = len(before["messages"]) + len(show(config, desk["bob"])["messages"])

    result = gateway(config, "purge", "--now", "2026-11-25T10:00:00+04:00")
    files = messages + 1  # every raw mail in and out, and the one attachment
    assert result.stdout.decode().strip() == f"purge: complaints=2 messages={messages} files={files} customers=1"
    assert SECRET not in result.stderr.decode()

    after = show(config, desk["old"])
    assert after["status"] == "closed" and after["category"] == before["category"]
    assert after["created_at"] == before["created_at"] and after["priority"] == before["priority"]
    assert after["subject"] == "" and all(m["text"] == "" and m["subject"] == "" for m in after["messages"])
    assert not any(p.exists() for p in raw_paths)
    assert all(e["detail"] == "" for e in after["events"] if e["kind"] not in KEPT_EVENT_DETAILS)
    assert all(e["actor"] != AYSEL for e in after["events"])
    assert after["events"][-1]["kind"] == "purged"
    assert after["customer"]["email"] == AYSEL and after["customer"]["name"]  # her newer complaint is open
    assert SECRET not in json.dumps(after)

    database = open_database(f"sqlite:///{config.parent / 'storage' / 'gateway.db'}")
    assert AttachmentRecord.select().count() == 0
    assert not blob_path(archive, hashlib.sha256(PDF).hexdigest()).exists()
    bob = Complaint.get(Complaint.tracking == desk["bob"]).customer
    assert (bob.name, bob.phone) == ("", "") and bob.email == f"purged-{bob.id}@invalid"
    assert not Message.select().where(Message.sender == BOB).exists()
    carol = Complaint.get(Complaint.tracking == desk["carol"])
    assert carol.subject == "Wrong size" and carol.customer.name == "Carol Jones"
    assert not Event.select().where((Event.complaint == carol) & (Event.kind == "purged")).exists()
    database.close()

    assert report_csv(config) == figures  # the anonymous figures did not change
    again = gateway(config, "purge", "--now", "2026-11-26T10:00:00+04:00").stdout.decode()
    assert again.strip() == "purge: complaints=0 messages=0 files=0 customers=0"


def test_purge_is_off_without_retention_days(tmp_path):
    config = write_config(tmp_path)
    assert "retention is off" in gateway(config, "purge").stdout.decode()


def test_cutoff():
    from datetime import datetime, timezone
    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    assert purge_cutoff(now, 0) is None
    assert purge_cutoff(now, 30) == datetime(2026, 10, 26, tzinfo=timezone.utc)


def test_export_holds_everything_about_one_customer(desk, tmp_path):
    config = desk["config"]
    out = tmp_path / "aysel.json"
    gateway(config, "export", "--customer", "Aysel@Example.az", "--output", str(out))
    data = json.loads(out.read_text("utf-8"))
    assert data["customer"]["email"] == AYSEL and data["customer"]["name"] == "Aysel Mammadova"
    assert {c["tracking"] for c in data["complaints"]} == {desk["old"], desk["fresh"]}
    old = next(c for c in data["complaints"] if c["tracking"] == desk["old"])
    incoming = next(m for m in old["messages"] if m["direction"] == "in")
    assert SECRET in incoming["text"] and SECRET in incoming["raw"] and Path(incoming["raw_path"]).exists()
    (attachment,) = incoming["attachments"]
    assert attachment["filename"] == "receipt-aysel.pdf" and Path(attachment["path"]).read_bytes() == PDF
    assert any(m["direction"] == "out" and m["raw"] for m in old["messages"])  # what we sent her
    assert BOB not in out.read_text("utf-8") and CAROL not in out.read_text("utf-8")
    assert show(config, desk["old"])["events"][-1]["kind"] == "exported"
    assert show(config, desk["bob"])["events"][-1]["kind"] != "exported"


def test_export_of_an_unknown_or_purged_address(desk):
    config = desk["config"]
    assert gateway(config, "export", "--customer", "nobody@example.org", check=False).returncode == 1
    gateway(config, "purge", "--now", "2026-11-25T10:00:00+04:00")
    assert gateway(config, "export", "--customer", BOB, check=False).returncode == 1


def test_the_daemon_purges_soon_after_start(desk):
    config, port = desk["config"], free_port()
    config.write_text(config.read_text().replace('listen = "127.0.0.1:2525"', f'listen = "127.0.0.1:{port}"'))
    with DaemonProcess(config) as daemon:
        daemon.wait_listening(port)
        wait_for(lambda: show(config, desk["old"])["events"][-1]["kind"] == "purged", timeout=30)
        assert daemon.stop() == 0
        assert "msg=\"retention purge\" complaints=2 " in daemon.output() and SECRET not in daemon.output()
    assert show(config, desk["carol"])["subject"] == "Wrong size"
