"""Reading raw mail (parse) within a time and memory budget, in a worker process.

Parsing is where hostile mail does its damage: MIME nested or split into
thousands of parts, HTML built to make a parser rescan, quote bombs, charsets
to repair. The gateway's own steps are linear and read bounded prefixes, but
the libraries underneath (the stdlib email parser, mail-parser, the HTML
parser) are not ours to prove, and a Python thread cannot be stopped while C
code holds the interpreter. So the daemon reads each mail in a child process:
when reading takes longer than `[gateway] read_seconds`, or needs more memory
than `read_memory_mb`, the child is killed and replaced, and the mail is
quarantined with the reason (its raw bytes are already archived), while the
listener, the watchers and the health endpoint keep serving. A sender that
retries the same bytes meets the quarantined copy (dedupe by sha256) and is
not read again: no freeze loop after a restart.

A child also retires after RETIRE_AFTER_MAILS mails, or sooner once its RSS after a
mail is above RETIRE_ABOVE_MB (a huge mail's heap is seldom all given back):
its replacement starts at once, so a daemon that runs for months keeps a small reader.

`read_inline` is the same contract in the calling process: the one-shot
commands (`ingest`, `quarantine retry`) and the tests use it.
"""
from __future__ import annotations

import logging
import multiprocessing
import resource
import threading
from multiprocessing.connection import Connection
from typing import Callable

from gateway.mail.parse import Mail, Unprocessable, parse

log = logging.getLogger("gateway.reader")
WARM_MAIL = b"From: warm@localhost\r\nTo: warm@localhost\r\nSubject: warm\r\n\r\nwarm\r\n"
WARM_SECONDS = 60.0  # the child's imports on a loaded machine; not any mail's budget

Reader = Callable[[bytes], Mail]  # raises Unprocessable (the quarantine reason)
RETIRE_AFTER_MAILS = 10_000
RETIRE_ABOVE_MB = 128  # the child starts at ~55 MB; measured: after an 8 MB mail it keeps 78 MB, after 12 MB 181 MB


def read_inline(languages: tuple[str, ...]) -> Reader:
    return lambda raw: parse(raw, languages)


def _serve(conn: Connection, languages: tuple[str, ...], memory_bytes: int,
           retire_mails: int = RETIRE_AFTER_MAILS, retire_mb: int = RETIRE_ABOVE_MB) -> None:
    """The child: one mail in, one ("ok", Mail, retire) or ("unprocessable", reason, retire) out,
    until EOF; `retire` asks the parent for a successor (enough mails read, or the heap kept
    too large). Running out of memory ends the child (the parent quarantines the mail and starts
    another)."""
    read = 0
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))
    too_big = ("unprocessable", f"reading the mail needed more than {memory_bytes // 2**20} MB "
               "([gateway] read_memory_mb)")
    while True:
        try:
            raw = conn.recv_bytes()
        except (EOFError, OSError, MemoryError):
            return
        try:
            reply: tuple[str, object] = ("ok", parse(raw, languages))
        except Unprocessable as exc:  # parse() names every failure, running out of memory too
            reply = too_big if isinstance(exc.__cause__, MemoryError) else ("unprocessable", str(exc))
        except MemoryError:
            reply = too_big
        del raw
        read += 1
        retire = read >= retire_mails or _resident_mb() >= retire_mb
        try:
            conn.send((*reply, retire))
        except MemoryError:
            conn.send((*too_big, True))


def _resident_mb() -> float:
    """This process's RSS now (Linux; 0 elsewhere). Not getrusage's peak: on Linux that
    carries the parent's peak over fork and exec, so a big daemon would retire every child."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize() / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


class BudgetReader:
    """parse() in a child process, at most `seconds` per mail; thread-safe (one mail at a time)."""

    def __init__(self, languages: tuple[str, ...], seconds: float, memory_mb: int = 1024,
                 retire_mails: int = RETIRE_AFTER_MAILS, retire_mb: int = RETIRE_ABOVE_MB):
        self.languages, self.seconds, self.memory_bytes = tuple(languages), seconds, memory_mb * 2**20
        self.retire_mails, self.retire_mb = retire_mails, retire_mb
        self.retired = 0  # children replaced because they had read enough or grew too big
        self._lock = threading.Lock()
        self._child: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None

    def __call__(self, raw: bytes) -> Mail:
        with self._lock:
            conn = self._start()
            try:
                conn.send_bytes(raw)
                ready = conn.poll(self.seconds)
            except OSError:  # the child died taking the mail in (out of memory)
                code = self._stop()
                raise Unprocessable(f"the reader process stopped while reading the mail (exit code {code})")
            if not ready:
                self._stop()
                log.warning("reading a mail took longer than the time budget; reader restarted",
                            extra={"budget_seconds": self.seconds})
                raise Unprocessable(f"reading the mail took longer than the time budget of {self.seconds:g} s "
                                    "([gateway] read_seconds)")
            try:
                kind, value, retire = conn.recv()
            except (EOFError, OSError):
                code = self._stop()
                raise Unprocessable(f"the reader process stopped while reading the mail (exit code {code})")
            if retire:
                self._retire()
        if kind == "ok":
            assert isinstance(value, Mail)
            return value
        raise Unprocessable(str(value))

    def warm(self) -> None:
        """Start the child and have it read a small mail now: the first real mail after a start
        waits neither for the child's imports nor its first parse (~1 s), nor are they counted
        against that mail's `read_seconds`."""
        with self._lock:
            conn = self._start()
            try:
                conn.send_bytes(WARM_MAIL)
                if conn.poll(WARM_SECONDS):
                    conn.recv()
                    return
            except (EOFError, OSError):
                pass
            log.warning("the reader process did not start in time; starting another with the next mail",
                        extra={"wait_seconds": WARM_SECONDS})
            self._stop()

    def _retire(self) -> None:
        """Replace the child now (it exits on EOF); its successor imports while we store the mail."""
        self._stop()
        self.retired += 1
        log.info("reader process replaced", extra={"after_mails": self.retire_mails, "rss_limit_mb": self.retire_mb,
                                                   "replaced": self.retired})
        try:
            self._start()
        except OSError as exc:  # the mail in hand is read; the next call tries again
            log.warning("could not start a new reader process yet", extra={"error": str(exc)})

    def _start(self) -> Connection:
        if self._child is None or self._conn is None or not self._child.is_alive():
            self._stop()
            context = multiprocessing.get_context("spawn")  # never fork a process that runs threads
            ours, theirs = context.Pipe()
            self._child = context.Process(target=_serve,
                                          args=(theirs, self.languages, self.memory_bytes, self.retire_mails,
                                                self.retire_mb),
                                          name="gateway-reader", daemon=True)
            self._child.start()
            theirs.close()
            self._conn = ours
        return self._conn

    def _stop(self) -> int | None:
        child, conn, self._child, self._conn = self._child, self._conn, None, None
        if conn is not None:
            conn.close()
        if child is None:
            return None
        if child.is_alive():
            child.kill()
        child.join(5)
        return child.exitcode

    def close(self) -> None:
        with self._lock:
            self._stop()
