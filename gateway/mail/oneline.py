"""Untrusted text folded into one line, safe to put in a header or a log line.

Its own module because both ends of the gateway need it: parsing (decoded
header values) and composing (a customer's name or subject in our headers),
and the composing side should not load the mail parser's libraries to get it.
"""
from __future__ import annotations

import re

# Everything that could end a header line or hide in one: C0/C1 controls and
# the Unicode line/paragraph separators some libraries treat as newlines.
_LINE_BREAKERS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_SPACES = re.compile(r" {2,}")


def one_line(value: str) -> str:
    """Fold to one line: no CR/LF (nor any control or line separator) survives."""
    return _SPACES.sub(" ", _LINE_BREAKERS.sub(" ", value or "")).strip()
