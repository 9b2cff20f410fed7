"""Admin-tunable rules: load rules/*.toml and classify a complaint (gateway/desk/intent.py reads replies).

Admins change how complaints are sorted without touching code, so everything a
human might want to tune lives in rules/*.toml and this module only evaluates it.
Files are read in name order and merged: a named entry ([categories.X],
[departments.X], [intents.X], [sensitive.X], a [routing] or [defaults] key)
defined again in a later file replaces the earlier one, so a site can drop a
"90-local.toml" next to the shipped defaults; [[priority]] and [[staff]] entries
accumulate. Reading and checking the files is gateway/desk/rulefiles.py's job.

Precedence (the *_STEPS tables below are evaluated top to bottom, first answer wins):
  category   - a category's sender pattern; keywords in the mail's language (most
               distinct phrases wins, ties go to the earlier category); keywords in
               any configured language (a misdetected language must not lose the
               category); [defaults] category.
  priority   - every [[priority]] rule whose conditions (all those given) hold,
               the most urgent level wins, ties go to the earlier rule; then
               [defaults] priority. A rule can therefore raise urgency but a "low"
               rule never hides a lawyer's letter.
  department - [routing] for the category; [defaults] department.
Keyword matching folds case the Turkish/Azerbaijani way (I, ı, İ, i compare equal;
Ə/ə, Ё/ё too) and works on whole words; a word ending in "*" matches any word
that starts with it, which the inflected languages (az, tr, ru) need.
"""
from __future__ import annotations

import bisect
import fnmatch
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

LEVELS: tuple[str, ...] = ("high", "normal", "low")  # most urgent first
INTENTS: tuple[str, ...] = ("reject", "accept", "status")  # precedence when several match
REQUIRED_INTENTS: tuple[str, ...] = INTENTS
# Word lists the reply reader (gateway/desk/intent.py) uses beside the intents themselves.
OPTIONAL_INTENTS: tuple[str, ...] = ("accept_alone", "greeting", "courtesy", "yes", "no", "negation", "nothing",
                                     "negation_after", "contrast", "condition", "doubt", "status_context",
                                     "accept_words", "signoff")

_WORD = re.compile(r"\w+(?:'\w+)*")
_PATTERN_WORD = re.compile(r"\w+(?:'\w+)*\*?")
# A phrase is tried on a mail only when the first letters of its first word (up to
# this many) begin some word of the mail: most of the ~500 phrases are ruled out by
# one set lookup each, before any position is looked at.
KEY_LENGTH = 3

WordLists = dict[str, tuple["Phrase", ...]]  # language -> phrases


# ---------------------------------------------------------------- text matching

def fold(text: str) -> str:
    """Fold case so that admins need not list every spelling.

    str.lower() maps "I" to "i" (wrong for Turkish "KIRMIZI") and "İ" to "i̇"
    (a stray combining dot), so ı/i/I/İ are all folded to plain "i"; the few
    words this confuses are not worth a per-language case rule.
    """
    text = unicodedata.normalize("NFKC", text).replace("İ", "i").replace("’", "'")
    return text.casefold().replace("\u0307", "").replace("ı", "i").replace("ё", "е")


def words(text: str) -> tuple[str, ...]:
    """The folded words of a text, in order."""
    return tuple(_WORD.findall(fold(text)))


@dataclass(frozen=True)
class Phrase:
    """A keyword or phrase as an admin wrote it, ready to match whole words."""

    text: str
    tokens: tuple[str, ...]  # folded; a token ending in "*" is a prefix
    key: str = field(init=False, repr=False, compare=False)  # see KEY_LENGTH; "" when no tokens

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.tokens[0].removesuffix("*")[:KEY_LENGTH] if self.tokens else "")

    @classmethod
    def parse(cls, text: str) -> Phrase:
        return cls(text, tuple(_PATTERN_WORD.findall(fold(text))))

    def length_at(self, found: tuple[str, ...], start: int) -> int:
        """How many words this phrase covers at `start` (0 when it does not match)."""
        if not self.tokens or start + len(self.tokens) > len(found):
            return 0
        for token, word in zip(self.tokens, found[start:start + len(self.tokens)]):  # not a copy of the rest
            if not (word.startswith(token[:-1]) if token.endswith("*") else word == token):
                return 0
        return len(self.tokens)

    def occurs_in(self, found: WordIndex) -> bool:
        return self.key in found.heads and any(self.length_at(found.words, i) for i in found.starts(self.tokens[0]))


