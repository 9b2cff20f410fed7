"""Templates -> an email message with correct headers.

Templates are admin-edited files (templates/mail/{kind}.{lang}.txt|.html, the
.txt's first line is the Subject). Rendering is strict: an undefined variable
is an error, never a blank in a customer's mail. Every header built from
customer input goes through one_line(), so a subject or a name can never
inject a header line.

The message is built with the stdlib's compat32 classes, not EmailMessage:
EmailMessage parses every header it is given into a structured object, which
made composing ~4 ms of a mail's ~15 ms in the outbox; compat32 composes the
same mail in ~1 ms. The encoding decisions it leaves to us are small and
explicit here: non-ASCII header text becomes RFC 2047 UTF-8 words (an ASCII
prefix such as "[CC-2026-...]" stays readable), bodies go as 8bit UTF-8 unless
a line is too long for SMTP (998 octets), then quoted-printable.
"""
from __future__ import annotations

import email.charset
import email.encoders
import email.policy
import email.utils
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_datetime

from gateway.desk import history
from gateway.mail.oneline import one_line

LOOP_HEADER = "X-Care-Gateway-Loop"
DATE_FORMAT = "d MMMM y, HH:mm"
SMTP_POLICY = email.policy.compat32.clone(linesep="\r\n")
SMTP_LINE_OCTETS = 998  # RFC 5322 2.1.1: longer lines need a transfer encoding


class TemplateMissing(LookupError):
    pass


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Envelope:
    """Who and how: everything but the words."""

    sender_name: str
    sender: str
    recipient: str
    message_id: str  # without brackets
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    reply_to: str = ""
    language: str = "en"
    date: datetime | None = None
    tracking: str = ""


class Templates:
    """The compiled templates of one directory; built once, reused for every mail."""

    def __init__(self, directory: Path, default_language: str = "en"):
        self.directory = Path(directory)
        self.default_language = default_language
        loader = jinja2.FileSystemLoader(str(self.directory))
        self.text_env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined,
                                           autoescape=False, keep_trailing_newline=False)
        self.html_env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined,
                                           autoescape=True)
        for env in (self.text_env, self.html_env):
            env.globals["reply_word"] = reply_word

    def names(self, kind: str, lang: str) -> list[str]:
        langs = dict.fromkeys([lang, self.default_language, "en"])
        return [f"{kind}.{candidate}" for candidate in langs]

    def find(self, kind: str, lang: str) -> tuple[str, str]:
        """(stem, language actually used) for a kind in a language, with fallback."""
        for stem in self.names(kind, lang):
            if (self.directory / f"{stem}.txt").is_file():
                return stem, stem.rsplit(".", 1)[1]
        raise TemplateMissing(f"no template {kind}.{lang}.txt (nor a fallback) in {self.directory}")

    def render(self, kind: str, lang: str, context: dict[str, Any]) -> Rendered:
        stem, used = self.find(kind, lang)
        context = {**context, "lang": used}
        text = self.text_env.get_template(f"{stem}.txt").render(context)
        first, _, body = text.partition("\n")
        if not first.lower().startswith("subject:"):
            raise jinja2.TemplateError(f"{stem}.txt: the first line must be 'Subject: ...'")
        html = ""
        if (self.directory / f"{stem}.html").is_file():
            html = self.html_env.get_template(f"{stem}.html").render(context)
        return Rendered(one_line(first[len("subject:"):]), body.lstrip("\n"), html)

    def all_files(self) -> list[Path]:
        return sorted(p for p in self.directory.glob("*.*") if p.suffix in (".txt", ".html", ".j2"))


def reply_word(intent: str, word: str) -> str:
    """A word a template tells the customer to write ("rədd edirəm"); marked so that
    `gateway check` can read it back with the rules and fail when they would not
    understand it (checks.reply_word_problems)."""
    return word


def format_date(value: datetime | None, lang: str, tz: str) -> str:
    """A due date as the customer reads it: their language, our business time zone."""
    if value is None:
        return ""
    return format_datetime(value, DATE_FORMAT, tzinfo=ZoneInfo(tz), locale=lang)


def build_message(envelope: Envelope, rendered: Rendered,
                  files: tuple[tuple[str, str, bytes], ...] = ()) -> Message:
    """The outgoing mail; every mail we send is marked automatic (RFC 3834) and
    carries our loop header, so no well-behaved responder answers it. `files`
    (filename already safe, content type, bytes) go after the text as attachments."""
    msg: Message = _text_part(rendered.text, "plain")
    if rendered.html:
        alternative = MIMEMultipart("alternative", policy=SMTP_POLICY)
        alternative.attach(msg)
        alternative.attach(_text_part(rendered.html, "html"))
        msg = alternative
    if files:
        mixed = MIMEMultipart("mixed", policy=SMTP_POLICY)
        del msg["MIME-Version"]  # once, on the message
        mixed.attach(msg)
        for filename, content_type, payload in files:
            mixed.attach(_file_part(filename, content_type, payload))
        msg = mixed
    if "MIME-Version" not in msg:
        msg["MIME-Version"] = "1.0"
    subject = rendered.subject
    if envelope.tracking and envelope.tracking not in subject:
        subject = f"[{envelope.tracking}] {subject}"
    msg["From"] = email.utils.formataddr((one_line(envelope.sender_name), envelope.sender), charset="utf-8")
    msg["To"] = one_line(envelope.recipient)
    msg["Subject"] = _header_text("Subject", one_line(subject))  # type: ignore[assignment]  # a Header is a value too
    msg["Date"] = email.utils.format_datetime(envelope.date or datetime.now().astimezone())
    msg["Message-ID"] = f"<{envelope.message_id}>"
    if envelope.in_reply_to:
        msg["In-Reply-To"] = f"<{envelope.in_reply_to}>"
    refs = [r for r in envelope.references if r]
    if refs:
        msg["References"] = " ".join(f"<{r}>" for r in refs)
    if envelope.reply_to:
        msg["Reply-To"] = envelope.reply_to
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg[LOOP_HEADER] = envelope.sender
    msg["Content-Language"] = envelope.language
    return msg


