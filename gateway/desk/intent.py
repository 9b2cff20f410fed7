"""Reading a customer's reply: a status request, an accept, a reject, or nothing clear.

Why it is careful: an accept closes the complaint and a reject reopens it, while
customers write prose, sign with "Tel. No.", say yes with a negation ("претензий
нет", "no further questions", "sorunum kalmadı") and type Azerbaijani without
ə/ç/ş/ğ/ı/ö/ü. The costs are not equal: an accept that was not one files an
unsolved problem as solved, the worst error this desk can make; a reply read as
nothing clear goes to staff and holds the automatic close, which is the safe
outcome. So an accept must be unambiguous, and anything in the reply that says
the problem goes on makes it unclear (or a rejection, when it rejects).

Everything tunable is data in rules/40-intents.toml; this module is the reader:

- only the reply's own text is read (the parser cut the quote; a signature block
  left under it is cut here the same way, gateway/mail/quotes.py), and only its
  first MAX_CHARS characters / MAX_LINES lines: a decision comes first;
- the text is cut into clauses at . ! ? ; : , … and line ends; a clause ending
  in "?" decides nothing ("Is it resolved?"), it may still ask for the status;
- region: a short reply ([defaults] short_reply_words) decides through all of it;
  a longer one only through its opening clause (greetings and thanks skipped)
  when that is short ([defaults] opening_clause_words);
- at each word the longest phrase of [intents.accept|accept_alone|reject|status]
  wins, so "do not accept" hides "accept" and "претензий нет" hides "нет";
- a word of [intents.negation] or [intents.nothing] up to NEGATION_WINDOW words
  before an accept phrase, or of [intents.negation_after] just after it (az
  "deyil", tr "değil"), makes it a rejection ("not fully satisfied", "Nothing was
  resolved"); a word of [intents.negation] anywhere else in the reply ("Принимаю.
  Курьер не приехал."), or of [intents.nothing] elsewhere in the accept's
  sentence ("Я не говорил, что согласен", "I agree to nothing"), makes it unclear;
  a rejection after [intents.negation] decides nothing ("not disagree"), one
  after [intents.nothing] still rejects ("Heç nə həll olunmadı");
- a phrase of [intents.accept_alone] ("no problem", "нет проблем", "sorun yok")
  accepts only as its whole clause with courtesy words: "No problem was solved",
  "Нет проблем с доставкой" say something narrower;
- an accept stands only when the reply's own text holds no doubt: a word of
  [intents.doubt] (still, broken, refund, court, half ...) or [intents.contrast]
  anywhere, a question anywhere, a rejection phrase anywhere, or a word of
  [intents.condition] in the accept's own sentence ("I accept. If you need
  anything, call me." stays an accept);
- a rejection after a word of [intents.condition] in its own clause ("If it is
  not OK, I'll write again") decides nothing;
- bare answers ([intents.yes], [intents.no]: "Yes", "Нет", "Xeyr") decide only as
  the whole first clause and when no accept or reject phrase was said; a bare yes moreover only when everything else is
  courtesy ([intents.greeting], [intents.courtesy]) or a name signed under it:
  "Yes, it is still broken" and "Ладно, пойду в суд" are no accepts;
- reject beats accept beats status: reviewing again is the safe mistake;
- an accept closes only when the WHOLE reply accepts: every clause of its own text
  is accept phrases, greetings/thanks, a yes, words of [intents.accept_words]
  (pronouns, "now", "all", "you can close it" ...) or a name signed at the end, and
  it holds no mark but sentence punctuation and a few positive emoji (acceptmarks.py).
  Blacklists of doubt words cannot list every way to say the problem goes on
  ("Принимаю. Недоволен.", "Supposedly resolved.", "Деньги получил 50%"), so any
  other word leaves the reply to staff;
- a word mixing Cyrillic and Latin letters is read as Cyrillic ("Нe" with a Latin e
  is "не", gateway/desk/confusables.py);
- a status request is "status only" (status_only) when its status phrases, [intents.status_context],
  greetings and courtesy cover every word but a name signed under it: anything else ("курьер
  сказал, что товара нет", a new address, an IBAN) is news staff must read, and a word the lists
  do not know counts as news (a needless staff mail is cheap, a lost address is not);
- words are compared without diacritics ("Qebul edirem" = "qəbul edirəm");
  the reply's language is tried first for the decision phrases, then every
  configured language; the words that cast doubt count in every language.

Every step is a pass over a bounded list of words, trying at each word only the
phrases whose first letters it begins with (Lookup): linear in the text.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from gateway.desk.acceptmarks import plain_marks, without_contacts
from gateway.desk.confusables import unmix
from gateway.desk.rules import INTENTS, KEY_LENGTH, Phrase, Rules, WordLists, fold
from gateway.mail.quotes import is_name, split_signature

MAX_CHARS = 4000
MAX_LINES = 40
NEGATION_WINDOW = 2  # words between a negation and the accept phrase it turns into a rejection
NAME_LINES = 2  # lines of a name a bare yes may be signed with ("Да\nИван Петров")
MEMO_WORDS = 10_000  # distinct words a lookup remembers the candidate phrases of
_CLAUSE = re.compile(r"([^.!?;:,\n…]*)([.!?;:,\n…]*)")
_WORD = re.compile(r"\w+(?:'\w+)*")
_SENTENCE_END = re.compile(r"[.!?\n…]")
DECISIONS = ("reject", "accept")
# The phrase lists whose longest match at a word is a hit; accept_alone's hits are accepts.
HIT_LISTS: tuple[tuple[str, str], ...] = tuple((name, name) for name in INTENTS) + (("accept_alone", "accept"),)
SIGNALS = ("negation", "nothing", "negation_after", "condition", "doubt", "contrast")
_SPELLING = str.maketrans({"ə": "e", "ı": "i", "ß": "ss"})


def plain(text: str) -> str:
    """Folded and without diacritics: customers type "qebul", "sorunum kalmadi", "rədd" as "redd"."""
    decomposed = unicodedata.normalize("NFD", unmix(fold(text)).translate(_SPELLING))
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
    line: int = 0  # which line of the reply it stands on
    text: str = ""  # as written (for telling a name signed under the reply)


@dataclass(frozen=True)
class Hit:
    intent: str
    clause: int  # index in the reply's clauses
    start: int
    end: int
    alone: bool = False  # an [intents.accept_alone] phrase


def clauses(text: str) -> list[Clause]:
    """The non-empty clauses of the bounded reply, in order."""
    bounded = "\n".join(text[:MAX_CHARS].splitlines()[:MAX_LINES])
    found = []
    sentence = line = 0
    for match in _CLAUSE.finditer(bounded):
        words = tuple(_WORD.findall(plain(match.group(1))))
        if words:
            found.append(Clause(words, "?" in match.group(2), sentence, line, match.group(1).strip()))
        if _SENTENCE_END.search(match.group(2)):
            sentence += 1
        line += match.group(2).count("\n")
    return found


def own_text(text: str) -> str:
    """The bounded reply without a signature block under it ("Kind regards,\\nJohn\\nTel. No.: ...")."""
    return split_signature(text[:MAX_CHARS].splitlines()[:MAX_LINES])[0]


def read(rules: Rules, text: str, language: str) -> str | None:
    """"status", "accept", "reject" or None for what a customer's reply says."""
    if not text.strip():
        return "status"
    own = own_text(text)
    reply = Reply(lists_of(rules), clauses(own))
    for languages in ((language,), rules.languages):
        verdict = reply.verdict(languages)
        if verdict == "accept" and not whole_accept(reply.lists, own, languages):
            return None  # an accept beside anything else: staff look (a false close is the worst error)
        if verdict is not None:
            return verdict or None
    return None


