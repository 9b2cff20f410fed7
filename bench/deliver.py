"""The `deliver` mode of bench/run.py: the MTA pipe as the README documents it.

A daemon runs (`gateway run`, the shipped poll of the spool); each message is one process,
`python3 -I -S gateway/service/spool.py --config FILE < message` (the Postfix `master.cf` line),
timed like every other one-process-per-message row. A thread watches the outbox: the time
from a `deliver` process's exit to the acknowledgement answering that message (its
In-Reply-To) is the spool-to-acknowledgement latency (p50/p99 printed). After each process
the harness waits, untimed, until the daemon has taken the mail and answered it (or sent
nothing for a moment), and at least --deliver-gap seconds: the latency is that of a mail
arriving at an idle desk, not of a queue the harness built up, and the daemon's work does
not run beside the next timed process (bench/run.py takes the per-process systems in turn,
message by message).

No `main`: run it through bench/run.py (`--modes deliver`).
"""
from __future__ import annotations

import email.parser
import email.policy
import importlib.util
import os
import sys
import threading
import time
from pathlib import Path

from gatewaykit import DaemonProcess

HEADER_BYTES = 8192
QUIET_SECONDS = 1.5  # the outbox took nothing new for this long: the phase is settled
SETTLE_LIMIT = 300.0
ANSWER_LIMIT = 30.0  # the most one mail may take from the spool to its answer before the next is sent
UNANSWERED = 0.5  # after the commit, how long a mail that gets no answer (a follow-up) is waited for


def fast_command() -> list[str]:
    """The documented MTA line: the spool module run alone, without `site`."""
    spec = importlib.util.find_spec("gateway.service.spool")
    if spec is None or not spec.origin:
        raise SystemExit("gateway.service.spool not found: run from the repository (PYTHONPATH)")
    return [sys.executable, "-I", "-S", spec.origin]


class OutboxWatch(threading.Thread):
    """First time each reply (by its In-Reply-To) is seen in the maildir outbox."""

    def __init__(self, directory: Path, interval: float = 0.005):
        super().__init__(name="outbox-watch", daemon=True)
        self.directory, self.interval = directory, interval
        self.seen: dict[str, float] = {}  # In-Reply-To without brackets -> perf_counter
        self.names: set[str] = set()
        self.last_new = time.perf_counter()
        self.halt = threading.Event()
        self.parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)

    def run(self) -> None:
        while not self.halt.wait(self.interval):
            self.scan()

    def scan(self) -> None:
        try:
            names = [n for n in os.listdir(self.directory) if n.endswith(".eml") and n not in self.names]
        except FileNotFoundError:
            return
        now = time.perf_counter()
        for name in names:
            try:
                with open(self.directory / name, "rb") as handle:
                    head = self.parser.parsebytes(handle.read(HEADER_BYTES))
            except FileNotFoundError:
                continue
            self.names.add(name)
            self.last_new = now
            parent = (head["In-Reply-To"] or "").strip().strip("<>")
            if parent:
                self.seen.setdefault(parent, now)


class DeliverGateway:
    """Ours through the spool: `deliver` processes into a running daemon. A context manager
    (the daemon runs inside it); otherwise the System that bench/run.py measures."""

    name = "gateway"

    def __init__(self, gateway, port: int, gap: float):
        """`gateway`: bench/run.py's Gateway, configured to listen on `port` (its database and
        outbox readers score this mode as every other)."""
        self.gateway, self.port, self.gap = gateway, port, gap
        self.home, self.config, self.command = gateway.home, gateway.config, fast_command()
        self.spooled: dict[str, float] = {}  # Message-ID -> perf_counter at its process's exit
        self.watch = OutboxWatch(self.home / "storage" / "outgoing")
        self.daemon: DaemonProcess | None = None
        self.parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)

    def __enter__(self) -> "DeliverGateway":
        self.daemon = DaemonProcess(self.config).__enter__()
        self.daemon.wait_listening(self.port, timeout=180)
        self.watch.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.watch.halt.set()
        if self.daemon:
            self.daemon.stop()
            self.daemon.__exit__(*exc)

    def batch(self, files: list[Path], phase: str) -> list[str]:
        raise NotImplementedError("deliver is one process per message")

    def single(self) -> list[str]:
        return [*self.command, "--config", str(self.config)]

    def delivered(self, file: Path, run) -> None:
        """After each `deliver` process: its clock starts at the process's exit; wait out the gap.
        (The daemon may take a mail between its rename and the process's exit, while the
        directory is fsynced: a latency can be slightly negative.)"""
        with file.open("rb") as handle:
            mid = (self.parser.parsebytes(handle.read(HEADER_BYTES))["Message-ID"] or "").strip().strip("<>")
        self.spooled.setdefault(mid, run.ended)
        spool, taken_at = self.home / "storage" / "spool", None
        while time.perf_counter() - run.ended < ANSWER_LIMIT:
            if taken_at is None and not any(os.listdir(spool / sub) for sub in ("new", "cur")):
                taken_at = time.perf_counter()  # committed: the answer, if any, follows at once
            if mid in self.watch.seen or taken_at is not None and time.perf_counter() - taken_at > UNANSWERED:
                break
            time.sleep(0.002)
        time.sleep(max(0.0, run.ended + self.gap - time.perf_counter()))

    def settle(self) -> list[str] | None:
        return None

    def drain(self) -> float:
        """Wait until the spool is empty and the outbox quiet; seconds from the call until the
        last outgoing mail appeared (the time the daemon needed beyond the deliveries)."""
        start = time.perf_counter()
        spool = self.home / "storage" / "spool"
        while time.perf_counter() - start < SETTLE_LIMIT:
            self.watch.scan()
            pending = any(os.listdir(spool / sub) for sub in ("new", "cur") if (spool / sub).exists())
            if not pending and time.perf_counter() - self.watch.last_new > QUIET_SECONDS:
                break
            time.sleep(0.05)
        return max(0.0, self.watch.last_new - start)

    def containers(self) -> dict[str, str]:
        return self.gateway.containers()

    def replies(self) -> list:
        return self.gateway.replies()

    def latency(self) -> dict[str, float | int]:
        """Spool-to-acknowledgement over the messages that were answered."""
        waits = sorted(self.watch.seen[mid] - t for mid, t in self.spooled.items() if mid in self.watch.seen)
        pick = (lambda q: waits[min(len(waits) - 1, int(q * len(waits)))]) if waits else (lambda q: float("nan"))
        return {"spooled": len(self.spooled), "acknowledged": len(waits), "ack_p50_s": pick(0.5),
                "ack_p99_s": pick(0.99), "ack_max_s": waits[-1] if waits else float("nan")}
