"""`gateway run` watching a real IMAP mailbox, end to end.

The daemon runs as a subprocess with [[inbound.imap]] pointing at a private
Dovecot (tests/servers.py) and sends through an aiosmtpd peer, where the test
reads the acknowledgements as the customer would. Mail reaches the mailbox the
way it does in production: LMTP delivery from the MTA, or APPEND by another
client. Dovecot runs with verbose_proctitle, so its imap process titles say
when the daemon sits in IDLE: the tests wait for that state instead of sleeping.
"""
from __future__ import annotations

import email
import email.policy
import shutil
import signal
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest

from gateway.service.sources.imap import buffered_input, readable
from gatewaykit import DaemonProcess, gateway, listing, mail, send_smtp, wait_for, write_config
from servers import Account, FreezableProxy, PrivateDovecot, SmtpPeer, free_port

WAIT = 30.0  # upper bound for things that normally take well under a few seconds
LEASE_SECONDS = 5.0  # a killed daemon's hold on the mailbox; the default 30 s would only make tests wait
CLAIM_SECONDS = 5.0  # a killed daemon's hold on the outbox rows it claimed (the database's clock, not --now)
CARE = "care@shop.test"


@pytest.fixture(scope="module")
def server() -> Iterator[PrivateDovecot]:
    if shutil.which("dovecot") is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd; scripts/test.sh does)")
    with PrivateDovecot(extra_config="verbose_proctitle = yes") as dovecot:
        yield dovecot


@pytest.fixture
def account(server: PrivateDovecot) -> Account:
    return server.add_user(f"care{uuid.uuid4().hex[:8]}@shop.test")


@pytest.fixture
def peer() -> Iterator[SmtpPeer]:
    with SmtpPeer() as smtp:
        yield smtp


def customer() -> str:
    """A fresh customer address per mail: one acknowledgement each, and no storm limit in the way."""
    return f"c{uuid.uuid4().hex[:10]}@example.az"


def complaint(sender: str, subject: str = "Order late") -> bytes:
    return mail(sender=sender, subject=subject, body="My order is two weeks late. Please help.", to=CARE)


class ImapDesk:
    """A gateway config whose only mailbox is `account` on `server`; starts and stops the daemon."""

    def __init__(self, directory: Path, server: PrivateDovecot, account: Account, peer: SmtpPeer | None,
                 **imap: object):
        self.directory, self.server, self.account, self.peer = directory, server, account, peer
        self.smtp_port = free_port()
        self.secret = directory / "imap.secret"
        directory.mkdir(parents=True, exist_ok=True)
        self.secret.write_text(account.password + "\n")
        self.configure(**imap)
        self.daemon: DaemonProcess | None = None

    def configure(self, *, host: str = "127.0.0.1", port: int | None = None, security: str = "none",
                  ca_file: str = "", outbound_port: int | None = None, lease_seconds: float = 30.0) -> None:
        """(Re)write gateway.toml; `name` keeps the checkpoint's identity when the port changes."""
        relay = outbound_port or (self.peer.port if self.peer else free_port())
        imap = (f'[[inbound.imap]]\nname = "care"\nhost = "{host}"\nport = {port or self.server.imap_port}\n'
                f'security = "{security}"\nusername = "{self.account.username}"\npassword_file = "imap.secret"\n'
                f'lease_seconds = {lease_seconds}\n' + (f'ca_file = "{ca_file}"\n' if ca_file else ""))
        self.config = write_config(self.directory, smtp_port=self.smtp_port, transport="smtp", extra="\n" + imap,
                                   outbound_extra=f'claim_seconds = {CLAIM_SECONDS}\n'
                                                  f'[outbound.smtp]\nhost = "127.0.0.1"\nport = {relay}\n'
                                                  'security = "none"\ntimeout = 5\n')

    def start(self) -> DaemonProcess:
        self.daemon = DaemonProcess(self.config)
        self.daemon.wait_listening(self.smtp_port)
        return self.daemon

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.daemon is not None
        code = self.daemon.stop(sig)
        self.daemon.__exit__()
        self.daemon = None
        return code

    def log(self) -> str:
        path = self.directory / "daemon.log"
        return path.read_text("utf-8", "replace") if path.exists() else ""

    # ------------------------------------------------------------ what the world sees

    def folder(self, name: str = "INBOX") -> dict[int, bytes]:
        return self.server.messages(self.account.username, name)

    def idling(self) -> bool:
        """Dovecot's process title for this account says IDLE (verbose_proctitle)."""
        needle = f"[{self.account.username} ".encode()
        prefix = f"dovecot-{self.server.dir.name}/imap ".encode()
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                title = cmdline.read_bytes()
            except OSError:
                continue
            if title.startswith(prefix) and needle in title and b" IDLE]" in title:
                return True
        return False

    def wait_idle(self) -> None:
        wait_for(self.idling, timeout=WAIT)

    def acks(self) -> Counter:
        """Acknowledgements received by the SMTP peer, per customer."""
        assert self.peer is not None
        return Counter(m.rcpt_tos[0] for m in self.peer.messages if _is_ack(m.data))

    def complaints(self) -> Counter:
        """Stored complaints per customer."""
        return Counter(row["customer"]["email"] for row in listing(self.config) if row["tracking"])