def whole_accept(lists: Lists, own: str, languages: tuple[str, ...]) -> bool:
    """Whether the reply's own text (without a name and contact lines signed under it) is
    accepting sentences and courtesy only, in words and in marks."""
    text = without_contacts(own)
    return plain_marks(text) and Reply(lists, clauses(text)).wholly_accepts(languages)
def status_only(rules: Rules, text: str) -> bool:
    """Whether a reply read as a status request says nothing else: every word is a status phrase,
    [intents.status_context], a greeting or courtesy, but for a name signed at the end ("Когда
    будет ответ?\nОльга"). Only then may the canned status mail be all it gets; otherwise
    staff read it too."""
    reply = Reply(lists_of(rules), clauses(own_text(text)))
    said = reply.every[:len(reply.every) - reply.signed_names(0)]
    return all(_covered(c.words, reply.lists.status_words, set()) for c in said)


def _phrases(rules: Rules, name: str, languages: Iterable[str]) -> list[Phrase]:
    group = rules.intents.get(name)
    return [p for lang in languages for p in group.words.get(lang, ())] if group else []


class Lookup:
    """Phrases by the first letters of their first word (Phrase.key): at each word of a reply only
    the few phrases that can start there are tried, so a pass is linear in the words."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.by_key: dict[str, list[Phrase]] = {}
        self.rank: dict[Phrase, int] = {}  # the order given: the earlier wins a tie
        for phrase in phrases:
            self.by_key.setdefault(phrase.key, []).append(phrase)
            self.rank.setdefault(phrase, len(self.rank))
        self.seen: dict[str, tuple[Phrase, ...]] = {}  # word -> the phrases it may start (bounded memo)

    def at(self, word: str) -> tuple[Phrase, ...]:
        found = self.seen.get(word)
        if found is None:
            if len(self.seen) > MEMO_WORDS:
                self.seen.clear()
            keys = dict.fromkeys(word[:n] for n in range(1, KEY_LENGTH + 1))  # "не"[:3] is "не"[:2]
            found = self.seen[word] = tuple(p for key in keys for p in self.by_key.get(key, ()))
        return found

    def longest(self, words: tuple[str, ...], position: int) -> tuple[int, Phrase | None]:
        """The longest phrase starting at `position` and its length (0, None when none); the
        earlier given wins a tie (reject before accept before status)."""
        length, best = 0, None
        for phrase in self.at(words[position]):
            size = phrase.length_at(words, position)
            if size > length or (size and size == length and best and self.rank[phrase] < self.rank[best]):
                length, best = size, phrase
        return length, best

    def spans(self, words: tuple[str, ...]) -> list[tuple[int, int, Phrase]]:
        """(start, end, phrase) of the longest phrase at each word, left to right, not overlapping."""
        found, position = [], 0
        while position < len(words):
            length, phrase = self.longest(words, position)
            if phrase is not None:
                found.append((position, position + length, phrase))
            position += max(length, 1)
        return found


class Lists:
    """The word lists of one Rules as lookups, built once: the decision phrases per set of
    languages (reject first, so it wins a tie), the signal lists in every language."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        everywhere = rules.languages
        self.signals = {name: Lookup(_phrases(rules, name, everywhere)) for name in SIGNALS}
        self.fillers = Lookup(_phrases(rules, "greeting", everywhere))
        self.courtesy = Lookup(p for name in ("greeting", "courtesy", "yes") for p in _phrases(rules, name, everywhere))
        self.accepting = Lookup(p for name in ("greeting", "yes", "signoff", "accept_words")
                                for p in _phrases(rules, name, everywhere))
        self.signoff = Lookup(p for name in ("greeting", "signoff") for p in _phrases(rules, name, everywhere))
        self.status_words = Lookup(p for name in ("status", "status_context", "greeting", "courtesy")
                                   for p in _phrases(rules, name, everywhere))
        self.decisions: dict[tuple[str, ...], tuple[Lookup, dict[Phrase, tuple[str, bool]]]] = {}

    def decision(self, languages: tuple[str, ...]) -> tuple[Lookup, dict[Phrase, tuple[str, bool]]]:
        """The decision/status phrases of these languages and what each means (intent, alone)."""
        if languages not in self.decisions:
            meaning: dict[Phrase, tuple[str, bool]] = {}
            for name, intent in HIT_LISTS:  # in precedence order: a phrase keeps its first meaning
                for phrase in _phrases(self.rules, name, languages):
                    meaning.setdefault(phrase, (intent, name == "accept_alone"))
            self.decisions[languages] = (Lookup(meaning), meaning)
        return self.decisions[languages]


