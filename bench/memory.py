"""Memory under sustained load: does the daemon's heap grow with the mail it has seen? (issue 23)

Run: python3 bench/memory.py [--messages 80000] [--step 10000] [--trace] [--smtp]
                             [--seconds-per-message 4] [--top 15] [--keep DIR]

The daemon's own code path in this one process, so no quiet machine is needed
(nothing is timed): a `Daemon` with its budgeted reader child takes the soak's
mixed mail (bench/soak.py `Load`: new complaints from distinct senders in four
languages and legacy charsets, customer and staff replies, out-of-office replies,
failed and delayed delivery reports) through `Daemon.ingest` (the listener's sink;
with --smtp through the real SMTP listener, a connection per mail, the client in this
process too), runs the outbox every 40 mails
(maildir transport, emptied as it goes) and the deadline sweep and the heartbeat
every 100. The clock is an input: it advances --seconds-per-message per mail
(4 s: 80k mails are 3.7 days), so acknowledgement, review and resolve deadlines
fall due, reminders and escalations go out and complaints close as in production.

Printed every --step mails: the daemon's RSS and the reader child's, after a
gc.collect(); with --trace, tracemalloc's total and the top growth by traceback
since the previous step (tracemalloc slows the run about threefold). A benchmark:
it asserts nothing. Growth that levels off (caches warming, the allocator's
arenas) shows as shrinking steps; a leak as steps of the same size.
"""
from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import os
import smtplib
import sys
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "bench")]
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))

from wave import work_directory  # noqa: E402

from soak import Load, rss_kb  # noqa: E402

from gateway import config as config_module  # noqa: E402
from gateway.service.daemon import Daemon  # noqa: E402
from gateway.service.runtime import Runtime  # noqa: E402
from gatewaykit import write_config  # noqa: E402
from servers import free_port  # noqa: E402

OUTBOX_EVERY, SWEEP_EVERY, REFRESH_EVERY = 40, 100, 500


def sqlite_heap() -> Callable[[], float]:
    """SQLite's own heap in this process in MB (page caches, statements: malloc that
    tracemalloc does not see); 0 where the library cannot be reached."""
    try:
        library = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
        library.sqlite3_memory_used.restype = ctypes.c_int64
    except (OSError, AttributeError):
        return lambda: 0.0
    return lambda: library.sqlite3_memory_used() / 2**20


class Clock:
    """The daemon's now: starts at the real time, moves on by a fixed step per mail."""

    def __init__(self, step: float):
        self.now, self.step = datetime.now(timezone.utc), timedelta(seconds=step)

    def __call__(self) -> datetime:
        return self.now

    def advance(self) -> None:
        self.now += self.step


class Tracer:
    """tracemalloc's total and the growth by traceback between steps."""

    def __init__(self, enabled: bool, top: int):
        self.enabled, self.top, self.previous = enabled, top, None
        if enabled:
            tracemalloc.start(12)
            self.previous = tracemalloc.take_snapshot()

    def step(self) -> str:
        if not self.enabled:
            return ""
        snapshot = tracemalloc.take_snapshot().filter_traces((
            tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib._bootstrap>")))
        stats = snapshot.compare_to(self.previous, "traceback")
        self.previous = snapshot
        lines = [f"  traced {sum(s.size for s in snapshot.statistics('filename')) / 2**20:.1f} MB"]
        for stat in stats[:self.top]:
            if stat.size_diff <= 0:
                break
            frames = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in list(stat.traceback)[::-1][:8])
            lines.append(f"  {stat.size_diff / 1024:+9.1f} kB {stat.count_diff:+7d} blocks  {frames}")
        return "\n".join(lines)


def run(args: argparse.Namespace, root: Path) -> None:
    port = free_port()
    config = write_config(root, smtp_port=port, extra="sweep_seconds = 5\n")
    clock = Clock(args.seconds_per_message)
    runtime = Runtime.open(config_module.load(config))
    daemon = Daemon(runtime, clock)
    runtime.policy.warm(clock())
    daemon.start_reader()
    if args.smtp:
        daemon.start_sources()
    outgoing = runtime.config.resolve(runtime.config.outbound.maildir)
    load, tracer = Load(), Tracer(args.trace, args.top)
    child = daemon.reader._child.pid if daemon.reader and daemon.reader._child else 0
    sqlite_mb = sqlite_heap()
    print(f"{'mails':>7} {'daemon MB':>10} {'reader MB':>10} {'sqlite MB':>10} {'simulated':>17}  "
          "(RSS after gc.collect)", flush=True)
    baseline = rss_kb(os.getpid())
    started = time.monotonic()
    sent = 0
    for n in range(1, args.messages + 1):
        if n % REFRESH_EVERY == 1:
            load.refresh()
        _, raw, sender = load.next()
        if args.smtp:  # a connection per mail, as MTAs mostly do (the listener's per-session state)
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
                client.sendmail(sender or "<>", ["care@shop.test"], raw)
        else:
            daemon.ingest(raw, "smtp")
        clock.advance()
        if n % OUTBOX_EVERY == 0:
            daemon.deliver()
            for path in outgoing.glob("*.eml"):
                path.unlink()
                sent += 1
        if n % SWEEP_EVERY == 0:
            daemon.sweep()
            daemon.periodic.publish()
        if n % args.step == 0:
            gc.collect()
            reader = daemon.reader._child.pid if daemon.reader and daemon.reader._child else child
            print(f"{n:7d} {rss_kb(os.getpid()) / 1024:10.1f} {rss_kb(reader) / 1024:10.1f} {sqlite_mb():10.1f} "
                  f"{clock.now:%Y-%m-%d %H:%M}  ({sent} mails sent, {time.monotonic() - started:.0f}s)", flush=True)
            report = tracer.step()
            if report:
                print(report, flush=True)
    print(f"daemon RSS {baseline / 1024:.1f} MB after warm-up, {rss_kb(os.getpid()) / 1024:.1f} MB at the end")
    daemon.stop_event.set()
    daemon.stop_sources()
    if daemon.reader:
        daemon.reader.close()
    runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=80_000)
    parser.add_argument("--step", type=int, default=10_000, help="print every this many mails")
    parser.add_argument("--seconds-per-message", type=float, default=4.0, help="simulated time per mail")
    parser.add_argument("--trace", action="store_true", help="tracemalloc growth by traceback per step")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--smtp", action="store_true", help="through the daemon's SMTP listener, a connection per mail")
    parser.add_argument("--keep", help="directory to keep (default: a temporary one, removed)")
    args = parser.parse_args()
    with work_directory(args.keep, "memory-") as root:
        run(args, root)


if __name__ == "__main__":
    main()
