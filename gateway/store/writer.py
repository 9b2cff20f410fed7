"""Sharing the database's writer between mail arriving and background work.

Mail arriving (an SMTP/LMTP transaction, an IMAP handover) is stored while its
sender waits for our answer; background work (the deadline sweep, the outbox)
can wait. Measured (bench/wave.py, issue 23): when thousands of complaints fall
due at once, the sweep's back-to-back write transactions held SMTP transactions
for seconds. Two mechanisms, two remedies:

- In one process, a background thread running Python keeps the GIL, and the
  listener's thread gives it back at every statement (a convoy): each of its
  few dozen statements waits for the background thread's switch interval. So
  background work goes in small steps and, before each, waits while this
  process is storing mail (`foreground`), at most `max_wait` so a flood cannot
  stop deadlines altogether.
- Across processes (a `gateway tick` beside the daemon) SQLite has one writer,
  and a writer that commits and begins again at once leaves gaps of
  microseconds, while a waiting writer's busy handler sleeps up to 100 ms
  between tries and so seldom gets in. So on SQLite a background step rests
  afterwards as long as it took (capped), leaving the writer free at least half
  the time. PostgreSQL locks rows, not the database: no rest there.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Iterator

import peewee as pw

MAX_WAIT = 1.0  # seconds a background step waits for arriving mail at most
MAX_REST = 0.2  # seconds a background step rests at most (a slow step must not stall the sweep for long)


class WriterShare:
    """Foreground (mail arriving) goes first; background steps yield to it."""

    def __init__(self, max_wait: float = MAX_WAIT, max_rest: float = MAX_REST):
        self.max_wait, self.max_rest = max_wait, max_rest
        self._idle = threading.Condition()
        self._storing = 0

    @property
    def storing(self) -> int:
        """How many mails this process is storing right now."""
        with self._idle:
            return self._storing

    @contextmanager
    def foreground(self) -> Iterator[None]:
        with self._idle:
            self._storing += 1
        try:
            yield
        finally:
            with self._idle:
                self._storing -= 1
                if not self._storing:
                    self._idle.notify_all()

    def wait_turn(self) -> float:
        """Block while mail is being stored here (at most max_wait); the seconds waited."""
        started = time.monotonic()
        with self._idle:
            self._idle.wait_for(lambda: not self._storing, timeout=self.max_wait)
        return time.monotonic() - started

    @contextmanager
    def background(self, database: pw.Database | None = None) -> Iterator[None]:
        """One background step: after arriving mail, and on SQLite followed by a rest as
        long as the step (at most max_rest), so other processes' writers get their turn."""
        self.wait_turn()
        started = time.monotonic()
        try:
            yield
        finally:
            if isinstance(database, pw.SqliteDatabase):
                time.sleep(min(self.max_rest, time.monotonic() - started))


SHARE = WriterShare()  # one per process, as the GIL and the process's connections are
