"""Benchmark: the IMAP path of `gateway run`, against a private Dovecot on loopback (issue 3).

Run: python3 bench/imap_latency.py [--messages 200] [--backlog 10000] [--no-backlog]

1. Latency: the daemon idles on INBOX; a client APPENDs one complaint, and
   the clock stops when the acknowledgement reaches the SMTP peer (IDLE push,
   fetch, pipeline, commit, outbox, SMTP). One message at a time, after a few
   unmeasured warm-up messages; prints p50/p90/p99/max. A second client idles
   on the same INBOX and notes when the server's push went out: Dovecot holds
   IDLE notifications back for 0.5 s (NOTIFY_DELAY_MSECS) to batch changes,
   so the gateway's own share (push -> ack) is printed as well.
2. Backlog: `--backlog` messages wait in another mailbox (MULTIAPPEND) before
   the daemon starts; prints the time from spawning the daemon to an empty
   INBOX (every message stored and moved), the time until every
   acknowledgement reached the peer, and the daemon's peak RSS (VmHWM). The
   daemon holds its outbox back while a backlog drains, so the second figure
   is the drain plus the outbox's own time for 20,000 mails (acknowledgement
   and staff notice per complaint).

Targets (issue 3): p50 < 0.5 s, p99 < 2 s, backlog of 10,000 drained < 60 s
on 2 cores, peak RSS < 200 MB. A benchmark, not a test: it asserts nothing.
The SMTP peer only counts (aiosmtpd), so the harness's memory stays flat.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from aiosmtpd.controller import Controller  # noqa: E402
from imapclient import IMAPClient  # noqa: E402

from gatewaykit import DaemonProcess, mail, write_config  # noqa: E402
from servers import HOST, Account, PrivateDovecot, free_port, private_dir, wait_until  # noqa: E402

CUSTOMER_DOMAIN = "@example.az"
WARM_UP = 5


class AckCounter:
    """aiosmtpd handler: counts mail to customers (acknowledgements) and when each arrived."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.acks: list[float] = []
        self.other = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        arrived = time.monotonic()
        with self.changed:
            if all(r.endswith(CUSTOMER_DOMAIN) for r in envelope.rcpt_tos):
                self.acks.append(arrived)
            else:
                self.other += 1
            self.changed.notify_all()
        return "250 OK"

    def wait(self, count: int, timeout: float) -> float | None:
        """When the count-th acknowledgement arrived (None: not within timeout)."""
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.acks) >= count, timeout):
                return None
            return self.acks[count - 1]


class PushObserver(threading.Thread):
    """Another client idling on the same INBOX: when the server announced each new message."""

    def __init__(self, server: PrivateDovecot, account: Account):
        super().__init__(daemon=True)
        self.client = login(server, account)
        self.client.select_folder("INBOX", readonly=True)
        self.pushes: list[float] = []
        self.lock, self.stopped = threading.Lock(), threading.Event()

    def run(self) -> None:
        self.client.idle()
        while not self.stopped.is_set():
            for response in self.client.idle_check(timeout=0.2):
                if len(response) > 1 and response[1] == b"EXISTS":
                    with self.lock:
                        self.pushes.append(time.monotonic())

    def push_after(self, moment: float) -> float | None:
        with self.lock:
            return next((t for t in self.pushes if t >= moment), None)

    def stop(self) -> None:
        self.stopped.set()
        self.join()
        self.client.idle_done()
        self.client.logout()


def gateway_config(directory: Path, server: PrivateDovecot, account: Account, relay_port: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "imap.secret").write_text(account.password + "\n")
    imap = (f'\n[[inbound.imap]]\nname = "care"\nhost = "{HOST}"\nport = {server.imap_port}\nsecurity = "none"\n'
            f'username = "{account.username}"\npassword_file = "imap.secret"\n')
    relay = f'[outbound.smtp]\nhost = "{HOST}"\nport = {relay_port}\nsecurity = "none"\n'
    return write_config(directory, smtp_port=free_port(), transport="smtp", outbound_extra=relay, extra=imap)


def complaint(number: int) -> bytes:
    return mail(sender=f"c{number}-{os.getpid()}{CUSTOMER_DOMAIN}", subject="Order late",
                body=f"My order number {number} is two weeks late. Please help.", to="care@shop.test")


def login(server: PrivateDovecot, account: Account) -> IMAPClient:
    client = IMAPClient(HOST, port=server.imap_port, ssl=False, timeout=30)
    client.login(account.username, account.password)
    return client


