"""Benchmark: `gateway import` of a large mbox of history (issue 20): messages/second and the
import process's peak memory, then a second import of the same file (adds nothing).

Run: python3 bench/import_mbox.py [--n 10000] [--seed 7]

The mbox holds the seeded bench corpus (bench/corpus.py: new complaints and follow-ups in
six threading styles, four languages, legacy charsets, HTML-only, attachments) in file
order; `import` sorts it by date itself. Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import mailbox
import os
import shutil
import sys
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(BENCH), str(REPO / "tests")]

import corpus  # noqa: E402
from run import run_child  # noqa: E402

from gatewaykit import write_config  # noqa: E402


def write_mbox(home: Path, n: int, seed: int) -> tuple[Path, int]:
    entries = corpus.write(home / "corpus", n, seed)
    path = home / "history.mbox"
    box = mailbox.mbox(str(path))
    try:
        for entry in entries:
            box.add((home / "corpus" / entry.file).read_bytes())
    finally:
        box.close()
    return path, len(entries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=BENCH / "work" / "import")
    args = parser.parse_args(argv)
    home = args.work.resolve()
    shutil.rmtree(home, ignore_errors=True)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    mbox, n = write_mbox(home, args.n, args.seed)
    config = write_config(home)
    now = corpus.START + timedelta(minutes=7 * (n + 1))
    command = [sys.executable, "-m", "gateway", "--config", str(config), "import", "--now", now.isoformat(), str(mbox)]
    for label in ("import", "again"):
        run = run_child(command, cwd=home)
        summary = (run.stdout or run.stderr).decode(errors="replace").strip().splitlines()
        print(f"{label}: {n} messages ({mbox.stat().st_size / 1e6:.1f} MB mbox) in {run.wall:.1f} s = "
              f"{n / run.wall:.1f} msg/s, peak RSS {run.max_rss_kb / 1024:.1f} MB, exit {run.returncode}: "
              f"{summary[-1] if summary else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
