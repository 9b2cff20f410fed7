"""The big leaf bodies of a multipart mail, taken out before the stdlib parses it.

The stdlib's feed parser reads a multipart mail line by line: an 18 MB text part
or attachment cost a second and 170 MB before anything could look at it. Here the
delimiter lines of each multipart are found with bytes.find (C speed), and every
leaf body of LEAF_MIN bytes or more is replaced by a short marker; the stdlib then
parses the small rest (the same parser: the same headers, structure and defects),
and parse() decodes the taken-out bytes itself, as it does a single-part body.

Only plain structure is hollowed: every multipart with a boundary and a closing
delimiter, every header block read without defects, no enclosing boundary's
delimiter inside a taken-out body. Anything else returns None and the stdlib
reads the whole mail as before; parse() also falls back when the stdlib does not
meet every marker exactly once. message/* parts are never hollowed (their
content is a mail the stdlib parses). Pure: bytes in, bytes out.
"""
from __future__ import annotations

import email.errors
import email.message
import email.parser
import email.policy
import itertools
import re
from dataclasses import dataclass, field

LEAF_MIN = 64 * 1024  # bytes of a leaf body worth taking out
MAX_DEPTH = 20  # multiparts nested deeper are left to the stdlib
MARKER = b"gateway-hollowed-part-"
_HEAD_END = re.compile(rb"\r?\n\r?\n")


@dataclass
class Hollow:
    raw: bytes  # the mail with each big leaf body replaced by its marker
    bodies: dict[str, bytes] = field(default_factory=dict)  # marker -> the body taken out


def hollow(raw: bytes) -> Hollow | None:
    """The mail with its big leaf bodies taken out; None when there is nothing to take out
    or the structure is not plain enough to be sure the stdlib reads it the same way."""
    if len(raw) < 2 * LEAF_MIN or raw.find(MARKER) >= 0:
        return None
    head_end = _HEAD_END.search(raw)
    if head_end is None or raw[:1] in (b"\n", b"\r"):
        return None
    top = _headers(raw[: head_end.start()])
    cuts: list[tuple[int, int]] = []
    if top is None or not _walk(raw, head_end.end(), len(raw), top, (), cuts, 0) or not cuts:
        return None
    pieces, bodies, at = [], {}, 0
    for n, (start, end) in enumerate(cuts):
        marker = MARKER + str(n).encode()
        pieces += [raw[at:start], marker]
        bodies[marker.decode()] = raw[start:end]
        at = end
    pieces.append(raw[at:])
    return Hollow(b"".join(pieces), bodies)


def _headers(block: bytes) -> email.message.Message | None:
    msg = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(block + b"\n")
    if block.count(b"\r") != block.count(b"\r\n") or msg.defects:
        return None  # bare CRs, a line that is no header: the stdlib's own reading decides
    return msg


def _walk(raw: bytes, start: int, end: int, msg: email.message.Message, stack: tuple[bytes, ...],
          cuts: list[tuple[int, int]], depth: int) -> bool:
    """Collect the big leaf bodies of the multipart `msg` whose body is raw[start:end];
    False when its structure is not plain (the caller then hollows nothing)."""
    if msg.get_content_maintype() != "multipart":
        return True
    boundary = msg.get_boundary()
    if not boundary or depth >= MAX_DEPTH or not boundary.isascii():
        return False
    stack += (boundary.encode(),)
    parts = _parts(raw, start, end, stack[-1])
    if parts is None:
        return False
    for part_start, part_end in parts:
        if raw.startswith(b"\n", part_start) or raw.startswith(b"\r\n", part_start):
            return False  # a part without headers: rare, left to the stdlib
        head_end = _HEAD_END.search(raw, part_start, part_end)
        if head_end is None:
            continue  # headers only
        part = _headers(raw[part_start: head_end.start()])
        if part is None:
            return False
        body_start = head_end.end()
        if part.get_content_maintype() == "multipart":
            if not _walk(raw, body_start, part_end, part, stack, cuts, depth + 1):
                return False
        elif part.get_content_maintype() != "message" and part_end - body_start >= LEAF_MIN:
            if any(raw.find(b"\n--" + outer, body_start, part_end) >= 0 for outer in stack):
                return False
            cuts.append((body_start, part_end))
    return True


def _parts(raw: bytes, start: int, end: int, boundary: bytes) -> list[tuple[int, int]] | None:
    """(start, end) of each part between the delimiter lines of `boundary` (the line break
    before a delimiter belongs to it, RFC 2046); None without a closing delimiter."""
    mark = b"--" + boundary
    lines: list[tuple[int, int, bool]] = []  # (line start, line end, closing)
    at = start if raw.startswith(mark, start) else _next(raw, mark, start, end)
    while at >= 0:
        eol = raw.find(b"\n", at, end)
        line_end = end if eol < 0 else eol + 1
        rest = raw[at + len(mark): line_end].rstrip(b"\r\n")
        closing = rest.startswith(b"--")
        if not rest.removeprefix(b"--").strip(b" \t"):  # else a text line that merely starts so
            lines.append((at, line_end, closing))
            if closing:
                break
        at = _next(raw, mark, line_end - 1, end)
    if not lines or not lines[-1][2]:
        return None
    parts = []
    for (_, opened, _), (next_start, _, _) in itertools.pairwise(lines):
        cut = next_start - (2 if raw[next_start - 2: next_start] == b"\r\n" else 1)
        parts.append((opened, max(opened, cut)))
    return parts


def _next(raw: bytes, mark: bytes, after: int, end: int) -> int:
    """Where the next line starting with `mark` starts, -1 when none does before `end`."""
    found = raw.find(b"\n" + mark, after, end)
    return -1 if found < 0 else found + 1