_LISTS: dict[int, Lists] = {}  # id(rules) -> its lookups; the Rules object is checked, ids are reused


def lists_of(rules: Rules) -> Lists:
    """The lookups of these rules, built on first use (a daemon reads thousands of replies with one
    Rules; tests and `gateway check` load a few)."""
    found = _LISTS.get(id(rules))
    if found is None or found.rules is not rules:
        if len(_LISTS) > 8:
            _LISTS.clear()
        found = _LISTS[id(rules)] = Lists(rules)
    return found


class Reply:
    """One reply's clauses, its region, and the signal words found in it (once, in every language)."""

    def __init__(self, lists: Lists, every: list[Clause]) -> None:
        self.lists, self.every, self.rules = lists, every, lists.rules
        self.region = self._region()
        self.spans: dict[tuple[str, int], list[tuple[int, int]]] = {}  # (signal list, clause) -> spans

    def signal(self, name: str, clause: int) -> list[tuple[int, int]]:
        """Where the words of a signal list stand in a clause (looked for once, on demand)."""
        key = (name, clause)
        if key not in self.spans:
            self.spans[key] = [(s, e) for s, e, _ in self.lists.signals[name].spans(self.every[clause].words)]
        return self.spans[key]

    def starts_with_filler(self, words: tuple[str, ...]) -> bool:
        return bool(words) and self.lists.fillers.longest(words, 0)[0] > 0

    def _region(self) -> range:
        """The clauses that may decide: all of a short reply, else its short opening clause."""
        every = self.every
        if sum(len(c.words) for c in every) <= self.rules.defaults.short_reply_words:
            return range(len(every))
        at = next((i for i, c in enumerate(every) if not self.starts_with_filler(c.words)), len(every))
        if at == len(every) or len(every[at].words) > self.rules.defaults.opening_clause_words:
            return range(0)
        return range(at, at + 1)

    def hits(self, languages: tuple[str, ...], where: Iterable[int]) -> list[Hit]:
        """Longest decision/status phrase at each word of these clauses."""
        lookup, meaning = self.lists.decision(languages)
        return [Hit(meaning[phrase][0], index, start, end, meaning[phrase][1])
                for index in where for start, end, phrase in lookup.spans(self.every[index].words)]

    def verdict(self, languages: tuple[str, ...]) -> str | None:
        """The intent, "" for "something decision-like was said but nothing clear", None for nothing at all.

        The deciding clauses are read first; the whole reply only when an accept is in play (its
        words may doubt it), so a long reply that decides nothing costs one pass over its opening."""
        hits = self.hits(languages, self.region)
        if any(h.intent == "accept" for h in hits) or self.bare(languages) == "accept":
            hits = self.hits(languages, range(len(self.every)))
        taken: dict[int, set[int]] = {}
        for hit in hits:
            taken.setdefault(hit.clause, set()).update(range(hit.start, hit.end))
        kept = [h for h in hits if not h.alone or _covered(self.every[h.clause].words, self.lists.courtesy,
                                                            taken[h.clause])]
        unclear = len(kept) < len(hits)  # "Нет проблем с доставкой": narrower than a decision
        words = Words(self, kept)
        found: set[str] = set()
        for hit in kept:
            if hit.clause in self.region:
                judged = words.judge(hit)
                unclear = unclear or not judged
                found.add(judged)
        if "reject" in found:
            return "reject"
        if "accept" in found:
            return "" if unclear or words.doubt() else "accept"
        spoken = any(h.intent in DECISIONS and h.clause in self.region for h in kept)  # "No, no, I accept"
        bare = "" if spoken else self.bare(languages)
        if bare == "reject" or (bare == "accept" and not unclear and not words.doubt() and self.courteous_rest()):
            return bare
        if "status" in found:
            return "status"
        return "" if unclear or bare else None

    def first_said(self) -> int | None:
        """The first clause of the region that is not a greeting."""
        return next((i for i in self.region if not self.starts_with_filler(self.every[i].words)), None)

    def bare(self, languages: tuple[str, ...]) -> str:
        """"accept"/"reject" when the first clause (after greetings) is only a yes or a no: a no
        may go on with thanks ("Нет, спасибо"), a yes only with courtesy words."""
        at = self.first_said()
        if at is None or self.every[at].question:
            return ""
        first = self.every[at].words
        for name, intent in (("no", "reject"), ("yes", "accept")):
            for phrase in _phrases(self.rules, name, languages):
                length = phrase.length_at(first, 0)
                rest = first[length:]
                if length and (not rest or (self.starts_with_filler(rest) if intent == "reject"
                                            else _covered(rest, self.lists.courtesy, set()))):
                    return intent
        return ""

    def courteous_rest(self) -> bool:
        """After the bare yes, every clause is thanks, greetings, a yes and courtesy, but for a name
        signed at the end ("Да, спасибо.\nИван Петров")."""
        every, first = self.every, self.first_said()
        assert first is not None
        names = self.signed_names(first + 1)
        return all(_covered(c.words, self.lists.courtesy, set()) for c in every[first + 1:len(every) - names])

    def wholly_accepts(self, languages: tuple[str, ...]) -> bool:
        """Every clause of the reply is accept phrases, thanks, greetings, a yes and the words of
        [intents.accept_words] (or a name signed after a sign-off): any other word (an object,
        "parcel", "неделю"; a story, "Экран мигает"; a hedge, "Supposedly"; a typo, "nit") may
        take the accept back, and the reply goes to staff."""
        taken: dict[int, set[int]] = {}
        for hit in self.hits(languages, range(len(self.every))):
            if hit.intent == "accept":
                taken.setdefault(hit.clause, set()).update(range(hit.start, hit.end))
        end = len(self.every) - self.names_signed_off()
        return all(_covered(clause.words, self.lists.accepting, taken.get(index, set()))
                   for index, clause in enumerate(self.every[:end]))

    def names_signed_off(self) -> int:
        """How many clauses at the end are a name signed alone on its line or after a sign-off ("Best
        regards, Anna", "Спасибо!\nИван Петров"); a name holds no word of a signal list, and one
        alone on its line no courtesy word either ("Accepted.\nPlease Call" is no signature)."""
        every = self.every
        for count in range(min(NAME_LINES, len(every) - 1), 0, -1):
            names = range(len(every) - count, len(every))
            if (all(is_name(every[i].text) and not any(self.signal(n, i) for n in SIGNALS) for i in names)
                    and (all(self.signed(i) and not self.lists.courtesy.spans(every[i].words) for i in names)
                         or _covered(every[names[0] - 1].words, self.lists.signoff, set()))):
                return count
        return 0
    def signed_names(self, start: int) -> int:
        """How many of the last clauses from `start` on (up to NAME_LINES) are a name signed alone
        on its line."""
        every, names = self.every, 0
        while names < min(NAME_LINES, len(every) - start) and self.signed(len(every) - 1 - names):
            names += 1
        return names

    def signed(self, index: int) -> bool:
        """A clause alone on its line that is a name ("Ali", "Иван Петров")."""
        clause = self.every[index]
        alone = all(c.line != clause.line for i, c in enumerate(self.every) if i != index)
        return alone and is_name(clause.text)


