"""Benchmark: the deadline sweep over many stored complaints, few of them due (issue 5).

Run: python3 bench/sweep.py [--sizes 10000,100000,1000000] [--due 1000] [--keep DIR]

A temporary SQLite database (the embedded default: WAL, synchronous=full)
is filled with insert_many to each size in turn; at each size `--due` fresh
complaints are made due (one reminder each: their review stage ends tomorrow
noon), and one `sweep()` at "now" is timed: find the due complaints through
the next_action_at index, plan, record the event and queue the reminder, one
transaction per complaint. Also timed: the bare due query and a sweep with
nothing due (what the daemon pays every minute). The rows handled at one size
stay in the table, not due any more, for the next size.

Target (issue 5): under 1 s at 1,000,000 complaints with 1,000 due, and a
cost that follows the number due, not the number stored. A benchmark, not a
test: it asserts nothing.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, TypeVar
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import peewee as pw  # noqa: E402

from gateway import config as config_module  # noqa: E402
from gateway.desk.policy import Policy  # noqa: E402
from gateway.desk.view import naive  # noqa: E402
from gateway.jobs.sweep import sweep  # noqa: E402
from gateway.store.migrate import open_database  # noqa: E402
from gateway.store.models import Complaint, Customer, Event, OutgoingMail  # noqa: E402
from gatewaykit import write_config  # noqa: E402

BAKU = ZoneInfo("Asia/Baku")
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=BAKU)  # a Wednesday, inside working hours
CREATED = datetime(2026, 11, 30, 10, 0, tzinfo=BAKU)
STAGE_DUE = datetime(2026, 12, 3, 12, 0, tzinfo=BAKU)  # reminder one business day ahead: NOW
RESOLVE_DUE = datetime(2026, 12, 14, 10, 0, tzinfo=BAKU)
CHUNK = 1000
FIELDS = (Complaint.tracking, Complaint.customer, Complaint.subject, Complaint.status, Complaint.department,
          Complaint.created_at, Complaint.updated_at, Complaint.due_acknowledge, Complaint.due_stage,
          Complaint.due_resolve, Complaint.next_action_at)
T = TypeVar("T")


def timed(action: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def rows(first: int, count: int, customer: int, due: bool) -> list[tuple]:
    """Complaint rows numbered first..first+count-1; not-due ones act 1-30 days from now."""
    created, stage, resolve = naive(CREATED), naive(STAGE_DUE), naive(RESOLVE_DUE)
    out = []
    for number in range(first, first + count):
        later = naive(NOW + timedelta(days=1 + number % 30, minutes=number % 600))
        out.append((f"CC-2026-{number:08d}", customer, "Order late", "registered", "logistics", created, created,
                    stage, stage, resolve, naive(NOW - timedelta(minutes=1)) if due else later))
    return out


def insert(database: pw.Database, first: int, count: int, customer: int, due: bool) -> None:
    with database.atomic():
        for start in range(first, first + count, CHUNK):
            size = min(CHUNK, first + count - start)
            Complaint.insert_many(rows(start, size, customer, due), fields=FIELDS).execute()


def due_query() -> pw.ModelSelect:
    """The sweep's own query (gateway/jobs/sweep.py): one batch of due complaints, by due time."""
    return (Complaint.select(Complaint.id).where(Complaint.next_action_at <= naive(NOW))
            .order_by(Complaint.next_action_at).limit(500))


def due_ids() -> list[int]:
    return [c.id for c in due_query()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="build the database here and keep it")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    directory = args.keep or Path(tempfile.mkdtemp(prefix="gw-bench-sweep-"))
    directory.mkdir(parents=True, exist_ok=True)
    try:
        config = config_module.load(write_config(directory, database="sqlite:///sweep.db"))
        database = open_database(config.database_url)
        policy = Policy.load(config)
        customer = Customer.create(email="aysel@example.az").id
        sql, params = due_query().sql()
        plan = database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        print(f"due query plan: {' / '.join(str(row[-1]) for row in plan)}")
        print(f"{'complaints':>11} {'due':>6} {'insert s':>9} {'sweep s':>8} {'actions':>8} "
              f"{'per due ms':>10} {'due query ms':>12} {'idle sweep ms':>13}")
        stored = 0
        for size in sizes:
            filler = size - args.due - stored
            if filler < 0:
                raise SystemExit(f"size {size} is too small for {args.due} due on top of {stored} stored")
            insert_s, _ = timed(lambda: insert(database, stored, filler, customer, due=False))  # noqa: B023 (called before the loop moves on)
            insert_s += timed(lambda: insert(database, stored + filler, args.due, customer, due=True))[0]  # noqa: B023 (called before the loop moves on)
            stored = size
            database.execute_sql("ANALYZE")
            query_s, _ = timed(due_ids)
            sweep_s, report = timed(lambda: sweep(policy, database, NOW))
            idle_s, idle = timed(lambda: sweep(policy, database, NOW))
            assert report.complaints == args.due and idle.complaints == 0, (report, idle)
            print(f"{size:>11,} {report.complaints:>6} {insert_s:>9.1f} "
                  f"{sweep_s:>8.3f} {report.actions:>8} {1000 * sweep_s / args.due:>10.2f} "
                  f"{1000 * query_s:>12.2f} {1000 * idle_s:>13.2f}")
        print(f"queued mail: {OutgoingMail.select().count():,}; events: {Event.select().count():,} "
              f"(target: sweep < 1 s at 1,000,000 with 1,000 due)")
        database.close()
    finally:
        if args.keep is None:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
