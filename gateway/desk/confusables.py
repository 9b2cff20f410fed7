"""Letters of one script drawn like letters of another (Unicode confusables).

One table for every reader that must not be fooled by a look-alike letter: staff
commands fold a whole line to Latin ("#nоte" with a Cyrillic "о" is #note); the
reader of a customer's decision folds a word that mixes Cyrillic and Latin to
Cyrillic ("Нe согласен" with a Latin "e" is "не согласен"), since a word of one
language is never written in two scripts but for a trick or a slip, while a whole
Latin word ("he", "ok") must stay what it is.
"""
from __future__ import annotations

import re

# Cyrillic and Greek letters drawn like Latin ones (lower and upper case).
CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "ɡ": "g", "ı": "i",
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ї": "I", "Ј": "J", "Ѕ": "S", "Ԛ": "Q", "Ԝ": "W", "İ": "I",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
})
_RUSSIAN = "авеёкмнорстухАВЕЁКМНОРСТУХ"  # the Russian letters of the table (not і, ј, ѕ ...)
# The reverse for Russian: a Latin look-alike in a Cyrillic word is the Cyrillic letter ("e" -> "е").
TO_CYRILLIC = str.maketrans({str(CONFUSABLES[ord(c)]): c for c in reversed(_RUSSIAN)})
_MIXED_WORD = re.compile(r"\w+")


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def unmix(text: str) -> str:
    """The text with every word that mixes Cyrillic and Latin letters folded to Cyrillic; other
    words unchanged. Linear: one pass over the words."""
    if not any(_is_cyrillic(ch) for ch in text):
        return text
    return _MIXED_WORD.sub(_unmix_word, text)


def _unmix_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if any(_is_cyrillic(ch) for ch in word) and any("a" <= ch.lower() <= "z" for ch in word):
        return word.translate(TO_CYRILLIC)
    return word
