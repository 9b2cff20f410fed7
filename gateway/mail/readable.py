"""Whether a mail says anything a person could read: a body of NUL bytes, control characters or
whitespace under an empty or garbage subject is no complaint, and acknowledging it as one would
send a customer (or whoever the From names) a receipt for nothing.

The test is deliberately narrow, because a false positive keeps a person's mail from the desk:
a mail is unreadable only when neither its subject nor its text holds a single letter, digit or
symbol (an emoji counts) and it has no attachment (a photo of a receipt with no text is a
complaint). Such a mail is quarantined with its bytes and the reason, never dropped; staff see it
in `gateway quarantine list` and `quarantine retry` processes it anyway.
"""
from __future__ import annotations

import re
import unicodedata

from gateway.mail.parse import Mail

SCAN = 100_000  # characters of subject and text searched; a readable character ends the search
_WORD = re.compile(r"[^\W_]")  # a letter or digit of any script
REPLACEMENT = "\ufffd"  # what undecodable bytes become: a symbol by category, garbage by meaning


def unreadable(mail: Mail) -> str:
    """Why the mail reads as nothing ("" when it says something)."""
    if mail.attachments:
        return ""
    for text in (mail.subject[:SCAN], mail.text[:SCAN]):
        if _WORD.search(text) or any(unicodedata.category(ch) == "So" and ch != REPLACEMENT for ch in text):
            return ""
    return "unreadable: no letter, digit or symbol in the subject or the text, and no attachment"
