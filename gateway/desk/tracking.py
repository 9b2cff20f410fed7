"""Tracking numbers: make, find in a subject, verify.

Form: PREFIX-YYYY-XXXXXXXC, letters and digits only. XXXXXXX is 7 random
Crockford base32 characters (35 bits: one number cannot be guessed from
another) and C a Luhn mod 32 check character from the same alphabet, which
catches every single mistyped character and most swapped neighbours, so a
mistyped number is rejected instead of threading a mail into somebody else's
complaint. A customer can type it as they read it: any case, with or without
the dashes (or with spaces), O for 0 and I or L for 1.

Numbers made before (until December 2026) end in Crockford's mod-37 check
character, which is one of `* ~ $ =` or U for about 1 number in 7. They keep
working, and so does such a number typed without its symbol (the symbol is
recomputed from the rest), so an old complaint's customer who drops the `$`
still reaches their complaint. A candidate is only ever a key to look up: the
lookup still needs the complaint to exist and the sender to be its customer.
"""
from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
LEGACY_CHECK_ALPHABET = ALPHABET + "*~$=U"  # Crockford's mod-37 check symbols (numbers made before)
LEGACY_SYMBOLS = "*~$=U"
RANDOM_LENGTH = 7
MAX_TEXT = 2000  # characters of a subject searched
_SEP = "[-\u2010\u2011\u2013\u2014 \u00a0]?"
_TRANSLATE = str.maketrans({"I": "1", "L": "1", "O": "0", "İ": "1"})


def check_char(body: str) -> str:
    """Luhn mod 32 over the Crockford alphabet: a character of the same alphabet."""
    total, factor = 0, 2
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // 32 + addend % 32
        factor = 3 - factor
    return ALPHABET[(32 - total % 32) % 32]


def legacy_check_char(body: str) -> str:
    value = 0
    for char in body:
        value = value * 32 + ALPHABET.index(char)
    return LEGACY_CHECK_ALPHABET[value % 37]


def make(prefix: str, year: int, token: str | None = None) -> str:
    """A new tracking number; `token` is only for tests that need a fixed one."""
    body = token or "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return f"{prefix.upper()}-{year:04d}-{body}{check_char(body)}"


def pattern(prefix: str) -> re.Pattern[str]:
    """Prefix, year and body, each separator an optional dash or space (a phone keyboard's en
    dash and no-break space too); fixed lengths, so linear."""
    return re.compile(
        rf"(?<![^\W_]){re.escape(prefix)}{_SEP}([0-9OIL]{{4}}){_SEP}([0-9A-Z]{{{RANDOM_LENGTH}}})"
        rf"([0-9A-Z*~$=]?)(?![^\W_])", re.IGNORECASE)


def normalize(candidate: str, prefix: str) -> str | None:
    """The canonical form of a tracking number, or None when it does not verify."""
    match = pattern(prefix).fullmatch(candidate.strip().strip("[]#"))
    return _verified(match, prefix) if match else None


def find(text: str, prefix: str) -> list[str]:
    """Every valid tracking number in a subject (or any text), first first."""
    found: list[str] = []
    for match in pattern(prefix).finditer((text or "")[:MAX_TEXT]):
        number = _verified(match, prefix)
        if number and number not in found:
            found.append(number)
    return found


def _verified(match: re.Match[str], prefix: str) -> str | None:
    year = match.group(1).upper().translate(_TRANSLATE)
    body = match.group(2).upper().translate(_TRANSLATE)
    check = match.group(3).upper().translate(_TRANSLATE)
    if not year.isdigit() or any(c not in ALPHABET for c in body):
        return None
    if not check:  # an old number typed without its symbol: the symbol follows from the rest
        check = legacy_check_char(body)
        if check not in LEGACY_SYMBOLS:
            return None
    elif check not in (check_char(body), legacy_check_char(body)):
        return None
    return f"{prefix.upper()}-{year}-{body}{check}"


def is_legacy(number: str) -> bool:
    """Whether a canonical number is of the old form (mod-37 check) rather than the current one."""
    body, check = number[-RANDOM_LENGTH - 1:-1], number[-1]
    return check != check_char(body)
