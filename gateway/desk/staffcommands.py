"""Staff commands written in a reply: "#status investigating", "[priority=high]".

Staff steer a complaint from their ordinary mail client, so commands are plain
lines of the reply or "[name=value]" tags in the subject. The help (and every
staff notice) asks for them on the first lines; but a line that LOOKS like a
command anywhere in the staff member's own text (above the quoted history) is
read as one, never relayed: "#note" under a first paragraph, "# note", "#NOTE",
"#nоte" with a Cyrillic "о", "＃note" all mean #note, so internal text can never
reach the customer because of where or how the command was typed. A line looks
like a command when, after NFKC and folding Cyrillic/Greek look-alike letters to
Latin, it starts with "#" and a letter. Anything that looks like a command but is
not a valid one is an error, never ignored: a mistyped "#reslove" must not relay
a half-finished answer to the customer. The caller mails the staff member
COMMAND_HELP with the errors and relays nothing.

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

# On the folded line: "#", spaces allowed, then the command word; the argument is read unfolded.
_COMMAND_LINE = re.compile(r"^[ \t]*#[ \t]*([^\W\d_][\w-]{0,40})[ \t]*")
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
        "A line of your own text starting with # is always read as a command, wherever it stands, and is never",
        "sent to the customer; everything else is relayed to the customer (nothing at all with #note).",
    ])


COMMAND_HELP: str = _help(command_table())


def parse_commands(new_text: str, subject: str, languages: tuple[str, ...] = LANGUAGES) -> CommandParse:
    """Commands from the subject tags and every command-like line of a staff reply's own text."""
    table = command_table(languages)
    raw = [(n, a, "subject") for n, a in _SUBJECT_TAG.findall(subject)]
    body = []
    for line in new_text.splitlines():
        found = command_line(line)
        if found is None:
            body.append(line)
        else:
            raw.append((found[0], found[1], "line"))
    commands, errors = _validate(raw, table)
    return CommandParse(commands, errors, "\n".join(body).strip("\n"))


def command_line(line: str) -> tuple[str, str] | None:
    """(name, argument) when the line looks like a command, whether or not it is a valid one."""
    shown = unicodedata.normalize("NFKC", line[:LINE_CAP])
    found = _COMMAND_LINE.match(shown.translate(CONFUSABLES))  # one letter for one: the offsets stay
    if found is None:
        return None
    return found.group(1).lower(), shown[found.end():].strip()


def _validate(raw: list[tuple[str, str, str]],
              table: dict[str, tuple[Validator, str, str]]) -> tuple[tuple[Command, ...], tuple[str, ...]]:
    commands: dict[str, Command] = {}
    errors: list[str] = []
    for name, argument, where in raw:
        name = name.lower()
        shown = f"[{name}={argument}]" if where == "subject" else f"#{name} {argument}".rstrip()
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
