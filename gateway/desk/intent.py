"""Reading a customer's reply: a status request, an accept, a reject, or nothing clear.

Why it is careful: an accept closes the complaint and a reject reopens it, while
customers write prose, sign with "Tel. No.", say yes with a negation ("претензий
нет", "no further questions", "sorunum kalmadı") and type Azerbaijani without
ə/ç/ş/ğ/ı/ö/ü. When nothing is clear the reply is a plain message to staff, which
is the safe outcome: staff read it, nothing closes.

Everything tunable is data in rules/40-intents.toml; this module is the reader:

- only the reply's own text is read (the parser cut the quote), and only its
  first MAX_CHARS characters / MAX_LINES lines: a decision comes first;
- the text is cut into clauses at . ! ? ; : , … and line ends; a clause ending
  in "?" decides nothing ("Is it resolved?"), it may still ask for the status;
- region: a short reply ([defaults] short_reply_words) is read whole; a longer
  one only through its opening clause (greetings and thanks skipped) when that
  is short ([defaults] opening_clause_words);
- at each word the longest phrase of [intents.accept|reject|status] wins, so
  "do not accept" hides "accept" and "претензий нет" hides "нет";
- a word of [intents.negation] up to NEGATION_WINDOW words before an accept
  phrase, or of [intents.negation_after] just after it (az "deyil", tr "değil"),
  makes it a rejection ("not fully satisfied"); a negated rejection decides
  nothing;
- bare answers ([intents.yes], [intents.no]: "Yes", "Нет", "Xeyr") decide only
  when they are the whole first clause and no accept/reject phrase occurs:
  "No" of a signature's "Tel. No." never outvotes "I accept";
- an accept followed by a word of [intents.contrast] ("Согласен, но ...",
  "OK, but ...") or, in the same sentence, of [intents.condition] ("I would accept
  if ...") decides nothing: staff read it;
- a rejection after a word of [intents.condition] in its own clause ("If it is
  not OK, I'll write again") decides nothing either;
- reject beats accept beats status: reviewing again is the safe mistake;
- words are compared without diacritics ("Qebul edirem" = "qəbul edirəm");
  the reply's language is tried first, then every configured language.

Every step is a pass over a bounded list of words: linear in the text.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from gateway.desk.rules import INTENTS, Phrase, Rules, WordLists, fold, heads

MAX_CHARS = 4000
MAX_LINES = 40
NEGATION_WINDOW = 2  # words between a negation and the accept phrase it turns
CONTRAST_LOOKAHEAD = 2  # words of the clause after the region searched for "but"
_CLAUSE = re.compile(r"([^.!?;:,\n…]*)([.!?;:,\n…]*)")
_WORD = re.compile(r"\w+(?:'\w+)*")
_SENTENCE_END = re.compile(r"[.!?\n…]")
DECISIONS = ("reject", "accept")
_SPELLING = str.maketrans({"ə": "e", "ı": "i", "ß": "ss"})


def plain(text: str) -> str:
    """Folded and without diacritics: customers type "qebul", "sorunum kalmadi", "rədd" as "redd"."""
    decomposed = unicodedata.normalize("NFD", fold(text).translate(_SPELLING))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def plain_lists(lists: WordLists) -> WordLists:
    """An intent's phrases compared as plain() words (built once, when the rules load)."""
    return {lang: tuple(Phrase(p.text, tuple(plain(t) for t in p.tokens)) for p in phrases)
            for lang, phrases in lists.items()}


@dataclass(frozen=True)
class Clause:
    words: tuple[str, ...]
    question: bool
    sentence: int = 0  # which sentence (cut at . ! ? and line ends) the clause belongs to


@dataclass(frozen=True)
class Hit:
    intent: str
    clause: int  # index in the region
    start: int
    end: int


def clauses(text: str) -> list[Clause]:
    """The non-empty clauses of the bounded reply, in order."""
    bounded = "\n".join(text[:MAX_CHARS].splitlines()[:MAX_LINES])
    found = []
    sentence = 0
    for match in _CLAUSE.finditer(bounded):
        words = tuple(_WORD.findall(plain(match.group(1))))
        if words:
            found.append(Clause(words, "?" in match.group(2), sentence))
        if _SENTENCE_END.search(match.group(2)):
            sentence += 1
    return found


def read(rules: Rules, text: str, language: str) -> str | None:
    """"status", "accept", "reject" or None for what a customer's reply says."""
    if not text.strip():
        return "status"
    fillers = Fillers(tuple(_phrases(rules, "greeting", rules.languages)))
    region, after = _region(rules, clauses(text), fillers)
    for languages in ((language,), rules.languages):
        verdict = _verdict(rules, languages, region, after, fillers)
        if verdict is not None:
            return verdict or None
    return None


def _phrases(rules: Rules, name: str, languages: tuple[str, ...]) -> list[Phrase]:
    group = rules.intents.get(name)
    return [p for lang in languages for p in group.words.get(lang, ())] if group else []


@dataclass(frozen=True)
class Fillers:
    """Greetings and thanks ([intents.greeting]): skipped when looking for the opening clause."""

    phrases: tuple[Phrase, ...]

    def starts(self, words: tuple[str, ...]) -> bool:
        keys = heads(words[:1])
        return any(p.key in keys and p.length_at(words, 0) for p in self.phrases)