def _is_ack(raw: bytes) -> bool:
    subject = str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"])
    return subject.startswith("We have registered your complaint")


@pytest.fixture
def desk(tmp_path: Path, server: PrivateDovecot, account: Account, peer: SmtpPeer) -> Iterator[ImapDesk]:
    desk = ImapDesk(tmp_path / "gw", server, account, peer)
    yield desk
    if desk.daemon is not None:
        desk.stop(signal.SIGKILL)


# ---------------------------------------------------------------- push and catch-up

def test_idle_push_of_a_new_message_reaches_the_customer_as_an_acknowledgement(desk, server, account):
    desk.start()
    desk.wait_idle()  # connected, caught up (nothing), waiting for news
    sender = customer()
    server.deliver(account.username, complaint(sender), sender=sender)  # the MTA, over LMTP
    wait_for(lambda: desk.acks() == Counter({sender: 1}), timeout=WAIT)
    assert desk.folder("INBOX") == {}
    assert len(desk.folder("Processed")) == 1
    assert desk.complaints() == Counter({sender: 1})
    assert desk.stop() == 0, desk.log()


def test_mail_that_arrived_while_the_daemon_was_down_is_caught_up_once(desk, server, account):
    first = customer()
    server.append(account.username, complaint(first))
    desk.start()
    wait_for(lambda: desk.acks() == Counter({first: 1}), timeout=WAIT)
    assert desk.stop() == 0, desk.log()

    later = [customer() for _ in range(3)]
    server.append(account.username, complaint(later[0]), flags=[b"\\Seen"])  # someone read it in their client
    for sender in later[1:]:
        server.deliver(account.username, complaint(sender), sender=sender)
    desk.start()
    expected = Counter({sender: 1 for sender in [first, *later]})
    wait_for(lambda: desk.acks() == expected, timeout=WAIT)
    wait_for(lambda: desk.folder("INBOX") == {}, timeout=WAIT)
    assert len(desk.folder("Processed")) == 4
    assert desk.complaints() == expected
    assert desk.stop() == 0, desk.log()
    assert desk.acks() == expected  # and nothing more went out on the way down


def test_dovecot_restart_while_the_daemon_idles_loses_and_doubles_nothing(desk, server, account):
    senders = [customer() for _ in range(3)]
    desk.start()
    desk.wait_idle()
    server.deliver(account.username, complaint(senders[0]), sender=senders[0])
    wait_for(lambda: desk.acks() == Counter({senders[0]: 1}), timeout=WAIT)
    desk.wait_idle()

    server.restart()  # every connection is cut; the daemon is in IDLE
    server.deliver(account.username, complaint(senders[1]), sender=senders[1])  # while it reconnects
    wait_for(lambda: "connected again" in desk.log(), timeout=WAIT)
    desk.wait_idle()
    server.deliver(account.username, complaint(senders[2]), sender=senders[2])  # pushed on the new session

    expected = Counter({sender: 1 for sender in senders})
    wait_for(lambda: desk.acks() == expected, timeout=WAIT)
    wait_for(lambda: desk.folder("INBOX") == {}, timeout=WAIT)
    assert len(desk.folder("Processed")) == 3
    assert desk.complaints() == expected
    assert desk.daemon is not None and desk.daemon.proc.poll() is None
    assert desk.stop() == 0, desk.log()


