"""Benchmark: SMTP transaction times while a deadline wave is swept (issue 23).

Run: python3 bench/wave.py [--due 3000] [--rate 15] [--before 10] [--after 20] [--tick] [--keep DIR]

A real daemon (`gateway run`, SQLite, maildir outbound) takes new complaints over
SMTP at `--rate` messages per second, one connection per message, while `--due`
complaints filed 30 days earlier (every deadline passed: reminders, escalations,
delay notices for each) become due at once after `--before` seconds: the daemon's
next sweep (every 2 s here) and, with `--tick`, a `gateway tick` run beside it
take the wave, and the outbox sends what it queued. Printed: SMTP time per
message (connect to QUIT, the client's view) as p50/p99/max outside and inside
the wave (from the moment the complaints become due until none is due and the
outbox is empty), and how long the wave took.

A benchmark, not a test: it asserts nothing. Other engineers share the machine's
cores: figures from a busy machine are upper bounds.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))

from gateway import config as config_module  # noqa: E402
from gateway.service.runtime import Runtime  # noqa: E402
from gateway.store.models import Complaint, OutgoingMail  # noqa: E402
from gatewaykit import DaemonProcess, mail, write_config  # noqa: E402
from servers import free_port  # noqa: E402

HIDDEN = datetime(2100, 1, 1)  # next_action_at of the pre-filled complaints until the wave starts


@dataclass
class Timings:
    """(start, seconds, ok) per SMTP transaction, and why each failure failed; thread-safe."""
    samples: list[tuple[float, float, bool]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, start: float, seconds: float, ok: bool, error: str = "") -> None:
        with self.lock:
            self.samples.append((start, seconds, ok))
            if error:
                self.errors.append(error)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> str:
    if not values:
        return "n=0"
    return (f"n={len(values)} p50={percentile(values, 50) * 1000:.1f} ms p99={percentile(values, 99) * 1000:.1f} ms "
            f"max={max(values) * 1000:.1f} ms")


@contextlib.contextmanager
def work_directory(keep: str | None, prefix: str) -> Iterator[Path]:
    """The benchmark's directory: `keep` if given (left in place), else a temporary one, removed."""
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix=prefix))
    root.mkdir(parents=True, exist_ok=True)
    try:
        yield root
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def send_one(port: int, raw: bytes, sender: str, timings: Timings) -> bool:
    """One SMTP transaction; True when the server answered 250 (the caller's own answer:
    with many sending threads, the last sample is not necessarily this one)."""
    started = time.monotonic()
    error = ""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            client.sendmail(sender, ["care@shop.test"], raw)
    except (smtplib.SMTPException, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:200]
    timings.add(started, time.monotonic() - started, not error, error)
    return not error


def load(port: int, rate: float, stop: threading.Event, timings: Timings) -> None:
    """New complaints at `rate` per second, each on its own connection and thread (an MTA's
    parallel deliveries), so a slow transaction does not slow the rate."""
    n, started = 0, time.monotonic()
    while not stop.is_set():
        sender = f"load{n}@example.az"
        raw = mail(sender=sender, subject=f"Order {n} late", body=f"My order {n} has not arrived.",
                   message_id=f"<wave-load-{n}@example.az>")
        threading.Thread(target=send_one, args=(port, raw, sender, timings), daemon=True).start()
        n += 1
        stop.wait(max(0.0, started + n / rate - time.monotonic()))


def prefill(config: Path, due: int) -> None:
    """`due` complaints filed 30 days ago, their mail already sent, hidden from the sweep."""
    runtime = Runtime.open(config_module.load(config))
    filed = datetime.now(timezone.utc) - timedelta(days=30)
    for start in range(0, due, 200):
        raws = [mail(sender=f"old{n}@example.az", subject=f"Refund {n}", body=f"Refund for order {n} please.",
                     message_id=f"<wave-old-{n}@example.az>") for n in range(start, min(due, start + 200))]
        runtime.pipeline.ingest_batch(raws, "pipe", filed)
    OutgoingMail.update(state="sent", sent_at=filed).execute()
    Complaint.update(next_action_at=HIDDEN).execute()
    runtime.close()


WAVE_KINDS = ("reminder", "escalation", "delay", "interim", "closed")


def pending(runtime: Runtime) -> tuple[int, int]:
    """Complaints still due, and the wave's own mail not yet sent (the load's
    acknowledgements may queue up behind on a busy machine: not the wave's)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    due = Complaint.select().where(Complaint.next_action_at <= now).count()
    waiting = OutgoingMail.select().where(OutgoingMail.state.in_(("queued", "sending"))
                                          & OutgoingMail.kind.in_(WAVE_KINDS)).count()
    return due, waiting


def run(args: argparse.Namespace, root: Path) -> None:
    port = free_port()
    config = write_config(root, smtp_port=port, extra="sweep_seconds = 2\n")
    started, db, saved = time.monotonic(), root / "storage" / "gateway.db", root / f"prefill-{args.due}.db"
    if saved.exists():  # --keep: the same starting state again, without minutes of ingest
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copy(saved, db)
    else:
        prefill(config, args.due)
        shutil.copy(db, saved)
    print(f"prefilled {args.due} complaints in {time.monotonic() - started:.1f}s")
    timings, stop = Timings(), threading.Event()
    with DaemonProcess(config) as daemon:
        daemon.wait_listening(port)
        loader = threading.Thread(target=load, args=(port, args.rate, stop, timings), daemon=True)
        loader.start()
        time.sleep(args.before)
        runtime = Runtime.open(config_module.load(config))
        wave_start = time.monotonic()
        Complaint.update(next_action_at=datetime.now(timezone.utc).replace(tzinfo=None)) \
            .where(Complaint.next_action_at == HIDDEN).execute()
        tick = subprocess.Popen([sys.executable, "-m", "gateway", "--config", str(config), "tick"], cwd=root,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT) if args.tick else None
        limit = wave_start + args.wave_limit
        while (pending(runtime) != (0, 0) or (tick and tick.poll() is None)) and time.monotonic() < limit:
            time.sleep(0.2)
        wave_end = time.monotonic()
        runtime.close()
        time.sleep(args.after)
        stop.set()
        loader.join()
        time.sleep(2)
        code = daemon.stop()
    inside = [s for t, s, _ in timings.samples if wave_start <= t <= wave_end]
    outside = [s for t, s, _ in timings.samples if not wave_start <= t <= wave_end]
    failed = sum(1 for _, _, ok in timings.samples if not ok)
    print(f"wave: {args.due} complaints due at once, swept and their mail sent in {wave_end - wave_start:.1f}s"
          f"{' (stopped waiting at --wave-limit)' if wave_end >= limit else ''}"
          f"{' (daemon + concurrent tick)' if args.tick else ' (daemon)'}")
    print(f"SMTP outside the wave: {summary(outside)}")
    print(f"SMTP inside the wave:  {summary(inside)}")
    print(f"SMTP failures: {failed}; daemon exit {code}")
    if tick:
        print("tick:", (tick.stdout.read() or b"").decode().strip().splitlines()[-1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=15.0)
    parser.add_argument("--before", type=float, default=10.0)
    parser.add_argument("--after", type=float, default=10.0)
    parser.add_argument("--wave-limit", type=float, default=300.0, help="seconds to wait for the wave at most")
    parser.add_argument("--tick", action="store_true", help="also run `gateway tick` when the wave starts")
    parser.add_argument("--keep", help="directory to keep (default: a temporary one, removed)")
    args = parser.parse_args()
    with work_directory(args.keep, "wave-") as root:
        run(args, root)


if __name__ == "__main__":
    main()
