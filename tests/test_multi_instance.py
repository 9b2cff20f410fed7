"""Several `gateway run` daemons on one PostgreSQL and one Dovecot mailbox (issue 9).

Every daemon is a real subprocess with its own config directory; they share the
database and, like hosts sharing a mounted volume, the storage directory (raw
archive, outgoing maildir). The test reads the outcome from the database, the
mailbox and the files the outbox wrote.
"""
from __future__ import annotations

import email
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest

from gateway.store.migrate import open_database
from gateway.store.models import Complaint, Event, Lease, Message, OutgoingMail
from gatewaykit import DaemonProcess, gateway, mail, write_config
from servers import PrivateDovecot, SmtpPeer, free_port, wait_until

LEASE_SECONDS = 5.0  # production default is 30; the failover path is the same
CLAIM_SECONDS = 4.0  # a killed daemon's outbox claims (production: 180), judged on the database's clock
WAIT = 120.0


class Node:
    """One gateway instance: config dir, SMTP port, and (while running) its process."""

    def __init__(self, root: Path, index: int, database: str, shared: Path, imap: str, transport_extra: str = "",
                 transport: str = "maildir"):
        self.dir = root / f"node{index}"
        self.port = free_port()
        self.config = write_config(self.dir, database=database, smtp_port=self.port, extra=imap,
                                   transport=transport,
                                   outbound_extra=f"claim_seconds = {CLAIM_SECONDS}\n{transport_extra}")
        (self.dir / "storage").symlink_to(shared)
        self.daemon: DaemonProcess | None = None

    def start(self) -> "Node":
        self.daemon = DaemonProcess(self.config)
        self.daemon.wait_listening(self.port)
        return self

    @property
    def pid(self) -> int:
        return self.daemon.proc.pid if self.daemon else -1

    def log(self) -> str:
        path = self.dir / "daemon.log"
        return path.read_text("utf-8", "replace") if path.exists() else ""


class Cluster:
    def __init__(self, root: Path, database: str, dovecot: PrivateDovecot, count: int, **transport: str):
        self.dovecot, self.account = dovecot, dovecot.add_user()
        (root / "imap.secret").write_text(self.account.password + "\n")
        imap = (f'[[inbound.imap]]\nhost = "{dovecot.host}"\nport = {dovecot.imap_port}\nsecurity = "none"\n'
                f'username = "{self.account.username}"\npassword_file = "{root / "imap.secret"}"\n'
                f"lease_seconds = {LEASE_SECONDS}\nbatch_size = 50\n")
        self.shared = root / "shared"
        self.shared.mkdir()
        self.nodes = [Node(root, n, database, self.shared, imap, **transport) for n in range(count)]

    def start(self) -> "Cluster":
        for node in self.nodes:
            node.start()
        return self

    def holder(self) -> Node | None:
        row = Lease.get_or_none()
        pid = int(row.holder.split(":")[1]) if row else -1
        return next((n for n in self.nodes if n.pid == pid and n.daemon.proc.poll() is None), None)

    def stop(self) -> None:
        for node in self.nodes:
            if node.daemon and node.daemon.proc.poll() is None:
                assert node.daemon.stop() == 0, node.log()

    def close(self) -> None:
        for node in self.nodes:
            if node.daemon:
                node.daemon.__exit__()

    def outgoing_files(self) -> list[email.message.Message]:
        return [email.message_from_bytes(p.read_bytes()) for p in (self.shared / "outgoing").glob("*.eml")]


@pytest.fixture
def database_url(postgres) -> Iterator[str]:
    url = postgres.create_database()
    database = open_database(url)  # the test reads the outcome through the same models
    yield url
    database.close()


def customer_mail(n: int) -> bytes:
    return mail(sender=f"customer{n:04d}@example.az", subject=f"Order {n} has not arrived",
                body=f"I ordered item {n} two weeks ago and it has not arrived yet.",
                message_id=f"<order-{n:04d}@example.az>")


def append_all(dovecot: PrivateDovecot, username: str, messages: list[bytes]) -> None:
    with dovecot.connect(username) as client:
        client.multiappend("INBOX", messages)


