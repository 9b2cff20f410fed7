"""Benchmark: the parse floor, our gateway and Roundup's mail gateway on the same mail (issue 10).

Run: python3 bench/run.py --n 1000 [--seed 7] [--no-peer] [--modes batch,per-message,deliver]

One invocation, one machine, one after the other, on one seeded corpus
(bench/corpus.py):

    parse floor         mail-parser alone over the corpus, one process
    gateway batch       `gateway ingest FILE...` in one process, then `tick`
    gateway per-msg     `gateway ingest < FILE`, one process per message (the whole pipeline)
    gateway deliver     `python3 -I -S gateway/service/spool.py --config F < FILE`, one process per
                        message into the spool of a running daemon (the documented MTA pipe;
                        bench/deliver.py), with spool-to-acknowledgement p50/p99
    roundup-* mbox      `roundup-mailgw TRACKER mailbox FILE`, shipped and fast hashing
    roundup-* per-msg   `roundup-mailgw TRACKER < FILE`, one process per message

Each system runs in two phases, because a follow-up can only carry a tracking
designator (or answer a reply Message-ID) that the system has already handed
out: phase 1 ingests the new complaints (and delivers the replies), then the
adapter substitutes that system's own values for the corpus placeholders, then
phase 2 ingests the follow-ups. Times are the sum of both phases' child
processes, spawn included; peak RSS is the largest of any one child
(os.wait4), so it is the footprint of a process, not of the harness.
Correctness is read from each system's database afterwards against the
corpus manifest. Roundup runs the per-message mode when `deliver` is asked, as its peer. Prints the table and writes it as JSON under bench/results/.
"""
from __future__ import annotations

import argparse
import email
import email.policy
import json
import mailbox
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import getaddresses
from pathlib import Path
from typing import Iterable, Protocol

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(BENCH), str(REPO / "tests"), str(REPO)]

import corpus  # noqa: E402
import deliver  # noqa: E402
import peer_roundup  # noqa: E402

from gatewaykit import write_config  # noqa: E402
from servers import free_port  # noqa: E402

TRACKING_TOKEN = re.compile(rb"\[\{\{tracking:(m\d+)\}\}\] ?")
REPLY_TOKEN = re.compile(rb"\{\{reply:(m\d+)\}\}")
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else ""
PARSE_FLOOR = ("import sys, pathlib, mailparser\n"
               "for path in sorted(pathlib.Path(sys.argv[1]).glob('*.eml')):\n"
               "    mailparser.parse_from_bytes(path.read_bytes())\n")
COLUMNS = (("system", "system", "{}"), ("mode", "mode", "{}"), ("messages", "msgs", "{}"),
           ("wall_s", "wall s", "{:.2f}"), ("msgs_per_s", "msg/s", "{:.1f}"), ("settle_s", "tick s", "{:.2f}"),
           ("peak_rss_mb", "peak RSS MB", "{:.1f}"), ("stored", "stored", "{}"), ("missing", "missing", "{}"),
           ("threaded_pct", "threaded %", "{:.1f}"), ("wrongly_merged", "merged", "{}"),
           ("replies_sent", "replies", "{}"))
MODES = ("batch", "per-message", "deliver")


@dataclass(frozen=True)
class ChildRun:
    wall: float
    max_rss_kb: int
    returncode: int
    stdout: bytes
    stderr: bytes
    ended: float = 0.0  # perf_counter when the child had exited


@dataclass
class Tally:
    """Wall time summed, RSS maxed, over the child processes of one measurement."""

    wall: float = 0.0
    max_rss_kb: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, run: ChildRun, what: str) -> ChildRun:
        self.wall += run.wall
        self.max_rss_kb = max(self.max_rss_kb, run.max_rss_kb)
        if run.returncode != 0:
            self.failures.append(f"{what}: exit {run.returncode}: {run.stderr.decode(errors='replace')[-300:]}")
        return run


@dataclass(frozen=True)
class Reply:
    recipient: str
    message_id: str
    in_reply_to: str


