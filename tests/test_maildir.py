"""Maildir sources: the spool `gateway deliver` fills and a Maildir another program writes,
taken by a real daemon; and the watcher's exactly-once rules against a plain sink."""
from __future__ import annotations

import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.service.sources.maildir import BATCH, Folders, MaildirWatcher
from gateway.service.spool import ensure
from gatewaykit import REPO, DaemonProcess, listing, mail, outgoing, wait_for, write_config
from servers import free_port

LDA = """
import os, sys, time
box, raw = sys.argv[1], sys.stdin.buffer.read()
name = f"{time.time_ns()}.P{os.getpid()}.lda"
with open(os.path.join(box, "tmp", name), "wb") as f:
    f.write(raw); f.flush(); os.fsync(f.fileno())
os.rename(os.path.join(box, "tmp", name), os.path.join(box, "new", name))
"""


def lda(box: Path, raw: bytes) -> None:
    """Another program (a stand-in for Dovecot's LDA) writing the Maildir the usual way."""
    box.mkdir(parents=True, exist_ok=True)
    for sub in ("tmp", "new", "cur"):
        (box / sub).mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-c", LDA, str(box)], input=raw, check=True, timeout=30)


def deliver(config: Path, raw: bytes) -> None:
    result = subprocess.run([sys.executable, "-m", "gateway", "--config", str(config), "deliver"], input=raw,
                            capture_output=True, timeout=60, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr


def test_daemon_takes_spool_and_external_maildir(tmp_path):
    config = write_config(tmp_path, smtp_port=free_port(), extra='\n[[inbound.maildir]]\npath = "external"\n')
    spool, external = tmp_path / "storage" / "spool", tmp_path / "external"
    deliver(config, mail(sender="before@example.az", subject="Spooled while no daemon ran"))
    with DaemonProcess(config) as daemon:
        wait_for(lambda: len(listing(config)) == 1, timeout=60)
        deliver(config, mail(sender="during@example.az", subject="Delivered to a running daemon"))
        lda(external, mail(sender="lda@example.az", subject="Written by the LDA"))
        wait_for(lambda: len(listing(config)) == 3, timeout=30)
        wait_for(lambda: not list((spool / "new").iterdir()) and not list((external / "new").iterdir()), timeout=10)
        assert len(list((external / ".Processed" / "cur").iterdir())) == 1
        wait_for(lambda: len(outgoing(config)) >= 3, timeout=30)  # acknowledgements and staff notices leave
        assert daemon.stop() == 0
    assert not list((spool / "cur").iterdir())


@dataclass
class Outcome:
    state: str = "processed"

    @property
    def quarantined(self) -> bool:
        return self.state == "quarantined"


def put(box: Path, name: str, raw: bytes) -> Path:
    ensure(box)
    (box / "new" / name).write_bytes(raw)
    return box / "new" / name


def test_committed_spool_mail_is_removed_in_batches_oldest_first(tmp_path):
    seen: list[list[bytes]] = []
    for i in range(BATCH + 3):
        put(tmp_path, f"{1000 + i}.x", str(i).encode())
    watcher = MaildirWatcher(tmp_path, lambda raws, source: (seen.append(list(raws)), [Outcome()] * len(raws))[1],
                             source="spool")
    assert watcher.take_once() == BATCH + 3
    assert [len(b) for b in seen] == [BATCH, 3] and seen[0][0] == b"0"
    assert not list((tmp_path / "new").iterdir())


def test_nothing_leaves_when_the_sink_cannot_store(tmp_path):
    put(tmp_path, "1.x", b"a")

    def away(raws, source):
        raise ConnectionError("database away")

    watcher = MaildirWatcher(tmp_path, away, source="spool")
    with pytest.raises(ConnectionError):
        watcher.take_once()
    assert (tmp_path / "new" / "1.x").exists()


def test_external_maildir_moves_to_processed_and_quarantine(tmp_path):
    put(tmp_path, "1.ok", b"fine")
    put(tmp_path, "2.bad", b"poison")
    ensure(tmp_path)
    (tmp_path / "cur" / "3.read:2,S").write_bytes(b"read by a client")
    states = {b"fine": "processed", b"poison": "quarantined", b"read by a client": "processed"}
    watcher = MaildirWatcher(tmp_path, lambda raws, s: [Outcome(states[r]) for r in raws], source="maildir",
                             folders=Folders("Processed", "Quarantine"))
    assert watcher.take_once() == 3
    assert sorted(p.name for p in (tmp_path / ".Processed" / "cur").iterdir()) == ["1.ok:2,S", "3.read:2,S"]
    assert [p.name for p in (tmp_path / ".Quarantine" / "cur").iterdir()] == ["2.bad:2,S"]
    assert watcher.take_once() == 0  # subfolders are not the inbox


def test_a_huge_file_is_read_only_up_to_the_limit(tmp_path):
    put(tmp_path, "1.big", b"x" * 1000)
    got: list[int] = []
    watcher = MaildirWatcher(tmp_path, lambda raws, s: (got.extend(len(r) for r in raws), [Outcome()])[1],
                             source="spool", read_limit=100)
    watcher.take_once()
    assert got == [100]


def test_run_stops_on_request(tmp_path):
    stop = threading.Event()
    watcher = MaildirWatcher(tmp_path / "box", lambda raws, s: [Outcome()] * len(raws), source="spool",
                             poll_seconds=0.01)
    thread = threading.Thread(target=watcher.run, args=(stop,))
    thread.start()
    put(tmp_path / "box", "1.x", b"a")
    wait_for(lambda: not (tmp_path / "box" / "new" / "1.x").exists(), timeout=5)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_check_validates_the_new_keys(tmp_path):
    from gatewaykit import gateway
    (tmp_path / "blocker").write_text("a file, not a directory")
    extra = ('\n[inbound.lmtp]\nlisten = "127.0.0.1:2525"\n'
             '[[inbound.maildir]]\npath = "blocker/box"\n'
             '[[inbound.maildir]]\npath = "storage/spool"\nprocessed_folder = "a/b"\nquarantine_folder = "a/b"\n')
    config = write_config(tmp_path, extra=extra)
    result = gateway(config, "check", check=False)
    out = result.stdout.decode()
    assert result.returncode == 2
    for words in ("blocker is not a directory", "is also storage.spool",
                  "must be a plain name", "must differ", "inbound.lmtp.listen: 127.0.0.1:2525 is also"):
        assert words in out, out
    lines = config.read_text().splitlines()  # each problem at the line of its key
    second_box = [n for n, text in enumerate(lines, 1) if text == "[[inbound.maildir]]"][1]
    lmtp = lines.index('listen = "127.0.0.1:2525"', lines.index("[inbound.lmtp]")) + 1
    assert f"gateway.toml:{second_box}: inbound.maildir[1]: processed_folder and quarantine_folder must differ" in out
    assert f"gateway.toml:{lmtp}: inbound.lmtp.listen: " in out
    for bad in ('\n[inbound]\nspool_poll_seconds = 0\n', '\n[[inbound.maildir]]\npath = "x"\npoll_seconds = -1\n'):
        refused = gateway(write_config(tmp_path / "poll", extra=bad), "check", check=False)
        assert refused.returncode == 2 and b"poll_seconds: must be above 0" in refused.stderr  # the config's load
    good = write_config(tmp_path / "good", extra='\n[inbound.lmtp]\nlisten = "127.0.0.1:2424"\n'
                                                  '[[inbound.maildir]]\npath = "external"\n')
    assert gateway(good, "check", check=False).returncode == 0


def test_lmtp_listener_stores_mail(tmp_path):
    import smtplib
    port = free_port()
    config = write_config(tmp_path, smtp_port=free_port(), extra=f'\n[inbound.lmtp]\nlisten = "127.0.0.1:{port}"\n')
    with DaemonProcess(config) as daemon:
        daemon.wait_listening(int(config.read_text().split("listen = \"127.0.0.1:")[1].split('"')[0]))
        with smtplib.LMTP("127.0.0.1", port, timeout=30) as client:
            refused = client.sendmail("aysel@example.az", ["care@shop.test"], mail())
        assert refused == {}
        wait_for(lambda: len(listing(config)) == 1, timeout=30)
        assert daemon.stop() == 0


def test_a_symlink_planted_in_new_is_not_read(tmp_path):
    secret = tmp_path / "secret"
    secret.write_bytes(b"not mail")
    ensure(tmp_path / "box")
    (tmp_path / "box" / "new" / "1.link").symlink_to(secret)
    got: list[bytes] = []
    watcher = MaildirWatcher(tmp_path / "box", lambda raws, s: (got.extend(raws), [Outcome()] * len(raws))[1],
                             source="maildir", folders=Folders("Processed", "Quarantine"))
    assert watcher.take_once() == 0 and got == []


def test_files_left_in_tmp_for_36_hours_are_removed_and_fresh_ones_kept(tmp_path):
    """A `deliver` killed between create and rename leaves a tmp file; a living writer's stays."""
    import os
    ensure(tmp_path / "box")
    old, fresh = tmp_path / "box" / "tmp" / "old", tmp_path / "box" / "tmp" / "fresh"
    old.write_bytes(b"half a mail")
    fresh.write_bytes(b"being written")
    now = 2_000_000_000.0
    os.utime(old, (now - 37 * 3600, now - 37 * 3600))
    os.utime(fresh, (now - 35 * 3600, now - 35 * 3600))
    watcher = MaildirWatcher(tmp_path / "box", lambda raws, source: [], source="spool")
    assert watcher.clean_tmp(now) == 1
    assert not old.exists() and fresh.exists()
    assert MaildirWatcher(tmp_path / "absent", lambda raws, source: [], source="spool").clean_tmp(now) == 0