def inbox_count(client: IMAPClient) -> int:
    return int(client.folder_status("INBOX", [b"MESSAGES"])[b"MESSAGES"])


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def summary(label: str, samples: list[float]) -> str:
    if not samples:
        return f"{label} no samples"
    return (f"{label} p50 {statistics.median(samples):.3f} s   p90 {percentile(samples, 0.90):.3f} s   "
            f"p99 {percentile(samples, 0.99):.3f} s   max {max(samples):.3f} s   "
            f"mean {statistics.fmean(samples):.3f} s   (n={len(samples)})")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run_daemon(directory: Path, server: PrivateDovecot, account: Account, peer_port: int,
               body: Callable[[DaemonProcess], None]) -> None:
    config = gateway_config(directory, server, account, peer_port)
    daemon = DaemonProcess(config)
    try:
        body(daemon)
    finally:
        try:
            daemon.stop(signal.SIGTERM, timeout=60)
        except subprocess.TimeoutExpired:  # still busy sending a queue the peer did not get all of
            print(f"  the daemon did not stop within 60 s of SIGTERM; killed it (see {daemon.log_path})")
        daemon.__exit__()


def latency(server: PrivateDovecot, counter: AckCounter, peer_port: int, messages: int, work: Path) -> None:
    account = server.add_user()
    client = login(server, account)

    def measure(daemon: DaemonProcess) -> None:
        wait_until(lambda: client.folder_exists("Processed"), 60, "the daemon's first IMAP login")
        observer = PushObserver(server, account)
        observer.start()
        total: list[float] = []
        ours: list[float] = []
        for number in range(WARM_UP + messages):
            started = time.monotonic()
            client.append("INBOX", complaint(number))
            arrived = counter.wait(number + 1, timeout=60)
            if arrived is None:
                raise SystemExit(f"no acknowledgement for message {number} within 60 s; see {daemon.log_path}")
            pushed = observer.push_after(started)
            if number >= WARM_UP:
                total.append(arrived - started)
                if pushed is not None:
                    ours.append(arrived - pushed)
        observer.stop()
        print(f"latency APPEND -> ack at the SMTP peer, {messages} messages one by one "
              "(targets: p50 < 0.5 s, p99 < 2 s):")
        print(summary("  APPEND -> ack       ", total))
        print(summary("  server push -> ack  ", ours))

    run_daemon(work / "latency", server, account, peer_port, measure)
    client.logout()


def backlog(server: PrivateDovecot, counter: AckCounter, peer_port: int, size: int, work: Path) -> None:
    account = server.add_user()
    client = login(server, account)
    filled = time.monotonic()
    for start in range(0, size, 250):
        client.multiappend("INBOX", [complaint(100_000 + n) for n in range(start, min(size, start + 250))])
    print(f"backlog: {inbox_count(client)} messages waiting in INBOX "
          f"(MULTIAPPEND took {time.monotonic() - filled:.1f} s)")
    acks_before = len(counter.acks)

    def drain(daemon: DaemonProcess) -> None:
        started = time.monotonic()
        peak_rss = 0
        while inbox_count(client):
            if daemon.proc.poll() is not None:
                raise SystemExit(f"daemon exited {daemon.proc.returncode}; see {daemon.log_path}")
            peak_rss = max(peak_rss, memory_kib(daemon.proc.pid, "VmRSS"))
            time.sleep(0.5)
        drained = time.monotonic() - started
        acked = counter.wait(acks_before + size, timeout=max(900.0, drained * 10))
        hwm = memory_kib(daemon.proc.pid, "VmHWM")
        processed = int(client.folder_status("Processed", [b"MESSAGES"])[b"MESSAGES"])
        print(f"  drained (spawn -> INBOX empty, {processed} in Processed): {drained:.1f} s "
              f"= {size / drained:.0f} msg/s   (target < 60 s)")
        if acked is None:
            print(f"  acknowledgements: {len(counter.acks) - acks_before} of {size} after waiting")
        else:
            print(f"  every acknowledgement at the peer: {acked - started:.1f} s after spawn")
        print(f"  daemon peak RSS (VmHWM): {hwm / 1024:.0f} MB   (sampled VmRSS max {peak_rss / 1024:.0f} MB; "
              f"target < 200 MB)")

    run_daemon(work / "backlog", server, account, peer_port, drain)
    client.logout()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--no-backlog", action="store_true")
    args = parser.parse_args()
    if shutil.which("dovecot") is None:
        raise SystemExit("dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd)")
    print(f"machine: {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    work = private_dir("gw-bench-imap-")
    counter = AckCounter()
    peer_port = free_port()
    controller = Controller(counter, hostname=HOST, port=peer_port)
    controller.start()
    try:
        with PrivateDovecot() as server:
            latency(server, counter, peer_port, args.messages, work)
            if not args.no_backlog:
                backlog(server, counter, peer_port, args.backlog, work)
    finally:
        controller.stop()
    shutil.rmtree(work, ignore_errors=True)  # kept (daemon logs) when a run fails


if __name__ == "__main__":
    main()