def run_child(argv: list[str], stdin: Path | None = None, cwd: Path | None = None) -> ChildRun:
    """Run one child to completion and measure its own peak RSS, not the harness's.

    GNU time forks the child from a tiny process; without it, os.wait4 is used,
    whose ru_maxrss is at least the harness's own high-water mark (Python spawns
    with vfork, and Linux carries the old address space's peak across exec)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile() as rss, \
            (stdin.open("rb") if stdin else open(os.devnull, "rb")) as source:
        wrapped = [GNU_TIME, "-f", "%M", "-o", rss.name, *argv] if GNU_TIME else argv
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, stdin=source, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        ended = time.perf_counter()
        wall = ended - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        peak = int(rss.read().split()[-1]) if GNU_TIME else usage.ru_maxrss
        return ChildRun(wall, peak, proc.returncode, out.read(), err.read(), ended)


class System(Protocol):
    """What the harness needs from a mail gateway under test."""

    name: str

    def batch(self, files: list[Path], phase: str) -> list[str]: ...

    def single(self) -> list[str]: ...

    def settle(self) -> list[str] | None: ...

    def containers(self) -> dict[str, str]: ...

    def replies(self) -> list[Reply]: ...

    def delivered(self, file: Path, run: ChildRun) -> None: ...

    def drain(self) -> float: ...


class Gateway:
    """Ours: one temp config per run, the maildir transport, SQLite."""

    name = "gateway"

    def __init__(self, home: Path, now: datetime, **config: object):
        shutil.rmtree(home, ignore_errors=True)
        self.home, self.config = home, write_config(home, **config)
        self.now = now.isoformat()

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "gateway", "--config", str(self.config), *args]

    def batch(self, files: list[Path], phase: str) -> list[str]:
        return self.command("ingest", "--now", self.now, *map(str, files))

    def single(self) -> list[str]:
        return self.command("ingest", "--now", self.now)

    def settle(self) -> list[str] | None:
        return self.command("tick", "--now", self.now)

    def containers(self) -> dict[str, str]:
        database = self.home / "storage" / "gateway.db"
        with closing(sqlite3.connect(database)) as db:
            rows = db.execute("SELECT m.message_id, c.tracking FROM message m LEFT JOIN complaint c "
                              "ON c.id = m.complaint_id WHERE m.direction = 'in' AND m.message_id IS NOT NULL")
            return {mid: tracking or "" for mid, tracking in rows}

    def replies(self) -> list[Reply]:
        found = []
        for path in sorted((self.home / "storage" / "outgoing").glob("*.eml")):
            with path.open("rb") as handle:
                msg = email.message_from_binary_file(handle, policy=email.policy.compat32)
            for address in {a.lower() for _, a in getaddresses(msg.get_all("To", []))}:
                found.append(Reply(address, strip_id(msg["Message-ID"]), strip_id(msg["In-Reply-To"])))
        return found

    def delivered(self, file: Path, run: ChildRun) -> None:
        return None

    def drain(self) -> float:
        return 0.0


class Roundup:
    """The peer, one hashing variant; its designator is issueN."""

    def __init__(self, home: Path, variant: str):
        self.name, self.variant = f"roundup-{variant}", variant
        self.tracker = peer_roundup.fresh_tracker(variant, home)

    def batch(self, files: list[Path], phase: str) -> list[str]:
        path = self.tracker / f"incoming-{phase}.mbox"  # roundup-mailgw empties it as it goes
        write_mbox(path, files)
        return peer_roundup.mbox_command(self.tracker, path)

    def single(self) -> list[str]:
        return peer_roundup.pipe_command(self.tracker)

    def settle(self) -> list[str] | None:
        return None  # Roundup sends its mail while it processes the message

    def containers(self) -> dict[str, str]:
        return peer_roundup.containers(self.tracker)

    def replies(self) -> list[Reply]:
        return [Reply(r.recipient, r.message_id, r.in_reply_to) for r in peer_roundup.replies(self.tracker)]

    def delivered(self, file: Path, run: ChildRun) -> None:
        return None

    def drain(self) -> float:
        return 0.0  # Roundup has done everything by the time its process exits


def strip_id(value: str | None) -> str:
    return (value or "").strip().strip("<>")


def write_mbox(path: Path, files: Iterable[Path]) -> None:
    path.unlink(missing_ok=True)
    box = mailbox.mbox(str(path))
    try:
        for file in files:
            box.add(file.read_bytes())
    finally:
        box.close()


def reply_ids(entries: list[corpus.Entry], replies: list[Reply]) -> dict[str, str]:
    """thread key -> Message-ID of the system's first reply to that complaint's customer.

    Ours answers with In-Reply-To = the customer's Message-ID; Roundup sends the
    message on under the customer's own Message-ID. Without a reply, a client
    answers the customer's own sent mail."""
    by_parent: dict[str, str] = {}
    for reply in replies:
        by_parent.setdefault(reply.in_reply_to or reply.message_id, reply.message_id)
    return {e.key: by_parent.get(e.message_id, e.message_id) for e in entries if e.kind == "new"}


