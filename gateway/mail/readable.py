"""Whether a mail says anything a person could read: a body of NUL bytes, control characters or
whitespace under an empty or garbage subject is no complaint, and acknowledging it as one would
send a customer (or whoever the From names) a receipt for nothing.

The test is deliberately narrow, because a false positive keeps a person's mail from the desk:
a mail is unreadable only when neither its subject nor its text holds a single visible character
(a letter, a digit, an emoji, and punctuation too: "???" or ":(" under an answer is a customer
saying something), it has no attachment (a photo of a receipt with no text is a complaint) and its
HTML shows no picture (an image pasted inline as a data: URI is no attachment). Such a mail is
quarantined with its bytes and the reason, never dropped; staff see it in `gateway quarantine list`
and `quarantine retry` processes it anyway.
"""
from __future__ import annotations

import re

from gateway.mail.parse import Mail

SCAN = 100_000  # characters of subject, text and HTML searched; a visible character ends the search
_VISIBLE = re.compile(r"[^\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2060-\u2064\ufeff\ufffd]")
# Anything but whitespace, control and invisible format characters, and U+FFFD (what undecodable
# bytes become: a symbol by category, garbage by meaning).
_PICTURE = re.compile(r"<img\b", re.IGNORECASE)


def unreadable(mail: Mail) -> str:
    """Why the mail reads as nothing ("" when it says something)."""
    if mail.attachments or _PICTURE.search(mail.html[:SCAN]):
        return ""
    if any(_VISIBLE.search(text[:SCAN]) for text in (mail.subject, mail.text)):
        return ""
    return "unreadable: nothing visible in the subject or the text, no attachment and no picture"
