"""Raw bytes -> immutable Mail.

Pure: no database, network or clock. Everything later steps need from a
message is decided here once, so no other step re-parses MIME.

mail-parser reads the envelope (addresses, with its forensic handling of
ambiguous From lines and encoded display names; the date; MIME defects). Body
text and attachments come from the same stdlib message tree, because
mail-parser's text falls back to UTF-8 with replacement characters, and mail
in Russian, Turkish and Azerbaijani routinely arrives in a legacy charset that
is declared wrongly or not at all (see charsets.py).

Unprocessable (the pipeline stores the raw bytes anyway and quarantines them
with str(exc) as the reason):
- no usable sender: no From address, and no Sender address to fall back on;
- MIME nested too deeply to walk;
- any failure of the parsing libraries on input we have not met yet; the
  reason starts with "parser error" so it can be retried after a fix.
An odd, wrong or unknown charset, broken base64 or missing boundaries are NOT
unprocessable: the text is decoded as well as possible and Mail.defects says so.
"""
from __future__ import annotations

import dataclasses
import email
import email.errors
import email.header
import email.message
import email.policy
import email.utils
import hashlib
import logging
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property

import mailparser
from mailparser.const import ADDRESSES_HEADERS
from mailparser.utils import get_addresses

from gateway.mail import charsets
from gateway.mail.flowed import unflow
from gateway.mail.htmltext import html_to_text
from gateway.mail.oneline import one_line
from gateway.mail.quotes import split_reply

log = logging.getLogger("gateway.parse")  # a stable name for log filters, whatever the module path


class Unprocessable(Exception):
    """The message cannot become a complaint; str() is the quarantine reason."""


@dataclass(frozen=True)
class Attachment:
    filename: str  # sanitised: no path, no control characters
    content_type: str
    size: int
    sha256: str
    payload: bytes = field(repr=False, compare=False)