def _covered(words: tuple[str, ...], phrases: Lookup, taken: set[int]) -> bool:
    """Whether every word not in `taken` lies in one of the phrases."""
    covered = set(taken)
    for start, end, _ in phrases.spans(words):
        covered.update(range(start, end))
    return all(i in covered for i in range(len(words)))


class Words:
    """The signal words of a reply that count beside these hits: those outside the decision
    phrases that contain them ("no further questions", "received the refund")."""

    def __init__(self, reply: Reply, hits: list[Hit]) -> None:
        self.reply, self.hits = reply, hits
        self.taken: dict[int, set[int]] = {}
        for hit in hits:
            self.taken.setdefault(hit.clause, set()).update(range(hit.start, hit.end))

    def spans(self, name: str, clause: int) -> list[tuple[int, int]]:
        taken = self.taken.get(clause, set())
        return [(s, e) for s, e in self.reply.signal(name, clause) if not all(i in taken for i in range(s, e))]

    def anywhere(self, name: str) -> bool:
        return any(self.spans(name, clause) for clause in range(len(self.reply.every)))

    def judge(self, hit: Hit) -> str:
        """What one deciding hit says: its intent, the reverse, or "" (nothing clear)."""
        clause = self.reply.every[hit.clause]
        if hit.intent not in DECISIONS:
            return hit.intent
        if clause.question:
            return ""
        if hit.intent == "reject":  # "Heç nə həll olunmadı": the pronoun agrees with the verb's negation
            if self.near(hit, "negation") or any(e <= hit.start for _, e in self.spans("condition", hit.clause)):
                return ""
            return "reject"
        if self.near(hit, "negation", "nothing"):
            return "reject"
        if self.anywhere("negation") or any(self.in_sentence(name, hit) for name in ("nothing", "negation_after",
                                                                                     "condition")):
            return ""  # "Принимаю. Курьер не приехал.": a "not" anywhere; a "no" (of "Tel. No.") nearby
        return "accept"

    def near(self, hit: Hit, *before: str) -> bool:
        """A negation ending at most NEGATION_WINDOW words before the phrase, or one of
        [intents.negation_after] starting right after it, in its clause."""
        ahead = any(e <= hit.start and hit.start - e <= NEGATION_WINDOW
                    for name in before for _, e in self.spans(name, hit.clause))
        after = any(s >= hit.end and s - hit.end < NEGATION_WINDOW for s, _ in self.spans("negation_after", hit.clause))
        return ahead or after

    def in_sentence(self, name: str, hit: Hit) -> bool:
        every = self.reply.every
        sentence = every[hit.clause].sentence
        return any(self.spans(name, c) for c in range(len(every)) if every[c].sentence == sentence)

    def doubt(self) -> bool:
        """Anything in the reply's own text that says the problem goes on, asks, or rejects."""
        return (any(c.question for c in self.reply.every) or self.anywhere("doubt") or self.anywhere("contrast")
                or any(h.intent == "reject" for h in self.hits))
