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

import binascii
import dataclasses
import email
import email.errors
import email.header
import email.message
import email.parser
import email.policy
import email.utils
import hashlib
import itertools
import logging
import mimetypes
import quopri
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property

import mailparser
from mailparser.const import ADDRESSES_HEADERS
from mailparser.utils import get_addresses

from gateway.mail import charsets, mimesplit
from gateway.mail.filenames import safe_filename
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
    shortened: bool = False  # the body's text was over TEXT_MAX: only its start was read (the archive keeps all)

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
MAX_PARTS = 500  # MIME parts of one mail read (text, attachments); no person's mail has that many
# Bytes of body text (text and HTML parts together, after transfer decoding) read from one mail.
# A person's own words are never near it (a long book is 1 MB); past it every step after parse
# (quotes, storing, the staff notice) would work on megabytes for nobody: an 18 MB body cost
# 350 MB and seconds. The text is cut at a space or line end below it and Mail.shortened says
# so; the raw mail in the archive keeps every byte.
TEXT_MAX = 1024 * 1024


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
    msg, repaired, payloads = _message(raw.removeprefix(_BOM))
    envelope = _Envelope.read(msg, languages)
    if repaired:
        envelope.defects.append("header block repaired: continuation line without indentation")
    if not envelope.sender and _is_delivery_report(msg):
        envelope = dataclasses.replace(envelope, sender=NULL_SENDER)  # a DSN must still reach bounce matching
        envelope.defects.append("delivery report without From: sender taken as the null sender")
    if not envelope.sender:
        raise Unprocessable("no usable From address")
    body = _Body(languages, payloads)
    body.collect(msg)
    del payloads
    if body.seen > MAX_PARTS:
        body.notes.append(f"more than {MAX_PARTS} MIME parts: only the first {MAX_PARTS} read")
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
        shortened=body.shortened,
    )


NULL_SENDER = "mailer-daemon@invalid"


def _is_delivery_report(msg: email.message.Message) -> bool:
    """RFC 3464 reports and null-sender mail are bounces even when From is missing."""
    if msg.get_content_type() == "multipart/report":
        return True
    return_path = msg.get("Return-Path")
    return return_path is not None and str(return_path).strip() == "<>"


def _message(raw: bytes) -> tuple[email.message.Message, bool, dict[int, bytes]]:
    """The stdlib message tree; a header block broken by an unindented line is mended.
    The third value: the decoded payloads of the leaves whose bodies were read without the
    stdlib's line-by-line parser (_single_part, _hollowed), by id() of the part.

    Real MTAs and scripts write folded Received or Subject lines without the
    leading space; the stdlib then ends the header block there and the From
    line below it is lost, so a readable mail would be quarantined.
    """
    single = _single_part(raw)
    if single is not None:
        msg, payload = single
        return msg, False, {id(msg): payload} if payload is not None else {}
    raw = _first_parts(raw)
    hollowed = _hollowed(raw)
    if hollowed is not None:
        return hollowed[0], False, hollowed[1]
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    if not any(isinstance(d, email.errors.MissingHeaderBodySeparatorDefect) for d in msg.defects):
        return msg, False, {}
    match = re.search(rb"\r?\n\r?\n", raw)
    head, rest = (raw[: match.start()], raw[match.start():]) if match else (raw, b"")
    lines = head.splitlines(keepends=True)
    last = max((i for i, line in enumerate(lines) if _HEADER_LINE.match(line)), default=-1)
    mended = [line if i > last or _HEADER_LINE.match(line) or line[:1] in b" \t" else b" " + line
              for i, line in enumerate(lines[: last + 1])]
    tail = lines[last + 1:]
    fixed = b"".join(mended) + (b"\n" + b"".join(tail) if tail else b"") + rest
    return email.message_from_bytes(fixed, policy=email.policy.compat32), True, {}


def _hollowed(raw: bytes) -> tuple[email.message.Message, dict[int, bytes]] | None:
    """A multipart mail parsed with its big leaf bodies taken out (mail/mimesplit.py), each
    decoded like a single part's; None (the stdlib reads all of it) unless the stdlib met
    every taken-out body's marker exactly once, as a leaf's whole payload."""
    found = mimesplit.hollow(raw)
    if found is None:
        return None
    msg = email.message_from_bytes(found.raw, policy=email.policy.compat32)
    if any(isinstance(d, email.errors.MissingHeaderBodySeparatorDefect) for d in msg.defects):
        return None
    payloads: dict[int, bytes] = {}
    met: set[str] = set()
    for part in msg.walk():
        value = part.get_payload()
        if not isinstance(value, str) or value not in found.bodies or value in met:
            continue
        body = found.bodies[value]
        met.add(value)
        decoded = _leaf_payload(part, memoryview(body))
        if decoded is not None:
            payloads[id(part)] = decoded
    return (msg, payloads) if len(met) == len(found.bodies) else None


