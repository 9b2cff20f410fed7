"""The portal's status page under concurrent load.

Starts `gateway web` on a private SQLite database with N complaints filed through
the portal itself, then C client threads, each with its own session (tracked once
with the number and secret), request their status pages for D seconds over
keep-alive-less HTTP/1.1 on loopback. Prints requests/second and latency p50/p99/max.

    python3 bench/web_status.py --complaints 50 --clients 16 --seconds 20
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from gatewaykit import gateway
from servers import free_port
from webkit import Client, PortalProcess, file_complaint, portal_config, track


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=50)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        port = free_port()
        config = portal_config(Path(work), port)
        gateway(config, "migrate")
        portal = PortalProcess(config, port)
        try:
            filed = [file_complaint(Client(portal.url), email=f"bench{i}@example.com") for i in range(args.complaints)]
            pairs = [(f.text("tracking"), f.text("secret")) for f in filed]
            latencies: list[float] = []
            errors = [0]
            lock = threading.Lock()
            stop = time.monotonic() + args.seconds

            def worker(index: int) -> None:
                tracking, secret = pairs[index % len(pairs)]
                client = Client(portal.url)
                track(client, tracking, secret)
                mine: list[float] = []
                while time.monotonic() < stop:
                    started = time.perf_counter()
                    page = client.get(f"/complaint/{tracking}")
                    mine.append(time.perf_counter() - started)
                    if page.status != 200 or tracking not in page.body:
                        errors[0] += 1
                with lock:
                    latencies.extend(mine)

            threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
            began = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - began
        finally:
            portal.stop()
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    print(f"status page: {len(latencies)} requests from {args.clients} clients in {elapsed:.1f} s: "
          f"{len(latencies) / elapsed:.0f} req/s; latency p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, "
          f"max {latencies[-1] * 1000:.1f} ms; mean {statistics.mean(latencies) * 1000:.1f} ms; errors {errors[0]}")
    return 1 if errors[0] else 0


if __name__ == "__main__":
    sys.exit(main())
