"""`#new`: a complaint a staff member took by phone or in person.

The staff mail starts with `#new` (other commands may follow it), then labelled
fields, one per line, then the complaint text:

    #new
    #priority high
    Phone: 050 123 45 67
    E-mail: aysel@example.az
    Name: Aysel
    Surname: Məmmədova
    Patronymic: Əli qızı
    Channel: phone
    Staff: Leyla Həsənova

    The washing machine bought on 2 November leaks ...

Labels and channel values are data tables in az/ru/tr/en. The field block ends
at the first line that is not a known label (blank lines allowed), so an
ordinary sentence with a colon ("Order: 12345", "Qeyd: ...") is complaint
text, never a field. Pure: text in, an Intake out; validation errors name the
fields, so the staff member can fix and resend, and nothing half-made is stored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from gateway.mail.forward import fold
from gateway.mail.problem import Problem

MAX_FIELD = 200  # characters of a field's value
MAX_LABEL = 40
FIELD_LINES = 30  # a field block longer than this is text

LABELS: dict[str, str] = {}
for _name, _labels in {
    "email": ("email", "e-mail", "e mail", "mail", "email address", "e-mail address", "customer email",
              "e-poçt", "e-poct", "epoçt", "elektron poçt", "e-poçt ünvanı", "poçt",
              "почта", "эл. почта", "эл.почта", "электронная почта", "e-mail клиента", "емейл", "имейл",
              "e-posta", "eposta", "e-posta adresi"),
    "phone": ("phone", "phone number", "telephone", "tel", "tel.", "mobile", "customer phone",
              "telefon", "telefon nömrəsi", "əlaqə nömrəsi", "mobil", "mobil nömrə",
              "телефон", "тел", "тел.", "номер телефона", "мобильный", "контактный телефон",
              "telefon numarası", "cep", "cep telefonu", "gsm"),
    "name": ("name", "first name", "given name", "customer name", "ad", "adı", "müştərinin adı",
             "имя", "имя клиента", "isim", "müşteri adı"),
    "surname": ("surname", "last name", "family name", "soyad", "soyadı", "фамилия", "soyisim"),
    "patronymic": ("patronymic", "middle name", "father's name", "ata adı", "atasının adı", "ata adi",
                   "отчество", "baba adı"),
    "full_name": ("full name", "customer", "ad soyad", "ad, soyad", "ad soyad ata adı", "ad, soyad, ata adı",
                  "фио", "ф.и.о.", "ф.и.о", "клиент", "müştəri", "müşteri", "adı soyadı"),
    "channel": ("channel", "kanal", "канал", "via", "source", "mənbə", "источник", "kaynak"),
    "staff_name": ("staff", "staff member", "staff name", "employee", "registered by", "taken by",
                   "əməkdaş", "əməkdaşın adı", "qəbul edən", "işçi",
                   "сотрудник", "имя сотрудника", "принял", "принял(а)",
                   "personel", "çalışan", "temsilci", "kaydeden"),
}.items():
    for _label in _labels:
        LABELS[_label] = _name

CHANNELS: dict[str, str] = {}
for _channel, _words in {
    "phone": ("phone", "telephone", "call", "by phone", "tel", "telefon", "zəng", "zeng", "telefonla",
              "телефон", "звонок", "по телефону", "telefonda", "çağrı", "call center", "call-center"),
    "visit": ("visit", "in person", "walk-in", "office", "shop", "store", "ziyarət", "ziyaret", "şəxsən",
              "mağaza", "ofis", "filial", "визит", "лично", "магазин", "офис", "şahsen", "yüz yüze"),
}.items():
    for _word in _words:
        CHANNELS[_word] = _channel

_ADDRESS = re.compile(r"[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_COMMAND = re.compile(r"^#([a-z][a-z_-]{0,30})\b", re.IGNORECASE)
FIELDS = ("email", "phone", "name", "surname", "patronymic", "channel", "staff_name")
DEFAULT_REQUIRED = ("contact", "name", "surname", "channel")
REQUIRABLE = ("contact", "name", "surname", "patronymic", "channel", "staff_name")


@dataclass(frozen=True)
class Intake:
    fields: dict[str, str]  # normalised: email lower-case, channel phone|visit; phone as written
    commands_text: str  # the command lines (#new excluded), for the usual command parser
    text: str  # the complaint, below the fields
    errors: tuple[Problem, ...] = field(default=())  # said in the staff language by code

    @property
    def full_name(self) -> str:
        """Name, patronymic, surname as one line (Customer.name)."""
        parts = [self.fields.get(k, "") for k in ("name", "patronymic", "surname")]
        return " ".join(p for p in parts if p)


def starts_with_new(text: str) -> bool:
    """Whether the first non-blank line of a staff mail is `#new`."""
    for line in text.split("\n", FIELD_LINES)[:FIELD_LINES]:
        if line.strip():
            found = _COMMAND.match(line.strip())
            return found is not None and found.group(1).lower() == "new"
    return False


def read(text: str, required: tuple[str, ...] = DEFAULT_REQUIRED) -> Intake:
    """The fields and text of a `#new` mail (the caller checked starts_with_new)."""
    lines = text.split("\n")
    i, commands = _commands(lines)
    values, duplicates, i = _fields(lines, i)
    body = "\n".join(lines[i:]).strip()
    values, errors = _normalise(values)
    errors += [Problem("twice", f"{_shown(name)} is given twice with different values", {"field": name})
               for name in duplicates]
    errors += _missing(values, body, required)
    return Intake(values, "\n".join(commands), body, tuple(errors))


def _commands(lines: list[str]) -> tuple[int, list[str]]:
    """Skip #new and collect the other command lines (and blank lines) above the fields."""
    commands: list[str] = []
    i = 0
    while i < len(lines) and (not lines[i].strip() or _COMMAND.match(lines[i].strip())):
        line = lines[i].strip()
        command = _COMMAND.match(line)
        if command is not None and command.group(1).lower() != "new":
            commands.append(line)
        i += 1
    return i, commands


