"""`gateway deliver`: the MTA's pipe, one short process per message.

An MTA (Postfix `pipe`, an /etc/aliases line) starts one process per mail. Running the whole
pipeline there costs the imports and language models every time; instead the process writes
the mail durably into a Maildir (the spool) and the daemon takes it from there in batches.

Start-up is most of what such a process costs, so this file imports nothing but `os`, `sys`
and `time` (already loaded by the interpreter) and nothing of the `gateway` package: it also
runs alone, as `python3 -I -S /path/to/gateway/service/spool.py --config FILE`, without `site` and
its .pth files (README, "The pipe into the spool"). `pathlib`, `socket` and `tomllib` each
cost more than the interpreter's own start, so paths are `os.path`, the host name is
`os.uname()`, and the config is read by `storage_keys`, a line reader of the one table it
needs that hands any TOML it is not sure of to `tomllib` (`gateway check` validates the rest).

Durability (the mail is ours once we exit 0): write to tmp/, fsync the file, rename into new/,
fsync new/. Any failure exits 75 (EX_TEMPFAIL) so the MTA keeps the mail and retries.
"""
import os  # no `from __future__ import annotations`: it is one more import at start
import sys
import time

EX_OK = 0
EX_DATAERR = 65  # the MTA bounces: the mail itself is unacceptable (far over the size limit)
EX_TEMPFAIL = 75  # sysexits.h: the MTA keeps the mail and retries later
ENV_VAR = "GATEWAY_CONFIG"  # same as gateway.config.ENV_VAR (not imported: it is the heavy module)
DEFAULT_CONFIG = "gateway.toml"
DEFAULT_SPOOL = "storage/spool"
DEFAULT_MAX_BYTES = 25 * 1024 * 1024
OVERSIZE_FACTOR = 2  # spool up to twice [storage] max_message_bytes: the daemon quarantines the excess
UMASK = 0o027  # = gateway.store.private.UMASK (not imported: this file runs without the package)
CHUNK = 1 << 16
KEYS = ("spool", "max_message_bytes")
BARE_KEY = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
USAGE = "usage: gateway-deliver [--config PATH] < message"
_counter = 0


class DeliverError(Exception):
    """The mail could not be made durable; the MTA must retry."""


def settings(config_path: str | os.PathLike | None) -> tuple[str, int]:
    """(spool directory, byte cap) from the config: `[storage] spool` relative to the file's
    directory (symlinks resolved, as gateway.config does, so both name the same directory)."""
    path = os.fspath(config_path or os.environ.get(ENV_VAR) or DEFAULT_CONFIG)
    with open(path, "rb") as handle:
        text = handle.read().decode("utf-8")
    storage = storage_keys(text)
    if storage is None:
        import tomllib  # ~40 ms of imports: only for a config the line reader is not sure of
        storage = tomllib.loads(text).get("storage", {})
    spool = os.path.expanduser(str(storage.get("spool", DEFAULT_SPOOL)))
    limit = storage.get("max_message_bytes", DEFAULT_MAX_BYTES)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        limit = DEFAULT_MAX_BYTES
    if not os.path.isabs(spool):
        spool = os.path.join(os.path.dirname(os.path.realpath(path)), spool)
    return spool, limit * OVERSIZE_FACTOR


def storage_keys(text: str) -> dict[str, object] | None:
    """`[storage] spool` and `max_message_bytes` of a TOML text, or None when the text uses a
    form this reader does not know for certain (multi-line strings, dotted, quoted or
    inline-table keys, escapes, other number forms): the caller then parses it fully.
    Other keys' values are skipped, arrays over several lines included (brackets counted
    outside strings and comments). When it returns a table, tomllib reads the same values
    (tests/test_spool.py compares them)."""
    if '"""' in text or "'''" in text:
        return None
    found: dict[str, object] = {}
    table: str | None = None
    tables: set[str] = set()
    depth: int | None = 0  # open brackets of a value that goes on over the next lines
    for raw in text.split("\n"):
        line = raw.strip()
        if depth:
            depth = _depth(line, depth)
            if depth is None:
                return None
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            table = _table_name(line)
            if table is None or table in tables and table == "storage" or table.startswith("storage."):
                return None
            tables.add(table)
            continue
        key, equals, value = line.partition("=")
        key = key.strip()
        if not equals or not key or not BARE_KEY.issuperset(key) or table is None and key == "storage":
            return None
        if table == "storage" and key in KEYS:
            parsed = _string(value) if key == "spool" else _integer(value)
            if parsed is None or key in found:
                return None
            found[key] = parsed
        elif "[" in value or "{" in value or "]" in value or "}" in value:
            depth = _depth(value, 0)
            if depth is None:
                return None
    return None if depth else found


