"""`gateway import PATH`: years of history from an mbox file or a Maildir directory.

Messages go in the order of their own dates, so a reply finds the complaint its earlier
message opened, and each is processed *at* its date (deadlines from when it was written), when
that Date is sane (message_date); live mail is always processed at the time we receive it.
History is not news to anyone: by default nothing is queued to customers or staff
(`--notify` to send). Resumable by construction: the pipeline stores a message once (same
bytes, or the same Message-ID, sender and Date: mail/identity.py), so importing the same
source again adds nothing; each batch commits on its own, so an interrupted import keeps what it stored.
"""
from __future__ import annotations

import mailbox
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Callable, Iterator, Sequence

BATCH = 50
HEADER_BYTES = 64 * 1024  # the Date header is looked for in this much of a message
HISTORY_YEARS = 20  # an imported message's Date counts when it lies this far back at most (a 1970 clock does not)


@dataclass
class Summary:
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    stopped: bool = False  # asked to stop (Ctrl-C) before the last batch: what is stored stays

    def add(self, state: str) -> None:
        self.counts[state] = self.counts.get(state, 0) + 1

    def line(self, source: Path) -> str:
        parts = ", ".join(f"{n} {state}" for state, n in sorted(self.counts.items()))
        if self.stopped:
            return (f"{source}: interrupted after {sum(self.counts.values())} of {self.total} message(s) "
                    f"({parts or 'nothing stored'}); what is stored stays: run the same command again to "
                    "import the rest")
        return f"{source}: {self.total} message(s): {parts or 'nothing'}"


def open_box(path: Path) -> mailbox.Mailbox:
    """A Maildir (a directory with cur/ or new/) or an mbox file."""
    if path.is_dir():
        if not ((path / "cur").is_dir() or (path / "new").is_dir()):
            raise ValueError(f"{path} is a directory but not a Maildir (no cur/ or new/)")
        return mailbox.Maildir(path, factory=None, create=False)
    if not path.is_file():
        raise ValueError(f"{path}: no such mbox file or Maildir")
    return mailbox.mbox(path, factory=None, create=False)


def message_date(head: bytes, now: datetime, fallback: datetime | None = None) -> datetime:
    """The Date header as an aware time when it is sane: within the HISTORY_YEARS before `now`
    and not after it. Otherwise (absent, unreadable, a sender's clock at 1970 or in the future)
    `fallback`, else `now`: deadlines never start from a date nobody received the mail at."""
    try:
        value = BytesHeaderParser().parsebytes(head).get("Date")
        when = parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError, IndexError, OverflowError):
        when = None
    if when is not None:
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        if now - timedelta(days=365 * HISTORY_YEARS) <= when <= now:
            return when
    return fallback or now


def _head(box: mailbox.Mailbox, key: str) -> bytes:
    with box.get_file(key) as handle:
        data = handle.read(HEADER_BYTES)
    end = data.find(b"\n\n")
    end2 = data.find(b"\r\n\r\n")
    cut = min(e for e in (end, end2, len(data)) if e >= 0)
    return data[:cut] + b"\n\n"


def in_date_order(box: mailbox.Mailbox, now: datetime) -> list[tuple[datetime, str]]:
    """(date, key) of every message, oldest first; equal dates keep the source's order. A message
    without a sane Date takes the one before it in the source (a mailbox is kept in arrival order),
    so it keeps its place among its thread; the first such message takes `now`."""
    dated, previous = [], None
    for index, key in enumerate(box.iterkeys()):
        previous = message_date(_head(box, key), now, previous)
        dated.append((previous, index, key))
    dated.sort(key=lambda item: (item[0], item[1]))
    return [(when, key) for when, _, key in dated]


def batches(box: mailbox.Mailbox, order: Sequence[tuple[datetime, str]]) -> Iterator[tuple[list[bytes], list[datetime]]]:
    for start in range(0, len(order), BATCH):
        chunk = order[start:start + BATCH]
        yield [box.get_bytes(key) for _, key in chunk], [when for when, _ in chunk]


def progress(total: int, stream=sys.stderr) -> Callable[[int], None]:
    """A progress bar on a terminal (tqdm); silent otherwise (the summary line says it all)."""
    if not stream.isatty():
        return lambda n: None
    from tqdm import tqdm
    bar = tqdm(total=total, unit="msg", file=stream)
    return bar.update


def run_import(pipeline, path: Path, now: datetime, notify: bool = False,
               stop: Callable[[], bool] = lambda: False) -> Summary:
    """Store every message of the mailbox at its own date; return the counts by outcome.
    `stop` is asked before each batch (Ctrl-C): a batch is stored and its past deadlines settled
    together or not at all, so the same import run again adds exactly the rest."""
    box = open_box(path)
    order = in_date_order(box, now)
    summary = Summary(total=len(order))
    advance = progress(len(order))
    pipeline.quiet = not notify
    trackings: set[str] = set()
    try:
        for raws, nows in batches(box, order):
            if stop():
                summary.stopped = True
                break
            for outcome in pipeline.ingest_batch(raws, "import", nows):
                summary.add(outcome.state)
                if outcome.tracking:
                    trackings.add(outcome.tracking)
            advance(len(raws))
            if not notify:
                settle_past_deadlines(pipeline.policy, pipeline.database, trackings, now)
                trackings.clear()
    finally:
        pipeline.quiet = False
    return summary


def settle_past_deadlines(policy, database, trackings: set[str], now: datetime) -> int:
    """Record the reminders, escalations and delay notices whose time passed before the import
    as done without sending them: the next sweep must not mail customers about last year's
    deadlines (the complaints stay visibly overdue for staff). Deadlines still ahead fire as usual."""
    from gateway.desk import deadlines
    from gateway.desk.view import naive
    from gateway.store.lookup import next_action_for, snapshot
    from gateway.store.models import Complaint, Event, write_transaction
    settled = 0
    if not trackings:
        return 0
    with write_transaction(database):
        for complaint in Complaint.select().where(Complaint.tracking.in_(sorted(trackings))):
            planned = deadlines.planned_actions(snapshot(complaint), now, policy.config.sla, policy.calendar)
            done = {e.key for e in Event.select(Event.key).where(Event.key.in_([a.key for a in planned]))} \
                if planned else set()
            for action in planned:
                if action.key not in done:
                    Event.create(complaint=complaint, at=naive(now), actor="import", kind=action.kind, key=action.key,
                                 detail=f"{deadlines.describe(action, policy.tz)} passed before the import: not sent")
                    settled += 1
            complaint.next_action_at = next_action_for(complaint, policy, after=now)
            complaint.save(only=complaint.dirty_fields)
    return settled