def folder_size(dovecot: PrivateDovecot, username: str, folder: str = "INBOX") -> int:
    with dovecot.connect(username) as client:
        return client.select_folder(folder, readonly=True)[b"EXISTS"]


def processed() -> int:
    return Message.select().where(Message.direction == "in").count()


def send_the_rest(config: Path) -> None:
    """`tick` until nothing is left to send: rows a stopped or killed daemon had claimed
    return once their claim expires on the database's clock (CLAIM_SECONDS)."""
    def tick() -> bool:
        later = (datetime.now(timezone.utc) + timedelta(minutes=10)).isoformat()
        gateway(config, "tick", "--now", later)
        return not OutgoingMail.select().where(OutgoingMail.state.in_(("queued", "sending"))).exists()
    wait_until(tick, WAIT, "every outgoing row sent", interval=1.0)


def assert_one_complaint_and_one_ack_each(count: int, files: list[email.message.Message]) -> None:
    incoming = list(Message.select().where(Message.direction == "in"))
    assert len(incoming) == count
    assert {m.message_id for m in incoming} == {f"order-{n:04d}@example.az" for n in range(count)}
    assert all(m.state == "processed" and m.complaint_id for m in incoming)
    assert Complaint.select().count() == count
    acks = list(OutgoingMail.select().where(OutgoingMail.kind == "ack"))
    assert sorted(a.complaint_id for a in acks) == sorted(m.complaint_id for m in incoming)
    assert {a.state for a in OutgoingMail.select()} == {"sent"}
    ack_files = [f for f in files if f["Message-ID"].strip("<>") in {a.message_id for a in acks}]
    assert len(ack_files) == count  # the maildir names files by Message-ID: one file per row
    assert len(files) == OutgoingMail.select().count()


@pytest.mark.parametrize("instances, count", [pytest.param(2, 200, id="2-daemons-fast"),
                                               pytest.param(3, 500, id="3-daemons-500")])