def substitute(raw: bytes, designators: dict[str, str], replies: dict[str, str]) -> bytes:
    """Put one system's tracking designator and reply Message-ID into a follow-up.
    A customer never told a designator (the system lost the complaint) cannot quote one."""
    def designator(match: re.Match[bytes]) -> bytes:
        value = designators.get(match.group(1).decode())
        return f"[{value}] ".encode() if value else b""
    raw = TRACKING_TOKEN.sub(designator, raw)
    return REPLY_TOKEN.sub(lambda m: replies[m.group(1).decode()].encode(), raw)


def score(entries: list[corpus.Entry], containers: dict[str, str], replies: list[Reply]) -> dict[str, object]:
    """Correctness against the manifest: stored, missing, threaded, wrongly merged, replies."""
    by_key = {e.key: e for e in entries}
    stored = [e for e in entries if e.message_id in containers]
    followups = [e for e in entries if e.kind == "followup"]
    joined = [e for e in followups if containers.get(e.message_id)
              and containers.get(e.message_id) == containers.get(by_key[e.thread].message_id)]
    by_style = {style: f"{sum(e.style == style for e in joined)}/{sum(e.style == style for e in followups)}"
                for style in corpus.STYLES}
    seen: dict[str, int] = {}
    for e in entries:
        if e.kind == "new" and containers.get(e.message_id):
            seen[containers[e.message_id]] = seen.get(containers[e.message_id], 0) + 1
    customers = {e.sender.lower() for e in entries}
    return {"stored": len(stored), "missing": len(entries) - len(stored),
            "threaded_pct": 100.0 * len(joined) / len(followups) if followups else 100.0,
            "threaded_by_style": by_style,
            "wrongly_merged": sum(count - 1 for count in seen.values()),
            "replies_sent": sum(1 for r in replies if r.recipient in customers)}


@dataclass
class Run:
    """One system in one mode through both phases: its processes' times and its settling."""

    system: System
    mode: str
    work: Path
    tally: Tally = field(default_factory=Tally)
    settle: Tally = field(default_factory=Tally)


def followup_files(system: System, entries: list[corpus.Entry], corpus_dir: Path, work: Path) -> list[Path]:
    """The follow-ups with this system's designators and reply Message-IDs put in."""
    stored = system.containers()
    designators = {e.key: stored.get(e.message_id, "") for e in entries if e.kind == "new"}
    replies = reply_ids(entries, system.replies())
    followup_dir = work / "followups"
    followup_dir.mkdir(parents=True, exist_ok=True)
    followups = []
    for e in (e for e in entries if e.kind == "followup"):
        path = followup_dir / Path(e.file).name
        path.write_bytes(substitute((corpus_dir / e.file).read_bytes(), designators, replies))
        followups.append(path)
    return followups


def measure(system: System, mode: str, entries: list[corpus.Entry], corpus_dir: Path, work: Path) -> dict:
    """Both phases for one system and mode; the table row."""
    return measure_together([Run(system, mode, work)], entries, corpus_dir)[0]


