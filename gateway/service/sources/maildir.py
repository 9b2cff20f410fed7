"""Maildir sources: the spool `gateway deliver` writes, and any Maildir another program writes
(Postfix `virtual`, Dovecot's LDA, fetchmail/getmail) named in `[[inbound.maildir]]`.

The directory is the queue, as the IMAP folder is: a message leaves `new/` (or `cur/`) only
after the batch holding it is committed, so a crash in between offers it again and the
pipeline's duplicate check stores it once. Committed mail of the spool is removed (its raw
bytes are in the archive); of another program's Maildir it is moved into the Maildir++
subfolders `.Processed` / `.Quarantine`, as the IMAP source moves it.

Polling, not inotify: a scandir of an empty `new/` costs microseconds, so a short interval
gives spool-to-store latency of a fraction of a second with no dependency, and works on
network file systems where inotify sees nothing (bench/run.py prints the latency).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from gateway.service.spool import ensure, sync_dir

log = logging.getLogger("gateway.maildir")
BATCH = 50  # messages per transaction
RETRY_SECONDS = 5.0  # after the sink could store nothing (database away)
STALE_TMP_SECONDS = 36 * 3600  # the Maildir rule: a file this old in tmp/ belongs to no living writer
CLEAN_TMP_EVERY = 3600.0


@dataclass(frozen=True)
class Folders:
    """Where committed mail goes; None: delete it (the spool, whose bytes the archive holds)."""

    processed: str | None = None
    quarantine: str | None = None


class MaildirWatcher:
    def __init__(self, path: Path, sink: Callable[[Sequence[bytes], str], Sequence], *, source: str,
                 folders: Folders = Folders(), poll_seconds: float = 0.1, read_limit: int = 50 * 1024 * 1024):
        self.path, self.sink, self.source, self.folders = path, sink, source, folders
        self.poll_seconds, self.read_limit = poll_seconds, read_limit
        self.key = f"maildir:{path}"

    def waiting(self) -> list[Path]:
        """Messages in new/ and cur/, oldest name first (Maildir names start with the time)."""
        found: list[Path] = []
        for sub in ("new", "cur"):
            try:
                with os.scandir(self.path / sub) as entries:
                    found.extend(Path(e.path) for e in entries  # a planted symlink is not mail
                                 if not e.name.startswith(".") and e.is_file(follow_symlinks=False))
            except FileNotFoundError:
                continue
        return sorted(found, key=lambda p: p.name)

    def take_once(self) -> int:
        """Offer everything waiting, BATCH at a time; return how many were committed."""
        taken = 0
        waiting = self.waiting()
        for start in range(0, len(waiting), BATCH):
            taken += self._offer(waiting[start:start + BATCH])
        return taken

    def _offer(self, paths: list[Path]) -> int:
        raws, kept = [], []
        for path in paths:
            try:
                with path.open("rb") as handle:
                    raws.append(handle.read(self.read_limit))  # larger: cut, and quarantined as too large
                kept.append(path)
            except FileNotFoundError:  # another daemon took it
                continue
        if not raws:
            return 0
        outcomes = self.sink(raws, self.source)  # raises when nothing could be stored: all stay
        touched: set[Path] = set()
        for path, outcome in zip(kept, outcomes, strict=True):
            touched |= self._done(path, bool(getattr(outcome, "quarantined", False)))
        for directory in touched:
            sync_dir(directory)
        return len(kept)

    def _done(self, path: Path, quarantined: bool) -> set[Path]:
        folder = self.folders.quarantine if quarantined else self.folders.processed
        try:
            if folder is None:
                path.unlink()
                return {path.parent}
            target = self.path / f".{folder}"
            ensure(target)
            name = path.name if ":2," in path.name else f"{path.name}:2,S"
            os.rename(path, target / "cur" / name)
            return {path.parent, target / "cur"}
        except FileNotFoundError:  # taken and moved by another daemon meanwhile
            return set()

    def clean_tmp(self, now: float) -> int:
        """Remove files left in tmp/ for 36 hours (the Maildir rule; how many): a writer killed
        between creating and renaming (an MTA's pipe timeout, a crash) leaves one, and none
        of them is mail yet: its sender was told to retry."""
        removed = 0
        try:
            with os.scandir(self.path / "tmp") as entries:
                for entry in entries:
                    try:
                        if (entry.is_file(follow_symlinks=False)
                                and now - entry.stat(follow_symlinks=False).st_mtime > STALE_TMP_SECONDS):
                            os.unlink(entry.path)
                            removed += 1
                    except FileNotFoundError:
                        continue
        except FileNotFoundError:
            return 0
        if removed:
            log.info("maildir: removed files left in tmp/ for over 36 hours", extra={"path": str(self.path),
                                                                                    "count": removed})
        return removed

    def run(self, stop: threading.Event) -> None:
        """Poll until stopped; mail spooled while no daemon ran is taken on the first pass."""
        ensure(self.path)
        next_clean = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() >= next_clean:
                    self.clean_tmp(time.time())
                    next_clean = time.monotonic() + CLEAN_TMP_EVERY
                self.take_once()
                wait = self.poll_seconds
            except Exception as exc:  # database away (logged by the sink), a disk error: retry
                log.warning("maildir pass failed", extra={"path": str(self.path), "error": f"{type(exc).__name__}: {exc}",
                                                          "retry_in": RETRY_SECONDS})
                wait = RETRY_SECONDS
            stop.wait(wait)


def config_problems(config) -> list[str]:
    """`gateway check`: the spool and each [[inbound.maildir]] can be written, folders are plain
    names, intervals positive, and no two sources share a directory or a listening address."""
    where = f"{config.source}:0:"
    problems: list[str] = []
    boxes = [("storage.spool", config.storage.spool, config.inbound.spool_poll_seconds, None)]
    boxes += [(f"inbound.maildir[{i}]", box.path, box.poll_seconds, box) for i, box in enumerate(config.inbound.maildir)]
    seen: dict[Path, str] = {}
    for key, value, poll, box in boxes:
        path = config.resolve(value).resolve()
        if path in seen:
            problems.append(f"{where} {key}: {path} is also {seen[path]}: each Maildir is one source")
        seen[path] = key
        problem = _writable(path)
        if problem:
            problems.append(f"{where} {key}: {path}: {problem}")
        if not poll > 0:
            problems.append(f"{where} {key}: poll_seconds must be above 0, not {poll}")
        if box is not None:
            for name in (box.processed_folder, box.quarantine_folder):
                if not name or "/" in name or name.startswith(".") or name in ("new", "cur", "tmp"):
                    problems.append(f"{where} {key}: folder {name!r} must be a plain name like \"Processed\"")
            if box.processed_folder == box.quarantine_folder:
                problems.append(f"{where} {key}: processed_folder and quarantine_folder must differ")
    lmtp = config.inbound.lmtp.listen
    if lmtp and config.inbound.smtp.enabled and lmtp == config.inbound.smtp.listen:
        problems.append(f"{where} inbound.lmtp.listen: {lmtp} is also inbound.smtp.listen")
    return problems


def _writable(path: Path) -> str:
    """Why the gateway could not create or write this Maildir ('' when it can)."""
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            return "no existing parent directory"
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is not a directory"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{probe} is not writable by this user"
    return ""
