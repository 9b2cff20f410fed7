"""VERP: a return path per outgoing mail, so a bounce names the mail it is about.

With `[outbound] verp = true` each mail leaves with the envelope sender
care+<row>-<signature>@domain (for a gateway address care@domain), <row> being
its outbox row. Delivery systems send bounces to the envelope sender, so a
report arriving at such an address is about that row and its one recipient,
whatever the report itself names (a forwarding address, nobody, or a rewritten
Message-ID). The signature is an HMAC of the row with the gateway's key: an
outsider who guesses the shape cannot point a forged bounce at a customer.
A customer who sees their own copy's Return-Path could only name themselves.
Pure: the key is passed in; reading it from disk is store/private's job.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # parse loads mail-parser; the outbox imports this module on `tick`
    from gateway.mail.parse import Mail

SIGNATURE_CHARS = 16  # hex digits of the HMAC kept: 64 bits, more than a guesser gets tries
_TOKEN = re.compile(r"([0-9]{1,18})-([0-9a-f]{%d})" % SIGNATURE_CHARS)
ADDRESS_HEADERS = ("x-original-to", "delivered-to", "envelope-to", "to")  # where the return path shows


def _signature(row: int, key: bytes) -> str:
    return hmac.new(key, f"verp:{row}".encode(), hashlib.sha256).hexdigest()[:SIGNATURE_CHARS]


def return_path(address: str, row: int, key: bytes) -> str:
    """The envelope sender for outbox row `row` of the gateway address `address`."""
    local, _, domain = address.rpartition("@")
    return f"{local}+{row}-{_signature(row, key)}@{domain}"


def row_of(candidate: str, address: str, key: bytes) -> int | None:
    """The outbox row a return path of ours names; None for any other address or a bad signature.
    Domains compare without case; the token in lower case (some relays lower-case local parts)."""
    local, _, domain = address.rpartition("@")
    got_local, _, got_domain = candidate.strip().strip("<>").rpartition("@")
    prefix = f"{local}+"
    if got_domain.lower() != domain.lower() or got_local[: len(prefix)].lower() != prefix.lower():
        return None
    found = _TOKEN.fullmatch(got_local[len(prefix):].lower())
    if found is None:
        return None
    row = int(found.group(1))
    return row if hmac.compare_digest(found.group(2), _signature(row, key)) else None


_ADDRESS = re.compile(r"[^\s<>,;:\"()@]{1,200}@[^\s<>,;:\"()@]{1,253}")


def rows_returned_to(mail: Mail, address: str, key: bytes) -> tuple[int, ...]:
    """The outbox rows whose return path a received mail was addressed to (the envelope
    recipient as the delivering MTA or our listener recorded it, or the report's To)."""
    rows: dict[int, None] = {}
    for name in ADDRESS_HEADERS:
        for value in mail.header_all(name)[:20]:
            for candidate in _ADDRESS.findall(value[:2000]):
                row = row_of(candidate, address, key)
                if row is not None:
                    rows[row] = None
    return tuple(rows)
