"""`gateway deliver`: the MTA's pipe, one short process per message.

An MTA (Postfix `pipe`, an /etc/aliases line) starts one process per mail. Running the whole
pipeline there costs the imports and language models every time; instead the process writes
the mail durably into a Maildir (the spool) and the daemon takes it from there in batches.
This module therefore imports only the standard library: reading the config is a TOML parse
of the one key it needs, not the full validation (`gateway check` does that).

Durability (the mail is ours once we exit 0): write to tmp/, fsync the file, rename into new/,
fsync new/. Any failure exits 75 (EX_TEMPFAIL) so the MTA keeps the mail and retries.
"""
from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

EX_OK = 0
EX_DATAERR = 65  # the MTA bounces: the mail itself is unacceptable (far over the size limit)
EX_TEMPFAIL = 75  # sysexits.h: the MTA keeps the mail and retries later
ENV_VAR = "GATEWAY_CONFIG"  # same as gateway.config.ENV_VAR (not imported: it is the heavy module)
DEFAULT_SPOOL = "storage/spool"
DEFAULT_MAX_BYTES = 25 * 1024 * 1024
OVERSIZE_FACTOR = 2  # spool up to twice [storage] max_message_bytes: the daemon quarantines the excess
CHUNK = 1 << 16
_counter = 0


class DeliverError(Exception):
    """The mail could not be made durable; the MTA must retry."""


def settings(config_path: str | None) -> tuple[Path, int]:
    """(spool directory, byte cap) from the config: `[storage] spool` relative to the file's directory."""
    import tomllib
    path = Path(config_path or os.environ.get(ENV_VAR) or "gateway.toml")
    with path.open("rb") as handle:
        storage = tomllib.load(handle).get("storage", {})
    spool = Path(str(storage.get("spool", DEFAULT_SPOOL))).expanduser()
    limit = storage.get("max_message_bytes", DEFAULT_MAX_BYTES)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        limit = DEFAULT_MAX_BYTES
    return (spool if spool.is_absolute() else path.resolve().parent / spool), limit * OVERSIZE_FACTOR


def ensure(maildir: Path) -> None:
    """Create tmp/, new/ and cur/ (private to the gateway's user and group)."""
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(mode=0o750, parents=True, exist_ok=True)


def unique_name() -> str:
    """A Maildir name (time.MusecPpidQn.host) unique across processes and within one."""
    global _counter
    _counter += 1
    now = time.time()
    host = socket.gethostname().replace("/", "\\057").replace(":", "\\072") or "localhost"
    return f"{int(now)}.M{int(now % 1 * 1e6)}P{os.getpid()}Q{_counter}R{os.urandom(4).hex()}.{host}"


def write(maildir: Path, stream, limit: int) -> Path:
    """Copy `stream` (binary) into maildir/new durably; return the final path.

    Raises DeliverError for anything the MTA should retry, ValueError when over `limit`."""
    ensure(maildir)
    name = unique_name()
    tmp = maildir / "tmp" / name
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        size = 0
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise ValueError(f"message larger than {limit} bytes")
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    final = maildir / "new" / name
    os.rename(tmp, final)
    sync_dir(maildir / "new")
    return final


def sync_dir(directory: Path) -> None:
    """fsync a directory so a rename into it survives a crash."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def deliver(config_path: str | None, stdin=None) -> int:
    """Spool stdin; the exit status for the MTA."""
    from gateway.store.private import narrow_umask
    narrow_umask()
    try:
        spool, limit = settings(config_path)
    except Exception as exc:  # unreadable or broken config: ours to fix, the MTA keeps the mail
        print(f"gateway deliver: config error, retry later: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EX_TEMPFAIL
    try:
        write(spool, stdin or sys.stdin.buffer, limit)
    except ValueError as exc:
        print(f"gateway deliver: {exc}", file=sys.stderr)
        return EX_DATAERR
    except Exception as exc:  # disk full, permissions, broken pipe: nothing is stored
        print(f"gateway deliver: not stored, retry later: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EX_TEMPFAIL
    return EX_OK
