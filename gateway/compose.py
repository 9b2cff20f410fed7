"""Templates -> email.message.EmailMessage with correct headers.

Templates are admin-edited files (templates/mail/{kind}.{lang}.txt|.html, the
.txt's first line is the Subject). Rendering is strict: an undefined variable
is an error, never a blank in a customer's mail. Every header built from
customer input goes through one_line(), so a subject or a name can never
inject a header line.
"""
from __future__ import annotations

import email.policy
import email.utils
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_datetime

from gateway.parse import one_line

LOOP_HEADER = "X-Care-Gateway-Loop"
DATE_FORMAT = "d MMMM y, HH:mm"


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


def format_date(value: datetime | None, lang: str, tz: str) -> str:
    """A due date as the customer reads it: their language, our business time zone."""
    if value is None:
        return ""
    return format_datetime(value, DATE_FORMAT, tzinfo=ZoneInfo(tz), locale=lang)


def build_message(envelope: Envelope, rendered: Rendered) -> EmailMessage:
    """The outgoing mail; every mail we send is marked automatic (RFC 3834) and
    carries our loop header, so no well-behaved responder answers it."""
    msg = EmailMessage(policy=email.policy.SMTP)
    subject = rendered.subject
    if envelope.tracking and envelope.tracking not in subject:
        subject = f"[{envelope.tracking}] {subject}"
    msg["From"] = email.utils.formataddr((one_line(envelope.sender_name), envelope.sender))
    msg["To"] = one_line(envelope.recipient)
    msg["Subject"] = one_line(subject)
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
    msg.set_content(rendered.text)
    if rendered.html:
        msg.add_alternative(rendered.html, subtype="html")
    msg["Content-Language"] = envelope.language  # after the body: set_content drops Content-* headers
    return msg
