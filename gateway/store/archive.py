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
from concurrent.futures import Future, ThreadPoolExecutor
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
        """Several mails at once, durable and in place when this returns (see ArchiveBatch)."""
        with self.begin(raws, durable) as batch:
            batch.settle()
        return batch.digests

    def begin(self, raws: Sequence[bytes], durable: bool = True) -> "ArchiveBatch":
        """Write the mails now and start making them durable in the background; the caller
        settles the batch before it commits anything that names them."""
        batch = ArchiveBatch(durable)
        try:
            for raw in raws:
                digest = hashlib.sha256(raw).hexdigest()
                batch.add(raw, digest, self.path_for(digest))
            batch.start()
        except BaseException:
            batch.discard()
            raise
        return batch

    def load(self, digest: str) -> bytes:
        return self.path_for(digest).read_bytes()

    def blob_path(self, digest: str, kind: str = "attachments") -> Path:
        """Where store_blob keeps an attachment."""
        return self.root / kind / digest[:2] / digest

    def load_blob(self, digest: str, kind: str = "attachments") -> bytes:
        return self.blob_path(digest, kind).read_bytes()

    def store_blob(self, payload: bytes, kind: str = "attachments") -> str:
        """Attachments live beside the mail, also under their content hash."""
        digest = hashlib.sha256(payload).hexdigest()
        path = self.blob_path(digest, kind)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".tmp-{digest}-{os.getpid()}")
            tmp.write_bytes(payload)
            os.replace(tmp, path)
        return digest


class ArchiveBatch:
    """Mails written to temporary names, made durable, then renamed into place.

    All files are written first and fsynced from a few threads at once, which the
    filesystem's journal commits as one group (a backlog pays roughly one disk flush
    per batch, not one per mail). Those fsyncs run while the caller parses and
    processes the batch; settle() waits for them, renames the files into place and
    fsyncs their directories (so the names are durable too), and only then may the
    caller commit and tell the sender the mail is safe. A batch left unsettled
    leaves no file behind.
    """

    def __init__(self, durable: bool):
        self.durable = durable
        self.digests: list[str] = []
        self._pending: dict[Path, Path] = {}  # temp file -> final path
        self._finals: set[Path] = set()  # the same mail twice in one batch is written once
        self._touched: set[Path] = set()  # directories whose entries change
        self._pool: ThreadPoolExecutor | None = None
        self._syncing: list[Future[None]] = []
        self._settled = False

    def add(self, raw: bytes, digest: str, path: Path) -> None:
        self.digests.append(digest)
        if path in self._finals or (path.exists() and path.stat().st_size == len(raw)):
            return
        self._finals.add(path)
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
            self._touched.add(path.parent.parent)  # the new directory's own entry
        self._touched.add(path.parent)
        tmp = path.with_name(f".tmp-{digest}-{os.getpid()}-{threading.get_ident()}")  # unique to this thread
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._pending[tmp] = path
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)

    def start(self) -> None:
        if self.durable and self._pending:
            self._pool = ThreadPoolExecutor(max_workers=min(8, len(self._pending)))
            self._syncing = [self._pool.submit(_fsync, tmp) for tmp in self._pending]

    def settle(self) -> None:
        """Durable and in place when this returns; raises (keeping nothing) when the disk fails."""
        if self._settled:
            return
        for future in self._syncing:
            future.result()
        for tmp, path in list(self._pending.items()):
            os.replace(tmp, path)
            del self._pending[tmp]
        if self.durable:
            _fsync_all(sorted(self._touched))
        self._close()
        self._settled = True

    def discard(self) -> None:
        self._close()
        for tmp in self._pending:
            tmp.unlink(missing_ok=True)
        self._pending.clear()

    def _close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> "ArchiveBatch":
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._settled:
            self.discard()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_all(paths: list[Path]) -> None:
    """fsync files or directories (a directory's fsync makes the names in it durable)."""
    if len(paths) <= 1:
        for path in paths:
            _fsync(path)
        return
    with ThreadPoolExecutor(max_workers=min(8, len(paths))) as pool:
        list(pool.map(_fsync, paths))
