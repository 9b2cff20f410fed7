"""A customer's mail that a staff member forwarded to the care address.

Customers often write to a salesperson's own address; the salesperson forwards
the mail, and the complaint must be the customer's, not the salesperson's.
Mail clients forward in two ways, both read here:

- attached: the original as a message/rfc822 part (Outlook "forward as
  attachment", Thunderbird's option, most webmails on request); parsed whole;
- inline: the original's header block quoted in the body, in the client's
  language: Gmail ("---------- Forwarded message ---------", From/Date/Subject/To),
  Outlook desktop and web ("____", From/Sent/To/Subject), Thunderbird
  ("-------- Forwarded Message --------", Subject/Date/From/To), Apple Mail
  ("Begin forwarded message:", From/Subject/Date/To).

An inline block is recognised by its structure, not by one client's marker
line: a From-like label with a value and at least two other header labels
(one with a marker line above it), so clients and languages never seen still
work. Labels are data tables below (az/ru/tr/en, plus the languages staff
clients are often set to). Pure and linear: every line is looked at a bounded
number of times, labels are split with str.partition, and the only regexes
(an address, a date's tokens) have no nested quantifiers and run on bounded lines.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Callable

from gateway.config import LANGUAGES
from gateway.mail.forwarddate import parse_date
from gateway.mail.parse import Mail, Unprocessable, parse
from gateway.mail.problem import Problem
from gateway.mail.quotes import split_reply

MAX_TEXT = 200_000  # characters of a body searched for a forwarded block
MAX_LINE = 998  # longer lines are prose (RFC 5322's line limit)
MAX_LABEL = 40  # characters before the colon of a header line
BLOCK_SPAN = 12  # header lines (and continuations) in one block at most
MARKER_GAP = 3  # lines between a marker and the header block it announces
MAX_DEPTH = 5  # forwards of forwards followed at most

FROM = frozenset({
    "from", "от", "от кого", "kimden", "gönderen", "göndərən", "kimdən", "von", "de", "van", "da", "od", "від",
})
OTHER = frozenset({
    # date / sent
    "date", "sent", "дата", "отправлено", "отправлено в", "отправлен", "tarih", "gönderildi", "gönderilme tarihi",
    "gönderim tarihi", "tarix", "göndərilib", "göndərildi", "göndərilmə tarixi", "datum", "gesendet", "envoyé",
    "enviado", "надіслано",
    # subject
    "subject", "тема", "konu", "mövzu", "movzu", "betreff", "objet", "asunto", "oggetto", "onderwerp",
    # to / cc / reply-to
    "to", "кому", "kime", "kimə", "an", "à", "para", "a", "aan", "cc", "bcc", "копия", "скрытая копия", "bilgi",
    "gizli", "surət", "kopya", "alıcı", "alıcılar", "alan", "reply-to", "reply to", "ответить", "yanıtla", "cavab", "importance", "важность",
    "önem", "attachments", "вложения", "ekler", "əlavələr",
})
DATE_LABELS = frozenset({
    "date", "sent", "дата", "отправлено", "отправлено в", "отправлен", "tarih", "gönderildi", "gönderilme tarihi",
    "gönderim tarihi", "tarix", "göndərilib", "göndərildi", "göndərilmə tarixi", "datum", "gesendet", "envoyé",
    "enviado", "надіслано"})
SUBJECT_LABELS = frozenset({"subject", "тема", "konu", "mövzu", "movzu", "betreff", "objet", "asunto", "oggetto",
                            "onderwerp"})
# Marker lines, compared after dashes, underscores, asterisks, spaces and a final colon are stripped.
MARKERS = frozenset({
    "forwarded message", "original message", "begin forwarded message", "forwarded e-mail", "forwarded email",
    "пересылаемое сообщение", "пересланное сообщение", "переадресованное сообщение", "исходное сообщение",
    "начало переадресованного сообщения", "начало пересылаемого сообщения", "оригинальное сообщение",
    "yönlendirilmiş ileti", "yönlendirilmiş mesaj", "yönlendirilen ileti", "iletilen mesaj", "iletilen ileti",
    "iletilmiş ileti", "özgün ileti", "orijinal mesaj", "orijinal ileti", "yönlendirilen iletinin başlangıcı",
    "iletilen iletinin başlangıcı", "yönləndirilmiş məktub", "yönləndirilmiş mesaj", "yönləndirilmiş ismarıc",
    "göndərilmiş məktub", "orijinal məktub", "ilkin məktub", "yönləndirilən məktubun başlanğıcı",
    "weitergeleitete nachricht", "ursprüngliche nachricht", "message transféré", "mensaje reenviado",
})
RULE = frozenset("-_=*")
ATTRIBUTION_MAX = 300  # characters of a Yandex/Mail.ru "date, name <address>:" line
QUOTED_NAME = re.compile(r'"([^"\n]{1,100})"')
ADDRESS = re.compile(r"[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")


@dataclass(frozen=True)
class Forwarded:
    """What a staff mail forwards: the original as a Mail (sender, text, date, attachments
    are the customer's), and what the staff member wrote above it (commands, a note)."""

    original: Mail
    staff_text: str
    how: str  # "attached" | "inline"
    written: datetime | None = None  # when the customer wrote; naive when the client gave no zone
    marked: bool = True  # attached, or a forward marker line above the block (an Outlook reply has neither)

    @property
    def key(self) -> str:
        """The same customer mail forwarded twice (two colleagues, a resend) has the same key:
        its Message-ID when attached, else its sender and text."""
        original = self.original
        if self.how == "attached" and original.message_id:
            identity = "id:" + original.message_id
        else:
            identity = "text:" + original.sender + "\n" + " ".join(original.new_text.split())[:4000]
        return "original:" + hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Unreadable:
    """A forward whose original sender cannot be read: the staff member must be told."""

    problem: Problem

    @property
    def reason(self) -> str:
        return self.problem.text


Result = Forwarded | Unreadable | None
IsStaff = Callable[[str], bool]


def find(mail: Mail, is_staff: IsStaff, languages: tuple[str, ...] = LANGUAGES) -> Result:
    """The forwarded customer mail in a staff mail, Unreadable, or None when it forwards nothing.
    `is_staff` says which addresses are colleagues: a colleague's forward is followed to the customer."""
    attached = [a for a in mail.attachments if a.content_type in ("message/rfc822", "message/global")]
    if attached:
        return _attached(mail, attached, is_staff, languages)
    return _inline(mail, is_staff)


# --- attached message/rfc822 ---------------------------------------------------

def _attached(mail: Mail, parts: list, is_staff: IsStaff, languages: tuple[str, ...]) -> Result:
    originals: list[Mail] = []
    for part in parts:
        try:
            originals.append(parse(part.payload, languages))
        except Unprocessable as exc:
            return Unreadable(Problem("attached_unreadable", f"the attached message {part.filename!r} cannot be read "
                                      f"({exc})", {"filename": part.filename or "", "detail": str(exc)}))
    customers = [m for m in originals if not is_staff(m.sender)]
    if len({m.sender for m in customers}) > 1:
        return Unreadable(Problem("several_customers", "the mail forwards messages of several customers; forward "
                                  "each customer's mail in a mail of its own"))
    if not customers:
        return None  # a colleague's mail: not a customer's forward
    first = customers[0]
    text = "\n\n".join(m.new_text or m.text for m in customers if (m.new_text or m.text).strip())
    own = tuple(a for a in mail.attachments if a.content_type not in ("message/rfc822", "message/global"))
    inner = tuple(a for m in customers for a in m.attachments)
    original = dataclasses.replace(first, text=text, new_text=text, attachments=inner + own)
    return Forwarded(original, mail.new_text, "attached", first.date)


# --- inline -----------------------------------------------------------------

@dataclass(frozen=True)
class _Block:
    start: int  # first line of the block (or of its marker)
    end: int  # first line after the header block
    sender: str  # address, "" when the From line has none
    name: str
    subject: str
    date: str
    depth: int  # "> " quoting levels of the block
    marked: bool  # a forward marker line announced it


def _inline(mail: Mail, is_staff: IsStaff) -> Result:
    lines = mail.text[:MAX_TEXT].split("\n")
    start, depth = 0, 0
    staff_text: str | None = None
    while depth < MAX_DEPTH:
        block = _next_block(lines, start)
        if block is None:
            return None
        if staff_text is None:
            staff_text = _staff_text(lines[:block.start])
        if not block.sender:
            return Unreadable(Problem("from_no_address", "the forwarded mail's From line has no address (Outlook "
                                      "shows only a name for some senders); forward it as an attachment, or "
                                      "register it with #new and the customer's e-mail"))
        if not is_staff(block.sender):
            return _forwarded(mail, lines, block, staff_text)
        start, depth = block.end, depth + 1  # a colleague forwarded it to us: follow it down
    return None


def _forwarded(mail: Mail, lines: list[str], block: _Block, staff_text: str) -> Forwarded:
    body = [_unquote(line, block.depth) for line in lines[block.end:]]
    whole = "\n".join(body).strip("\n")
    new_text, _, signature = split_reply(whole)
    text = new_text or whole.strip()
    when = parse_date(block.date) if block.date else None
    original = dataclasses.replace(
        mail, sender=block.sender, sender_name=block.name, subject=block.subject or _unforwarded(mail.subject),
        text=text, new_text=text, quoted="", signature=signature if new_text else "", date=when if when and when.tzinfo else None,
        in_reply_to=(), references=())
    return Forwarded(original, staff_text, "inline", when, block.marked)


def _staff_text(lines: list[str]) -> str:
    """What the staff member wrote above the forward, without the marker and rule lines."""
    kept = [line for line in lines if not _is_marker(line) and not _is_rule(line)]
    return "\n".join(kept).strip()


def _next_block(lines: list[str], start: int) -> _Block | None:
    """The first forwarded header block at or after `start`; each line is visited once
    (a block's lines are skipped past after it is judged)."""
    i = start
    while i < len(lines):
        line = lines[i]
        if _is_marker(line):
            block = _attribution_block(lines, i)
            if block is not None:
                return block
        if len(line) > MAX_LINE or _label(line)[0] not in FROM and _label(line)[0] not in OTHER:
            i += 1
            continue
        block = _read_block(lines, i)
        if block is not None:
            return block
        i += 1 + _block_length(lines, i)
    return None


def _attribution_block(lines: list[str], marker: int) -> _Block | None:
    """Yandex and Mail.ru put one line under the marker instead of a header block:
    '23.11.2026, 10:00, "Aysel Məmmədova" <aysel@example.az>:'."""
    j = marker + 1
    while j < len(lines) and j <= marker + MARKER_GAP and not lines[j].strip():
        j += 1
    if j >= len(lines) or j > marker + MARKER_GAP:
        return None
    line = lines[j].lstrip(" \t>").strip()
    if len(line) > ATTRIBUTION_MAX or not line.endswith(":") or _label(lines[j])[0] in FROM | OTHER:
        return None
    found = ADDRESS.search(line)
    if not found:
        return None
    before = line[:found.start()]
    quoted = QUOTED_NAME.search(before)
    name = quoted.group(1).strip() if quoted else before.rsplit(",", 1)[-1].strip(" \t\"'<[(*")
    date = before[:quoted.start()] if quoted else before.rsplit(",", 1)[0]
    return _Block(marker, j + 1, found.group(0).lower().strip("."), "" if "@" in name else name, "",
                  date.strip(" ,"), _depth(lines[j]), True)


def _block_length(lines: list[str], i: int) -> int:
    """Header lines after line i that belong to the same run (at most BLOCK_SPAN)."""
    n = 0
    while n < BLOCK_SPAN and i + 1 + n < len(lines) and _is_header_or_continuation(lines, i + 1 + n):
        n += 1
    return n


def _read_block(lines: list[str], i: int) -> _Block | None:
    depth = _depth(lines[i])
    end = i + 1 + _block_length(lines, i)
    fields: dict[str, str] = {}
    labels = 0
    for line in lines[i:end]:
        label, value = _label(line)
        if label in FROM:
            fields.setdefault("from", value)
        elif label in OTHER:
            labels += 1
            if label in DATE_LABELS:
                fields.setdefault("date", value)
            elif label in SUBJECT_LABELS:
                fields.setdefault("subject", value)
    if "from" not in fields or not fields["from"]:
        return None
    marker = _marker_above(lines, i)
    if labels < (1 if marker is not None else 2):
        return None
    sender, name = _address(fields["from"])
    if not sender and marker is None and labels < 3:
        return None  # "From: the warehouse / Date: today" in a staff member's own text is prose
    return _Block(marker if marker is not None else i, end, sender, name, fields.get("subject", ""),
                  fields.get("date", ""), depth, marker is not None)


def _is_header_or_continuation(lines: list[str], j: int) -> bool:
    line = lines[j]
    if len(line) > MAX_LINE or not line.strip():
        return False
    label = _label(line)[0]
    if label in FROM or label in OTHER:
        return True
    # a wrapped To/Cc list: an indented or address-bearing line right after a header line
    return (line[:1] in (" ", "\t") or "@" in line) and j > 0 and bool(_label(lines[j - 1])[0] in OTHER)


def _marker_above(lines: list[str], i: int) -> int | None:
    j, seen = i - 1, 0
    while j >= 0 and seen < MARKER_GAP:
        if _is_marker(lines[j]):
            return j
        if lines[j].strip() and not _is_rule(lines[j]):
            return None
        j, seen = j - 1, seen + 1
    return None


def _label(line: str) -> tuple[str, str]:
    """("from", "Aysel <a@b>") for "> *From:* Aysel <a@b>"; ("", "") when no label."""
    stripped = line.lstrip(" \t>").strip()
    label, sep, value = stripped.partition(":")
    if not sep or len(label) > MAX_LABEL:
        return "", ""
    return " ".join(fold(label.strip("*_ \t")).split()), value.strip(" \t*")


def _is_marker(line: str) -> bool:
    if len(line) > 200:
        return False
    text = fold(line.lstrip(" \t>").strip(" \t-_=*").rstrip(":").strip(" \t-_=*"))
    return " ".join(text.split()) in MARKERS


def fold(text: str) -> str:
    """Lower case that keeps Turkish "İ" an "i" (str.lower() makes it "i" + a combining dot),
    in composed form (a client that writes "ə" or "ö" decomposed still matches the tables)."""
    return unicodedata.normalize("NFC", text.replace("İ", "i")).replace("İ", "i").lower()


def _is_rule(line: str) -> bool:
    text = line.lstrip(" \t>").strip()
    return len(text) >= 8 and set(text) <= RULE


def _depth(line: str) -> int:
    depth = 0
    for char in line[:40]:
        if char == ">":
            depth += 1
        elif char not in " \t":
            break
    return depth


def _unquote(line: str, depth: int) -> str:
    """Remove the block's own "> " quoting levels from a body line."""
    for _ in range(depth):
        stripped = line.lstrip(" \t")
        if not stripped.startswith(">"):
            return line
        line = stripped[1:]
        if line.startswith(" "):
            line = line[1:]
    return line


def _address(value: str) -> tuple[str, str]:
    """(address, display name) of a From value: "Name <a@b>", "Name [mailto:a@b]", "a@b"."""
    value = value[:MAX_LINE]
    found = ADDRESS.search(value)
    if not found:
        return "", value.strip(" \"'")
    name = value[:found.start()].replace("mailto:", "").strip(" \t\"'<[(*")
    return found.group(0).lower().strip("."), "" if "@" in name else name


_PREFIXES = ("fwd:", "fw:", "tr:", "wg:", "ilt:", "ilt.:", "пересл:", "пересл.:", "переслать:", "fwd :", "fw :",
             "ynl:", "yön:")


def forward_subject(subject: str) -> bool:
    """Whether a subject says "forwarded" (Fwd:, FW:, İLT:, Пересл:, TR:, WG:) rather than "reply"."""
    return any(fold(subject.strip()).startswith(p) for p in _PREFIXES)


def _unforwarded(subject: str) -> str:
    """The subject without "Fwd:"-style prefixes (when the block named none)."""
    text = subject.strip()
    for _ in range(5):
        lowered = fold(text)
        prefix = next((p for p in _PREFIXES if lowered.startswith(p)), None)
        if prefix is None:
            break
        text = text[len(prefix):].strip()
    return text


def received_at(forward: Forwarded, now: datetime, zone: tzinfo, oldest_days: int = 366) -> datetime:
    """When the customer wrote: the original's date (a wall-clock time read in `zone`, the
    business time zone) when it is plausible, else now. A date in the future or more than
    a year back is a client's or a sender's error, not a reason to start a clock there."""
    when = forward.written
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    if when is None or when > now or (now - when).days > oldest_days:
        return now
    return when
