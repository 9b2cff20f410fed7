"""What an accepting reply may hold beside its words: marks, and contact lines under a name.

Why: an accept closes the complaint, so a reply accepts only when nothing in it says more than
the accept (gateway/desk/intent.py). Words are judged there; this module judges what words
do not show: a number ("Деньги получил 50%"), a bracket ("Memnunum(!)"), a quote mark, an angry
emoji ("Resolved 🤬🤬"); and it cuts the name-and-contacts block ("John\nTel. No.: 123 45 67")
that the parser's signature cut leaves when no closing word stands above it. Pure, bounded by
the caller (the reply's own text is cut at intent.MAX_CHARS / MAX_LINES).
"""
from __future__ import annotations

import unicodedata

from gateway.mail.quotes import CONTACT, is_name

CONTACT_LINE_CHARS, CONTACT_LINE_WORDS = 60, 7  # a contact line under a signed name, not a sentence
# What an accepting reply may hold beside letters: sentence punctuation and a few positive emoji
# (with their variation selector, joiner and skin tones). A digit, "%", a bracket, a quote mark,
# any other emoji ("Resolved 🤬🤬", "Memnunum(!) 😡", "Деньги получил 50%") leaves it unclear.
ACCEPT_MARKS = frozenset(" \t\r\n.,!;:-–—…'’" "👍👌🙏🙂😊☺❤♥✅🤝👏😀😃😄🥰😍💯🎉" "\ufe0f\u200d"
                         "\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")


def without_contacts(own: str) -> str:
    """The text above a name alone on its line followed by short contact lines ("John", "Tel. No.:
    123 45 67"), which the parser's signature cut leaves when no closing word stands above them."""
    lines = own.splitlines()
    for at in range(1, len(lines)):
        tail = [line.strip() for line in lines[at:] if line.strip()]
        if tail and is_name(tail[0]) and any(_contact(line) for line in tail[1:]) and all(
                is_name(line) or _contact(line) for line in tail[1:]):
            return "\n".join(lines[:at + 1])  # the name stays: wholly_accepts knows a signed name
    return own


def _contact(line: str) -> bool:
    """A short line with a phone, an address or a "Tel." label: no sentence."""
    return len(line) <= CONTACT_LINE_CHARS and len(line.split()) <= CONTACT_LINE_WORDS and bool(CONTACT.search(line))


def plain_marks(text: str) -> bool:
    """Only letters, spaces, sentence punctuation and ACCEPT_MARKS: a number, a bracket, a quote
    mark or an angry emoji beside an accept says more than the accept."""
    return all(ch in ACCEPT_MARKS or unicodedata.category(ch)[0] in "LM" for ch in text)
