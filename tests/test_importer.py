"""`gateway import`: an mbox with replies out of order, a Maildir, resuming, no mail sent."""
from __future__ import annotations

import mailbox
from datetime import datetime, timezone

from gateway.jobs.importer import message_date
from gatewaykit import gateway, listing, mail, outgoing, show, write_config

NOW = "2026-11-30T12:00:00+04:00"


def dated(raw: bytes, date: str) -> bytes:
    return raw.replace(b"Date: Mon, 23 Nov 2026 10:00:00 +0400", f"Date: {date}".encode())


def history() -> list[bytes]:
    """A complaint, the customer's reply and a second customer's complaint, written out of order."""
    first = dated(mail(sender="aysel@example.az", subject="Sifariş gecikir", body="Sifarişim 10 gündür gəlmir.",
                       message_id="<first@example.az>"), "Mon, 2 Nov 2026 10:00:00 +0400")
    reply = dated(mail(sender="aysel@example.az", subject="Re: Sifariş gecikir", body="Hələ də gəlməyib.",
                       message_id="<reply@example.az>", in_reply_to="<first@example.az>",
                       references="<first@example.az>"), "Wed, 4 Nov 2026 10:00:00 +0400")
    other = dated(mail(sender="ivan@example.ru", subject="Возврат денег", body="Прошу вернуть деньги за заказ.",
                       message_id="<other@example.ru>"), "Tue, 3 Nov 2026 09:00:00 +0400")
    return [reply, other, first]  # the reply first: only date order threads it


def write_mbox(path, raws: list[bytes]) -> None:
    box = mailbox.mbox(path)
    for raw in raws:
        box.add(raw)
    box.flush()
    box.close()


def test_mbox_out_of_order_threads_sends_nothing_and_resumes(tmp_path):
    config = write_config(tmp_path)
    write_mbox(tmp_path / "old.mbox", history())
    result = gateway(config, "import", "--now", NOW, str(tmp_path / "old.mbox"))
    assert "3 message(s)" in result.stdout.decode() and "3 processed" in result.stdout.decode()
    complaints = listing(config)
    assert len(complaints) == 2
    aysel = next(c for c in complaints if "aysel" in str(c))
    detail = show(config, aysel["tracking"])
    assert len(detail["messages"]) == 2  # the reply joined the complaint its earlier mail opened
    assert aysel["created_at"].startswith("2026-11-02T06:00")  # processed at its own date, deadlines from it
    assert aysel["due"]["acknowledge"] < "2026-11-30"
    assert outgoing(config) == [] and detail["outgoing"] == []  # history is not news: nothing queued
    gateway(config, "tick", "--now", NOW)  # past deadlines were settled at import: no surprise mail later
    assert outgoing(config) == []
    again = gateway(config, "import", "--now", NOW, str(tmp_path / "old.mbox")).stdout.decode()
    assert "3 duplicate" in again and len(listing(config)) == 2


def test_import_keeps_a_different_mail_under_a_clashing_message_id(tmp_path):
    """History from a client that reused Message-IDs: two mails, two complaints; the same mail
    twice (a second copy with another Received header) is still one."""
    config = write_config(tmp_path)
    aysel = dated(mail(sender="aysel@example.az", subject="Sifariş gecikir", body="Sifarişim gəlmir.",
                       message_id="<reused@example.az>"), "Mon, 2 Nov 2026 10:00:00 +0400")
    ivan = dated(mail(sender="ivan@example.ru", subject="Возврат денег", body="Прошу вернуть деньги.",
                      message_id="<reused@example.az>"), "Tue, 3 Nov 2026 10:00:00 +0400")
    copy = b"Received: from relay2 by mx; Mon, 2 Nov 2026 10:01:00 +0400\n" + aysel
    write_mbox(tmp_path / "old.mbox", [aysel, ivan, copy])
    out = gateway(config, "import", "--now", NOW, str(tmp_path / "old.mbox")).stdout.decode()
    assert "1 duplicate, 2 processed" in out, out
    assert sorted(c["customer"]["email"] for c in listing(config)) == ["aysel@example.az", "ivan@example.ru"]


def test_maildir_import_with_notify_queues_acknowledgements(tmp_path):
    config = write_config(tmp_path)
    box = mailbox.Maildir(tmp_path / "Maildir")
    for raw in history():
        box.add(raw)
    gateway(config, "import", "--notify", "--now", NOW, str(tmp_path / "Maildir"))
    assert len(listing(config)) == 2
    gateway(config, "tick", "--now", NOW)
    assert outgoing(config)