def _depth(text: str, depth: int) -> int | None:
    """Bracket depth after `text`, strings and a comment skipped; None for a string left open
    or more closing than opening brackets (not TOML this reader knows)."""
    quote, escaped = "", False
    for ch in text:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch == '"' or ch == "'":
            quote = ch
        elif ch == "#":
            break
        elif ch == "[" or ch == "{":
            depth += 1
        elif ch == "]" or ch == "}":
            depth -= 1
            if depth < 0:
                return None
    return None if quote else depth


def _table_name(line: str) -> str | None:
    """`[name]` or `[[name]]` (a comment may follow) -> name, with `[[` kept before an array
    of tables' name; None for quoted or odd names and for arrays named storage."""
    header = line.split("#", 1)[0].rstrip()
    array = header.startswith("[[") and header.endswith("]]")
    inner = header[2:-2] if array else header[1:-1]
    if not header.endswith("]") or "[" in inner or "]" in inner:
        return None
    parts = [part.strip() for part in inner.split(".")]
    if not all(part and BARE_KEY.issuperset(part) for part in parts):
        return None
    name = ".".join(parts)
    if array and (name == "storage" or name.startswith("storage.")):
        return None
    return "[[" + name if array else name


def _string(value: str) -> str | None:
    """A one-line basic string without escapes, or a literal string; a comment may follow."""
    value = value.strip()
    quote = value[:1]
    if quote not in ('"', "'"):
        return None
    end = value.find(quote, 1)
    body, rest = value[1:end], value[end + 1:].strip()
    if end < 0 or "\\" in body and quote == '"' or rest and not rest.startswith("#"):
        return None
    return body if all(ch == "\t" or " " <= ch != "\x7f" for ch in body) else None


def _integer(value: str) -> int | None:
    """A decimal TOML integer (`26214400`, `25_000_000`); a comment may follow."""
    digits = value.split("#", 1)[0].strip().removeprefix("+")
    groups = digits.split("_")
    if not all(group.isascii() and group.isdigit() for group in groups) or digits[:1] == "0" and len(digits) > 1:
        return None
    return int(digits.replace("_", ""))


def ensure(maildir: str | os.PathLike) -> None:
    """Create tmp/, new/ and cur/ (private to the gateway's user and group)."""
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(maildir, sub), mode=0o750, exist_ok=True)


def unique_name() -> str:
    """A Maildir name (time.MusecPpidQnRrandom.host) unique across processes and within one."""
    global _counter
    _counter += 1
    now = time.time()
    host = os.uname().nodename.replace("/", "\\057").replace(":", "\\072") or "localhost"
    return f"{int(now)}.M{int(now % 1 * 1e6)}P{os.getpid()}Q{_counter}R{os.urandom(4).hex()}.{host}"


def write(maildir: str | os.PathLike, stream, limit: int) -> str:
    """Copy `stream` (binary) into maildir/new durably; return the final path.

    Raises OSError for anything the MTA should retry, ValueError when over `limit`."""
    ensure(maildir)
    name = unique_name()
    tmp = os.path.join(maildir, "tmp", name)
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
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    os.close(fd)
    final = os.path.join(maildir, "new", name)
    os.rename(tmp, final)
    sync_dir(os.path.join(maildir, "new"))
    return final


def sync_dir(directory: str | os.PathLike) -> None:
    """fsync a directory so a rename into it survives a crash."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def deliver(config_path: str | None, stdin=None) -> int:
    """Spool stdin; the exit status for the MTA."""
    os.umask(os.umask(UMASK) | UMASK)  # files 0640 at most whatever the MTA's umask (gateway.store.private)
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


def config_argument(argv: list[str]) -> tuple[bool, str | None]:
    """(understood, --config value) of `[--config PATH | --config=PATH]`."""
    if not argv:
        return True, None
    if len(argv) == 1 and argv[0].startswith("--config="):
        return True, argv[0].split("=", 1)[1]
    if len(argv) == 2 and argv[0] == "--config":
        return True, argv[1]
    return False, None


def main(argv: list[str] | None = None) -> int:
    """`gateway-deliver [--config PATH]`, or this file run alone. A wrong command line exits 75,
    not 64: the MTA keeps the mail while the admin fixes the line."""
    argv = sys.argv[1:] if argv is None else argv
    if argv in (["-h"], ["--help"]):
        print(USAGE)
        return EX_OK
    understood, config = config_argument(argv)
    if not understood:
        print(f"gateway deliver: {USAGE}; not stored, retry later", file=sys.stderr)
        return EX_TEMPFAIL
    return deliver(config)


if __name__ == "__main__":
    sys.exit(main())