def test_sigkill_between_store_and_move_yields_one_complaint_and_one_ack(tmp_path, server, account, peer):
    """The daemon stores a batch, then moves it. Cut it off from Dovecot (a frozen proxy) as soon as the
    first message is committed and SIGKILL it: committed mail is still in INBOX. The restarted daemon
    offers it again and the pipeline's dedupe makes that a no-op."""
    senders = [customer() for _ in range(40)]
    for sender in senders:
        server.append(account.username, complaint(sender))
    proxy = FreezableProxy(server.imap_port)
    dead_relay = free_port()  # nothing may reach the customer before the kill: no SMTP-side doubles
    # the restarted daemon takes the mailbox over once the dead one's lease has run out
    desk = ImapDesk(tmp_path / "gw", server, account, peer, port=proxy.port, outbound_port=dead_relay,
                    lease_seconds=LEASE_SECONDS)
    try:
        desk.start()
        wait_for(lambda: 'msg="processed" tracking=' in desk.log(), timeout=WAIT, interval=0.01)
        proxy.frozen.set()
        assert desk.stop(signal.SIGKILL) == -signal.SIGKILL
        killed_at = time.monotonic()
    finally:
        proxy.close()  # whatever the dead daemon had sent into the frozen relay is dropped

    stored_before = desk.complaints()
    assert stored_before and max(stored_before.values()) == 1
    assert len(desk.folder("INBOX")) == 40  # stored, not moved: the case under test

    desk.configure(outbound_port=peer.port, lease_seconds=LEASE_SECONDS)  # straight to Dovecot, same checkpoint
    desk.start()
    wait_for(lambda: desk.folder("INBOX") == {}, timeout=60)
    assert desk.stop() == 0, desk.log()
    # mail the killed daemon had claimed waits out its claim (judged on the database's clock, so
    # really wait) and its retry backoff (run the outbox an hour on)
    time.sleep(max(0.0, killed_at + CLAIM_SECONDS + 0.5 - time.monotonic()))
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    gateway(desk.config, "tick", "--now", later)

    expected = Counter({sender: 1 for sender in senders})
    assert desk.complaints() == expected
    assert len(desk.folder("Processed")) == 40
    assert desk.acks() == expected
    assert all(row["status"] != "quarantined" for row in listing(desk.config))


def test_news_in_the_same_packet_as_the_idle_continuation_is_not_left_for_the_keepalive(server, account):
    """Mail that lands between the watcher's last SEARCH and its IDLE comes back as
    "+ idling\r\n* 1 EXISTS" in one packet; imaplib buffers the EXISTS line where poll()
    cannot see it. Found by bench/imap_latency.py: 1 in ~30 acknowledgements took the 40 s
    keepalive instead of half a second. (A unit-level check of the watcher's guard.)"""
    client = server.connect(account.username)
    try:
        client.select_folder("INBOX")
        client.idle()
        assert not buffered_input(client)  # nothing new: the watcher must not spin
        client.idle_done()
        server.append(account.username, complaint(customer()))  # after our last command, before IDLE
        client.idle()
        wait_for(lambda: buffered_input(client) or readable(client.socket(), 0), timeout=WAIT)
        client.idle_done()
    finally:
        client.logout()


# ---------------------------------------------------------------- failures a human must fix

def test_wrong_password_is_logged_and_retried_while_smtp_keeps_working(desk, server, account, peer):
    desk.secret.write_text("not-the-password\n")
    sender = customer()
    server.append(account.username, complaint(sender))
    daemon = desk.start()
    wait_for(lambda: "attempt=2 " in desk.log(), timeout=WAIT)
    log = desk.log()
    assert 'msg="imap attempt failed" source=care attempt=1 error="login failed: [AUTHENTICATIONFAILED]' in log
    assert "not-the-password" not in log and "Traceback" not in log

    by_smtp = customer()  # the SMTP listener is not held up by the IMAP trouble
    send_smtp(desk.smtp_port, complaint(by_smtp), sender=by_smtp, to=CARE)
    wait_for(lambda: desk.acks() == Counter({by_smtp: 1}), timeout=WAIT)
    assert daemon.proc.poll() is None
    assert len(desk.folder("INBOX")) == 1

    desk.secret.write_text(account.password + "\n")  # the admin fixes the secret; no restart needed
    wait_for(lambda: desk.acks() == Counter({by_smtp: 1, sender: 1}), timeout=60)
    assert "imap connected again" in desk.log()
    assert desk.stop() == 0, desk.log()


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_against_a_private_ca(desk, server, account, security):
    port = server.imap_port if security == "starttls" else server.imaps_port
    desk.configure(host="localhost", port=port, security=security, ca_file=str(server.ca_file))
    desk.start()
    desk.wait_idle()
    sender = customer()
    server.deliver(account.username, complaint(sender), sender=sender)
    wait_for(lambda: desk.acks() == Counter({sender: 1}), timeout=WAIT)
    assert desk.folder("INBOX") == {}
    assert "failed" not in desk.log()
    assert desk.stop() == 0, desk.log()


def test_tls_without_the_ca_file_refuses_the_server_and_says_why(desk, server, account):
    desk.configure(host="localhost", port=server.imaps_port, security="tls")
    server.append(account.username, complaint(customer()))
    daemon = desk.start()
    wait_for(lambda: "CERTIFICATE_VERIFY_FAILED" in desk.log(), timeout=WAIT)
    assert daemon.proc.poll() is None
    assert len(desk.folder("INBOX")) == 1
    assert desk.stop() == 0, desk.log()