def _text_part(body: str, subtype: str) -> MIMEText:
    """A UTF-8 text part: 8bit (7bit when ASCII) while every line fits SMTP, else quoted-printable."""
    charset = email.charset.Charset("utf-8")
    fits = all(len(line.encode("utf-8")) <= SMTP_LINE_OCTETS for line in body.splitlines())
    # The stubs want an int encoding and a charset's name; None (8bit) and a Charset object are
    # what the stdlib documents for both.
    charset.body_encoding = None if fits else email.charset.QP  # type: ignore[assignment]
    part = MIMEText(body, subtype, charset, policy=SMTP_POLICY)  # type: ignore[arg-type]
    del part["MIME-Version"]  # once, on the message, not on every part
    return part


def _file_part(filename: str, content_type: str, payload: bytes) -> MIMEBase:
    """One attachment, base64; a non-ASCII name goes as RFC 2231 UTF-8 (every client reads it)."""
    maintype, _, subtype = content_type.partition("/")
    if not maintype or not subtype or "/" in subtype:
        maintype, subtype = "application", "octet-stream"
    part = MIMEBase(maintype, subtype, policy=SMTP_POLICY)
    del part["MIME-Version"]
    part.set_payload(payload)
    email.encoders.encode_base64(part)
    name: str | tuple[str, str, str] = filename if filename.isascii() else ("utf-8", "", filename)
    part.add_header("Content-Disposition", "attachment", filename=name)
    return part


def _header_text(name: str, value: str) -> str | Header:
    """`value` as it goes on the wire: ASCII as it is, else its ASCII lead and RFC 2047 UTF-8 words."""
    first = next((i for i, char in enumerate(value) if ord(char) > 127), None)
    if first is None:
        return value
    cut = value.rfind(" ", 0, first) + 1
    header = Header(header_name=name)
    if cut:
        header.append(value[:cut], "us-ascii")
    header.append(value[cut:], "utf-8")
    return header


def sample_context(lang: str, zone: str = "Asia/Baku", close: str = "18:00") -> dict[str, Any]:
    """Fictional data with every key a template may use: `gateway check` renders each template
    with it, `gateway preview` shows it, and the outbox packs its copies against it. Its dates
    are written as a real mail of `lang` writes them, due dates at the desk's close of work
    (`close`, in `zone`): a preview in Russian shows "10 декабря", not an Azerbaijani month."""
    tracking = "CC-2026-4K7PQ2MX"
    hour, minute = (int(part) for part in close.split(":"))

    def day(month: int, number: int, at: tuple[int, int] = (hour, minute)) -> str:
        return format_date(datetime(2026, month, number, *at, tzinfo=ZoneInfo(zone)), lang, zone)
    return {
        "lang": lang, "tracking": tracking,
        "gateway": {"name": "Customer Care", "address": "customer.care@shop.example"},
        "complaint": {"tracking": tracking, "subject": "Sifariş gecikir", "status": "in_review", "status_label": "",
                      "priority": "normal",
                      "category": "delivery", "department": "logistics", "assignee": "agent@shop.example",
                      "created": day(11, 23, (10, 15)), "last_step": history.last_step([("status", "in_review", "")], lang), "sensitive": False,
                      "reject_count": 0},
        "customer": {"email": "aysel@example.az", "name": "Aysel Məmmədova", "phone": "+994501234567"},
        "due": {"acknowledge": day(11, 26), "stage": day(11, 26), "resolve": day(12, 7)},
        "message": "Sample text of the message.", "shortened": False, "reason": "", "new_date": day(12, 10), "planned": False,
        "old_date": day(12, 7), "missed": day(12, 7), "reopened_on": "", "earlier": False,
        "deadline": "resolve", "closes_on": day(12, 14), "held": False,
        "asked": "2026-12-09",
        "after_close": False, "reopen_days": 30,
        "missing": ["phone"], "linked": "", "errors": ["unknown command #frobnicate"],
        "commands_help": "#status <status>", "actor": "agent@shop.example",
        "secret": "K7PQ2-MXA4R", "portal": "https://care.shop.example",
        "remedies": [],
        "events": [{"at": day(11, 23, (10, 15)), "kind": "created", "detail": "new complaint by email"}],
        "files": [{"filename": "receipt.pdf", "content_type": "application/pdf", "size": 48213,
                   "size_label": "47 KB", "attached": True},
                  {"filename": "photo.jpg", "content_type": "image/jpeg", "size": 14680064,
                   "size_label": "14.0 MB", "attached": False}],
    }