@dataclass(frozen=True)
class WordIndex:
    """The words of a mail with where each occurs, so a phrase is tried only where
    its first word stands (matching stays linear in the text, not text x rules)."""

    words: tuple[str, ...]
    positions: dict[str, tuple[int, ...]]
    vocabulary: tuple[str, ...]  # sorted distinct words: a stem's words are one bisect range
    heads: frozenset[str]  # the first 1..KEY_LENGTH letters of every word

    @classmethod
    def of(cls, found: tuple[str, ...]) -> WordIndex:
        positions: dict[str, list[int]] = {}
        for i, word in enumerate(found):
            positions.setdefault(word, []).append(i)
        return cls(found, {word: tuple(at) for word, at in positions.items()}, tuple(sorted(positions)),
                   heads(positions))

    def starts(self, token: str) -> tuple[int, ...]:
        if not token.endswith("*"):
            return self.positions.get(token, ())
        stem = token[:-1]
        first = bisect.bisect_left(self.vocabulary, stem)
        last = bisect.bisect_left(self.vocabulary, stem + "\U0010ffff", first)
        return tuple(i for word in self.vocabulary[first:last] for i in self.positions[word])


def heads(words: Iterable[str]) -> frozenset[str]:
    """Every word's first 1..KEY_LENGTH letters: a phrase whose key is not among them cannot occur."""
    return frozenset(word[:n] for word in words for n in range(1, KEY_LENGTH + 1))


def _phrases_in(lists: WordLists, languages: tuple[str, ...], found: WordIndex) -> list[Phrase]:
    """The distinct phrases of these languages that occur in the words."""
    seen: dict[str, Phrase] = {}
    for language in languages:
        for phrase in lists.get(language, ()):
            if phrase.key in found.heads and phrase.text not in seen and phrase.occurs_in(found):
                seen[phrase.text] = phrase
    return list(seen.values())


def _quoted(phrases: list[Phrase]) -> str:
    label = "keyword" if len(phrases) == 1 else "keywords"
    return f"{label} " + ", ".join(f"'{p.text}'" for p in phrases[:3])


def _sender_match(patterns: tuple[str, ...], sender: str) -> str | None:
    sender = sender.lower()
    return next((p for p in patterns if fnmatch.fnmatchcase(sender, p.lower())), None)


# ---------------------------------------------------------------- the rules

@dataclass(frozen=True)
class Category:
    name: str
    keywords: WordLists
    senders: tuple[str, ...]
    origin: str  # the file that defined it, for "why"


@dataclass(frozen=True)
class PriorityRule:
    name: str
    level: str
    categories: tuple[str, ...]
    keywords: WordLists
    senders: tuple[str, ...]
    attachments: bool | None
    origin: str


@dataclass(frozen=True)
class Department:
    name: str
    address: str
    description: str
    origin: str


@dataclass(frozen=True)
class Route:
    department: str
    origin: str


@dataclass(frozen=True)
class WordGroup:
    """A named per-language word list: an intent or a sensitive-data kind."""

    name: str
    words: WordLists
    origin: str


@dataclass(frozen=True)
class StaffMember:
    address: str
    name: str
    department: str
    supervisor: str  # "" when none


@dataclass(frozen=True)
class Defaults:
    category: str = "other"
    priority: str = "normal"
    department: str = ""
    short_reply_words: int = 12
    opening_clause_words: int = 8
    origin: str = ""


@dataclass(frozen=True)
class Rules:
    languages: tuple[str, ...]
    categories: tuple[Category, ...]
    priorities: tuple[PriorityRule, ...]
    departments: tuple[Department, ...]
    routing: dict[str, Route]
    intents: dict[str, WordGroup]
    sensitive: tuple[WordGroup, ...]
    staff: tuple[StaffMember, ...]
    defaults: Defaults

    @property
    def category_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.categories)


@dataclass(frozen=True)
class Classification:
    category: str
    priority: str
    department: str
    department_address: str
    sensitive: bool
    why: dict[str, str]  # "category"/"priority"/"department"/"sensitive" -> the deciding rule


def staff_member(rules: Rules, address: str) -> StaffMember | None:
    address = address.strip().lower()
    return next((s for s in rules.staff if s.address.lower() == address), None)


def department(rules: Rules, name: str) -> Department | None:
    return next((d for d in rules.departments if d.name == name), None)


# ---------------------------------------------------------------- classify

@dataclass(frozen=True)
class _Facts:
    found: WordIndex  # words of subject and text
    sender: str
    has_attachments: bool
    language: str
    category: str = ""


Decision = tuple[str, str]  # (value, why)


def _category_by_sender(rules: Rules, facts: _Facts) -> Decision | None:
    for category in rules.categories:
        pattern = _sender_match(category.senders, facts.sender)
        if pattern:
            return category.name, f"{category.origin}: {category.name}: sender matches '{pattern}'"
    return None