_BOUNDARY_PARAM = re.compile(rb'boundary[ \t]*+=[ \t]*+"?+([^"\s;]{1,200}+)', re.IGNORECASE)
MAX_BOUNDARIES = 100  # distinct boundary parameters looked for by _first_parts
MAX_DELIMITERS = 2 * MAX_PARTS + 2  # opening and closing delimiter lines of MAX_PARTS parts


MAX_BOUNDARY_WORDS = 10_000  # occurrences of the word "boundary" looked at by _boundaries


def _boundaries(raw: bytes) -> set[bytes]:
    """The boundary parameters in the mail (MAX_BOUNDARIES at most). The word is found with
    bytes.find in a lower-cased copy and the pattern tried only there: run over every
    position of 25 MB, even this linear pattern took half a second."""
    lowered = raw.lower()
    found: set[bytes] = set()
    at = lowered.find(b"boundary")
    for _ in range(MAX_BOUNDARY_WORDS):
        if at < 0 or len(found) >= MAX_BOUNDARIES:
            break
        match = _BOUNDARY_PARAM.match(raw, at)
        if match:
            found.add(match.group(1))
        at = lowered.find(b"boundary", at + 8)
    return found


def _first_parts(raw: bytes) -> bytes:
    """The mail up to the delimiter line after which no part would be read (MAX_PARTS).

    The stdlib builds every part of a multipart mail, line by line, before anything
    can skip one: 20,000 parts cost seconds. A boundary's delimiters are found with
    bytes.count/find (C speed); past MAX_DELIMITERS of them the mail is cut at the
    next one, and the parser meets a multipart whose last part is unclosed (a
    defect, nothing more). Text lines never start with a boundary of an enclosing
    multipart (that line would end the part), so only delimiters are counted.
    The archived raw mail is never cut."""
    boundaries = _boundaries(raw)
    marks = [b"\n--" + boundary for boundary in boundaries]
    if sum(raw.count(mark) for mark in marks) <= MAX_DELIMITERS:
        return raw
    found: list[int] = []
    for mark in marks:
        at = -1
        for _ in range(MAX_DELIMITERS + 1):
            at = raw.find(mark, at + 1)
            if at < 0:
                break
            found.append(at)
    return raw[: sorted(found)[MAX_DELIMITERS]]


_HEAD_END = re.compile(rb"\r?\n\r?\n")
_DECODED_CTES = frozenset({"quoted-printable", "base64", "x-uuencode", "uuencode", "uue", "x-uue"})


def _single_part(raw: bytes) -> tuple[email.message.Message, bytes | None] | None:
    """A mail that is not multipart, read without the stdlib's line-by-line body parser.

    The feed parser splits a body into lines and joins them again, and holds it
    as a str with a surrogate per 8-bit byte; get_payload then turns it back
    into bytes, splits base64 into lines and joins them again: for an 18 MB text
    that was seconds and hundreds of MB for nothing, since a single part's
    payload is simply the bytes after the header block. Only the header block
    goes through the stdlib (the same parser, so the same headers and defects);
    the body's bytes are decoded as get_payload(decode=True) would decode them
    (uuencode and base64 with bad padding are left to it: set as the payload).
    None (the full parser decides) for multipart and message/* mail, a header
    block the stdlib ends early (a line that is no header: see _message), a
    mail that opens with a blank line, or bare CR line ends.
    """
    match = _HEAD_END.search(raw)
    if match is None or raw[:1] in (b"\n", b"\r"):
        return None
    head = raw[: match.start()]
    if head.count(b"\r") != head.count(b"\r\n"):
        return None
    msg = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(head + b"\n")
    if msg.get_content_maintype() in ("multipart", "message") or msg.is_multipart() \
            or any(isinstance(d, email.errors.MissingHeaderBodySeparatorDefect) for d in msg.defects):
        return None
    return msg, _leaf_payload(msg, memoryview(raw)[match.end():])


