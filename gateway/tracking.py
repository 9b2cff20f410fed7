"""Tracking numbers: make, find in a subject, verify.

Form: PREFIX-YYYY-XXXXXXXC, where XXXXXXX is 7 random Crockford base32
characters (35 bits: one number cannot be guessed from another) and C a
mod-37 check character, so a mistyped number is rejected instead of threading
a mail into somebody else's complaint.
"""
from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CHECK_ALPHABET = ALPHABET + "*~$=U"  # Crockford's mod-37 check symbols
RANDOM_LENGTH = 7
_TRANSLATE = str.maketrans({"I": "1", "L": "1", "O": "0"})


def check_char(body: str) -> str:
    value = 0
    for char in body:
        value = value * 32 + ALPHABET.index(char)
    return CHECK_ALPHABET[value % 37]


def make(prefix: str, year: int, token: str | None = None) -> str:
    """A new tracking number; `token` is only for tests that need a fixed one."""
    body = token or "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return f"{prefix.upper()}-{year:04d}-{body}{check_char(body)}"


def pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?<![A-Z0-9]){re.escape(prefix)}-(\d{{4}})-([0-9A-Z]{{{RANDOM_LENGTH}}})([0-9A-Z*~$=]?)(?![A-Z0-9])",
        re.IGNORECASE)


def normalize(candidate: str, prefix: str) -> str | None:
    """The canonical form of a tracking number, or None when it does not verify."""
    match = pattern(prefix).fullmatch(candidate.strip().strip("[]#"))
    if not match:
        return None
    year, body, check = match.group(1), match.group(2).upper().translate(_TRANSLATE), match.group(3).upper()
    if any(c not in ALPHABET for c in body) or check_char(body) != check:
        return None
    return f"{prefix.upper()}-{year}-{body}{check}"


def find(text: str, prefix: str) -> list[str]:
    """Every valid tracking number in a subject (or any text), first first."""
    found: list[str] = []
    for match in pattern(prefix).finditer(text or ""):
        number = normalize(match.group(0), prefix)
        if number and number not in found:
            found.append(number)
    return found
