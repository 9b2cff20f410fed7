"""Benchmark: the MTA pipe (`gateway deliver`) beside Roundup's pipe, spool-to-acknowledgement
latency through a running daemon, and `gateway import` of a large mbox (issue 20).

Run: python3 bench/deliver.py [--n 200] [--import-n 10000] [--no-peer] [--no-import]

    deliver per-msg    `gateway deliver < FILE`, one process per message (spool only)
    ingest per-msg     `gateway ingest < FILE`, one process per message (the whole pipeline)
    roundup-* per-msg  `roundup-mailgw TRACKER < FILE`, one process per message
    latency            a daemon runs; one `deliver` every --gap seconds; time from the end of
                       `deliver` to the acknowledgement file in the outbox (p50/p99)
    import             `gateway import` of an mbox of --import-n messages: msg/s, peak RSS

Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import email
import email.policy
import mailbox
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import corpus  # noqa: E402
import peer_roundup  # noqa: E402
from run import Gateway, Roundup, Tally, run_child  # noqa: E402

sys.path.insert(0, str(BENCH.parent / "tests"))
from gatewaykit import DaemonProcess, write_config  # noqa: E402
from servers import free_port  # noqa: E402


def per_process(argv: list[str], files: list[Path], cwd: Path | None = None) -> dict:
    tally = Tally()
    for file in files:
        tally.add(run_child(argv, file, cwd), file.name)
    return {"msgs": len(files), "wall_s": tally.wall, "msgs_per_s": len(files) / tally.wall,
            "peak_rss_mb": tally.max_rss_kb / 1024, "failed": len(tally.failures)}


def latency(home: Path, files: list[Path], gap: float) -> dict:
    """Spool to acknowledgement through a real daemon: seconds per message."""
    config = write_config(home, smtp_port=free_port())
    outbox = home / "storage" / "outgoing"
    waits: list[float] = []
    with DaemonProcess(config) as daemon:
        daemon.wait_listening(int(config.read_text().split('listen = "127.0.0.1:')[1].split('"')[0]), timeout=120)
        for file in files:
            mid = email.message_from_bytes(file.read_bytes(), policy=email.policy.compat32)["Message-ID"].strip()
            before = set(outbox.glob("*.eml")) if outbox.exists() else set()
            run = run_child([sys.executable, "-m", "gateway", "--config", str(config), "deliver"], file)
            spooled = time.perf_counter()
            if run.returncode:
                continue
            deadline = spooled + 30
            while time.perf_counter() < deadline:
                fresh = (set(outbox.glob("*.eml")) if outbox.exists() else set()) - before
                if any(mid.encode() in p.read_bytes()[:4096] for p in fresh):
                    waits.append(time.perf_counter() - spooled)
                    break
                time.sleep(0.005)
            time.sleep(gap)
        daemon.stop()
    waits.sort()
    pick = (lambda q: waits[min(len(waits) - 1, int(q * len(waits)))]) if waits else (lambda q: float("nan"))
    return {"msgs": len(files), "acknowledged": len(waits), "p50_s": pick(0.5), "p99_s": pick(0.99),
            "mean_s": statistics.fmean(waits) if waits else float("nan")}


def import_run(home: Path, n: int, seed: int) -> dict:
    entries = corpus.write(home / "corpus", n, seed)
    box = mailbox.mbox(home / "history.mbox")
    for entry in entries:
        box.add((home / "corpus" / entry.file).read_bytes())
    box.flush()
    box.close()
    config = write_config(home)
    now = corpus.START + timedelta(minutes=7 * (len(entries) + 1))
    run = run_child([sys.executable, "-m", "gateway", "--config", str(config), "import", "--now", now.isoformat(),
                     str(home / "history.mbox")], cwd=home)
    return {"msgs": len(entries), "wall_s": run.wall, "msgs_per_s": len(entries) / run.wall,
            "peak_rss_mb": run.max_rss_kb / 1024, "exit": run.returncode,
            "summary": run.stdout.decode(errors="replace").strip()[-200:] or run.stderr.decode(errors="replace")[-300:]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="messages per one-process-per-message run")
    parser.add_argument("--latency-n", type=int, default=100)
    parser.add_argument("--gap", type=float, default=0.2, help="seconds between deliveries in the latency run")
    parser.add_argument("--import-n", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--no-ingest", action="store_true", help="skip the slow `ingest` per-process row")
    parser.add_argument("--no-import", action="store_true")
    parser.add_argument("--work", type=Path, default=BENCH / "work" / "deliver")
    args = parser.parse_args(argv)
    import shutil
    shutil.rmtree(args.work, ignore_errors=True)
    entries = corpus.write(args.work / "corpus", args.n, args.seed)
    files = [args.work / "corpus" / e.file for e in entries if e.kind == "new"]
    now = corpus.START + timedelta(minutes=7 * (len(entries) + 1))
    rows: dict[str, dict] = {}
    ours = Gateway(args.work / "gateway-deliver", now)
    rows["gateway deliver per-msg"] = per_process(ours.command("deliver"), files, ours.home)
    if not args.no_ingest:
        ingest = Gateway(args.work / "gateway-ingest", now)
        rows["gateway ingest per-msg"] = per_process(ingest.single(), files, ingest.home)
    if not args.no_peer:
        peer_roundup.ensure_venv()
        for variant in peer_roundup.VARIANTS:
            peer = Roundup(args.work / f"roundup-{variant}" / "tracker", variant)
            rows[f"roundup-{variant} per-msg"] = per_process(peer.single(), files)
    for name, row in rows.items():
        print(f"{name:28s} {row['msgs']:5d} msgs  {row['msgs_per_s']:8.1f} msg/s  "
              f"peak RSS {row['peak_rss_mb']:6.1f} MB  failed {row['failed']}")
    base = rows["gateway deliver per-msg"]["msgs_per_s"]
    for name, row in rows.items():
        if name != "gateway deliver per-msg":
            print(f"deliver / {name}: {base / row['msgs_per_s']:.1f}x")
    lat = latency(args.work / "latency", files[:args.latency_n], args.gap)
    print(f"spool to acknowledgement ({lat['acknowledged']}/{lat['msgs']} acknowledged, one every {args.gap}s): "
          f"p50 {lat['p50_s'] * 1000:.0f} ms, p99 {lat['p99_s'] * 1000:.0f} ms, mean {lat['mean_s'] * 1000:.0f} ms")
    if not args.no_import:
        imp = import_run(args.work / "import", args.import_n, args.seed)
        print(f"import of a {imp['msgs']}-message mbox: {imp['msgs_per_s']:.1f} msg/s, {imp['wall_s']:.1f} s, "
              f"peak RSS {imp['peak_rss_mb']:.1f} MB, exit {imp['exit']}: {imp['summary']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
