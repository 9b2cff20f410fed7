"""Reading rules/*.toml into Rules, and checking them for an admin.

check_rules() reports every problem at once ("file:line: message") because an
admin fixing a broken file wants the whole list, not one per run. tomllib gives
no positions for keys, so line numbers come from a best-effort scan of the text.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ClassVar

from gateway.config import KeyLines, email_address, syntax_line
from gateway.desk.intent import plain_lists
from gateway.desk.rules import (
    LEVELS,
    OPTIONAL_INTENTS,
    REQUIRED_INTENTS,
    Category,
    Defaults,
    Department,
    Phrase,
    PriorityRule,
    Route,
    Rules,
    StaffMember,
    WordGroup,
    WordLists,
)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int  # 0 when the problem is about a file or the directory as a whole
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class RulesError(Exception):
    """The rules cannot be used; str() lists every problem, one per line."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(map(str, self.problems)))


def load_rules(directory: Path, languages: tuple[str, ...]) -> Rules:
    rules, problems = _Loader(Path(directory), tuple(languages)).load()
    if problems:
        raise RulesError(problems)
    return rules


def check_rules(directory: Path, languages: tuple[str, ...]) -> list[Problem]:
    return _Loader(Path(directory), tuple(languages)).load()[1]


# The schema of every entry kind: key -> value kind (see _Loader.CONVERTERS).
FIELDS: dict[str, dict[str, str]] = {
    "categories": {"description": "text", "keywords": "words", "senders": "patterns"},
    "departments": {"address": "email", "description": "text"},
    "priority": {"name": "text", "level": "level", "categories": "names", "keywords": "words",
                 "senders": "patterns", "attachments": "bool"},
    "staff": {"address": "email", "name": "text", "department": "text", "supervisor": "email"},
    "defaults": {"category": "text", "priority": "level", "department": "text",
                 "short_reply_words": "count", "opening_clause_words": "count"},
    "routing": {},  # any category name -> department name
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "departments": ("address",), "priority": ("level",), "staff": ("address", "name", "department"),
    "defaults": ("category", "priority", "department"),
}
NAMED = ("categories", "departments", "intents", "sensitive")  # [section.name] tables, later files replace
LISTED = ("priority", "staff")  # [[section]] arrays, later files append
KEYED = ("defaults", "routing")  # [section] key = value, later files replace per key


@dataclass(frozen=True)
class _Source:
    path: str
    label: str  # "rules/10-categories.toml"
    keys: KeyLines


@dataclass(frozen=True)
class _Entry:
    source: _Source
    line: int
    name: str
    value: Any
    key: str  # the entry's dotted key ("categories.delivery", "priority.0"): its keys' lines are found under it