@dataclass(frozen=True)
class Mail:
    message_id: str  # without angle brackets; "" when absent
    sender: str  # lower-cased address of From; never empty (else Unprocessable)
    sender_name: str
    subject: str  # decoded, one line (CR/LF/TAB folded to spaces)
    text: str  # the whole body as readable text (HTML converted)
    new_text: str  # what this mail adds: quoted history and signature removed
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    reply_to: str = ""
    date: datetime | None = None
    in_reply_to: tuple[str, ...] = ()  # Message-IDs without brackets
    references: tuple[str, ...] = ()
    signature: str = ""
    html: str = ""
    attachments: tuple[Attachment, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()  # (lower-cased name, decoded value), in order
    content_type: str = "text/plain"
    defects: tuple[str, ...] = ()
    quoted: str = ""  # the quoted history split off text (for display, never acted on)

    def header(self, name: str) -> str:
        """First value of a header, "" when absent."""
        return self._first_values.get(name.lower(), "")

    def header_all(self, name: str) -> tuple[str, ...]:
        name = name.lower()
        return tuple(v for k, v in self.headers if k == name)

    def has_header(self, name: str) -> bool:
        return name.lower() in self._first_values

    @cached_property
    def _first_values(self) -> dict[str, str]:
        """Each header's first value by name: hygiene asks a mail about ~20 headers."""
        return dict(reversed(self.headers))


_MSGID = re.compile(r"<([^<>\s]+)>")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # a raw 8-bit byte the stdlib carried as a surrogate
_BOM = b"\xef\xbb\xbf"
# mail-parser's verdicts on its own decoding, which parse() does not use.
_OWN_DEFECTS = ("CharsetDecodeDefect",)
_HEADER_LINE = re.compile(rb"^(From |[\x21-\x39\x3b-\x7e]+:)")
FILENAME_MAX = 150  # characters; leaves room under NAME_MAX for a hash prefix
_FILENAME_RESERVED = re.compile(r'[<>:"/\\|?*]')


def message_ids(value: str) -> tuple[str, ...]:
    """Message-IDs in a header value, brackets removed, order kept."""
    return tuple(dict.fromkeys(_MSGID.findall(value or "")))


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def parse(raw: bytes, languages: tuple[str, ...] = charsets.DEFAULT_LANGUAGES) -> Mail:
    """Parse raw RFC 5322 bytes; raises only Unprocessable (see module docstring)."""
    try:
        return _parse(bytes(raw), languages)
    except Unprocessable:
        raise
    except RecursionError as exc:
        raise Unprocessable("MIME structure nested too deeply") from exc
    except Exception as exc:  # quarantine and retry after a fix beats a crashed daemon
        log.exception("parser error")
        raise Unprocessable(f"parser error: {type(exc).__name__}: {exc}") from exc


def _parse(raw: bytes, languages: tuple[str, ...]) -> Mail:
    msg, repaired = _message(raw.removeprefix(_BOM))
    envelope = _Envelope.read(msg, languages)
    if repaired:
        envelope.defects.append("header block repaired: continuation line without indentation")
    if not envelope.sender and _is_delivery_report(msg):
        envelope = dataclasses.replace(envelope, sender=NULL_SENDER)  # a DSN must still reach bounce matching
        envelope.defects.append("delivery report without From: sender taken as the null sender")
    if not envelope.sender:
        raise Unprocessable("no usable From address")
    body = _Body(languages)
    body.collect(msg)
    text = body.text()
    new_text, quoted, signature = split_reply(text)
    raw_headers = tuple((k.lower(), v) for k, v in msg.raw_items())
    headers = tuple((k, one_line(decode_header(v, languages))) for k, v in raw_headers)
    first = dict(reversed(headers))
    return Mail(
        message_id=_message_id(first.get("message-id", "")),
        sender=envelope.sender,
        sender_name=envelope.sender_name,
        subject=first.get("subject", ""),
        text=text,
        new_text=new_text,
        quoted=quoted,
        signature=signature,
        to=envelope.to,
        cc=envelope.cc,
        reply_to=envelope.reply_to,
        date=envelope.date,
        in_reply_to=message_ids(first.get("in-reply-to", "")),
        references=message_ids(first.get("references", "")),
        html=body.html[0] if body.html else "",
        attachments=tuple(body.attachments),
        headers=headers,
        content_type=msg.get_content_type(),
        defects=tuple(dict.fromkeys(envelope.defects + body.notes)),
    )


NULL_SENDER = "mailer-daemon@invalid"


def _is_delivery_report(msg: email.message.Message) -> bool:
    """RFC 3464 reports and null-sender mail are bounces even when From is missing."""
    if msg.get_content_type() == "multipart/report":
        return True
    return_path = msg.get("Return-Path")
    return return_path is not None and str(return_path).strip() == "<>"


def _message(raw: bytes) -> tuple[email.message.Message, bool]:
    """The stdlib message tree; a header block broken by an unindented line is mended.

    Real MTAs and scripts write folded Received or Subject lines without the
    leading space; the stdlib then ends the header block there and the From
    line below it is lost, so a readable mail would be quarantined.
    """
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    if not any(isinstance(d, email.errors.MissingHeaderBodySeparatorDefect) for d in msg.defects):
        return msg, False
    match = re.search(rb"\r?\n\r?\n", raw)
    head, rest = (raw[: match.start()], raw[match.start():]) if match else (raw, b"")
    lines = head.splitlines(keepends=True)
    last = max((i for i, line in enumerate(lines) if _HEADER_LINE.match(line)), default=-1)
    mended = [line if i > last or _HEADER_LINE.match(line) or line[:1] in b" \t" else b" " + line
              for i, line in enumerate(lines[: last + 1])]
    tail = lines[last + 1:]
    fixed = b"".join(mended) + (b"\n" + b"".join(tail) if tail else b"") + rest
    return email.message_from_bytes(fixed, policy=email.policy.compat32), True


def _message_id(value: str) -> str:
    ids = message_ids(value)
    if ids:
        return ids[0]
    bare = value.strip()
    return bare if "@" in bare and " " not in bare else ""


# --- headers -----------------------------------------------------------------

def decode_header(value: str, languages: tuple[str, ...] = charsets.DEFAULT_LANGUAGES) -> str:
    """RFC 2047 words and raw 8-bit bytes (any charset) -> text, never raises."""
    text = clean_text(str(value), languages)
    if "=?" not in text:  # most header values hold no encoded word at all
        return text
    parts: list[str] = []
    end = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[end:match.start()]
        if not (parts and end and gap.isspace()):  # space between encoded words is folding
            parts.append(gap)
        parts.append(_decode_word(match.group(0), languages))
        end = match.end()
    parts.append(text[end:])
    return "".join(parts)


def _decode_word(word: str, languages: tuple[str, ...]) -> str:
    try:
        [(data, charset)] = email.header.decode_header(word)
    except (ValueError, email.errors.HeaderParseError):
        return word
    if isinstance(data, str):
        return data
    declared = (charset or "").split("*", 1)[0]  # RFC 2231 language suffix: utf-8*sl
    return charsets.decode(data, declared, languages).text


def clean_text(value: str, languages: tuple[str, ...] = charsets.DEFAULT_LANGUAGES) -> str:
    """Undo surrogate-escaped raw bytes (8-bit headers) by decoding them properly."""
    if not _ESCAPED_BYTE.search(value):
        return value
    return charsets.decode(value.encode("utf-8", "surrogateescape"), None, languages).text


@dataclass(frozen=True)
class _Envelope:
    sender: str
    sender_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: str
    date: datetime | None
    defects: list[str]

    @classmethod
    def read(cls, msg: email.message.Message, languages: tuple[str, ...]) -> _Envelope:
        defects: list[str] = []
        analysis: _Analysis | None
        try:
            analysis = _Analysis(msg)
            defects += [f"{ctype}: {text}" for group in analysis.defects
                        for ctype, texts in group.items() for text in texts
                        if not text.startswith(_OWN_DEFECTS)]
            date = analysis.date
        except Exception as exc:  # a library bug must not lose the mail; stdlib suffices
            analysis = None
            defects.append(f"mail-parser failed ({type(exc).__name__}); stdlib used")
            defects += [f"{p.get_content_type()}: {type(d).__name__}" for p in msg.walk() for d in p.defects]
            date = _stdlib_date(msg.get("Date", ""))
        senders = _addresses(msg, "From", analysis, languages)
        if not senders:
            senders = _addresses(msg, "Sender", analysis, languages)
            if senders:
                defects.append("no usable From address; Sender used")
        if not senders:
            senders = _salvaged(msg, "From", languages)
            if senders:
                defects.append(f"From header unreadable; first of {len(senders)} address(es) in it used")
        name, sender = senders[0] if senders else ("", "")
        return cls(sender=sender, sender_name=one_line(name),
                   to=tuple(a for _, a in _addresses(msg, "To", analysis, languages, names=False)),
                   cc=tuple(a for _, a in _addresses(msg, "Cc", analysis, languages, names=False)),
                   reply_to=next((a for _, a in _addresses(msg, "Reply-To", analysis, languages, names=False)), ""),
                   date=_aware(date), defects=defects)


class _Analysis(mailparser.MailParser):
    """mail-parser's forensic reading: defects, the date, the address headers.

    MailParser also renders every header twice (its `mail` and `mail_partial`
    dicts) and decodes every body part; parse() reads neither (headers come
    from raw_items, body text from _Body, and the charset verdicts it would add
    are _OWN_DEFECTS), and those two steps were half of mail-parser's cost.
    Should a release rename these hooks, they are simply not called: slower,
    same result.
    """

    def _make_mail(self, complete: bool = True) -> dict:
        return {}

    def _decode_body_payload(self, part: email.message.Message, charset: str, part_index: int) -> str:
        return ""


_ADDRESS = re.compile(r"(?<![^@\s])[^@\s]++@[^@\s]++")
# Starts only where a token starts (the lookbehind), and each run is read once (possessive):
# a header of 1 MB without an "@" costs one pass, not one per character.
_ADDRESS_TOKEN = re.compile(r"(?<![^\s<>()\[\],;:\"'@])[^\s<>()\[\],;:\"'@]++@[^\s<>()\[\],;:\"'@]+\.[^\s<>()\[\],;:\"'@.]++")


def _addresses(msg: email.message.Message, name: str, analysis: _Analysis | None,
               languages: tuple[str, ...], names: bool = True) -> list[tuple[str, str]]:
    """(display name, lower-cased address) of the header's first occurrence, usable ones only.

    mail-parser has already read the address headers it knows (From, To, Cc,
    Reply-To) with the same get_addresses call; its answer is reused when the
    raw value is plain text (an 8-bit value reaches it as a Header object, which
    it reads differently from str(value)). It blanks a display name equal to
    the address, so a blank name is read again when the caller needs names.
    """
    values = msg.get_all(name, [])[:1]
    if not values:
        return []
    value = values[0]
    found: list[tuple[str, str]] | None = None
    if analysis is not None and isinstance(value, str) and name.lower() in ADDRESSES_HEADERS:
        found = getattr(analysis, name.lower().replace("-", "_"))
        if names and any(not n for n, _ in found):
            found = None
    if found is None:
        found = get_addresses(str(value), decode_names=True)
    pairs = [(clean_text(n, languages), a.strip().lower()) for n, a in found]
    return [(n, a) for n, a in pairs if _ADDRESS.fullmatch(a)]


def _salvaged(msg: email.message.Message, name: str, languages: tuple[str, ...]) -> list[tuple[str, str]]:
    """The addresses in a header no address parser could read, such as two mailboxes without
    a comma ("a@x.example b@y.example") or a second address after the first's angle
    brackets. Better to answer the first than to quarantine a person's mail for good:
    retrying it later would meet the same header."""
    values = msg.get_all(name, [])[:1]
    if not values:
        return []
    value = clean_text(str(values[0]), languages)
    found = [(n, a.strip().lower()) for n, a in email.utils.getaddresses([value])]
    usable = [(one_line(n), a) for n, a in found if _ADDRESS.fullmatch(a) and "." in a.rpartition("@")[2]]
    return usable or [("", a.lower()) for a in _ADDRESS_TOKEN.findall(value)]


def _stdlib_date(value: str) -> datetime | None:
    try:
        return email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


# --- body and attachments ----------------------------------------------------

class _Body:
    """Walks the MIME tree once, sorting leaves into text, HTML and attachments.

    message/* parts (forwarded mail, bounced originals, DSN fields) are kept
    whole as attachments and never walked into: their text is not this
    sender's text, and hygiene.bounce_report reads them from the raw bytes.
    """

    def __init__(self, languages: tuple[str, ...]) -> None:
        self.languages = languages
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Attachment] = []
        self.notes: list[str] = []

    def collect(self, part: email.message.Message) -> None:
        if part.get_content_maintype() == "message":
            self._attach(part, _message_bytes(part))
        elif part.is_multipart():
            for child in part.get_payload():
                if isinstance(child, email.message.Message):
                    self.collect(child)
        elif self._is_body_text(part):
            self._add_text(part)
        else:
            self._attach(part, part.get_payload(decode=True) or b"")

    def text(self) -> str:
        """The plain text the author wrote; converted HTML when that is all there is."""
        plain = "\n\n".join(t.strip("\n") for t in self.plain if t.strip())
        if plain:
            return plain
        return "\n\n".join(html_to_text(h) for h in self.html if h.strip())

    def _is_body_text(self, part: email.message.Message) -> bool:
        disposition = part.get_content_disposition()
        return (part.get_content_type() in ("text/plain", "text/html")
                and disposition != "attachment"
                and not (part.get_filename() and disposition != "inline"))

    def _add_text(self, part: email.message.Message) -> None:
        payload = part.get_payload(decode=True) or b""
        declared = _param(part, "charset")
        decoded = charsets.decode(payload, declared, self.languages)
        if decoded.note:
            self.notes.append(f"{part.get_content_type()}: {decoded.note}")
        text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
        if part.get_content_subtype() == "plain" and (_param(part, "format") or "").lower() == "flowed":
            text = unflow(text, delsp=(_param(part, "delsp") or "").lower() == "yes")
        (self.html if part.get_content_subtype() == "html" else self.plain).append(text)

    def _attach(self, part: email.message.Message, payload: bytes) -> None:
        content_type = part.get_content_type()
        fallback = f"part{len(self.attachments) + 1}{_extension(content_type)}"
        _mend_8bit_params(part, self.languages)
        raw_name = part.get_filename() or ""
        name = safe_filename(decode_header(str(raw_name), self.languages), fallback)
        self.attachments.append(Attachment(filename=name, content_type=content_type,
                                           size=len(payload), sha256=sha256(payload),
                                           payload=payload))


