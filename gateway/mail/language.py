"""Which configured language a customer wrote in.

The answer picks the language of every mail we send back, so a wrong guess is
worse than an honest "don't know": short or ambiguous text falls back to the
configured default instead. lingua is restricted to the configured languages
(fewer candidates, fewer mistakes, less memory) and built once per detector
object; the caller keeps that object (the daemon's composition root), there is
no module-level cache.

Azerbaijani and Turkish share most of their vocabulary and alphabet, and lingua
alone sometimes confuses them on short texts. The alphabets differ in a few
letters, which gives a cheap second opinion used only between those two:
"ə" exists in Azerbaijani only; "q" and "x" are everyday Azerbaijani letters
that native Turkish words never use.

lingua's full models cost ~1.2 s to load and ~130 MB; its trigram-only
("low accuracy") models load in ~0.1 s and, from about 120 characters on, pick
the same language (measured over the benchmark corpus and the real-mail corpus:
no disagreement among ~800 texts that long, after our own thresholds). So long
texts go to the trigram detector and the full models load only when a short
text first needs them: a one-message `gateway ingest` (the MTA pipe) usually
never pays for them.

Loading the full models leaves ~45 MB of parsing scratch freed but still held
by glibc's allocator; the detector hands it back to the system once, after the
first text the full models read (the daemon's peak RSS is otherwise set by it).
"""
from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass

from lingua import ConfidenceValue, IsoCode639_1, LanguageDetectorBuilder
from lingua import LanguageDetector as Lingua

AZ_ONLY_LETTERS = frozenset("əƏ")
CYRILLIC_LANGUAGES = frozenset({"ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "mn"})
AZ_FREQUENT_LETTERS = frozenset("qQxX")


@dataclass(frozen=True)
class DetectionSettings:
    """Thresholds; the defaults were tuned on tests/test_language.py's texts."""

    min_letters: int = 10  # below this, text says too little ("ok", "Salam", "Merhaba")
    min_confidence: float = 0.55  # lingua's top value (values sum to 1); an even split is no answer
    az_letter_share: float = 0.03  # q+x share of letters that makes an unsure tr/az call az
    az_tr_share: float = 0.9  # ... but only when lingua hesitates between az and tr alone
    low_accuracy: bool = False  # lingua's trigram-only mode: ~13 MB instead of ~130 MB, weaker on short text
    trigram_from_chars: int = 120  # from this length on the trigram models decide alone (same answers)
    max_chars: int = 3000  # only a text's start is read: its language shows in a paragraph, and
    # lingua's time (and the letters counted here) grow with the length: 18 MB would take minutes


class LanguageDetector:
    """Detect the language of a text among the configured ones."""

    def __init__(self, languages: tuple[str, ...], settings: DetectionSettings = DetectionSettings()):
        self.languages = tuple(languages)
        self.settings = settings
        self._codes = [IsoCode639_1.from_str(code) for code in self.languages]
        self._trigram: Lingua | None = None
        self._full: Lingua | None = None
        self._full_loaded = False

    @classmethod
    def configured(cls, languages: tuple[str, ...], detection: str) -> "LanguageDetector":
        """The detector `[gateway] languages` and `language_detection` ("full" | "compact") ask for."""
        return cls(languages, DetectionSettings(low_accuracy=detection == "compact"))

    def _lingua(self, text: str) -> Lingua:
        """The trigram detector for long text (or in compact mode), else the full one; each built once."""
        if self.settings.low_accuracy or len(text.strip()) >= self.settings.trigram_from_chars:
            if self._trigram is None:  # a fresh builder each time: lingua's builder methods mutate it
                self._trigram = LanguageDetectorBuilder.from_iso_codes_639_1(*self._codes) \
                    .with_low_accuracy_mode().build()
            return self._trigram
        if self._full is None:
            self._full = LanguageDetectorBuilder.from_iso_codes_639_1(*self._codes).build()
        return self._full

    def _confidences(self, text: str) -> dict[str, float]:
        lingua = self._lingua(text)
        values = {_code(v): v.value for v in lingua.compute_language_confidence_values(text)}
        if lingua is self._full and not self._full_loaded:
            self._full_loaded = True  # lingua loaded the models on this first call
            release_freed_memory()
        return values

    def warm(self) -> None:
        """Load now the models a short text will need (a long-running daemon calls this at
        start): the load's scratch memory peaks before any mail is held, and the first
        short mail does not wait ~1.2 s for the models."""
        if len(self._codes) < 2 or self._full_loaded:
            return
        self._confidences("Hello, my order has not arrived. " * 4)  # long: the trigram models
        if not self.settings.low_accuracy:
            self._confidences("Hello, my order has not arrived.")

    def detect(self, text: str, default: str) -> str:
        """The ISO 639-1 code of the text's language, or `default` when unsure."""
        text = text[:self.settings.max_chars]
        letters = [c for c in text if c.isalpha()]
        # lingua needs two candidates; with one configured language there is nothing to detect.
        if len(self._codes) < 2 or len(letters) < self.settings.min_letters:
            return default
        by_script = self._by_script(text, letters)
        if by_script:
            return by_script  # the alphabet alone decides; lingua's models need not even load
        values = self._confidences(text)
        code = max(values, key=values.__getitem__)
        sure = values[code] >= self.settings.min_confidence
        if code in ("az", "tr") and {"az", "tr"} <= set(self.languages):
            code, sure = self._az_or_tr(code, sure, values["az"] + values["tr"], text, letters)
        return code if sure else default

    def _by_script(self, text: str, letters: list[str]) -> str:
        """A language the letters leave no doubt about: Azerbaijani "ə" prose (see
        _schwa_text), and mostly Cyrillic text is the one configured Cyrillic language
        (when there is just one)."""
        if "az" in self.languages and _schwa_text(text):
            return "az"
        cyrillic = [code for code in self.languages if code in CYRILLIC_LANGUAGES]
        if len(cyrillic) == 1 and sum("\u0400" <= c <= "\u04ff" for c in letters) > 0.6 * len(letters):
            return cyrillic[0]
        return ""

    def _az_or_tr(self, code: str, sure: bool, az_tr: float, text: str, letters: list[str]) -> tuple[str, bool]:
        """The alphabet's verdict between Azerbaijani and Turkish.

        "ə" settles it. q/x only break a call lingua hesitates over between az
        and tr: Turkish mail is full of brand names ("Xiaomi"), so on their own
        they overrule lingua wrongly.
        """
        if _schwa_text(text):
            return "az", True
        share = sum(c in AZ_FREQUENT_LETTERS for c in letters) / len(letters)
        if not sure and az_tr >= self.settings.az_tr_share and share >= self.settings.az_letter_share:
            return "az", True
        return code, sure


def release_freed_memory() -> None:
    """Return the allocator's freed pages to the system (glibc's malloc_trim; elsewhere nothing)."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to hand back this way
        trim = None
    if trim is not None:
        trim(0)


def _schwa_text(text: str) -> bool:
    """ "ə" in a good share of the words: Azerbaijani prose (a sentence of it has "ə" in
    a third of its words), not an English mail signed "Aysel Məmmədova"."""
    words = text.split()
    return bool(words) and sum(any(c in AZ_ONLY_LETTERS for c in w) for w in words) >= 0.15 * len(words)


def _code(value: ConfidenceValue) -> str:
    return value.language.iso_code_639_1.name.lower()