def _leaf_payload(msg: email.message.Message, body: memoryview) -> bytes | None:
    """A leaf's body bytes decoded as get_payload(decode=True) would decode them (a long body
    text only at its start, see _text_start); None after setting them as the payload, for
    get_payload to decode (uuencode, base64 with bad padding)."""
    msg.set_payload("")
    cte = str(msg.get("content-transfer-encoding", "")).lower()
    if _is_body_text(msg):
        start = _text_start(body, cte)
        if start is not None:
            return start
    if cte == "base64":
        try:  # lenient like get_payload's: line breaks and stray characters skipped, in one pass
            return binascii.a2b_base64(body)
        except binascii.Error:
            pass  # bad padding: get_payload pads it and records the defect
    elif cte == "quoted-printable":
        return quopri.decodestring(bytes(body))  # what get_payload does with these bytes
    elif cte not in _DECODED_CTES:
        return bytes(body)
    msg.set_payload(bytes(body).decode("ascii", "surrogateescape"))
    return None


_BASE64_SPACE = b" \t\r\n"
_WINDOW_SLACK = 64 * 1024  # encoded bytes read past the estimate (line breaks, soft breaks)


def _text_start(body: memoryview, cte: str) -> bytes | None:
    """The first bytes of a long text body, decoded: more than TEXT_MAX of them, so _Body
    cuts it and marks the mail shortened, without decoding megabytes it will not read.
    None when the body is short (decoded whole as before) or its start does not decode
    cleanly (broken base64: the whole body is decoded, leniently, as before)."""
    encoded = {"base64": TEXT_MAX * 4 // 3, "quoted-printable": TEXT_MAX * 3}.get(cte, TEXT_MAX) + _WINDOW_SLACK
    if len(body) <= encoded:
        return None
    window = bytes(body[:encoded])
    if cte == "base64":
        clean = window.translate(None, _BASE64_SPACE)
        try:
            decoded = binascii.a2b_base64(clean[: len(clean) // 4 * 4])
        except binascii.Error:
            return None
    elif cte == "quoted-printable":
        decoded = quopri.decodestring(window[: window.rfind(b"\n") + 1] or window)
    elif cte in _DECODED_CTES:
        return None
    else:
        decoded = window
    return decoded if len(decoded) > TEXT_MAX else None


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
        defects: list[str] = _cap_address_headers(msg)
        analysis: _Analysis | None
        try:
            analysis = _Analysis(_analysed_headers(msg))
            defects += [f"{ctype}: {text}" for group in analysis.defects
                        for ctype, texts in group.items() for text in texts
                        if not text.startswith(_OWN_DEFECTS)]
            date = analysis.date
        except Exception as exc:  # a library bug must not lose the mail; stdlib suffices
            analysis = None
            defects.append(f"mail-parser failed ({type(exc).__name__}); stdlib used")
            date = _stdlib_date(msg.get("Date", ""))
        defects += [f"{part.get_content_type()}: {type(d).__name__}: {d.__doc__}"
                    for part in itertools.islice(msg.walk(), MAX_PARTS) for d in part.defects]
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


ADDRESS_HEADER_MAX = 32 * 1024  # characters of an address header parsed (To/Cc of ~1,500 addresses)
NAME_KEEP = 1000  # characters of an overlong display name kept before its address
_MAILBOX_HEADERS = frozenset({"from", "sender", "reply-to"})  # one mailbox each: the address ends them
_ANALYSED = frozenset(ADDRESSES_HEADERS) | {"sender", "date", "resent-date"}
_NAME_SPECIALS = str.maketrans("", "", '"\\()<>,;:@[]')


def _cap_address_headers(msg: email.message.Message) -> list[str]:
    """Overlong address headers cut before any parser reads them (a 1 MB display name cost
    mail-parser and the stdlib seconds); each header's first occurrence, the one parse()
    reads, is replaced. A mailbox header keeps its address and the start of its name; a
    list keeps its whole addresses up to the cap. Returns the defects noting the cuts."""
    notes = []
    seen: set[str] = set()
    for name, value in msg.raw_items():
        key = name.lower()
        if key in _ANALYSED and key not in seen and isinstance(value, str) and len(value) > ADDRESS_HEADER_MAX:
            msg.replace_header(name, _capped(key, value))
            notes.append(f"{name} header of {len(value)} characters cut to its first {ADDRESS_HEADER_MAX}")
        seen.add(key)
    return notes


def _capped(name: str, value: str) -> str:
    if len(value) <= ADDRESS_HEADER_MAX:
        return value
    angle = value.rfind("<")
    if name in _MAILBOX_HEADERS and angle > len(value) - NAME_KEEP and value.find(">", angle) > 0:
        words = value[:min(angle, NAME_KEEP)].translate(_NAME_SPECIALS).split()[:-1]  # the last may be cut
        return " ".join(words) + " " + value[angle:].strip()
    head = value[:ADDRESS_HEADER_MAX]
    comma = head.rfind(",")
    return head[:comma] if comma > 0 else head


def _analysed_headers(msg: email.message.Message) -> email.message.Message:
    """The headers mail-parser reads for parse() (addresses, dates), each capped: it also
    parses every Received header and every occurrence of an address header, none of
    which parse() uses, and 10,000 Received headers cost it most of a second."""
    headers = email.message.Message(policy=email.policy.compat32)
    for name, value in msg.raw_items():
        if name.lower() in _ANALYSED:
            headers[name] = _capped(name.lower(), value) if isinstance(value, str) else value
    return headers


class _Analysis(mailparser.MailParser):
    """mail-parser's forensic reading: defects, the date, the address headers.

    MailParser also renders every header twice (its `mail` and `mail_partial`
    dicts) and decodes every body part; parse() reads neither (headers come
    from raw_items, body text from _Body, and the charset verdicts it would add
    are _OWN_DEFECTS), and those two steps were half of mail-parser's cost.
    Should a release rename these hooks, they are simply not called: slower,
    same result.
    """

    def parse(self) -> _Analysis:
        """Only the header readings (_reset: addresses, dates, Received). MailParser.parse
        then walks every part to decode its text and re-encode each attachment to base64,
        which parse() does not use and which made mail of 20,000 parts cost seconds; the
        parts' defects are read by _part_defects instead."""
        self._reset()
        return self

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

    def __init__(self, languages: tuple[str, ...], payloads: dict[int, bytes] | None = None) -> None:
        self.languages = languages
        self.payloads = payloads or {}  # decoded bodies read beside the stdlib (_message), by id() of the part
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Attachment] = []
        self.notes: list[str] = []
        self.seen = 0  # parts met, read or not
        self.budget = TEXT_MAX  # bytes of body text still to be read (see TEXT_MAX)
        self.shortened = False

    def collect(self, part: email.message.Message) -> None:
        """Sort `part` and its children. Past MAX_PARTS parts the rest are counted, not
        read (a defect says so)."""
        self.seen += 1
        if self.seen > MAX_PARTS:
            return
        payload = self.payloads.get(id(part))
        if part.get_content_maintype() == "message":
            self._attach(part, _message_bytes(part))
        elif part.is_multipart():
            for child in part.get_payload():
                if isinstance(child, email.message.Message):
                    self.collect(child)
        elif _is_body_text(part):
            self._add_text(part, payload)
        else:
            self._attach(part, payload_bytes(part) if payload is None else payload)

    def text(self) -> str:
        """The plain text the author wrote; converted HTML when that is all there is."""
        plain = "\n\n".join(t.strip("\n") for t in self.plain if t.strip())
        if plain:
            return plain
        return "\n\n".join(html_to_text(h) for h in self.html if h.strip())

    def _add_text(self, part: email.message.Message, payload: bytes | None = None) -> None:
        if payload is None:
            payload = payload_bytes(part)
        if len(payload) > self.budget:
            payload = cut_text(payload, self.budget)
            self.shortened = True
            self.notes.append(f"{part.get_content_type()}: body text over {TEXT_MAX} bytes: only its start read "
                              "(the archived mail is whole)")
        self.budget -= len(payload)
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


def _is_body_text(part: email.message.Message) -> bool:
    """A text the author wrote (not a text file attached)."""
    disposition = part.get_content_disposition()
    return (part.get_content_type() in ("text/plain", "text/html")
            and disposition != "attachment"
            and not (part.get_filename() and disposition != "inline"))


_CUT_LOOKBACK = 4096  # bytes searched back from the cap for a place to cut


def cut_text(data: bytes, limit: int) -> bytes:
    """At most `limit` bytes of encoded text, cut after a line end or a space when one is near
    the cap: those are single ASCII bytes in every charset mail uses (never inside a UTF-8 or a
    double-byte character), so the start still decodes as the charset it was written in; in one
    endless word, it is cut before a character."""
    head = data[:limit]
    for mark in (b"\n", b" "):
        at = head.rfind(mark, max(0, limit - _CUT_LOOKBACK))
        if at >= 0:
            return head[: at + 1]
    return head[: _character_start(data, len(head))]


def _character_start(data: bytes, at: int) -> int:
    """`at`, moved back (three bytes at most) off UTF-8 continuation bytes: a cut there never
    splits a UTF-8 character, and costs a single-byte charset at most three letters."""
    for _ in range(3):
        if at <= 0 or at >= len(data) or not 0x80 <= data[at] < 0xC0:
            break
        at -= 1
    return at


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


def payload_bytes(part: email.message.Message) -> bytes:
    """A leaf part's body, transfer-decoded; b"" when it has none. The stubs type
    get_payload(decode=True) as any payload; on a leaf it is bytes, else None."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


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