class _Loader:
    """Reads every file, keeps going after a problem, and builds Rules."""

    def __init__(self, directory: Path, languages: tuple[str, ...]):
        self.directory, self.languages = directory, languages
        self.problems: list[Problem] = []
        self.named: dict[str, dict[str, _Entry]] = {s: {} for s in NAMED + KEYED}
        self.listed: dict[str, list[_Entry]] = {s: [] for s in LISTED}

    def problem(self, entry: _Entry, key: str, message: str) -> None:
        line = entry.source.keys.line_of(f"{entry.key}.{key}") or entry.line if key else entry.line
        self.problems.append(Problem(entry.source.path, line, message))

    def load(self) -> tuple[Rules, list[Problem]]:
        files = sorted(self.directory.glob("*.toml")) if self.directory.is_dir() else []
        for path in files:
            self.read(path)
        rules = self.build()
        if not files:  # everything else missing follows from this one
            self.problems = [Problem(str(self.directory), 0, "no rules files (*.toml) found")]
        return rules, self.problems

    def read(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(Problem(str(path), 0, f"cannot read: {exc}"))
            return
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            self.problems.append(Problem(str(path), syntax_line(exc) or 1, f"TOML syntax: {exc}"))
            return
        source = _Source(str(path), f"{self.directory.name}/{path.name}", KeyLines(text))
        for section, value in data.items():
            self.collect(source, section, value)

    def collect(self, source: _Source, section: str, value: Any) -> None:
        whole = _Entry(source, source.keys.first_of(section) or 1, section, value, "")
        if section in LISTED:
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                self.problem(whole, section, f"[[{section}]] must be an array of tables")
                return
            for nth, table in enumerate(value):
                key = f"{section}.{nth}"
                self.listed[section].append(_Entry(source, source.keys.first_of(key) or 1, "", table, key))
        elif section in NAMED + KEYED:
            if not isinstance(value, dict):
                self.problem(whole, section, f"[{section}] must be a table")
                return
            for name, table in value.items():
                key = f"{section}.{name}"
                line = source.keys.first_of(key) or source.keys.first_of(section) or 1
                self.named[section][name] = _Entry(source, line, name, table, key if section in NAMED else section)
        else:
            known = ", ".join(NAMED + LISTED + KEYED)
            self.problem(whole, section, f"unknown table [{section}] (known: {known})")

    # ------------------------------------------------------------ value kinds

    def text(self, entry: _Entry, key: str, raw: Any) -> str | None:
        if isinstance(raw, str):
            return raw
        self.problem(entry, key, f"{key} must be a string")
        return None

    def email(self, entry: _Entry, key: str, raw: Any) -> str | None:
        value = self.text(entry, key, raw)
        if value is not None and email_address(value):
            self.problem(entry, key, f"{key}: {value!r} is not an email address")
            return None
        return value

    def strings(self, entry: _Entry, key: str, raw: Any) -> tuple[str, ...] | None:
        if isinstance(raw, list) and all(isinstance(v, str) and v.strip() for v in raw):
            return tuple(raw)
        self.problem(entry, key, f"{key} must be a list of non-empty strings")
        return None

    def patterns(self, entry: _Entry, key: str, raw: Any) -> tuple[str, ...] | None:
        values = self.strings(entry, key, raw)
        for value in values or ():
            if "@" not in value:
                self.problem(entry, key, f"{key}: {value!r} is neither an address nor a pattern like '*@example.com'")
        return values

    def words(self, entry: _Entry, key: str, raw: Any) -> WordLists | None:
        if not isinstance(raw, dict):
            self.problem(entry, key, f"{key or entry.name} must be a table of language = [words]")
            return None
        missing = [lang for lang in self.languages if lang not in raw]
        if missing:
            self.problem(entry, key, f"{entry.name}: no words for language {', '.join(missing)}")
        lists: WordLists = {}
        for language, items in raw.items():
            texts = self.strings(entry, f"{key}.{language}" if key else language, items)
            if texts is not None and language in self.languages:  # other languages: unused, not wrong
                lists[language] = tuple(Phrase.parse(t) for t in texts)
                for phrase in lists[language]:
                    if not phrase.tokens:
                        self.problem(entry, f"{key}.{language}", f"{phrase.text!r} contains no word")
        return lists

    def choice(self, entry: _Entry, key: str, raw: Any, choices: tuple[str, ...]) -> str | None:
        if raw in choices:
            return raw
        self.problem(entry, key, f"{key} must be one of {', '.join(choices)}, not {raw!r}")
        return None

    def count(self, entry: _Entry, key: str, raw: Any) -> int | None:
        if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
            return raw
        self.problem(entry, key, f"{key} must be a positive integer")
        return None

    def boolean(self, entry: _Entry, key: str, raw: Any) -> bool | None:
        if isinstance(raw, bool):
            return raw
        self.problem(entry, key, f"{key} must be true or false")
        return None

    CONVERTERS: ClassVar[dict[str, Callable[..., Any]]] = {
        "text": text, "email": email, "names": strings, "patterns": patterns, "words": words,
        "level": lambda self, e, k, r: self.choice(e, k, r, LEVELS), "count": count, "bool": boolean,
    }

    def fields(self, section: str, entry: _Entry, required: bool = True) -> dict[str, Any]:
        """The entry's values by key, converted; problems recorded, bad values left out."""
        if not isinstance(entry.value, dict):
            self.problem(entry, "", f"{entry.name or section} must be a table")
            return {}
        schema = FIELDS[section]
        for key in REQUIRED.get(section, ()) if required else ():
            if key not in entry.value:
                self.problem(entry, "", f"{entry.name or section}: required key {key!r} is missing")
        values = {}
        for key, raw in entry.value.items():
            if key not in schema:
                self.problem(entry, key, f"unknown key {key!r} (known: {', '.join(schema)})")
            else:
                values[key] = self.CONVERTERS[schema[key]](self, entry, key, raw)
        return {k: v for k, v in values.items() if v is not None}

    # ------------------------------------------------------------ building

    def build(self) -> Rules:
        categories = tuple(self.category(e) for e in self.named["categories"].values())
        departments = tuple(self.department(e) for e in self.named["departments"].values())
        rules = Rules(
            languages=self.languages, categories=categories,
            priorities=tuple(self.priority(n, e) for n, e in enumerate(self.listed["priority"], 1)),
            departments=departments, routing=self.routing(), intents=self.intents(),
            sensitive=tuple(WordGroup(e.name, self.words(e, "", e.value) or {}, e.source.label)
                            for e in self.named["sensitive"].values()),
            staff=tuple(self.staff(e) for e in self.listed["staff"]), defaults=self.defaults())
        self.cross_check(rules)
        return rules

    def category(self, entry: _Entry) -> Category:
        v = self.fields("categories", entry)
        return Category(entry.name, v.get("keywords", {}), v.get("senders", ()), entry.source.label)

    def department(self, entry: _Entry) -> Department:
        v = self.fields("departments", entry)
        return Department(entry.name, v.get("address", ""), v.get("description", ""), entry.source.label)

    def priority(self, number: int, entry: _Entry) -> PriorityRule:
        v = self.fields("priority", entry)
        conditions = ("categories", "keywords", "senders", "attachments")
        if isinstance(entry.value, dict) and not set(entry.value) & set(conditions):
            self.problem(entry, "", f"a [[priority]] rule needs a condition: {', '.join(conditions)}")
        return PriorityRule(v.get("name", f"rule {number}"), v.get("level", "normal"), v.get("categories", ()),
                            v.get("keywords", {}), v.get("senders", ()), v.get("attachments"), entry.source.label)

    def staff(self, entry: _Entry) -> StaffMember:
        v = self.fields("staff", entry)
        return StaffMember(v.get("address", ""), v.get("name", ""), v.get("department", ""), v.get("supervisor", ""))

    def routing(self) -> dict[str, Route]:
        return {e.name: Route(e.value, e.source.label) for e in self.named["routing"].values()
                if self.text(e, e.name, e.value) is not None}

    def intents(self) -> dict[str, WordGroup]:
        groups = {}
        for entry in self.named["intents"].values():
            known = REQUIRED_INTENTS + OPTIONAL_INTENTS
            if entry.name not in known:
                self.problem(entry, "", f"unknown intent {entry.name!r} (known: {', '.join(known)})")
            words = plain_lists(self.words(entry, "", entry.value) or {})  # compared without diacritics
            groups[entry.name] = WordGroup(entry.name, words, entry.source.label)
        return groups

    def defaults(self) -> Defaults:
        entries = self.named["defaults"]
        if not entries:
            self.problems.append(Problem(str(self.directory), 0, "no [defaults] table"))
            return Defaults()
        values: dict[str, Any] = {}
        for key, entry in entries.items():
            one_key = _Entry(entry.source, entry.line, "defaults", {key: entry.value}, "defaults")
            values.update(self.fields("defaults", one_key, required=False))
        for key in REQUIRED["defaults"]:
            if key not in entries:
                self.problems.append(Problem(str(self.directory), 0, f"[defaults] {key} is missing"))
        return Defaults(**values, origin=next(iter(entries.values())).source.label)

    def cross_check(self, rules: Rules) -> None:
        """References between entries: what no single entry can check alone."""
        categories, departments = set(rules.category_names), {d.name for d in rules.departments}
        for rule, entry in zip(rules.priorities, self.listed["priority"]):
            for name in set(rule.categories) - categories:
                self.problem(entry, "categories", f"unknown category {name!r}")
        for name, entry in self.named["routing"].items():
            if name not in categories:
                self.problem(entry, "", f"routing: unknown category {name!r}")
            if entry.value not in departments:
                self.problem(entry, "", f"routing: {name}: unknown department {entry.value!r}")
        seen: set[str] = set()
        for member, entry in zip(rules.staff, self.listed["staff"]):
            if member.department and member.department not in departments:
                self.problem(entry, "department", f"unknown department {member.department!r}")
            if member.address.lower() in seen:
                self.problem(entry, "address", f"staff member {member.address!r} is listed twice")
            seen.add(member.address.lower())
        for name in REQUIRED_INTENTS:
            if name not in rules.intents:
                self.problems.append(Problem(str(self.directory), 0, f"no [intents.{name}] word list"))
        self.check_defaults(rules.defaults, categories, departments)

    def check_defaults(self, defaults: Defaults, categories: set[str], departments: set[str]) -> None:
        for key, value, known in (("category", defaults.category, categories),
                                  ("department", defaults.department, departments)):
            entry = self.named["defaults"].get(key)
            if entry and value not in known:
                self.problem(entry, "", f"defaults: unknown {key} {value!r}")
