"""The customer's secret for following a complaint on the web portal.

Every complaint gets one when it is created, whatever its channel; the customer
learns it from the acknowledgement (mail, the portal's page, SMS). Only a salted
hash is kept with the complaint. The secret is random (10 characters of a
31-letter alphabet, ~50 bits), so a fast hash is enough: guessing is stopped by
the portal's lockout, not by hashing cost, and the status page stays fast.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read out on the phone and typed back
LENGTH = 10
_CONFUSED = str.maketrans({"0": "O", "1": "I", "L": "I"})
SCHEME = "sha256"


def make() -> str:
    """A new secret, shown to the customer as XXXXX-XXXXX."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{body[:5]}-{body[5:]}"


def normalize(typed: str) -> str:
    """What the customer typed, compared as written: case, spaces and dashes do not matter."""
    return "".join(ch for ch in typed[:64].upper() if ch.isalnum())


def digest(secret: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    value = hashlib.sha256(f"{salt}:{normalize(secret)}".encode()).hexdigest()
    return f"{SCHEME}${salt}${value}"


def verify(typed: str, stored: str) -> bool:
    try:
        scheme, salt, _ = stored.split("$", 2)
    except ValueError:
        return False
    return scheme == SCHEME and hmac.compare_digest(digest(typed, salt), stored)
