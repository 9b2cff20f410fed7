"""The `gateway` command's entry: `deliver` (one process per mail from an MTA) must start in
milliseconds, so it is dispatched here before `gateway.cli` and its imports are loaded."""
from __future__ import annotations

import sys


def _light_command(argv: list[str]) -> tuple[str | None, str | None]:
    """(command, --config value) when argv is exactly `[--config PATH] deliver`, else (None, None)."""
    config = None
    rest = list(argv)
    if rest and rest[0].startswith("--config="):
        config, rest = rest[0].split("=", 1)[1], rest[1:]
    elif len(rest) >= 2 and rest[0] == "--config":
        config, rest = rest[1], rest[2:]
    return (rest[0], config) if rest == ["deliver"] else (None, None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command, config = _light_command(argv)
    if command == "deliver":
        from gateway.service.spool import deliver
        return deliver(config)
    from gateway.cli import main as full_main
    return full_main(argv)
