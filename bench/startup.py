"""Benchmark: where a one-process-per-message `deliver` spends its time (issue 20).

Run: python3 bench/startup.py [--runs 30]

Each row is one command run --runs times, a 3 KB mail on stdin; the median and the fastest
wall time of the process (spawn included) are printed. The rows take the MTA line apart:
the interpreter with and without `site` (whose .pth hooks run at every start), the imports
the spool module avoids, the spool module as the README's `master.cf` line runs it, and
`gateway deliver` through the package with `site`. A plain venv's start with and without
`site` (Roundup's, when bench/work/roundup-venv exists) shows what `site` costs where no
.pth hooks were installed, and the floor of the peer's process; its whole pipe is
measured by `bench/run.py --modes deliver`. Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SPOOL = REPO / "gateway" / "service" / "spool.py"
ROUNDUP_PYTHON = BENCH / "work" / "roundup-venv" / "bin" / "python3"


def rows(config: Path) -> list[tuple[str, list[str]]]:
    py = sys.executable
    found = [
        ("python3 -c pass (with site)", [py, "-c", "pass"]),
        ("python3 -S -c pass", [py, "-S", "-c", "pass"]),
        ("python3 -I -S -c pass", [py, "-I", "-S", "-c", "pass"]),
        ("  + import pathlib", [py, "-I", "-S", "-c", "import pathlib"]),
        ("  + import socket", [py, "-I", "-S", "-c", "import socket"]),
        ("  + import tomllib", [py, "-I", "-S", "-c", "import tomllib"]),
        ("deliver: python3 -I -S spool.py", [py, "-I", "-S", str(SPOOL), "--config", str(config)]),
        ("deliver: python3 spool.py (site)", [py, str(SPOOL), "--config", str(config)]),
        ("gateway deliver (python3 -m gateway)", [py, "-m", "gateway", "--config", str(config), "deliver"]),
    ]
    if ROUNDUP_PYTHON.exists():
        found.append(("a plain venv (Roundup's): python3 -c pass", [str(ROUNDUP_PYTHON), "-c", "pass"]))
        found.append(("a plain venv (Roundup's): -I -S -c pass", [str(ROUNDUP_PYTHON), "-I", "-S", "-c", "pass"]))
    return found


def measure(argv: list[str], mail: bytes, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(argv, input=mail, capture_output=True)
        times.append(time.perf_counter() - start)
        if result.returncode:
            raise SystemExit(f"{argv}: exit {result.returncode}: {result.stderr.decode(errors='replace')}")
    return sorted(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    mail = (b"From: aysel@example.az\nTo: care@shop.test\nSubject: Sifari\xc5\x9fim gecikir\n\n"
            + b"Salam, sifari\xc5\x9fim 10 g\xc3\xbcnd\xc3\xbcr \xc3\xa7atd\xc4\xb1r\xc4\xb1lmay\xc4\xb1b.\n" * 60)
    with tempfile.TemporaryDirectory() as home:
        config = Path(home) / "gateway.toml"
        config.write_text('[storage]\nspool = "spool"\n', encoding="utf-8")
        print(f"load average {os.getloadavg()[0]:.1f}; {args.runs} runs each; mail {len(mail)} bytes")
        for name, command in rows(config):
            times = measure(command, mail, args.runs)
            print(f"{name:40s} median {statistics.median(times) * 1000:7.1f} ms   fastest {times[0] * 1000:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
