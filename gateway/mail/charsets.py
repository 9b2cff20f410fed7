"""Bytes of unknown or wrongly declared charset -> readable text.

Real mail lies about its charset: koi8-r declared as windows-1251, Cyrillic
declared as us-ascii or iso-8859-1, UTF-8 with a few broken bytes, charset
names Python does not know. Single-byte codecs decode *any* bytes without
error, so "the first codec that does not fail" is not an answer; every
plausible candidate is decoded and scored, and the declared charset wins
whenever it reads as text. Pure: no I/O.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer
from charset_normalizer.md import mess_ratio

from gateway.config import LANGUAGES

# Legacy charsets customers of each language still send, most likely first.
# Azerbaijani Latin has no 8-bit charset with "ə"; its mail is mostly UTF-8,
# the rest comes from Turkish- or Cyrillic-configured machines.
LANGUAGE_CHARSETS: dict[str, tuple[str, ...]] = {
    "az": ("windows-1254", "iso-8859-9", "windows-1251"),
    "ru": ("windows-1251", "koi8-r", "ibm866", "mac_cyrillic"),
    "tr": ("windows-1254", "iso-8859-9"),
    "en": ("windows-1252",),
}

# Letters beyond ASCII that each language writes; a decode whose non-ASCII
# letters fall outside every configured alphabet is probably mojibake.
LANGUAGE_ALPHABETS: dict[str, str] = {
    "az": "çəğıöşüÇƏĞİÖŞÜ" + "абвгғдеәжзиыјкҝлмнооөпрстуүфхһчҹшАБВГҒДЕӘЖЗИЫЈКҜЛМНОӨПРСТУҮФХҺЧҸШ",
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ",
    "tr": "çğıöşüâîûÇĞİÖŞÜÂÎÛ",
    "en": "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßœÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝŒ",
}

# Names seen in the wild that Python's codec registry does not resolve, or
# resolves to a narrower codec than senders actually used.
CHARSET_ALIASES: dict[str, str] = {
    "x-mac-cyrillic": "mac_cyrillic",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "windows-874": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "iso-8859-1": "windows-1252",  # what senders labelled latin-1 really is (WHATWG)
    "latin1": "windows-1252",
    "us-ascii": "ascii",
}

# Labels clients write when they do not know (or lie): checked against the
# alternatives instead of being believed when the text merely decodes.
WEAK_LABELS = frozenset({"ascii", "cp1252", "iso8859-1", "iso8859-15"})

FALLBACK_CHARSETS: tuple[str, ...] = ("utf-8", "windows-1252", "iso-8859-1")
DEFAULT_LANGUAGES: tuple[str, ...] = LANGUAGES  # every language the gateway speaks

# charset-normalizer treats the IPA-block "ə" as a suspicious script mix; for
# Azerbaijani it is an ordinary letter, so it is scored as a plain "e".
_NEUTRAL_LETTERS = str.maketrans("əƏ", "eE")
_WORD = re.compile(r"[^\W\d_]{2,}")
_SAMPLE = 32_768  # characters scored per candidate; enough to judge, bounded cost
_PLAUSIBLE_MESS = 0.2  # charset-normalizer's own default threshold
_DECLARED_BONUS = 0.15  # the sender's word counts, but not against obvious mojibake
_UTF8_BONUS = 0.1  # valid multi-byte UTF-8 almost never happens by accident


@dataclass(frozen=True)
class Decoded:
    text: str
    charset: str  # the codec actually used
    note: str = ""  # why it differs from the declared one, for Mail.defects


def codec_name(declared: str | None) -> str | None:
    """Python codec for a MIME charset label, or None when unknown."""
    label = (declared or "").strip().strip("\"'").lower()
    if not label:
        return None
    for name in (label, label.removeprefix("x-"), label.replace("win-", "windows-").replace("cp-", "cp")):
        try:
            return codecs.lookup(CHARSET_ALIASES.get(name, name)).name
        except LookupError:
            continue
    return None


def likely_charsets(languages: tuple[str, ...]) -> tuple[str, ...]:
    """Candidate codecs for the configured languages, in language order."""
    names = [cs for lang in languages for cs in LANGUAGE_CHARSETS.get(lang, ())]
    return tuple(dict.fromkeys(names + list(FALLBACK_CHARSETS)))


def decode(data: bytes, declared: str | None = None,
           languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> Decoded:
    """Decode bytes to text; never raises, never returns lone surrogates."""
    if not data:
        return Decoded("", codec_name(declared) or "ascii")
    declared_codec = codec_name(declared)
    if declared_codec is None and data.isascii():
        return Decoded(data.decode("ascii"), "ascii")
    scores = _Scores(declared_codec, "".join(LANGUAGE_ALPHABETS.get(lang, "") for lang in languages))
    trusted_first = (declared_codec if declared_codec not in WEAK_LABELS else None, "utf-8")
    for trusted in [codec for codec in trusted_first if codec]:
        text = _strict(data, trusted)
        if text is not None and scores.reads_well(text) and (trusted == declared_codec or not text.isascii()):
            return Decoded(text, trusted, _note(declared, declared_codec, trusted))
    order = [c for c in (declared_codec, "utf-8", *likely_charsets(languages)) if c]
    scored = [(scores(text, codec), i, codec, text)
              for i, codec in enumerate(dict.fromkeys(codecs.lookup(c).name for c in order))
              if (text := _strict(data, codec)) is not None]
    if not scored or min(scored)[0] > _PLAUSIBLE_MESS:
        scored.extend(_detector_candidates(data, scores, len(scored)))
    if not scored:
        return Decoded(data.decode("utf-8", "replace"), "utf-8",
                       "no charset decodes it; utf-8 with replacement characters")
    _, _, codec, text = min(scored)
    return Decoded(text, codec, _note(declared, declared_codec, codec))


def _note(declared: str | None, declared_codec: str | None, used: str) -> str:
    if used == declared_codec or (declared_codec is None and used in ("utf-8", "ascii")):
        return ""
    return f"declared charset {declared or 'none'!r}, decoded as {used}"


def _strict(data: bytes, codec: str) -> str | None:
    try:
        text = data.decode(codec)
        text.encode("utf-8")  # some codecs can emit lone surrogates
        return text
    except (UnicodeError, LookupError):
        return None


class _Scores:
    """The measures of one decode() call's candidate texts, each text measured once.

    Many codecs read the same bytes as the same text (every candidate does, for
    ASCII bytes), and the measures depend on the text alone; only the bonuses
    depend on the codec.
    """

    def __init__(self, declared: str | None, alphabet: str) -> None:
        self.declared = declared
        self.alphabet = alphabet
        self._measured: dict[str, tuple[float, float, float]] = {}

    def _measures(self, text: str) -> tuple[float, float, float]:
        """(mojibake, foreign letters, inverted case) of the text's sample."""
        found = self._measured.get(text)
        if found is None:
            sample = text[:_SAMPLE]
            found = self._measured[text] = (mess_ratio(sample.translate(_NEUTRAL_LETTERS), 1.0),
                                            _foreign_letters(sample, self.alphabet), _inverted_case(sample))
        return found

    def reads_well(self, text: str) -> bool:
        """No mojibake and no swapped letter case: trust the codec that produced it."""
        mess, _, inverted = self._measures(text)
        return mess <= _PLAUSIBLE_MESS and inverted == 0.0

    def __call__(self, text: str, codec: str) -> float:
        """Lower is better: mojibake measure plus alphabet and letter-case oddities."""
        mess, foreign, inverted = self._measures(text)
        score = mess + foreign + inverted
        if codec == self.declared:
            score -= _DECLARED_BONUS
        if codec == "utf-8" and not text[:_SAMPLE].isascii():
            score -= _UTF8_BONUS
        return score


