"""The raw mail archive: files named by their sha256, written atomically.

Raw bytes go to disk before anything else touches them, so whatever happens
later (a parser bug, a crash, a database outage) the original can be
reprocessed. Content addressing makes the write idempotent: the same mail
stored twice is one file.
"""
from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence


class Archive:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, digest: str) -> Path:
        return self.root / digest[:2] / f"{digest}.eml"

    def store(self, raw: bytes, durable: bool = True) -> str:
        """Write raw bytes (fsynced unless `durable` is off); return their sha256. Safe to call twice."""
        return self.store_many([raw], durable)[0]

    def store_many(self, raws: Sequence[bytes], durable: bool = True) -> list[str]:
        """Several mails at once: all written first, then fsynced from a few threads at
        once, which the filesystem's journal commits as one group (a backlog pays
        roughly one disk flush per batch instead of one per mail); renamed into
        place only once durable, and the renames made durable too (the directories
        fsynced), before the caller commits and tells the sender the mail is safe."""
        digests: list[str] = []
        pending: dict[Path, Path] = {}  # temp file -> final path
        queued: set[Path] = set()
        touched: set[Path] = set()  # directories whose entries change
        try:
            for raw in raws:
                digest = hashlib.sha256(raw).hexdigest()
                digests.append(digest)
                path = self.path_for(digest)
                if path in queued or (path.exists() and path.stat().st_size == len(raw)):
                    continue
                if not path.parent.is_dir():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    touched.add(self.root)  # the new directory's own entry
                touched.add(path.parent)
                tmp = path.with_name(f".tmp-{digest}-{os.getpid()}-{threading.get_ident()}")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # name unique to this thread
                pending[tmp] = path
                queued.add(path)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(raw)
            if durable:
                _fsync_all(list(pending))
            for tmp, path in pending.items():
                os.replace(tmp, path)
            pending.clear()
            if durable:
                _fsync_all(sorted(touched))
        finally:
            for tmp in pending:
                tmp.unlink(missing_ok=True)
        return digests

    def load(self, digest: str) -> bytes:
        return self.path_for(digest).read_bytes()

    def store_blob(self, payload: bytes, kind: str = "attachments") -> str:
        """Attachments live beside the mail, also under their content hash."""
        digest = hashlib.sha256(payload).hexdigest()
        path = self.root / kind / digest[:2] / digest
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".tmp-{digest}-{os.getpid()}")
            tmp.write_bytes(payload)
            os.replace(tmp, path)
        return digest


def _fsync_all(paths: list[Path]) -> None:
    """fsync files or directories (a directory's fsync makes the names in it durable)."""
    def fsync(path: Path) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    if len(paths) <= 1:
        for path in paths:
            fsync(path)
        return
    with ThreadPoolExecutor(max_workers=min(8, len(paths))) as pool:
        list(pool.map(fsync, paths))