def _fields(lines: list[str], i: int) -> tuple[dict[str, str], list[str], int]:
    values: dict[str, str] = {}
    duplicates: list[str] = []
    start = i
    while i < len(lines) and i - start < FIELD_LINES:
        line = lines[i]
        if not line.strip():
            i += 1
            if values and (i >= len(lines) or _label_of(lines[i]) is None):
                break  # a blank line after the fields: the text starts
            continue
        found = _label_of(line)
        if found is None:
            break
        name, value = found
        if name in values and values[name] != value:
            duplicates.append(name)
        values.setdefault(name, value)
        i += 1
    return values, duplicates, i


def _label_of(line: str) -> tuple[str, str] | None:
    label, sep, value = line.strip().lstrip("-*• \t").partition(":")
    if not sep or len(label) > MAX_LABEL:
        return None
    name = LABELS.get(" ".join(fold(label.strip(" \t*_")).split()))
    return (name, value.strip()[:MAX_FIELD]) if name else None


def _normalise(values: dict[str, str]) -> tuple[dict[str, str], list[Problem]]:
    out: dict[str, str] = {}
    errors: list[Problem] = []
    full = values.pop("full_name", "")
    if full:
        _split_full_name(full, values)
    for name, value in values.items():
        if not value:
            continue
        if name == "email":
            found = _ADDRESS.fullmatch(value.strip("<> \t").replace("mailto:", ""))
            if not found:
                errors.append(Problem("email_invalid", f"e-mail {value!r} is not an e-mail address", {"given": value}))
                continue
            value = found.group(0).lower()
        elif name == "channel":
            channel = CHANNELS.get(" ".join(fold(value).split()).strip(" ."))
            if not channel:
                errors.append(Problem("channel_invalid", f"channel {value!r} is not phone or visit", {"given": value}))
                continue
            value = channel
        elif name == "phone" and sum(ch.isdigit() for ch in value) < 5:
            errors.append(Problem("phone_short", f"phone {value!r} has too few digits", {"given": value}))
            continue
        out[name] = value
    return out, errors


def _split_full_name(full: str, values: dict[str, str]) -> None:
    """"Məmmədova Aysel Əli qızı" (surname first, the form's order in az/ru) fills the parts not given."""
    words = full.split()
    if len(words) == 1:
        values.setdefault("name", words[0])
        return
    values.setdefault("surname", words[0])
    values.setdefault("name", words[1])
    if len(words) > 2:
        values.setdefault("patronymic", " ".join(words[2:]))


def _missing(values: dict[str, str], body: str, required: tuple[str, ...]) -> list[Problem]:
    errors: list[Problem] = []
    if not body.strip():
        errors.append(Problem("missing_text", "the complaint text is missing: write it below the fields, "
                                              "after a blank line"))
    for name in required:
        if name == "contact":
            if not values.get("email") and not values.get("phone"):
                errors.append(Problem("missing_contact",
                                      "the customer's e-mail or phone is missing (E-mail: ... or Phone: ...)"))
        elif not values.get(name):
            errors.append(Problem(f"missing_{name}", f"{_shown(name)} is missing ({_example(name)})"))
    return errors


def _shown(name: str) -> str:
    return {"email": "e-mail", "phone": "phone", "name": "the customer's name", "surname": "the customer's surname",
            "patronymic": "the customer's patronymic", "channel": "the channel",
            "staff_name": "your name"}.get(name, name)


def _example(name: str) -> str:
    return {"name": "Name: ...", "surname": "Surname: ...", "patronymic": "Patronymic: ...",
            "channel": "Channel: phone or Channel: visit",
            "staff_name": "Staff: the name of the staff member who took the complaint"}.get(name, name)


HELP = """Register a complaint taken by phone or in person: start the mail with #new, then one field a line,
a blank line, and the complaint text:
  #new
  E-mail: customer@example.az        (and/or) Phone: 050 123 45 67
  Name: ...     Surname: ...     Patronymic: ...
  Channel: phone | visit
  Staff: your name
Labels work in az/ru/tr/en (Ad, Soyad, Ata adı, Telefon, Kanal, Əməkdaş; Имя, Фамилия, Отчество, Телефон,
Канал, Сотрудник; Ad, Soyad, Telefon, Kanal, Personel). #priority, #category, #assign, #language may follow #new."""
