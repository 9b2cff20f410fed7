"""Staff commands written in a reply: "#status investigating", "[priority=high]".

Staff steer a complaint from their ordinary mail client, so commands are plain
lines of the reply or "[name=value]" tags in the subject. The help (and every
staff notice) asks for them on the first lines; but a line that LOOKS like a
command anywhere in the staff member's own text (above the quoted history) is
read as one, never relayed: "#note" under a first paragraph, "# note", "#NOTE",
"#nоte" with a Cyrillic "о", "＃note" all mean #note, so internal text can never
reach the customer because of where or how the command was typed. A line looks
like a command when, after NFKC, removing zero-width and other format characters
(a BOM, U+200B, "&#8203;") and folding Cyrillic/Greek look-alike letters to
Latin, it starts with "#" and a letter once its list bullet, number or Markdown
markup is set aside ("- #note", "1. #note", "*#note*", "• #note"). Anything that
looks like a command but is not a valid one is an error, never ignored: a
mistyped "#reslove" must not relay a half-finished answer to the customer.

A known command name written anywhere else in a line ("Note: #note ...",
"\"#note\" ...", "#status resolved #note") is an error too: the writer meant a
command, and relaying the line could send internal text; refusing tells them and
costs one resend. Unknown "#words" inside a sentence ("#care", "#1234") are text.
The caller scans the signature the same way (a "#note" under "-- " is a command)
and mails the staff member COMMAND_HELP with the errors, relaying nothing.

A #note recorded from any but its plain form (first lines, "#note" alone) is
listed in `irregular`: the caller tells its author that nothing was sent, so a
Markdown heading "# Note" over an answer cannot swallow it silently.

Pure: this module only reads text; whether a category exists or a transition is
allowed is decided by the caller, which knows the rules and the complaint.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Callable

from gateway.config import LANGUAGES, email_address
from gateway.desk.confusables import CONFUSABLES
from gateway.desk.lifecycle import STATUSES
from gateway.desk.rules import LEVELS as PRIORITIES

# List bullets, numbers and Markdown/quote markup a command may stand behind (or be wrapped in).
_MARKUP = "-*+•·‣◦▪▫●○■□–—>_~\"'«»“”„‘’`(["
_MARKUP_END = "*_~\"'»“”’`)]:. \t"
# On the folded line: markup, "#", spaces allowed, then the command word; the argument is read unfolded.
_COMMAND_LINE = re.compile(r"^[ \t" + re.escape(_MARKUP) + r"]*+(?:\d{1,3}[.)])?+[ \t" + re.escape(_MARKUP)
                           + r"]*+#{1,3}+[ \t]*+([^\W\d_][\w-]{0,40}+)[ \t]*+")  # "## Note": a heading
_PLAIN = re.compile(r"^[ \t]*#[^\W\d_]")  # "#note": no markup, no space after "#"
_ANYWHERE = re.compile(r"#([^\W\d_][\w-]*+)")  # a "#word" inside a line
LINE_CAP = 1000  # characters of one line read for a command
# A tag's value stops at the next "[" too: a subject of many "[a=" is read once, not once per tag.
_SUBJECT_TAG = re.compile(r"\[\s*+([a-z][a-z_-]*+)\s*+=\s*+([^\[\]]*+)\]", re.IGNORECASE)
_CATEGORY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Command:
    name: str
    argument: str  # normalised; "" for commands without one


@dataclass(frozen=True)
class CommandParse:
    commands: tuple[Command, ...]
    errors: tuple[str, ...]
    body: str  # the reply without its command lines
    irregular: tuple[str, ...] = ()  # names of commands never written plainly at the top (see the docstring)


Validator = Callable[[str], str]  # raw argument -> normalised argument, or ValueError(reason)


def _nothing(raw: str) -> str:
    if raw:
        raise ValueError(f"takes no argument (got {raw!r}); write the command on a line of its own")
    return ""


def _one_of(choices: tuple[str, ...]) -> Validator:
    def validate(raw: str) -> str:
        value = raw.strip().lower().replace("-", "_")
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}" + (f", not {raw!r}" if raw else ""))
        return value
    return validate


def _category(raw: str) -> str:
    value = raw.strip().lower()
    if not _CATEGORY.match(value):
        raise ValueError("needs a category name, e.g. #category delivery")
    return value


def _address(raw: str) -> str:
    value = raw.strip().strip("<>").lower()
    if email_address(value):  # the pattern [staff] addresses are checked with
        raise ValueError("needs an email address, e.g. #assign name@example.az")
    return value


def _date_and_reason(raw: str) -> str:
    day, _, reason = raw.strip().partition(" ")
    try:
        date.fromisoformat(day)
    except ValueError:
        raise ValueError("needs a date YYYY-MM-DD and a reason, "
                         "e.g. #extend 2025-03-14 waiting for the supplier") from None
    if not reason.strip():
        raise ValueError("needs a reason after the date: the customer is told why")
    return f"{day} {reason.strip()}"


def command_table(languages: tuple[str, ...] = LANGUAGES) -> dict[str, tuple[Validator, str, str]]:
    """name -> (argument validator, argument syntax, what it does)."""
    return {
        "status": (_one_of(STATUSES), "<status>", "set the status: " + ", ".join(STATUSES)),
        "priority": (_one_of(PRIORITIES), "|".join(PRIORITIES), "set the priority"),
        "category": (_category, "<category>", "set the category (one of the rules' categories)"),
        "assign": (_address, "<address>", "assign the complaint to a staff member"),
        "note": (_nothing, "", "internal note: nothing is sent to the customer"),
        "ask": (_nothing, "", "relay the text as a request for information (waiting_customer)"),
        "resolve": (_nothing, "", "relay the text as our answer (resolved); the customer may accept or reject"),
        "extend": (_date_and_reason, "YYYY-MM-DD <reason>", "new resolution date; the customer is told why"),
        "close": (_nothing, "", "close the complaint"),
        "confirm": (_nothing, "", "send the customer the mails held because the complaint was registered by an "
                                  "unauthenticated staff mail"),
        "language": (_one_of(languages), "|".join(languages), "the customer's language for our mails"),
    }


def _help(table: dict[str, tuple[Validator, str, str]]) -> str:
    lines = [f"  #{name} {syntax}".rstrip().ljust(40) + f" {what}" for name, (_, syntax, what) in table.items()]
    return "\n".join([
        "Commands go on lines of their own, best at the very top of your reply, before any other text:",
        *lines,
        "The subject form works too: [status=resolved], [priority=high], [category=delivery].",
        "A line of your own text starting with # (after a list bullet too) is always read as a command, wherever it",
        "stands, and is never sent to the customer; a command name inside a line (\"see #note\") is refused.",
        "Everything else is relayed to the customer (nothing at all with #note).",
    ])


COMMAND_HELP: str = _help(command_table())


def parse_commands(new_text: str, subject: str, languages: tuple[str, ...] = LANGUAGES,
                   signature: str = "") -> CommandParse:
    """Commands from the subject tags and every command-like line of a staff reply's own text.

    `signature` (what quotes.py took for the writer's signature) is read for commands too but is
    not part of the body: a "#note" typed under "-- " keeps the text above it internal.
    """
    table = command_table(languages)
    raw = [(n, a, "subject") for n, a in _SUBJECT_TAG.findall(subject)]
    body: list[str] = []
    plain: set[str] = set()
    top = True  # still in the reply's first lines (blank or commands only)
    for part, text in (("text", new_text), ("signature", signature)):
        for line in text.splitlines():
            found = command_line(line)
            inside = _named_inside(line, table, found)
            raw.extend((name, shown, "inside") for name, shown in inside)
            if found is None:
                if part == "text":
                    body.append(line)
                top = top and not line.strip()
                continue
            raw.append((found[0], found[1], "line"))
            if top and part == "text" and _PLAIN.match(line):
                plain.add(found[0])
    commands, errors = _validate(raw, table)
    irregular = tuple(c.name for c in commands if c.name not in plain and c.name == "note")
    return CommandParse(commands, errors, "\n".join(body).strip("\n"), irregular)


def _fold(line: str) -> str:
    """NFKC without format characters (zero-width spaces, BOM, bidi marks): what the reader sees."""
    shown = unicodedata.normalize("NFKC", line)
    if shown.isascii():
        return shown
    return "".join(c for c in shown if unicodedata.category(c) != "Cf")


def command_line(line: str) -> tuple[str, str] | None:
    """(name, argument) when the line looks like a command, whether or not it is a valid one."""
    shown = _fold(line[:LINE_CAP])
    found = _COMMAND_LINE.match(shown.translate(CONFUSABLES))  # one letter for one: the offsets stay
    if found is None:
        return None
    return found.group(1).lower().rstrip("_-"), shown[found.end():].strip(_MARKUP_END).strip()


def _named_inside(line: str, table: dict[str, tuple[Validator, str, str]],
                  at_start: tuple[str, str] | None) -> list[tuple[str, str]]:
    """Known command names written inside `line` (not the one it starts with): (name, the line)."""
    folded = _fold(line).translate(CONFUSABLES)
    found = [m.group(1).lower().rstrip("_-") for m in _ANYWHERE.finditer(folded)]
    if at_start is not None and found and found[0] == at_start[0]:
        found = found[1:]
    shown = " ".join(line.split())[:120]
    return [(name, shown) for name in found if name in table]


def _validate(raw: list[tuple[str, str, str]],
              table: dict[str, tuple[Validator, str, str]]) -> tuple[tuple[Command, ...], tuple[str, ...]]:
    commands: dict[str, Command] = {}
    errors: list[str] = []
    for name, argument, where in raw:
        name = name.lower()
        shown = f"[{name}={argument}]" if where == "subject" else f"#{name} {argument}".rstrip()
        if where == "inside":
            errors.append(f"{argument!r}: #{name} is written inside a line; a command goes at the start of a "
                          "line of its own, and a line holding one is never sent to the customer")
            continue
        if name not in table:
            errors.append(f"{shown}: unknown command (known: {', '.join('#' + n for n in table)})")
            continue
        try:
            command = Command(name, table[name][0](argument))
        except ValueError as exc:
            errors.append(f"{shown}: {exc}")
            continue
        if name in commands and commands[name] != command:
            errors.append(f"{shown}: contradicts #{name} {commands[name].argument}".rstrip())
        commands.setdefault(name, command)
    return tuple(commands.values()), tuple(errors)
