"""Is this mail automatic? And if it is a bounce, what did it bounce?

A gateway that answers mail is one header away from a mail loop with an
out-of-office responder, another helpdesk or a bounce. Every signal of RFC 3834
and of real-world responders that ignore it is a row in RULES; the first
matching row decides the kind, so the more specific kinds come first (a DSN
also says Auto-Submitted: auto-replied, but must be handled as a bounce).
Pure: Mail (and raw bytes) in, frozen verdicts out.
"""
from __future__ import annotations

import email
import email.message
import email.policy
import re
from dataclasses import dataclass
from typing import Callable

from gateway.mail import autoreply
from gateway.mail.oneline import one_line
from gateway.mail.parse import Mail, message_ids, payload_bytes

KINDS = ("", "autoreply", "bounce", "list", "bulk", "loop", "self")


@dataclass(frozen=True)
class Verdict:
    automatic: bool
    kind: str  # one of KINDS; "" for mail a human wrote
    reason: str
    # Out-of-office evidence in the text (or a subject label with such a text) and nothing
    # else: a person's words can read like that ("I am on vacation until 10 December, but I do
    # not accept this answer"), so the mail stays a person's (automatic=False). A new mail is a
    # complaint as usual; on a complaint's thread decide only holds back OUR automatic answer.
    away: bool = False


@dataclass(frozen=True)
class Bounce:
    """What a delivery report says, read per recipient (RFC 3464 Action). Only `failed`
    means the mail did not arrive; `delayed`, `relayed`, `delivered` and `expanded` do not.
    It says nothing yet about whether the mail was ours: see gateway.mail.bounces."""

    original_message_ids: tuple[str, ...]  # the Message-IDs of the mail it reports on
    recipients: tuple[str, ...]  # every address it reports on
    failed: tuple[str, ...]  # the addresses delivery failed to for good (final and original recipient)
    permanent: bool  # it reports a failure (a recipient's Action: failed, or a plain-text permanent error)
    diagnostic: str  # one line, for staff


@dataclass(frozen=True)
class _Context:
    mail: Mail
    own_addresses: frozenset[str]
    loop_header: str
    subject: str  # the mail's subject folded (see _fold), once for every subject rule


_fold = autoreply.fold


