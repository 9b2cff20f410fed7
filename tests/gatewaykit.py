"""Test helpers for driving a real gateway: configs in a temp dir, the CLI as a
subprocess, the daemon as a subprocess, and mail builders."""
from __future__ import annotations

import io
import json
import logging
import os
import signal
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

BASE_CONFIG = """
[gateway]
address = "care@shop.test"
name = "Shop Care"
timezone = "Asia/Baku"
default_language = "en"
tracking_prefix = "CC"

[storage]
database = "{database}"
archive = "storage/archive"

[inbound.smtp]
listen = "127.0.0.1:{smtp_port}"

[outbound]
transport = "{transport}"
maildir = "storage/outgoing"
retry_base_seconds = 60
{outbound_extra}

[staff]
notify = "team@shop.test"
domains = ["shop.test"]
require_authentication = {require_auth}
{authserv}

[paths]
templates = "{repo}/templates/mail"
rules = "{repo}/rules"

[calendar]
country = "AZ"

[sla]
acknowledge = 3
review = 3
resolve = 10
reminder_lead = 1
auto_close_after = 5
{extra}
"""


def write_config(directory: Path, *, database: str = "sqlite:///storage/gateway.db", smtp_port: int = 0,
                 transport: str = "maildir", outbound_extra: str = "", require_auth: bool = False,
                 extra: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "gateway.toml"
    path.write_text(BASE_CONFIG.format(
        database=database, smtp_port=smtp_port or 2525, transport=transport, outbound_extra=outbound_extra,
        require_auth=str(require_auth).lower(), authserv='authserv_id = "mx.shop.test"' if require_auth else "",
        repo=REPO, extra=extra), encoding="utf-8")
    return path


def gateway(config: Path, *args: str, input: bytes | None = None, check: bool = True,
            timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "gateway", "--config", str(config), *args],
                            input=input, capture_output=True, timeout=timeout, cwd=str(config.parent))
    if check and result.returncode != 0:
        raise AssertionError(f"gateway {' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stdout.decode()}\n{result.stderr.decode()}")
    return result


def gateway_inline(config: Path, *args: str, input: bytes | None = None,
                   check: bool = True) -> subprocess.CompletedProcess:
    """`gateway(...)` run in this process: the same `main(argv)`, working directory, stdin,
    stdout, stderr and exit code, without a new interpreter loading the language models for
    every command (a timeline runs hundreds). What the command changes in the process (the
    umask it narrows, the log handler it installs) is put back afterwards."""
    from gateway.entry import main
    argv = ["--config", str(config), *args]
    stdout, stderr = io.BytesIO(), io.BytesIO()
    saved = (sys.stdin, sys.stdout, sys.stderr, os.getcwd(), os.umask(0o022))
    os.umask(saved[4])
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    streams = (io.TextIOWrapper(io.BytesIO(input or b""), encoding="utf-8"),
               io.TextIOWrapper(stdout, encoding="utf-8", write_through=True),
               io.TextIOWrapper(stderr, encoding="utf-8", write_through=True))
    sys.stdin, sys.stdout, sys.stderr = streams
    try:
        os.chdir(config.parent)
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved[:3]
        for stream in streams:  # flushed and let go of without closing the buffers read below
            if not stream.closed:
                stream.flush()
                stream.detach()
        os.chdir(saved[3])
        os.umask(saved[4])
        root.handlers[:] = handlers
        root.setLevel(level)
    result = subprocess.CompletedProcess(["gateway", *argv], code, stdout.getvalue(), stderr.getvalue())
    if check and code != 0:
        raise AssertionError(f"gateway {' '.join(args)} exited {code}:\n"
                             f"{result.stdout.decode()}\n{result.stderr.decode()}")
    return result


def show(config: Path, tracking: str) -> dict[str, Any]:
    return json.loads(gateway(config, "show", tracking, "--json").stdout)


def staff_notice_id(config: Path, tracking: str) -> str:
    """The Message-ID of the desk's first mail to staff about a complaint, in brackets: a staff
    answer replies to it (without authentication, only such a reply acts on the complaint)."""
    found = next(o for o in show(config, tracking)["outgoing"] if o["kind"] in STAFF_NOTICE_KINDS)
    return f"<{found['message_id']}>"


STAFF_NOTICE_KINDS = ("staff_new", "registered", "staff_update", "staff_notice")


def listing(config: Path, *args: str) -> list[dict[str, Any]]:
    return json.loads(gateway(config, "list", "--json", *args).stdout)


def outgoing(config: Path) -> list[Path]:
    directory = config.parent / "storage" / "outgoing"
    return sorted(directory.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if directory.exists() else []


def mail(sender: str = "aysel@example.az", subject: str = "Order late", body: str = "My order is late.",
         to: str = "care@shop.test", name: str = "", in_reply_to: str = "", references: str = "",
         headers: dict[str, str] | None = None, message_id: str | None = None,
         date: str = "Mon, 23 Nov 2026 10:00:00 +0400") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain=sender.rsplit("@", 1)[-1])
    msg["Date"] = date
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    return msg.as_bytes()


class DaemonProcess:
    """`gateway run` as a subprocess, as systemd would run it."""

    def __init__(self, config: Path, env: dict[str, str] | None = None):
        self.config = config
        self.log_path = config.parent / "daemon.log"
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "gateway", "--config", str(config), "run"],
                                     cwd=str(config.parent), stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})})

    def wait_listening(self, port: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited {self.proc.returncode}: {self.output()}")
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=2) as client:
                    client.noop()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("daemon did not start listening")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text("utf-8", "replace")

    def __enter__(self) -> "DaemonProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()


def send_smtp(port: int, raw: bytes, sender: str = "aysel@example.az", to: str = "care@shop.test") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail(sender, [to], raw)


def wait_for(predicate, timeout: float = 20, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
