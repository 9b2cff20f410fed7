"""The raw mail archive: files named by their sha256, written atomically.

Raw bytes go to disk before anything else touches them, so whatever happens
later (a parser bug, a crash, a database outage) the original can be
reprocessed. Content addressing makes the write idempotent: the same mail
stored twice is one file.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class Archive:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, digest: str) -> Path:
        return self.root / digest[:2] / f"{digest}.eml"

    def store(self, raw: bytes, durable: bool = True) -> str:
        """Write raw bytes (fsynced unless `durable` is off); return their sha256. Safe to call twice."""
        digest = hashlib.sha256(raw).hexdigest()
        path = self.path_for(digest)
        if path.exists() and path.stat().st_size == len(raw):
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

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