def measure_together(runs: list[Run], entries: list[corpus.Entry], corpus_dir: Path) -> list[dict]:
    """Both phases for several systems; their one-process-per-message runs take turns message
    by message, so a shared machine's load, which changes over minutes, weighs on each alike."""
    files = {id(run): [corpus_dir / e.file for e in entries if e.kind == "new"] for run in runs}
    for phase in ("new", "followups"):
        if phase == "followups":
            files = {id(run): followup_files(run.system, entries, corpus_dir, run.work) for run in runs}
        for run in (run for run in runs if run.mode == "batch"):
            run.tally.add(run_child(run.system.batch(files[id(run)], phase)), f"{run.system.name} {phase}")
        singles = [run for run in runs if run.mode != "batch"]
        for position in range(len(files[id(singles[0])]) if singles else 0):
            for run in singles:
                file = files[id(run)][position]
                run.system.delivered(file, run.tally.add(run_child(run.system.single(), file),
                                                         f"{run.system.name} {file.name}"))
        for run in runs:
            settle_once(run.system, run.settle)
    return [row(run, entries) for run in runs]


def row(run: Run, entries: list[corpus.Entry]) -> dict:
    system, tally, settle = run.system, run.tally, run.settle
    failures = tally.failures + settle.failures
    return {"system": system.name, "mode": run.mode, "messages": len(entries), "wall_s": tally.wall,
            "msgs_per_s": len(entries) / tally.wall if tally.wall else 0.0,
            "settle_s": settle.wall if system.settle() or run.mode == "deliver" else None,
            "peak_rss_mb": max(tally.max_rss_kb, settle.max_rss_kb) / 1024,
            **score(entries, system.containers(), system.replies()),
            "failures": failures[:20], "failed_processes": len(failures)}


def settle_once(system: System, settle: Tally) -> None:
    """Ours delivers its replies in `tick` (or its daemon, in `deliver` mode), timed apart from ingest."""
    argv = system.settle()
    if argv:
        settle.add(run_child(argv), f"{system.name} tick")
    settle.wall += system.drain()


def measure_per_process(modes: list[str], run_dir: Path, now: datetime, gap: float, peer: bool,
                        entries: list[corpus.Entry], corpus_dir: Path) -> list[dict]:
    """The one-process-per-message rows, taken together (measure_together): ours (`ingest`,
    `deliver` into a running daemon's spool, with its latency figures) and Roundup's pipe."""
    with ExitStack() as stack:
        runs = []
        if "per-message" in modes:
            home = run_dir / "gateway-per-message"
            runs.append(Run(Gateway(home, now), "per-message", home))
        if "deliver" in modes:
            home, port = run_dir / "gateway-deliver", free_port()
            spool = stack.enter_context(deliver.DeliverGateway(Gateway(home, now, smtp_port=port), port, gap))
            runs.append(Run(spool, "deliver", home))
        for variant in peer_roundup.VARIANTS if peer else ():
            home = run_dir / f"roundup-{variant}-per-message"
            runs.append(Run(Roundup(home / "tracker", variant), "per-message", home))
        rows = measure_together(runs, entries, corpus_dir)
        return [{**row, **run.system.latency()} if run.mode == "deliver" else row for run, row in zip(runs, rows)]


def parse_floor(corpus_dir: Path, n: int) -> dict:
    tally = Tally()
    tally.add(run_child([sys.executable, "-c", PARSE_FLOOR, str(corpus_dir / "eml")]), "parse floor")
    return {"system": "mail-parser", "mode": "parse floor", "messages": n, "wall_s": tally.wall,
            "msgs_per_s": n / tally.wall, "settle_s": None, "peak_rss_mb": tally.max_rss_kb / 1024,
            "stored": None, "missing": None, "threaded_pct": None, "threaded_by_style": None,
            "wrongly_merged": None, "replies_sent": None,
            "failures": tally.failures, "failed_processes": len(tally.failures)}


def ratios(rows: list[dict]) -> dict[str, float]:
    """Throughput of ours over each other row of the same mode (and over the parse floor)."""
    speed = {(r["system"], r["mode"]): r["msgs_per_s"] for r in rows}
    out: dict[str, float] = {}
    for (system, mode), value in speed.items():
        ours_modes = ["batch" if mode in ("batch", "parse floor") else mode]
        if mode == "per-message":
            ours_modes.append("deliver")  # the MTA pipe against each per-process pipe
        for ours_mode in ours_modes:
            ours = speed.get(("gateway", ours_mode))
            if ours and value and (system, mode) != ("gateway", ours_mode):
                out[f"gateway {ours_mode} / {system} {mode}"] = ours / value
    return out