def _mend_8bit_params(part: email.message.Message, languages: tuple[str, ...]) -> None:
    """Decode raw 8-bit parameter headers in place (the tree is ours, built per call).

    compat32 hands such values out with U+FFFD in place of every byte, so a
    raw UTF-8 or koi8-r filename would otherwise be lost.
    """
    for name, value in part.raw_items():
        if name.lower() in ("content-type", "content-disposition") and value != clean_text(value):
            part.replace_header(name, clean_text(value, languages))


def _param(part: email.message.Message, name: str) -> str | None:
    value = part.get_param(name)
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = email.utils.collapse_rfc2231_value(value)
    return str(value) if value else None


def _message_bytes(part: email.message.Message) -> bytes:
    """The enclosed message(s) as bytes, however broken their headers are."""
    inner = part.get_payload()
    blocks = inner if isinstance(inner, list) else [inner]
    out: list[bytes] = []
    for block in blocks:
        if isinstance(block, email.message.Message):
            try:
                out.append(block.as_bytes(policy=email.policy.compat32))
            except (UnicodeError, LookupError, ValueError, TypeError):
                out.append(block.as_string().encode("utf-8", "surrogateescape"))
        else:
            out.append(str(block).encode("utf-8", "surrogateescape"))
    return b"\n".join(out)


def _extension(content_type: str) -> str:
    if content_type.startswith("message/"):
        return ".eml" if content_type in ("message/rfc822", "message/global") else ".txt"
    return mimetypes.guess_extension(content_type, strict=False) or ".bin"


def safe_filename(name: str, fallback: str = "attachment.bin") -> str:
    """A name safe to show and to store: no directories, controls or hidden dots.

    Format characters are dropped too: a right-to-left override can make
    "invoice\u202etxt.exe" display as "invoiceexe.txt".
    """
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _FILENAME_RESERVED.sub("_", name).strip(" .")
    if not name:
        return fallback
    if len(name) <= FILENAME_MAX:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 16:
        return name[:FILENAME_MAX]
    return stem[: FILENAME_MAX - len(ext) - 1] + "." + ext
