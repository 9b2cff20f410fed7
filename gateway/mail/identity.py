"""When two arrivals are one mail: the key the store keeps unique besides the raw bytes' sha256.

The same mail comes twice with different bytes: over IMAP and over SMTP, or retried by an MTA
that wrote another Received header. Its Message-ID alone cannot say so: anyone may write any
Message-ID (an outsider who learnt a customer's could suppress the customer's mail with it)
and some clients reuse them. So the key is the Message-ID *with* the sender and what the mail
says: subject, text (whitespace folded, so a re-encoded or re-wrapped copy reads the same) and
its attachments' digests. A different mail under a clashing Message-ID gets its own key and is
stored; the same mail over another route meets its first copy's key.

Rows stored before this key existed (migrate step 8) get `legacy_key`: Message-ID and sender,
the old rule narrowed to the same sender, since their content was never keyed.
"""
from __future__ import annotations

import hashlib

from gateway.mail.parse import Mail

VERSION = "v1"  # part of every key: a change in what is hashed must not meet the old keys


def content_key(mail: Mail) -> str | None:
    """The mail's key; None without a Message-ID (then only the same bytes are the same mail)."""
    if not mail.message_id:
        return None
    parts = [VERSION, mail.message_id, mail.sender.lower(), " ".join(mail.subject.split()),
             " ".join(mail.text.split()), *sorted(part.sha256 for part in mail.attachments)]
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def legacy_key(message_id: str, sender: str) -> str:
    """The key of a row stored before content keys (Message-ID and sender only)."""
    digest = hashlib.sha256("\0".join(["legacy", message_id, sender.lower()]).encode("utf-8", "surrogatepass"))
    return "legacy:" + digest.hexdigest()