def _foreign_letters(sample: str, alphabet: str) -> float:
    """Share of non-ASCII letters outside the configured alphabets, halved."""
    if sample.isascii():
        return 0.0
    letters = [ch for ch in sample if not ch.isascii() and ch.isalpha()]
    if not letters or not alphabet:
        return 0.0
    return 0.5 * sum(ch not in alphabet for ch in letters) / len(letters)


def _inverted_case(sample: str) -> float:
    """koi8-r read as windows-1251 (and back) swaps letter case.

    Real prose has words in lower case, Capitalised or ALL CAPS; swapped case
    gives "фЕУФ"-shaped words and mostly-capital text.
    """
    if sample.isascii():
        return 0.0
    words = [w for w in _WORD.findall(sample) if not w.isascii() and w.lower() != w.upper()]
    if not words:
        return 0.0
    odd = sum(not (w.islower() or w.isupper() or w.istitle()) for w in words) / len(words)
    letters = "".join(words)
    upper = sum(ch.isupper() for ch in letters) / len(letters) if len(letters) >= 8 else 0.0
    return odd + max(0.0, upper - 0.6)


def _detector_candidates(data: bytes, scores: _Scores, start: int) -> list[tuple[float, int, str, str]]:
    """charset-normalizer's best guess, and UTF-8 with replacement characters."""
    found: list[tuple[float, int, str, str]] = []
    best = charset_normalizer.from_bytes(data[: _SAMPLE * 4]).best()
    if best is not None and (text := _strict(data, best.encoding)) is not None:
        found.append((scores(text, best.encoding), start, best.encoding, text))
    lossy = data.decode("utf-8", "replace")
    bad = lossy.count("\ufffd") / max(1, sum(not ch.isascii() for ch in lossy))
    found.append((scores(lossy, "utf-8") + bad, start + 1, "utf-8", lossy))
    return found