def test_daemons_share_one_mailbox_and_survive_a_sigkill(tmp_path, postgres, dovecot, database_url, instances,
                                                         count):
    """The mailbox holder is SIGKILLed mid-way; another takes over and catches up by
    UID; the first 100 messages also arrive through the MTA pipe on another node.
    Every message ends with exactly one complaint and one acknowledgement."""
    cluster = Cluster(tmp_path, database_url, dovecot, instances)
    raws = [customer_mail(n) for n in range(count)]
    pipe_files = []
    for n, raw in enumerate(raws[:100]):
        pipe_files.append(tmp_path / f"pipe{n}.eml")
        pipe_files[-1].write_bytes(raw)
    append_all(dovecot, cluster.account.username, raws)
    try:
        cluster.start()
        first = wait_until(cluster.holder, WAIT, "a daemon to take the mailbox lease")
        other = next(n for n in cluster.nodes if n is not first)
        pipe = subprocess.Popen([sys.executable, "-m", "gateway", "--config", str(other.config), "ingest",
                                 *map(str, pipe_files)], cwd=other.dir, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        wait_until(lambda: processed() >= count * 3 // 10, WAIT, "a third processed", interval=0.05)
        os.kill(first.pid, signal.SIGKILL)
        first.daemon.proc.wait(10)
        second = wait_until(lambda: (h := cluster.holder()) and h is not first and h, WAIT,
                            "another daemon to take the mailbox over")
        wait_until(lambda: processed() == count and folder_size(dovecot, cluster.account.username) == 0,
                   WAIT, "every message processed and moved", interval=0.2)
        pipe_out, pipe_err = pipe.communicate(timeout=WAIT)
        assert pipe.returncode == 0, pipe_err.decode()
        cluster.stop()
    finally:
        cluster.close()

    assert f"lease=imap://{cluster.account.username}" in second.log() and 'msg="lease taken"' in second.log()
    lines = pipe_out.decode().splitlines()
    assert len(lines) == 100 and all(" processed " in x or " duplicate " in x for x in lines)
    assert folder_size(dovecot, cluster.account.username, "Processed") == count
    assert folder_size(dovecot, cluster.account.username, "Quarantine") == 0
    # rows the killed daemon had claimed but not sent wait out the outbox claim, then go out
    send_the_rest(cluster.nodes[1].config)
    assert_one_complaint_and_one_ack_each(count, cluster.outgoing_files())


def test_deadline_actions_fire_once_across_instances(tmp_path, postgres, database_url):
    """Three instances sweep the same due complaints at once; the relay sees every
    reminder, escalation and delay notice exactly once."""
    with SmtpPeer() as peer:
        extra = f'[outbound.smtp]\nhost = "127.0.0.1"\nport = {peer.port}\nsecurity = "none"\n'
        nodes = [write_config(tmp_path / f"node{n}", database=database_url, transport="smtp", outbound_extra=extra)
                 for n in range(3)]
        files = []
        for n in range(60):
            files.append(tmp_path / f"m{n}.eml")
            files[-1].write_bytes(customer_mail(n))
        start = "2026-11-23T10:00:00+04:00"
        gateway(nodes[0], "ingest", "--now", start, *map(str, files))
        gateway(nodes[0], "tick", "--now", start)
        sent_before = len(peer.messages)
        assert sent_before == OutgoingMail.select().count() > 0

        later = "2026-12-18T12:00:00+04:00"  # past every acknowledge and resolve deadline
        ticks = [subprocess.Popen([sys.executable, "-m", "gateway", "--config", str(c), "tick", "--now", later],
                                  cwd=c.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for c in nodes]
        outputs = [(t.wait(WAIT), t.stdout.read().decode(), t.stderr.read().decode()) for t in ticks]
        assert [code for code, _, _ in outputs] == [0, 0, 0], outputs
        received = peer.messages[sent_before:]

    ids = [email.message_from_bytes(r.data)["Message-ID"].strip("<>") for r in received]
    assert len(ids) == len(set(ids))  # nothing sent twice
    rows = list(OutgoingMail.select().where(OutgoingMail.created_at > datetime(2026, 11, 24)))
    assert sorted(r.message_id for r in rows) == sorted(ids) and {r.state for r in rows} == {"sent"}
    actions = list(Event.select().where(Event.key.is_null(False) & (Event.actor == "scheduler")))
    assert {a.complaint_id for a in actions} == {c.id for c in Complaint.select()}  # every complaint had its due
    per_instance = [int(out.split("actions=")[1].split(";")[0]) for _, out, _ in outputs]
    assert sum(per_instance) == len(actions)  # each action done by exactly one of the three


def test_postgres_restart_under_load_loses_and_quarantines_nothing(tmp_path, postgres, dovecot, database_url):
    """The database goes away while mail keeps arriving: nothing is quarantined or moved,
    each daemon logs the outage once, and all recover without a restart."""
    count = 200
    cluster = Cluster(tmp_path, database_url, dovecot, 2)
    raws = [customer_mail(n) for n in range(count)]
    try:
        cluster.start()
        wait_until(cluster.holder, WAIT, "a daemon to take the mailbox lease")
        append_all(dovecot, cluster.account.username, raws[:100])
        wait_until(lambda: processed() >= 30, WAIT, "30 messages processed", interval=0.05)
        postgres.stop()
        for raw in raws[100:]:
            dovecot.deliver(cluster.account.username, raw)
        wait_until(lambda: any("database unavailable" in n.log() for n in cluster.nodes), WAIT,
                   "a daemon to notice the outage")
        postgres.start()
        wait_until(lambda: processed() == count and folder_size(dovecot, cluster.account.username) == 0,
                   WAIT, "every message processed after the restart", interval=0.2)
        assert all(n.daemon.proc.poll() is None for n in cluster.nodes)  # recovered without a restart
        cluster.stop()
    finally:
        cluster.close()
        postgres.start() if postgres._pid() is None else None

    logs = [n.log() for n in cluster.nodes]
    assert all(log.count("database unavailable") <= 1 for log in logs), logs
    assert sum(log.count("database available again") for log in logs) >= 1
    assert "quarantined" not in "".join(logs)
    assert folder_size(dovecot, cluster.account.username, "Quarantine") == 0
    assert folder_size(dovecot, cluster.account.username, "Processed") == count
    send_the_rest(cluster.nodes[0].config)
    assert_one_complaint_and_one_ack_each(count, cluster.outgoing_files())
