"""The daemon as a service: SIGTERM in a burst of mail, SIGHUP with broken rules,
`status` while Dovecot is down, logs without mail content or passwords, the unit file."""
from __future__ import annotations

import json
import os
import shutil
import signal
import smtplib
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest

from gateway.store.migrate import open_database
from gateway.store.models import Complaint, Message
from gatewaykit import REPO, DaemonProcess, gateway, listing, mail, send_smtp, wait_for, write_config
from servers import PrivateDovecot, free_port

BODY_SECRET = "kettle-serial-QX7731 my flat is at 12 Nizami street"


def stored_message_ids(config: Path) -> set[str]:
    database = open_database(f"sqlite:///{config.parent / 'storage' / 'gateway.db'}")
    try:
        return {m.message_id for m in Message.select(Message.message_id).where(Message.direction == "in")}
    finally:
        database.close()


def stored_categories(config: Path) -> list[str]:
    """Read directly: the CLI itself refuses to start while a rules file is broken."""
    database = open_database(f"sqlite:///{config.parent / 'storage' / 'gateway.db'}")
    try:
        return [c.category for c in Complaint.select().order_by(Complaint.id)]
    finally:
        database.close()


def assert_clean_log(output: str, *secrets: str) -> None:
    assert "Traceback" not in output, output
    for secret in secrets:
        assert secret not in output, f"{secret!r} leaked into the log"


# ---------------------------------------------------------------- SIGTERM

class Burst:
    """Senders in threads, each mail a new complaint from its own customer, until told to stop or refused."""

    def __init__(self, port: int, senders: int = 4, per_sender: int = 60):  # more than a daemon takes in a second
        self.port = port
        self.mails = {f"<burst-{s}-{n}@example.az>": mail(sender=f"c{s}x{n}@example.az", subject=f"Burst {s}-{n}",
                                                          body=f"{BODY_SECRET} ({s}-{n})",
                                                          message_id=f"<burst-{s}-{n}@example.az>")
                      for s in range(senders) for n in range(per_sender)}
        self.accepted: set[str] = set()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.send_all, args=(s, per_sender)) for s in range(senders)]

    def send_all(self, sender: int, count: int) -> None:
        for n in range(count):
            key = f"<burst-{sender}-{n}@example.az>"
            try:
                send_smtp(self.port, self.mails[key], sender=f"c{sender}x{n}@example.az")
            except (OSError, smtplib.SMTPException):
                return  # the daemon is going away: an MTA would keep the rest queued
            with self.lock:
                self.accepted.add(key)

    def start(self) -> "Burst":
        for thread in self.threads:
            thread.start()
        return self

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=60)


def test_sigterm_during_a_burst_loses_nothing(tmp_path):
    port = free_port()
    config = write_config(tmp_path, smtp_port=port)
    with DaemonProcess(config) as daemon:
        daemon.wait_listening(port)
        burst = Burst(port).start()
        wait_for(lambda: len(burst.accepted) >= 8, timeout=60)
        assert daemon.stop(signal.SIGTERM) == 0, daemon.output()
        burst.join()
        first_run = daemon.output()
    accepted = {key.strip("<>") for key in burst.accepted}
    assert accepted <= stored_message_ids(config)  # every 250 was a stored mail
    assert len(accepted) < len(burst.mails), "the burst ended before SIGTERM: nothing was tested"
    assert "stopping: closing sources" in first_run and "level=info logger=gateway.daemon msg=\"stopped\"" in first_run

    with DaemonProcess(config) as daemon:  # the sender's queue is retried after the restart
        daemon.wait_listening(port)
        for key, raw in burst.mails.items():
            if key not in burst.accepted:
                send_smtp(port, raw, sender="retry@example.az")
        complaints = listing(config)
        assert daemon.stop() == 0
        assert_clean_log(first_run + daemon.output(), BODY_SECRET)
    assert stored_message_ids(config) == {key.strip("<>") for key in burst.mails}
    assert len(complaints) == len(burst.mails)  # one complaint per mail: none lost, none doubled


# ---------------------------------------------------------------- SIGHUP

def test_sighup_with_a_broken_rules_file_keeps_the_old_rules(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    port = free_port()
    config = write_config(tmp_path, smtp_port=port)
    config.write_text(config.read_text().replace(f'rules = "{REPO}/rules"', f'rules = "{rules}"'))
    categories = rules / "10-categories.toml"
    good = categories.read_text()
    with DaemonProcess(config) as daemon:
        daemon.wait_listening(port)
        send_smtp(port, mail(sender="a1@example.az", subject="Order late", body="My order is late."))
        categories.write_text(good + "\n[[category\nbroken = \n")
        daemon.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "reload failed" in daemon.output())
        assert "10-categories.toml" in daemon.output()  # the log says which file
        send_smtp(port, mail(sender="a2@example.az", subject="Order late", body="My order is late."))
        assert stored_categories(config) == ["delivery", "delivery"]  # the old rules still work
        categories.write_text(good)
        daemon.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "reloaded config, rules and templates" in daemon.output())
        assert daemon.proc.poll() is None
        assert daemon.stop() == 0, daemon.output()