def _category_by_keywords(rules: Rules, facts: _Facts, languages: tuple[str, ...]) -> Decision | None:
    best: tuple[Category, list[Phrase]] | None = None
    for category in rules.categories:
        hits = _phrases_in(category.keywords, languages, facts.found)
        if hits and (best is None or len(hits) > len(best[1])):
            best = category, hits
    if best is None:
        return None
    return best[0].name, f"{best[0].origin}: {best[0].name}: {_quoted(best[1])}"


def _default(key: str) -> Callable[[Rules, _Facts], Decision]:
    """The last row of every table: [defaults] `key`."""
    def step(rules: Rules, facts: _Facts) -> Decision:
        value = getattr(rules.defaults, key)
        return value, f"{rules.defaults.origin}: defaults: {key} '{value}'"
    return step


CATEGORY_STEPS: tuple[tuple[str, Callable[[Rules, _Facts], Decision | None]], ...] = (
    ("sender pattern", _category_by_sender),
    ("keywords in the mail's language", lambda r, f: _category_by_keywords(r, f, (f.language,))),
    ("keywords in any language", lambda r, f: _category_by_keywords(r, f, r.languages)),
    ("default", _default("category")),
)


def _priority_reasons(rule: PriorityRule, rules: Rules, facts: _Facts) -> list[str] | None:
    """Why this rule holds (one reason per condition), or None when one fails."""
    reasons: list[str] = []
    if rule.categories:
        if facts.category not in rule.categories:
            return None
        reasons.append(f"category '{facts.category}'")
    if rule.senders:
        pattern = _sender_match(rule.senders, facts.sender)
        if not pattern:
            return None
        reasons.append(f"sender matches '{pattern}'")
    if rule.keywords:
        hits = _phrases_in(rule.keywords, rules.languages, facts.found)
        if not hits:
            return None
        reasons.append(_quoted(hits))
    if rule.attachments is not None:
        if rule.attachments != facts.has_attachments:
            return None
        reasons.append("attachments" if rule.attachments else "no attachments")
    return reasons


def _priority_by_rules(rules: Rules, facts: _Facts) -> Decision | None:
    best: tuple[PriorityRule, list[str]] | None = None
    for rule in rules.priorities:
        reasons = _priority_reasons(rule, rules, facts)
        if reasons is not None and (best is None or LEVELS.index(rule.level) < LEVELS.index(best[0].level)):
            best = rule, reasons
    if best is None:
        return None
    rule, reasons = best
    return rule.level, f"{rule.origin}: priority '{rule.name}': {' and '.join(reasons)} -> {rule.level}"


PRIORITY_STEPS: tuple[tuple[str, Callable[[Rules, _Facts], Decision | None]], ...] = (
    ("most urgent matching [[priority]] rule", _priority_by_rules),
    ("default", _default("priority")),
)


def _department_by_routing(rules: Rules, facts: _Facts) -> Decision | None:
    route = rules.routing.get(facts.category)
    if route is None:
        return None
    return route.department, f"{route.origin}: routing: {facts.category} -> {route.department}"


DEPARTMENT_STEPS: tuple[tuple[str, Callable[[Rules, _Facts], Decision | None]], ...] = (
    ("routing by category", _department_by_routing),
    ("default", _default("department")),
)


def _decide(steps: tuple[tuple[str, Callable[[Rules, _Facts], Decision | None]], ...],
            rules: Rules, facts: _Facts) -> Decision:
    for _label, step in steps:
        decision = step(rules, facts)
        if decision is not None:
            return decision
    raise AssertionError("the last step of every table is a default")


def _sensitive(rules: Rules, facts: _Facts) -> str | None:
    """Which special category was mentioned; every language is searched because a
    missed mention is a privacy problem and a false one costs one extra warning."""
    for group in rules.sensitive:
        hits = _phrases_in(group.words, rules.languages, facts.found)
        if hits:
            return f"{group.origin}: {group.name}: {_quoted(hits)}"
    return None


def sensitive_mention(rules: Rules, text: str, language: str) -> str | None:
    """Which special category a later message mentions (the why), None when none: every
    customer message is read, not only the first."""
    return _sensitive(rules, _Facts(WordIndex.of(words(text)), "", False, language))


def classify(rules: Rules, subject: str, text: str, sender: str, has_attachments: bool,
             language: str) -> Classification:
    facts = _Facts(WordIndex.of(words(subject) + ("\n",) + words(text)), sender, has_attachments, language)
    category, why_category = _decide(CATEGORY_STEPS, rules, facts)
    facts = replace(facts, category=category)
    priority, why_priority = _decide(PRIORITY_STEPS, rules, facts)
    name, why_department = _decide(DEPARTMENT_STEPS, rules, facts)
    why = {"category": why_category, "priority": why_priority, "department": why_department}
    sensitive = _sensitive(rules, facts)
    if sensitive:
        why["sensitive"] = sensitive
    found = department(rules, name)
    return Classification(category, priority, name, found.address if found else "", bool(sensitive), why)