def _region(rules: Rules, every: list[Clause], fillers: Fillers) -> tuple[list[Clause], Clause | None]:
    """The clauses that may decide, and the first words of the clause after them (for a "but")."""
    if sum(len(c.words) for c in every) <= rules.defaults.short_reply_words:
        return every, None
    at = next((i for i, c in enumerate(every) if not fillers.starts(c.words)), len(every))
    if at == len(every) or len(every[at].words) > rules.defaults.opening_clause_words:
        return [], None
    following = every[at + 1] if at + 1 < len(every) else None
    return [every[at]], replace(following, words=following.words[:CONTRAST_LOOKAHEAD]) if following else None


def _hits(rules: Rules, languages: tuple[str, ...], region: list[Clause]) -> list[Hit]:
    """Longest phrase at each word, in every clause of the region."""
    present = heads(w for c in region for w in c.words)
    candidates = [(name, p) for name in INTENTS for p in _phrases(rules, name, languages) if p.key in present]
    hits = []
    for index, clause in enumerate(region):
        position = 0
        while position < len(clause.words):
            length, rank = max(((p.length_at(clause.words, position), -INTENTS.index(n)) for n, p in candidates),
                               default=(0, 0))
            if length:
                hits.append(Hit(INTENTS[-rank], index, position, position + length))
            position += max(length, 1)
    return hits


def _negated(rules: Rules, languages: tuple[str, ...], clause: Clause, hit: Hit) -> bool:
    before = clause.words[max(0, hit.start - NEGATION_WINDOW - 2):hit.start]
    after = clause.words[hit.end:hit.end + NEGATION_WINDOW]
    for name, words, window in (("negation", before, NEGATION_WINDOW), ("negation_after", after, NEGATION_WINDOW)):
        for phrase in _phrases(rules, name, languages):
            for i in range(len(words)):
                length = phrase.length_at(words, i)
                if length and _within(name, i, length, len(words), window):
                    return True
    return False


def _within(name: str, i: int, length: int, size: int, window: int) -> bool:
    """A negation before the phrase must end at most `window` words before it; one after, start so close."""
    return size - (i + length) <= window if name == "negation" else i < window


def _contrasted(rules: Rules, languages: tuple[str, ...], region: list[Clause], after: Clause | None,
                hit: Hit) -> bool:
    """A "but" anywhere after the accept, or an "if" in its own sentence ("I accept. If you need
    anything, call me." stays an accept)."""
    clause = region[hit.clause]
    rest = [replace(clause, words=clause.words[hit.end:])] + region[hit.clause + 1:] + ([after] if after else [])
    for name in ("contrast", "condition"):
        phrases = _phrases(rules, name, languages)
        for other in rest:
            if name == "condition" and other.sentence != clause.sentence:
                continue
            if _mentions(phrases, other.words):
                return True
    return False


def _conditional(rules: Rules, languages: tuple[str, ...], clause: Clause, hit: Hit) -> bool:
    """A rejection under an "if" of its own clause is a possibility, not a decision: "If it's not
    OK, I'll write again", "Если не устроит, напишу". Only the clause: "Если честно, не согласен"
    ("to be honest, I disagree") still rejects."""
    return _mentions(_phrases(rules, "condition", languages), clause.words[:hit.start])


def _mentions(phrases: list[Phrase], words: tuple[str, ...]) -> bool:
    """Whether any of the phrases starts at any of the words."""
    return any(p.length_at(words, i) for i in range(len(words)) for p in phrases)


def _bare(rules: Rules, languages: tuple[str, ...], region: list[Clause], fillers: Fillers) -> Hit | None:
    """An accept/reject when the first clause (after greetings) is only a yes or a no (and thanks)."""
    at = next((i for i, c in enumerate(region) if not fillers.starts(c.words)), len(region))
    if at == len(region) or region[at].question:
        return None
    first = region[at].words
    for name, intent in (("no", "reject"), ("yes", "accept")):
        for phrase in _phrases(rules, name, languages):
            length = phrase.length_at(first, 0)
            if length and (length == len(first) or fillers.starts(first[length:])):
                return Hit(intent, at, 0, length)
    return None


def _verdict(rules: Rules, languages: tuple[str, ...], region: list[Clause], after: Clause | None,
             fillers: Fillers) -> str | None:
    """The intent, "" for "something decision-like was said but nothing clear", None for nothing at all."""
    found: set[str] = set()
    unclear = False
    for hit in _hits(rules, languages, region):
        clause = region[hit.clause]
        if hit.intent in DECISIONS and clause.question:
            unclear = True
            continue
        if hit.intent in DECISIONS and _negated(rules, languages, clause, hit):
            if hit.intent == "reject":
                unclear = True
                continue
            hit = Hit("reject", hit.clause, hit.start, hit.end)
        if hit.intent == "accept" and _contrasted(rules, languages, region, after, hit):
            unclear = True
            continue
        if hit.intent == "reject" and _conditional(rules, languages, clause, hit):
            unclear = True
            continue
        found.add(hit.intent)
    if "reject" in found or "accept" in found:
        return "reject" if "reject" in found else "accept"
    bare = _bare(rules, languages, region, fillers)
    if bare is not None:
        return "" if bare.intent == "accept" and _contrasted(rules, languages, region, after, bare) else bare.intent
    if "status" in found:
        return "status"
    return "" if unclear else None