# ---------------------------------------------------------------- status while Dovecot is down

@pytest.fixture
def own_dovecot():
    """A Dovecot of this test's own: stopping it must not disturb the session-wide one."""
    if shutil.which("dovecot") is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd; scripts/test.sh does)")
    server = PrivateDovecot()
    server.start()
    yield server
    server.close()


def status(config: Path) -> tuple[int, dict]:
    result = gateway(config, "status", "--json", check=False)
    return result.returncode, json.loads(result.stdout)


def source(data: dict, kind: str) -> dict:
    return next(s for s in data["sources"] if s["kind"] == kind)


def test_status_while_dovecot_is_down(tmp_path, own_dovecot):
    account = own_dovecot.add_user(password="imap-pass-Zq81!")
    port, metrics = free_port(), free_port()
    extra = (f'[logging]\nformat = "json"\n\n[metrics]\nlisten = "127.0.0.1:{metrics}"\nheartbeat_seconds = 0.5\n\n'
             f'[[inbound.imap]]\nhost = "127.0.0.1"\nport = {own_dovecot.imap_port}\nsecurity = "none"\n'
             f'username = "{account.username}"\npassword_env = "GW_TEST_IMAP_PASSWORD"\n')
    config = write_config(tmp_path, smtp_port=port, extra=extra)
    with DaemonProcess(config, env={"GW_TEST_IMAP_PASSWORD": account.password}) as daemon:
        daemon.wait_listening(port)
        code, data = wait_for(lambda: (lambda s: s if s[0] == 0 else None)(status(config)), timeout=30)
        assert source(data, "imap")["connected"] and source(data, "smtp")["connected"] and data["ok"]

        own_dovecot.deliver(account.username, mail(body=BODY_SECRET, message_id="<via-imap-1@example.az>"))
        wait_for(lambda: source(status(config)[1], "imap")["last_mail_at"], timeout=30)

        own_dovecot.stop()
        code, data = wait_for(lambda: (lambda s: s if not source(s[1], "imap")["connected"] else None)(
            status(config)), timeout=60)
        imap = source(data, "imap")
        assert code == 1 and not data["ok"] and imap["running"] and imap["last_error"]
        assert imap["last_mail_at"] and source(data, "smtp")["connected"]
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics", timeout=10) as response:
            text = response.read().decode()
        assert any(line.startswith('gateway_source_connected{source="imap:') and line.endswith(" 0.0")
                   for line in text.splitlines())
        assert daemon.stop() == 0, daemon.output()
        output = daemon.output()

    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # one JSON object per line
    processed = next(line for line in lines if line["msg"] == "processed" and line["source"] == "imap")
    assert processed["message_id"] == "via-imap-1@example.az" and processed["tracking"].startswith("CC-")
    assert processed["level"] == "info" and processed["logger"] == "gateway.pipeline" and processed["sha256"]
    assert_clean_log(output, BODY_SECRET, account.password)
    code, data = status(config)
    assert code == 1 and not source(data, "smtp")["connected"]  # the daemon said goodbye


# ---------------------------------------------------------------- the unit file

UNIT = REPO / "systemd" / "gateway.service"


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_unit_file_has_what_the_service_needs():
    s = unit_settings()
    assert s["Type"] == ["notify"] and s["WatchdogSec"] and s["Restart"] == ["on-failure"]
    assert s["ExecReload"] == ["/bin/kill -HUP $MAINPID"] and s["ExecStart"][0].endswith(" run")
    assert s["User"] == ["care-gateway"] and s["StateDirectory"] == ["care-gateway"]
    assert s["ReadWritePaths"] == ["/var/lib/care-gateway"]
    for key, value in (("ProtectSystem", "strict"), ("ProtectHome", "true"), ("PrivateTmp", "true"),
                       ("NoNewPrivileges", "true")):
        assert s[key] == [value]
    assert s["EnvironmentFile"] and "password" not in UNIT.read_text().lower().replace("password_", "").replace(
        "imap-password", "")


def test_unit_file_verifies(tmp_path):
    analyze, executable = shutil.which("systemd-analyze"), shutil.which("gateway")
    if analyze is None or executable is None:
        pytest.skip("systemd-analyze or the installed `gateway` command is missing")
    unit = tmp_path / "gateway.service"  # the same unit, ExecStart pointing at this machine's gateway
    unit.write_text(UNIT.read_text().replace("/opt/care-gateway/venv/bin/gateway", executable))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                            env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"})
    assert result.returncode == 0, result.stderr