def _phrases(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# Subjects of responders that send no RFC 3834 headers (folded, see _fold). A responder's
# subject opens with its label and then a colon, a dash, the quoted subject or nothing;
# the same words inside a sentence ("I was out of the office when the parcel came",
# "Vacation package cancelled") are a person writing.
AUTOREPLY_LABELS = (
    r"out of (the )?office", r"out-of-office", r"automatic (reply|response)",
    r"auto[- ]?(reply|response|responder|antwort)", r"vacation (reply|response|notice|message)", r"vacation",
    r"away from (the |my )?office",
    r"автоответ", r"автоматический ответ", r"вне офиса", r"автовідповідь", r"автоматична відповідь",
    r"otomatik (yan[ıi]t|cevap)", r"ofis d[ıi]ş[ıi]nday[ıi]m", r"ofis d[ıi]ş[ıi]nda", r"işyerinde değil",
    r"avtomatik cavab", r"ofisdən kənarda", r"ofisdə deyiləm", r"işdə deyiləm",
    r"abwesenheitsnotiz", r"automatische antwort", r"automatyczna odpowiedź", r"réponse automatique",
    r"respuesta automática", r"risposta automatica", r"automatisch antwoord",
)
AUTOREPLY_SUBJECTS = re.compile(
    r"^[\[(]?(?:" + "|".join(f"(?:{p})" for p in AUTOREPLY_LABELS) + r")[\])]?[ \t]*(?:$|[:\-–—(\[])")
BOUNCE_SUBJECTS = _phrases(
    r"undeliver(ed|able)", r"delivery status notification", r"mail delivery (failed|failure|system)",
    r"delivery (has )?failed", r"returned mail", r"failure notice", r"could not be delivered",
    r"delivery failure", r"non[- ]?delivery", r"^delayed mail", r"mail system error",
    r"недоставленное сообщение", r"не доставлено", r"не может быть доставлено", r"не вдалося доставити",
    r"iletilemedi", r"teslim edilemedi", r"ulaştırılamadı", r"çatdırılmadı", r"çatdırıla bilmədi",
    r"unzustellbar", r"non recapitabile", r"non remis",
)
# Outlook read receipts sent as TNEF or reports: subject prefix plus a machine format.
READ_RECEIPT_SUBJECTS = _phrases(r"^(read|not read|прочитано|не прочитано|okundu|okunmadı|oxundu):")
RECEIPT_TYPES = frozenset({"application/ms-tnef", "multipart/report"})
# Senders that cannot read an answer: an acknowledgement to them is noise at best.
NOREPLY_LOCALPART = re.compile(r"^(no-?reply|do-?not-?reply|donotreply|noreply-[\w.-]*|bounces?(\+.*)?|notifications?)$")
# Role accounts that send newsletters and campaigns, not complaints.
BULK_LOCALPART = re.compile(r"^(news(letters?)?|welcome|marketing|promo(tions?)?|digest|mailer|campaigns?|"
                            r"updates?|alerts?|info-?mail|subscriptions?)$")
# A Mailman-style list tag ("[xdebug-general]") opening the subject, after any reply prefixes.
# Each space between prefixes belongs to exactly one quantifier, and every quantifier is
# possessive: a chain of 30 "Re: " (Outlook threads carry them) is read once, never re-split.
LIST_TAG_SUBJECT = re.compile(r"^\s*+(?:(?:re|aw|fwd?|ynt|cavab|ответ|отв)\s*+:\s*+)*+"
                              r"\[([a-z][a-z0-9]*+[._-][a-z0-9._-]++)\]", re.IGNORECASE)
SUBJECT_SCAN = 2000  # characters of a subject the rules read: every signal sits at its start
NULL_ENVELOPE_LOCALPARTS = frozenset({"mailer-daemon", "mail-daemon", "maildaemon", "mailerdaemon"})
DAEMON_LOCALPARTS = NULL_ENVELOPE_LOCALPARTS | {"postmaster"}
AUTOREPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder", "x-mail-autoreply", "x-vacation")
LIST_HEADERS = ("list-id", "list-unsubscribe", "list-post", "x-mailing-list", "mailing-list", "x-mailman-version")
DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
# A returned original's headers: only delivery software attaches these (a person attaches whole mails).
RETURNED_TYPES = frozenset({"text/rfc822-headers", "message/rfc822-headers", "message/global-headers"})
RETURNED_SCAN = 64 * 1024  # characters of a daemon's text searched for a returned header block
REPORT_TYPES = {"feedback-report": "abuse feedback report (ARF)",
                "disposition-notification": "read receipt (MDN)"}


def _auto_submitted(ctx: _Context) -> str:
    return ctx.mail.header("auto-submitted").split(";")[0].strip().lower()


def _precedence(ctx: _Context) -> str:
    return ctx.mail.header("precedence").strip().lower()


def _return_path_empty(ctx: _Context) -> bool:
    """The null envelope sender (RFC 5321 4.5.5), as the delivering MTA or our SMTP/LMTP
    listener wrote it on top; a Return-Path lower down was written by the sender."""
    values = ctx.mail.header_all("return-path")
    return bool(values) and values[0].strip() in ("<>", "")


def _envelope_from_daemon(ctx: _Context) -> bool:
    """The envelope sender, as the delivering MTA recorded it, is null or MAILER-DAEMON (some
    MTAs write <> so): only delivery software sends from there. A postmaster envelope is a
    person's (the postmaster's own mail carries it)."""
    top = (ctx.mail.header_all("return-path") or ctx.mail.header_all("x-envelope-from") or ("x",))[0]
    address = top.strip().strip("<>").strip()
    return not address or address.split("@")[0].lower() in NULL_ENVELOPE_LOCALPARTS


def _machine_sent(ctx: _Context) -> bool:
    """Machine evidence a non-delivery subject needs before it counts: the subject alone
    never decides ("Siparişim teslim edilemedi" is the commonest complaint there is)."""
    return _return_path_empty(ctx) or _auto_submitted(ctx) not in ("", "no")


def _machine_evidence(ctx: _Context) -> bool:
    """A header only software writes: what a subject label needs before it decides alone."""
    return _machine_sent(ctx) or _precedence(ctx) in ("bulk", "junk", "list")


def _sender_is_daemon(ctx: _Context) -> bool:
    return ctx.mail.sender.split("@")[0] in DAEMON_LOCALPARTS


def _daemon_bounce(ctx: _Context) -> bool:
    """A MAILER-DAEMON/postmaster From is a bounce only beside machine evidence. postmaster@
    is a person's mailbox (RFC 5321 4.5.1: someone must read it), and the postmaster of a
    customer's company writes complaints like anyone else; the From alone never decides."""
    return _sender_is_daemon(ctx) and (
        _envelope_from_daemon(ctx) or _auto_submitted(ctx) not in ("", "no")
        or ctx.mail.content_type == "multipart/report" or ctx.mail.has_header("x-failed-recipients")
        or _returns_mail(ctx))


def _returns_mail(ctx: _Context) -> bool:
    """The body carries a returned message: its headers attached as such or copied into the
    text (a "Message-ID:" line at a line's start: mail clients quote no such line), or the
    whole message attached under a non-delivery subject (either alone is a person's doing:
    attaching a mail they forward, or writing "Undelivered order")."""
    types = {a.content_type for a in ctx.mail.attachments}
    return (bool(types & RETURNED_TYPES) or bool(_RETURNED_MESSAGE_ID.search(ctx.mail.text[:RETURNED_SCAN]))
            or (bool(types & {"message/rfc822", "message/global"}) and _subject(ctx, BOUNCE_SUBJECTS))
            or any(_RETURNED_MESSAGE_ID_BYTES.search(a.payload[:RETURNED_SCAN]) for a in ctx.mail.attachments
                   if a.content_type.startswith("multipart/")))  # MIME too broken to split: its raw text


def _has_dsn(ctx: _Context) -> bool:
    return (any(a.content_type in DSN_TYPES for a in ctx.mail.attachments)
            or "report-type=delivery-status" in ctx.mail.header("content-type").lower().replace('"', ""))


def _report_type(ctx: _Context) -> str:
    value = ctx.mail.header("content-type").lower().replace('"', "").replace(" ", "")
    found = re.search(r"report-type=([\w-]+)", value) if ctx.mail.content_type == "multipart/report" else None
    return found.group(1) if found else ""


def _addressed_to_us(ctx: _Context) -> bool:
    return any(a.lower() in ctx.own_addresses for a in ctx.mail.to + ctx.mail.cc)


def _list_conversation(ctx: _Context) -> bool:
    """List traffic without list headers: a list tag in the subject and not written to us.
    List names are lower case by habit; an upper-case tag ("[PRJ-OTH]") is a person's project tag."""
    tag = LIST_TAG_SUBJECT.match(ctx.mail.subject[:SUBJECT_SCAN])
    return tag is not None and not tag.group(1).isupper() and not _addressed_to_us(ctx)


def _subject(ctx: _Context, pattern: re.Pattern[str]) -> bool:
    return bool(pattern.search(ctx.subject))


Test = Callable[[_Context], bool]

# (kind, test, reason): the first row that matches decides.
RULES: tuple[tuple[str, Test, str], ...] = (
    ("self", lambda c: c.mail.sender in c.own_addresses, "sender is one of our own addresses"),
    ("loop", lambda c: c.mail.has_header(c.loop_header), "our own loop header is present"),
    ("bounce", _has_dsn, "delivery status notification (multipart/report)"),
    ("bounce", _daemon_bounce, "sent by MAILER-DAEMON/postmaster, with machine evidence"),
    ("bounce", lambda c: _machine_sent(c) and (_subject(c, BOUNCE_SUBJECTS) or c.mail.has_header("x-failed-recipients")),
     "automatic mail with a non-delivery subject"),
    ("autoreply", lambda c: _report_type(c) == "disposition-notification", REPORT_TYPES["disposition-notification"]),
    ("autoreply", lambda c: c.mail.content_type in RECEIPT_TYPES and _subject(c, READ_RECEIPT_SUBJECTS),
     "read receipt (subject and format)"),
    ("bulk", lambda c: _report_type(c) == "feedback-report", REPORT_TYPES["feedback-report"]),
    ("autoreply", lambda c: _auto_submitted(c) == "auto-replied", "Auto-Submitted: auto-replied"),
    ("autoreply", lambda c: any(c.mail.has_header(h) for h in AUTOREPLY_HEADERS),
     "X-Autoreply/X-Autorespond header"),
    ("autoreply", lambda c: "vacation" in c.mail.header("x-apple-action").lower(), "X-Apple-Action: VACATION"),
    ("autoreply", lambda c: _subject(c, AUTOREPLY_SUBJECTS) and _machine_evidence(c),
     "out-of-office subject of automatic mail"),
    ("list", lambda c: any(c.mail.has_header(h) for h in LIST_HEADERS), "mailing-list headers (List-Id, ...)"),
    ("list", lambda c: _precedence(c) == "list", "Precedence: list"),
    ("bulk", lambda c: _precedence(c) in ("bulk", "junk"), "Precedence: bulk/junk"),
    ("bulk", lambda c: _auto_submitted(c) not in ("", "no"), "Auto-Submitted other than no"),
    ("bulk", lambda c: c.mail.has_header("x-auto-response-suppress"), "X-Auto-Response-Suppress present"),
    ("autoreply", _return_path_empty, "empty Return-Path (<>)"),
    ("bulk", lambda c: bool(NOREPLY_LOCALPART.match(c.mail.sender.split("@")[0])), "no-reply sender address"),
    ("bulk", lambda c: bool(BULK_LOCALPART.match(c.mail.sender.split("@")[0])) and not _addressed_to_us(c),
     "newsletter role address, not written to us"),
    ("list", _list_conversation, "list tag in the subject of mail not addressed to us"),
)

HUMAN = Verdict(automatic=False, kind="", reason="")
AWAY = Verdict(automatic=False, kind="", reason="out-of-office text (no automatic headers)", away=True)


def assess(mail: Mail, own_addresses: frozenset[str],
           loop_header: str = "X-Care-Gateway-Loop") -> Verdict:
    """Verdict on whether a mail was written by a machine; never answer those."""
    ctx = _Context(mail, frozenset(a.lower() for a in own_addresses), loop_header.lower(),
                   _fold(mail.subject[:SUBJECT_SCAN]))
    for kind, test, reason in RULES:
        if test(ctx):
            return Verdict(automatic=True, kind=kind, reason=reason)
    if autoreply.is_autoreply_text(ctx.mail.new_text):  # a subject label adds nothing to it
        return AWAY
    return HUMAN


# --- bounces --------------------------------------------------------------------

_RECIPIENT_FIELD = re.compile(r"^(final|original)-recipient:", re.IGNORECASE | re.MULTILINE)
_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
# Patterns over a bounce's text: a line's leading blanks never include line breaks and
# every quantifier is possessive, so a text of blank lines or spaces costs one pass.
_RETURNED_MESSAGE_ID = re.compile(r"^message-id:[ \t]*+<[^<>\s]++>", re.IGNORECASE | re.MULTILINE)
_RETURNED_MESSAGE_ID_BYTES = re.compile(rb"^message-id:[ \t]*+<[^<>\s]++>", re.IGNORECASE | re.MULTILINE)
_TEXT_MESSAGE_ID = re.compile(r"^[ \t]*+>?[ \t]*+message-id:\s*+(<[^<>\s]++>)", re.IGNORECASE | re.MULTILINE)
# Failed recipients in plain-text bounces: Postfix/qmail "<a@b>: ...", Exim/Gmail indented lines.
_TEXT_RECIPIENTS = (
    re.compile(r"^[ \t]*+<([^<>\s@]++@[^<>\s]++)>:", re.MULTILINE),
    re.compile(r"following (?:recipient|address)(?:\(es\)|es|s)?+[^\n]{0,200}?(?:failed|permanently)[^\n]{0,200}+\n"
               r"[ \t]*+(?:\n[ \t]*+)*+<?([^<>\s@]++@[\w.-]++)", re.IGNORECASE),
    re.compile(r"^ {2,}+([^<>\s@]++@[\w-]++(?:\.[\w-]++)++)[ \t\r]*+$", re.MULTILINE),
)
_PERMANENT_TEXT = re.compile(r"permanent|failed permanently|\b55\d\b|не существует|does not exist|unknown user",
                             re.IGNORECASE)
_TEMPORARY_TEXT = re.compile(r"delay|still being retried|will retry|temporar|\b4\d\d\b", re.IGNORECASE)
DIAGNOSTIC_MAX = 300
BOUNCE_SCAN = 1024 * 1024  # bytes of a bounce read for its report (see bounce_report)


def bounce_report(mail: Mail, raw: bytes, returned: bool = False) -> Bounce | None:
    """What a DSN or plain-text bounce reports; None when it reports nothing usable
    (`returned`: it came back to a VERP return path, which already says which mail: only
    whether it failed is read). Reads the first BOUNCE_SCAN bytes: the report comes first,
    the returned mail's headers next, and a "bounce" of 20,000 parts must not be parsed
    twice in full."""
    raw, text = raw[:BOUNCE_SCAN], mail.text[:BOUNCE_SCAN]
    tree = email.message_from_bytes(raw, policy=email.policy.compat32)
    fields = _dsn_fields(tree, raw)
    ids = _returned_ids(tree) + mail.in_reply_to + mail.references
    ids += tuple(i for m in _TEXT_MESSAGE_ID.findall(text) for i in message_ids(m))
    ids = tuple(i for i in dict.fromkeys(ids) if i != mail.message_id) or tuple(
        i for m in _TEXT_MESSAGE_ID.findall(raw.decode("latin-1")) for i in message_ids(m)
        if i != mail.message_id)  # broken MIME: the returned headers are somewhere in the raw text
    recipients = tuple(dict.fromkeys(
        _address(f.get("final-recipient") or f.get("original-recipient") or "") for f in fields
    )) or tuple(a.strip().lower() for a in mail.header("x-failed-recipients").split(",") if "@" in a) \
        or _text_recipients(text)
    recipients = tuple(r for r in recipients if r)
    if not ids and not recipients and not returned:
        return None
    permanent = _permanent(fields, text)
    if fields:
        failed = tuple(dict.fromkeys(a for f in fields if _block_failed(f) for a in (
            _address(f.get("final-recipient", "")), _address(f.get("original-recipient", ""))) if a))
    else:
        failed = recipients if permanent else ()
    return Bounce(original_message_ids=ids, recipients=recipients, failed=failed,
                  permanent=permanent, diagnostic=_diagnostic(fields, text))


def _dsn_fields(tree: email.message.Message, raw: bytes) -> list[dict[str, str]]:
    """Per-recipient field blocks of every delivery-status part (lower-cased names).

    When the MIME structure is too broken for the stdlib to find the part,
    the blank-line separated blocks of the raw text are read instead.
    """
    blocks = [block for part in tree.walk()
              if part.get_content_type() in DSN_TYPES and isinstance(part.get_payload(), list)
              for block in part.get_payload() if isinstance(block, email.message.Message)]
    if not blocks:
        text = raw.decode("latin-1").replace("\r\n", "\n")
        blocks = [email.message_from_string(chunk.strip() + "\n")
                  for chunk in re.split(r"\n\s*\n", text) if _RECIPIENT_FIELD.search(chunk)]
    found = [{k.lower(): one_line(str(v)) for k, v in block.items()} for block in blocks]
    return [f for f in found if "final-recipient" in f or "original-recipient" in f]


def _returned_ids(tree: email.message.Message) -> tuple[str, ...]:
    """Message-IDs of the returned original (message/rfc822 or text/rfc822-headers)."""
    found: list[str] = []
    for part in tree.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global") and isinstance(part.get_payload(), list):
            returned = part.get_payload(0)
            if isinstance(returned, email.message.Message):  # always, in a list payload
                found += message_ids(str(returned.get("Message-ID", "")))
        elif ctype == "text/rfc822-headers":
            headers = email.message_from_bytes(payload_bytes(part))
            found += message_ids(str(headers.get("Message-ID", "")))
    return tuple(found)


def _address(value: str) -> str:
    """"rfc822; a@b.c" -> "a@b.c"."""
    address = value.split(";", 1)[-1].strip().strip("<>").lower()
    return address if "@" in address else ""


def _text_recipients(text: str) -> tuple[str, ...]:
    for pattern in _TEXT_RECIPIENTS:
        found = tuple(dict.fromkeys(m.lower() for m in pattern.findall(text)))
        if found:
            return found
    return ()


def _block_failed(block: dict[str, str]) -> bool:
    """One recipient's verdict. RFC 3464 2.3.3: only Action "failed" ends delivery attempts;
    "delayed", "relayed", "delivered", "expanded" say the mail is on its way or arrived.
    Without an Action (old MTAs) a 5.x.x Status decides."""
    action = block.get("action", "").split("(")[0].strip().lower()
    if action:
        return action == "failed"
    return block.get("status", "").strip().startswith("5")


def _permanent(fields: list[dict[str, str]], text: str) -> bool:
    if fields:
        return any(_block_failed(f) for f in fields)
    codes = {m.group(1) for m in _STATUS.finditer(text)}
    if codes:
        return "5" in codes
    return bool(_PERMANENT_TEXT.search(text)) or not _TEMPORARY_TEXT.search(text)


def _diagnostic(fields: list[dict[str, str]], text: str) -> str:
    for f in fields:
        value = f.get("diagnostic-code") or f.get("status", "")
        if value:
            return one_line(value)[:DIAGNOSTIC_MAX]
    line = next((ln for ln in text.splitlines() if _STATUS.search(ln) or re.search(r"\b[45]\d\d\b", ln)), "")
    return one_line(line)[:DIAGNOSTIC_MAX]
