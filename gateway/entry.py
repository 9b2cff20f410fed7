"""The `gateway` command's entry: `deliver` (one process per mail from an MTA) must start in
milliseconds, so it is dispatched here before `gateway.cli` and its imports are loaded."""
from __future__ import annotations

import sys


def _deliver_argv(argv: list[str]) -> list[str] | None:
    """When the command is `deliver`, its arguments as `gateway-deliver` reads them (a `--config`
    before or after the word `deliver`); None for any other command. Whatever the rest is,
    `deliver` answers it (a wrong line exits 75, never argparse's 2: an MTA bounces on 2)."""
    index = 0
    while index < len(argv) and argv[index].startswith("-"):
        index += 2 if argv[index] == "--config" else 1
    if index < len(argv) and argv[index] == "deliver":
        return argv[:index] + argv[index + 1:]
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    deliver_argv = _deliver_argv(argv)
    if deliver_argv is not None:
        from gateway.service.spool import main as deliver_main
        return deliver_main(deliver_argv)
    from gateway.cli import main as full_main
    return full_main(argv)
