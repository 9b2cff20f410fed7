"""Ingest throughput with 1, 2 and 3 `gateway run` instances, on PostgreSQL and on SQLite.

Run: python3 bench/multi_instance.py [--n 600] [--seed 7] [--instances 1 2 3]

Same seeded corpus (bench/corpus.py) for every configuration. Each configuration
gets a fresh database (a private PostgreSQL cluster from tests/servers.py, or a
fresh SQLite file shared by the instances) and starts N daemons; N client threads
then hand the corpus round-robin to the daemons' SMTP listeners, the way a
company MTA would spread mail over several gateway hosts. A 250 reply means the
message is stored, so the time from the first send to the last 250 is the
ingest time. The daemons' outboxes run meanwhile, as they would in production.

Why SMTP and not IMAP: one IMAP mailbox is consumed by one instance at a time
(the mailbox lease), so more instances add failover, not IMAP throughput; the
paths that scale out are the MTA's (SMTP/LMTP, `gateway ingest` as a pipe).

Everything runs on this one machine, database included, so the figures show
contention and coordination cost more than what separate hosts would gain;
the CPU count is printed with them.
"""
from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import corpus  # noqa: E402

from gatewaykit import DaemonProcess, write_config  # noqa: E402
from servers import PrivatePostgres, free_port  # noqa: E402

ENVELOPE_FROM, CARE = "mta@example.test", "care@shop.test"


@dataclass(frozen=True)
class Result:
    backend: str
    instances: int
    messages: int  # stored (sent minus refused)
    refused: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def load_corpus(n: int, seed: int) -> list[bytes]:
    directory = HERE / "work" / f"multi-corpus-{n}-{seed}"
    if not (directory / "manifest.json").exists():
        corpus.write(directory, n, seed)
    return [p.read_bytes() for p in sorted((directory / "eml").glob("*.eml"))]


def send_share(port: int, messages: list[bytes], errors: list[str], refused: list[int]) -> None:
    """Send one share over one connection; a message the listener refuses (5xx) is
    counted and skipped, the same ones in every configuration."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
            for raw in messages:
                try:
                    client.sendmail(ENVELOPE_FROM, [CARE], raw)
                except smtplib.SMTPDataError as exc:
                    if exc.smtp_code < 500:
                        raise
                    refused.append(exc.smtp_code)
    except (OSError, smtplib.SMTPException) as exc:
        errors.append(f"port {port}: {exc}")


def measure(backend: str, database_url: str, instances: int, messages: list[bytes], root: Path) -> Result:
    shared = root / "shared"
    shared.mkdir(parents=True)
    daemons: list[tuple[DaemonProcess, int]] = []
    try:
        for index in range(instances):
            port = free_port()
            node = root / f"node{index}"
            config = write_config(node, database=database_url, smtp_port=port)
            (node / "storage").symlink_to(shared)  # one archive and outbox maildir, as on a shared volume
            daemon = DaemonProcess(config)
            daemon.wait_listening(port, timeout=120)
            daemons.append((daemon, port))
        errors: list[str] = []
        refused: list[int] = []
        threads = [threading.Thread(target=send_share, args=(port, messages[i::instances], errors, refused))
                   for i, (_, port) in enumerate(daemons)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        if errors:
            raise RuntimeError("; ".join(errors))
        return Result(backend, instances, len(messages) - len(refused), len(refused), elapsed)
    finally:
        for daemon, _ in daemons:
            daemon.stop()
            daemon.__exit__()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args(argv)
    messages = load_corpus(args.n, args.seed)
    work = Path(tempfile.mkdtemp(prefix="gw-bench-multi-", dir="/tmp"))
    results: list[Result] = []
    try:
        with PrivatePostgres() as postgres:
            for instances in args.instances:
                for backend in ("postgresql", "sqlite"):
                    root = work / f"{backend}-{instances}"
                    url = (postgres.create_database() if backend == "postgresql"
                           else f"sqlite:///{root / 'shared' / 'gateway.db'}")
                    results.append(measure(backend, url, instances, messages, root))
                    print(f"  {backend:10} x{instances}: {results[-1].rate:7.1f} msg/s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    refused = max(r.refused for r in results)
    print(f"\ningest throughput over SMTP, {len(messages)} messages ({refused} refused by the listener with 5xx), "
          f"{os.cpu_count()} CPUs, database on the same machine")
    print(f"{'instances':>9} | {'PostgreSQL msg/s':>16} | {'SQLite msg/s':>12}")
    for instances in args.instances:
        row = {r.backend: r for r in results if r.instances == instances}
        print(f"{instances:>9} | {row['postgresql'].rate:16.1f} | {row['sqlite'].rate:12.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
