"""RFC 3676 format=flowed text back into the lines its author wrote.

Thunderbird (and Apple Mail, K-9, many webmails) send plain text soft-wrapped at
~72 columns: a line ending in a space continues on the next line. Read
unwrapped, a staff member's `#extend 2026-12-18 the supplier needs two more
weeks ...` would end at the wrap, and the wrapped remainder would become a
separate paragraph of the answer. Decoding happens before commands and quotes
are read. Pure and linear: one pass over the lines.
"""
from __future__ import annotations

SIGNATURE = "-- "


def unflow(text: str, delsp: bool = False) -> str:
    """Join soft-wrapped lines; quote depth ("> " prefixes) is kept as "> " * depth.

    A flowed line (ending in a space) joins the next line of the same quote
    depth; with DelSp=yes that trailing space was added by the wrapper and is
    removed. Space-stuffing (one leading space) is undone. The "-- " signature
    separator is never flowed.
    """
    out: list[str] = []
    pending: str | None = None  # the paragraph being joined
    pending_depth = 0
    for raw in text.split("\n"):
        depth, line = _unquote(raw)
        if pending is not None and depth != pending_depth:
            out.append(_requote(pending_depth, pending))  # a flowed line must not join another depth
            pending = None
        flowed = line.endswith(" ") and line != SIGNATURE
        if flowed and delsp:
            line = line[:-1]
        pending = line if pending is None else pending + line
        pending_depth = depth
        if not flowed:
            out.append(_requote(depth, pending))
            pending = None
    if pending is not None:
        out.append(_requote(pending_depth, pending))
    return "\n".join(out)


def _unquote(raw: str) -> tuple[int, str]:
    depth = len(raw) - len(raw.lstrip(">"))
    line = raw[depth:]
    if line.startswith(" "):  # space-stuffing (and the space after the quote marks)
        line = line[1:]
    return depth, line


def _requote(depth: int, line: str) -> str:
    return ("> " * depth + line).rstrip() if depth else line.rstrip(" ") if line != SIGNATURE else line