def render(rows: list[dict], ratio: dict[str, float]) -> str:
    cells = [[label for _, label, _ in COLUMNS]]
    for row in rows:
        cells.append(["-" if row[key] is None else fmt.format(row[key]) for key, _, fmt in COLUMNS])
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.rjust(w) if i > 1 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines += [""] + [f"{name}: {value:.2f}x" for name, value in ratio.items()]
    lines += [f"spool to acknowledgement, {row['system']} {row['mode']} (a daemon taking the spool; "
              f"{row['acknowledged']} of {row['spooled']} answered): p50 {row['ack_p50_s'] * 1000:.0f} ms, "
              f"p99 {row['ack_p99_s'] * 1000:.0f} ms, max {row['ack_max_s'] * 1000:.0f} ms"
              for row in rows if "ack_p50_s" in row]
    lines += [""] + [f"threaded, {row['system']} {row['mode']}: "
                     + ", ".join(f"{style} {share}" for style, share in row["threaded_by_style"].items())
                     for row in rows if row["threaded_by_style"]]
    failures = [f"  {row['system']} {row['mode']}: {row['failed_processes']} failed process(es); first: "
                f"{row['failures'][0][:200]!r}" for row in rows if row["failed_processes"]]
    return "\n".join(lines + (["", "failures:"] + failures if failures else []))


def machine() -> dict[str, object]:
    cpu = platform.processor()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="benchmark: parse floor, our gateway, Roundup's mail gateway")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-peer", action="store_true", help="skip Roundup (no venv built)")
    parser.add_argument("--modes", default=",".join(MODES),
                        help=f"comma-separated, of {', '.join(MODES)} (default: all; Roundup runs per-message "
                             "whenever deliver or per-message is asked)")
    parser.add_argument("--no-per-process", action="store_true", help="the same as --modes batch")
    parser.add_argument("--deliver-gap", type=float, default=0.0,
                        help="at least this many seconds between two `deliver` processes (untimed); the next "
                             "waits anyway until the daemon has answered the last")
    parser.add_argument("--work", type=Path, default=BENCH / "work")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    args = parser.parse_args(argv)
    modes = ["batch"] if args.no_per_process else [m.strip() for m in args.modes.split(",") if m.strip()]
    if unknown := set(modes) - set(MODES):
        parser.error(f"unknown mode(s): {', '.join(sorted(unknown))}")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    args.work = args.work.resolve()
    run_dir = args.work / f"run-{args.n}"
    shutil.rmtree(run_dir, ignore_errors=True)
    corpus_dir = run_dir / "corpus"
    entries = corpus.write(corpus_dir, args.n, args.seed)
    now = corpus.START + timedelta(minutes=7 * (len(entries) + 1))
    rows = []
    if "batch" in modes:
        rows += [parse_floor(corpus_dir, len(entries)),
                 measure(Gateway(run_dir / "gateway-batch", now), "batch", entries, corpus_dir, run_dir / "gateway-batch")]
    peer_version = None
    if not args.no_peer:
        peer_roundup.ensure_venv()
        peer_version = peer_roundup.version()
        for variant in peer_roundup.VARIANTS if "batch" in modes else ():
            home = run_dir / f"roundup-{variant}-batch"
            rows.append(measure(Roundup(home / "tracker", variant), "batch", entries, corpus_dir, home))
    if per_process := [m for m in modes if m != "batch"]:
        rows += measure_per_process(per_process, run_dir, now, args.deliver_gap, not args.no_peer, entries, corpus_dir)
    ratio = ratios(rows)
    print(render(rows, ratio))
    stamp = datetime.now(timezone.utc)
    report = {"date": stamp.isoformat(timespec="seconds"), "n": len(entries), "seed": args.seed,
              "machine": machine(), "peer": peer_version,
              "rss_measured_by": GNU_TIME or "os.wait4 (includes the harness's own peak)",
              "peer_hashing_rounds": peer_roundup.VARIANTS, "rows": rows, "ratios": ratio}
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"bench-n{len(entries)}-{stamp:%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