def test_unreadable_source_exits_1(tmp_path):
    config = write_config(tmp_path)
    (tmp_path / "plain").mkdir()
    assert gateway(config, "import", str(tmp_path / "absent.mbox"), check=False).returncode == 1
    assert gateway(config, "import", str(tmp_path / "plain"), check=False).returncode == 1


def test_message_date_falls_back_and_never_lies_ahead():
    now = datetime(2026, 11, 30, tzinfo=timezone.utc)
    assert message_date(b"Subject: x\n\n", now) == now
    assert message_date(b"Date: garbage\n\n", now) == now
    assert message_date(b"Date: Tue, 1 Jan 2030 00:00:00 +0000\n\n", now) == now
    assert message_date(b"Date: Mon, 2 Nov 2026 10:00:00 +0400\n\n", now) == datetime(2026, 11, 2, 6, tzinfo=timezone.utc)
    assert message_date(b"Date: Thu, 01 Jan 1970 00:00:00 +0000\n\n", now) == now  # a sender's clock, not history
    assert message_date(b"Date: Sat, 01 Jan 2000 00:00:00 +0000\n\n", now) == now
    earlier = datetime(2026, 11, 2, tzinfo=timezone.utc)
    assert message_date(b"Date: Thu, 01 Jan 1970 00:00:00 +0000\n\n", now, earlier) == earlier
    assert message_date(b"Date: Mon, 2 Nov 2015 10:00:00 +0000\n\n", now) == datetime(2015, 11, 2, 10, tzinfo=timezone.utc)


def test_a_1970_date_in_imported_history_takes_its_neighbours_date(tmp_path):
    """Deadlines never start in 1970: the message keeps its place after the one before it."""
    config = write_config(tmp_path)
    first = dated(mail(sender="aysel@example.az", subject="Sifariş gecikir", body="Sifarişim gəlmir.",
                       message_id="<first@example.az>"), "Mon, 2 Nov 2026 10:00:00 +0400")
    broken = dated(mail(sender="ivan@example.ru", subject="Возврат денег", body="Прошу вернуть деньги.",
                        message_id="<clock@example.ru>"), "Thu, 01 Jan 1970 00:00:00 +0000")
    write_mbox(tmp_path / "old.mbox", [first, broken])
    gateway(config, "import", "--now", NOW, str(tmp_path / "old.mbox"))
    ivan = next(c for c in listing(config) if c["customer"]["email"] == "ivan@example.ru")
    assert ivan["created_at"].startswith("2026-11-02T06:00") and ivan["due"]["acknowledge"] > "2026-11-02"


def test_ctrl_c_stops_after_the_batch_in_hand_and_running_again_resumes(tmp_path):
    """SIGINT: exit 130, one line saying how far it got and to run it again; no traceback. The
    second run adds exactly the rest, and the past deadlines of both parts stay settled (no mail)."""
    import signal
    import sqlite3
    import subprocess
    import sys
    import time
    config = write_config(tmp_path)
    raws = [dated(mail(sender=f"c{i}@example.az", subject="Sifariş gecikir", body=f"Sifariş {i} gəlmir.",
                       message_id=f"<bulk-{i}@example.az>"), f"Mon, 2 Nov 2026 {8 + i // 60:02d}:{i % 60:02d}:00 +0400")
            for i in range(400)]
    write_mbox(tmp_path / "old.mbox", raws)
    gateway(config, "migrate")
    database = tmp_path / "storage" / "gateway.db"
    process = subprocess.Popen([sys.executable, "-m", "gateway", "--config", str(config), "import", "--now", NOW,
                                str(tmp_path / "old.mbox")], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with sqlite3.connect(database) as reader:
        while process.poll() is None and not reader.execute("SELECT count(*) FROM message").fetchone()[0]:
            time.sleep(0.02)  # until the first batch is committed
    process.send_signal(signal.SIGINT)
    err = process.communicate(timeout=300)[1]
    text = err.decode()
    assert process.returncode == 130 and "Traceback" not in text, text
    assert "interrupted after " in text and " of 400 message(s)" in text and "run the same command again" in text
    stored = len(listing(config))
    assert 0 < stored < 400
    again = gateway(config, "import", "--now", NOW, str(tmp_path / "old.mbox")).stdout.decode()
    assert f"{stored} duplicate, {400 - stored} processed" in again, again
    assert len(listing(config)) == 400
    gateway(config, "tick", "--now", NOW)
    assert outgoing(config) == []
