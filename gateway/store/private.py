"""Files the gateway writes hold customers' mail and personal data: private whatever the umask.

Under systemd the unit sets `UMask=0027`; run by hand, from cron or as an MTA's pipe the
umask is often 022, which would leave the database, raw mail, attachments and outgoing
mail readable by every local user. So every command narrows the umask itself (files
0640 at most, directories 0750; a stricter umask an admin chose stays), and what an
earlier, looser run created is narrowed when it is opened again.
"""
from __future__ import annotations

import os
import secrets
import stat
import time
from pathlib import Path

UMASK = 0o027  # no write for the group, nothing for others
STALE_TEMP_SECONDS = 3600  # an archive temp file this old belongs to no living writer


def narrow_umask() -> None:
    os.umask(os.umask(UMASK) | UMASK)


def restrict(*paths: Path) -> None:
    """Take group write and every permission of others away from existing files/directories."""
    for path in paths:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & UMASK:
                path.chmod(mode & ~UMASK)
        except FileNotFoundError:
            continue
        except PermissionError:  # not ours (a shared volume's root): leave it to its owner
            continue


def sqlite_files(url: str) -> tuple[Path, ...]:
    """The database file of a sqlite:/// URL and its WAL companions (none for other URLs)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or ":memory:" in url or not url[len(prefix):]:
        return ()
    path = Path(url[len(prefix):])
    return (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))


def clean_stale_temp(root: Path, now: float | None = None, older_than: float = STALE_TEMP_SECONDS) -> int:
    """Remove `.tmp-*` files a killed writer left in the archive; return how many.

    Only old ones: another process (the MTA pipe, a second daemon on a shared volume) may be
    writing a fresh one right now, and it renames that into place when its batch settles."""
    now = time.time() if now is None else now
    removed = 0
    for directory, _, names in os.walk(root):
        for name in names:
            if not name.startswith(".tmp-"):
                continue
            path = Path(directory) / name
            try:
                if now - path.stat().st_mtime > older_than:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
    return removed


def secret_key(path: Path) -> bytes:
    """A signing key (the portal's cookies, VERP return paths): made once, private to the
    gateway's user; two processes starting at once end up with the same one."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "xb", opener=lambda p, f: os.open(p, f, 0o600)) as handle:
                handle.write(secrets.token_bytes(32))
                handle.flush()
                os.fsync(handle.fileno())
        except FileExistsError:
            pass  # another process made it first
    return path.read_bytes()
