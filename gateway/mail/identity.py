"""When two arrivals are one mail: the key the store keeps unique besides the raw bytes' sha256.

The same mail comes twice with different bytes: over IMAP and over SMTP or the MTA pipe, or
retried by an MTA that wrote another Received header. On the way a route may also rewrite what
the mail says: a security gateway puts "CAUTION: This email originated from outside..." above the
text or "[EXTERNAL]" before the subject, an antivirus appends "Scanned by ...". So the key reads
only what routes leave alone: the Message-ID, the sender and the Date header, which the author's
client wrote once. A Message-ID alone would not do: anyone may write any Message-ID (an outsider
who learnt a customer's could suppress the customer's mail with it) and buggy clients reuse them;
a reused one comes from another sender or with another Date, so it makes another key.

A mail without a Message-ID (web forms, scripts) or without a Date is keyed by its *fingerprint*
instead: sender, Date, the subject without gateway tags, the attachments' digests, and the start of
the text with banner-like lines left out (short lines naming an outside sender, a scan, a virus;
lines with no letter or digit, like the "-- " above a footer). Leaving a person's line out of a
fingerprint never cuts their text (the key only decides whether two arrivals are one); what it
could do is make two mails one, and for that they would also need the same sender, the same Date to
the second and the same remaining text. A mail with neither Message-ID nor Date has no key: only
the same bytes are the same mail (two copies may then become two complaints: a miss, not a loss).

Rows stored under the first key (v1: Message-ID, sender, subject and text) keep it: `previous_key`
meets them while copies of those mails may still arrive (the rows do not hold the Date a new key
needs). Rows stored before content keys (migrate step 8) have `legacy_key`: Message-ID and sender.
"""
from __future__ import annotations

import hashlib
import re
from datetime import timezone

from gateway.mail.parse import Mail

VERSION = "v2"  # part of every key: a change in what is hashed must not meet the old keys
FINGERPRINT_SCAN = 64 * 1024  # characters of text read for a fingerprint (a banner is far shorter)
FINGERPRINT_TEXT = 16 * 1024  # characters of the filtered text hashed: the same in every copy
BANNER_LINE_MAX = 400  # a longer line is a person's paragraph, never left out
SUBJECT_MAX = 1000
# What gateways put before a subject, as [TAG], *TAG*, **TAG** or TAG: (compared folded, _fold).
_TAGS = (
    "external", "ext", "extern", "external email", "external e-mail", "external sender", "externe",
    "spam", "possible spam", "suspected spam", "suspicious", "phish", "phishing",
    "внешний", "внешнее", "внешняя почта", "внешнее письмо", "внешний отправитель", "спам",
    "harici", "dış", "dış e-posta", "harici e-posta", "şüpheli", "spam şüphesi",
    "xarici", "xarici məktub", "xarici e-poçt", "şübhəli",
)
# Phrases of the lines gateways and scanners add above or below a text (compared folded, _fold).
BANNER_PHRASES = (
    "originated from outside", "external sender", "external email", "external e-mail", "[external]",
    "do not click links", "don't click links", "unless you recognize the sender", "scanned by",
    "scanned for viruses", "virus-free", "checked by antivirus", "checked by anti-virus",
    "внешнего отправителя", "внешний отправитель", "пришло извне", "отправлено извне",
    "за пределами организации", "не переходите по ссылкам", "проверено антивирус", "вирусов не обнаружено",
    "kuruluşunuzun dışından", "kurum dışından", "dış kaynaklı", "harici gönderen", "bağlantılara tıklamayın",
    "antivirüs tarafından", "virüs taraması", "tarafından tarandı",
    "təşkilatdan kənardan", "xarici göndərən", "xarici mənbədən", "linklərə klikləməyin", "keçidlərə klikləməyin",
    "antivirus tərəfindən", "viruslara yoxlanılıb", "virus yoxlanışı",
)
_TAG = re.compile(r"(?:\[([^\[\]]{1,40})\]|\*{1,3}([^*]{1,40})\*{1,3}|([^\s:\[\]*][^:\[\]*]{0,39}):)")
_WORD = re.compile(r"[^\W_]")  # a letter or digit of any script


def _fold(text: str) -> str:
    """Lower case that reads Turkish and Azerbaijani I/İ/ı alike ("HARİCİ", "Harici", "HARICI")."""
    return text.lower().replace("\u0307", "").replace("ı", "i")


SUBJECT_TAGS = frozenset(_fold(tag) for tag in _TAGS)
BANNERS = tuple(_fold(phrase) for phrase in BANNER_PHRASES)


def content_key(mail: Mail) -> str | None:
    """The mail's key (see the module docstring); None with neither Message-ID nor Date."""
    return header_key(mail) or _fingerprint_key(mail)


def header_key(mail: Mail) -> str | None:
    """The key from the header alone (Message-ID, sender, Date), so a mail too large to read whole
    has it too; None when either is missing."""
    date = _date(mail)
    if not mail.message_id or not date:
        return None
    return _hash(VERSION, "id", mail.message_id, mail.sender.lower(), date)


def previous_key(mail: Mail) -> str | None:
    """The v1 key (Message-ID, sender, subject, text, attachments) rows stored before v2 carry."""
    if not mail.message_id:
        return None
    return _hash("v1", mail.message_id, mail.sender.lower(), " ".join(mail.subject.split()),
                 " ".join(mail.text.split()), *sorted(part.sha256 for part in mail.attachments))


def legacy_key(message_id: str, sender: str) -> str:
    """The key of a row stored before content keys (Message-ID and sender only)."""
    return "legacy:" + _hash("legacy", message_id, sender.lower())


def _fingerprint_key(mail: Mail) -> str | None:
    date = _date(mail)
    if not mail.message_id and not date:
        return None
    return _hash(VERSION, "fingerprint", mail.message_id, mail.sender.lower(), date, plain_subject(mail.subject),
                 unbannered(mail.text), *sorted(part.sha256 for part in mail.attachments))


def plain_subject(subject: str) -> str:
    """The subject without the tags gateways put before it, whitespace folded."""
    rest = subject[:SUBJECT_MAX].lstrip()
    while (found := _TAG.match(rest)) and _fold((found[1] or found[2] or found[3]).strip()) in SUBJECT_TAGS:
        rest = rest[found.end():].lstrip()
    return " ".join(rest.split())


def unbannered(text: str) -> str:
    """The start of the text with banner-like lines left out, whitespace folded: the same for the
    copy a gateway marked and the one it did not. When every line would go, the text is kept
    whole: a mail that is all "banner" is told apart by it (at worst two copies stay two)."""
    lines = [" ".join(line.split()) for line in text[:FINGERPRINT_SCAN].splitlines()]
    kept = " ".join(line for line in lines if not _banner_like(line))
    return (kept or " ".join(line for line in lines if line))[:FINGERPRINT_TEXT]


def _banner_like(line: str) -> bool:
    if not _WORD.search(line):
        return True  # blank, "--", "____": nothing a fingerprint needs
    if len(line) > BANNER_LINE_MAX:
        return False
    folded = _fold(line)
    return any(phrase in folded for phrase in BANNERS)


def _date(mail: Mail) -> str:
    """The Date header as the instant it names (a re-folded or re-formatted copy reads the same);
    an unparseable one as written."""
    if mail.date is not None:
        return mail.date.astimezone(timezone.utc).isoformat()
    return " ".join(mail.header("date").split())[:200]


def _hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
