"""The name and phone a customer gives in a reply, after the acknowledgement asked.

Seeds 000/001 need the customer's name, surname, patronymic and phone; when the
first mail lacks them the acknowledgement asks, and the customer answers in one
of two ways: labelled lines ("Ad: Aysel", "Отчество: Петровна", "Telefon: 0532
...", the `#new` intake's labels in az/ru/tr/en), or free form ("Adım Aysel
Məmmədova, nömrəm 050 123 45 67", "Меня зовут Иван Петров"). Only those two
shapes are read as a name: a sentence that merely contains capitalised words
("Salam Hörmətli Komanda") is not a name, because storing a wrong name is worse
than asking again. Pure: text in, contact out.
"""
from __future__ import annotations

import re

from gateway.mail.contact import MAX_NAME_WORDS, Contact, _as_name, first_phone
from gateway.mail.intake import _label_of

MAX_LINES = 40  # lines of a reply read for labels and name sentences
MAX_LINE = 200
# "My name is" in the four languages, folded to lower case; what follows (to the end of the
# clause) must read as a name.
NAME_INTROS: tuple[str, ...] = (
    "mənim adım", "menim adim", "adım", "adim", "ad soyadım", "ad, soyadım",
    "меня зовут", "моё имя", "мое имя", "моя фамилия и имя", "я —", "я -",
    "benim adım", "adım soyadım", "ad soyadım", "ismim", "benim ismim",
    "my name is", "my full name is",
)
_CLAUSE_END = re.compile(r"[,;.!?()\n]|\s(?:və|и|ve|and)\s")


# "My number is" in the four languages: a number on such a line is the customer's own.
OWN_PHONE: tuple[str, ...] = (
    "nömrəm", "nomrem", "telefonum", "mobil nömrəm", "əlaqə nömrəm", "mənim nömrəm",
    "мой телефон", "мой номер", "мой мобильный", "мой контактный", "номер телефона:", "телефон для связи",
    "numaram", "telefon numaram", "cep telefonum", "bana ulaşabileceğiniz",
    "my number", "my phone", "my mobile", "reach me", "call me",
)
BARE_LINE_LETTERS = 25  # a line that is mostly a number (a name, a label) gives it as the customer's
SHORT_REPLY_LINES = 6  # a reply this short answering our question may give a lone "Name:" line


def reply_contact(text: str, regions: tuple[str, ...]) -> Contact:
    """What the reply says of the customer's name and phone ("" for what it does not say)."""
    lines = [line.strip()[:MAX_LINE] for line in text.split("\n", MAX_LINES)[:MAX_LINES]]
    fields = _labelled(lines)
    short = sum(1 for line in lines if line) <= SHORT_REPLY_LINES
    name = _joined(fields, short) or _introduced(lines)
    phone = first_phone(fields["phone"], regions) if fields.get("phone") else ""
    return Contact(name, phone or _own_phone(lines, regions))


def _own_phone(lines: list[str], regions: tuple[str, ...]) -> str:
    """A number the customer gives as theirs: on a line of its own (with little else) or after
    "my number is"; not one they merely mention ("I called your hotline +994 12 ...")."""
    for line in lines:
        phone = first_phone(line, regions) if any(ch.isdigit() for ch in line) else ""
        if not phone:
            continue
        letters = sum(ch.isalpha() for ch in line)
        if letters <= BARE_LINE_LETTERS or any(phrase in line.lower() for phrase in OWN_PHONE):
            return phone
    return ""


def _labelled(lines: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in lines:
        found = _label_of(line)
        if found and found[1] and found[0] in ("name", "surname", "patronymic", "full_name", "phone"):
            fields.setdefault(found[0], found[1])
    return fields


def _joined(fields: dict[str, str], short: bool) -> str:
    """Name, patronymic, surname as one line, as `#new` stores them; a full name as written.
    A lone "Name:" line counts only in a short reply: in a long one it may be a product's."""
    if fields.get("full_name") and _as_name(fields["full_name"]):
        return fields["full_name"]
    if not short and not (fields.keys() & {"surname", "patronymic"}):
        return ""
    parts = [fields.get(k, "") for k in ("name", "patronymic", "surname")]
    joined = " ".join(p for p in parts if p)
    return joined if joined and len(joined.split()) <= MAX_NAME_WORDS + 2 and _plausible(joined) else ""


def _introduced(lines: list[str]) -> str:
    for line in lines:
        folded = line.lower()
        for intro in NAME_INTROS:
            at = folded.find(intro)
            if at < 0 or (at > 0 and folded[at - 1].isalnum()):
                continue
            rest = line[at + len(intro):].lstrip(" :—-")
            end = _CLAUSE_END.search(rest)
            candidate = " ".join(rest[:end.start() if end else len(rest)].split())
            if _as_name(candidate):
                return candidate
    return ""


def _plausible(name: str) -> bool:
    """Labelled values are the customer's own words: letters, spaces, hyphens, apostrophes only."""
    return all(ch.isalpha() or ch in " -'’." for ch in name)
