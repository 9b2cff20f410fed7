"""Split a reply into what the sender wrote now, the quoted history, the signature.

Staff and customers answer from ordinary clients, each quoting in its own way
and in its own language; the gateway must act on the new text only (a quoted
"I accept" from last week is not an acceptance today). The client styles are
data below, so supporting one more client is a new table row, not new code.
Pure: text in, text out. The full original text is kept by the caller.
"""
from __future__ import annotations

import re

_I = re.IGNORECASE | re.UNICODE

# A line that starts the quoted history: everything from it down is quoted.
SEPARATORS: tuple[re.Pattern[str], ...] = tuple(re.compile(p, _I) for p in (
    # Outlook desktop, Yahoo, AOL, Zimbra, Thunderbird ("-------- Original Message --------")
    r"^\s*-{2,}\s*(original message|original-nachricht|ursprüngliche nachricht|"
    r"исходное сообщение|оригинальное сообщение|вихідний лист|orijinal mesaj|özgün ileti|"
    r"orijinal məktub|ilkin məktub|oorspronkelijk bericht|message d'origine|mensaje original|"
    r"messaggio originale|oryginalna wiadomość)\s*-{2,}\s*$",
    # Outlook.com / Apple "Reply above this line" markers
    r"^\s*#*\s*(reply above this line|ответьте выше этой строки)",
))

# Outlook's quoted header block: a From-like line followed by Sent/To/Subject lines.
HEADER_FROM = re.compile(
    r"^\s*\*?(from|от|від|kimden|gönderen|göndərən|kimdən|von|de|van|da|od)\s*:\*?\s*\S", _I)
HEADER_ANY = re.compile(
    r"^\s*\*?(sent|date|to|cc|subject|отправлено|дата|кому|копия|тема|надіслано|"
    r"gönderildi|tarih|kime|bilgi|konu|göndərilib|tarix|kimə|mövzu|gesendet|datum|an|betreff|"
    r"envoyé|à|objet|enviado|para|asunto|inviato|a|oggetto|verzonden|aan|onderwerp)\s*:\*?", _I)
HEADER_BLOCK_SPAN = 6  # lines after "From:" searched for the other header lines
HEADER_BLOCK_MIN = 2  # of which at least this many must be header lines
RULE_LINE = re.compile(r"^\s*(_{8,}|-{8,}|={8,})\s*$")  # Outlook's line above the block

# Attribution lines ("On ..., X wrote:"): may be wrapped over up to three lines.
# Each pattern ends with a colon (ATTRIBUTION_END; _is_attribution relies on it).
ATTRIBUTIONS: tuple[re.Pattern[str], ...] = tuple(re.compile(p, _I) for p in (
    # English and western clients (Gmail, Apple Mail, Thunderbird, Yahoo "--- On ...")
    r"^[->\s]*(on|am|le|el|il|op)\s.{3,250}\s(wrote|schrieb|a écrit|escribió|ha scritto|schreef)\s*:\s*$",
    r"^.{3,250}\s(wrote|writes)\s*:\s*$",
    # Russian / Ukrainian: "... написал(а):", "... пишет:", "пользователь ... написал:"
    r"^.{3,250}\s(написал|написала|написал\(а\)|пишет|написав|написала\(в\)|пише)\s*:\s*$",
    # Turkish: "... tarihinde şunu yazdı:", "... yazdı:"
    r"^.{3,250}\s(yazdı|şunu yazdı|şunları yazdı)\s*:\s*$",
    # Azerbaijani: "... yazıb:", "... tarixində yazdı:"
    r"^.{3,250}\s(yazıb|yazmışdır|yazdı)\s*:\s*$",
    # Yandex, mail.ru, Gmail ru/tr/az: a time and an address, ending with a colon:
    # "10.01.2017, 12:00, "Имя" <x@yandex.ru>:", "Среда, 4 января 2017, 15:50 +03:00 от Имя <x@mail.ru>:"
    r"^.{0,160}\d{1,2}:\d{2}.{0,160}[\w.+-]+@[\w-]+(\.[\w-]+)+>?\)?\s*:\s*$",
))
ATTRIBUTION_END = r"\s*:\s*$"
ATTRIBUTION_MAX_LINES = 3
# How the first line of a wrapped attribution begins: "On ...", or a date or time early on
# (digits inside an address do not count: "bob2@x.com> wrote:" is a continuation).
ATTRIBUTION_START = re.compile(r"^[->\s]*((on|am|le|el|il|op)\s|[^\d]{0,40}\d)", _I)
ADDRESS = re.compile(r"\S+@\S+")
ATTRIBUTION_MAX_CHARS = 400  # longer lines are prose, and not worth a regex scan

QUOTED_LINE = re.compile(r"^\s*>")

# A line that starts the signature: everything from it to the quote is signature.
SIGNATURES: tuple[re.Pattern[str], ...] = tuple(re.compile(p, _I) for p in (
    r"^--\s?$",  # RFC 3676 "-- " (and the common "--" with the space lost)
    r"^sent from my \S.{0,60}$",
    r"^sent from (mail|outlook|yahoo mail|samsung|gmail|windows mail)\b.{0,60}$",
    r"^sent (via|with) .{1,60}$",
    r"^get outlook for (ios|android)\b.{0,30}$",
    r"^(отправлено|послано) (с|со|из) .{1,60}$",
    r"^(надіслано|відправлено) з .{1,60}$",
    r"^.{1,40}(['’]?(umdan|ümden|ımdan|imden|dan|den)) gönderildi\.?$",
    r"^.{1,40}(['’-]?(dan|dən|ından|indən)) göndərildi\.?$",
    r"^(envoyé de mon|von meinem|enviado desde mi) .{1,40}$",
))


def split_reply(text: str) -> tuple[str, str, str]:
    """(new_text, quoted, signature) of a reply; each stripped, "" when absent."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _history_start(lines)
    own, inline_quotes = _drop_inline_quotes(lines[:cut])
    new, signature = _split_signature(own)
    quoted = "\n".join(inline_quotes + lines[cut:])
    return new.strip(), quoted.strip(), signature.strip()


def _history_start(lines: list[str]) -> int:
    """Index of the first line of trailing quoted history, len(lines) if none."""
    for i in range(len(lines)):
        if any(p.match(lines[i]) for p in SEPARATORS) or _header_block_at(lines, i):
            return _include_rule_line(lines, i)
        span = _attribution_span(lines, i)
        if span and not _quote_follows(lines, i + span):
            return i
    return len(lines)


def _header_block_at(lines: list[str], i: int) -> bool:
    if not HEADER_FROM.match(lines[i]):
        return False
    following = lines[i + 1: i + 1 + HEADER_BLOCK_SPAN]
    return sum(bool(HEADER_ANY.match(line)) for line in following) >= HEADER_BLOCK_MIN


def _include_rule_line(lines: list[str], i: int) -> int:
    """Move the cut up over blank lines to Outlook's "_____" rule, if there is one."""
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    return j if j >= 0 and RULE_LINE.match(lines[j]) else i


def _attribution_span(lines: list[str], i: int) -> int:
    """Number of lines (1..3) forming an attribution that starts at i, else 0."""
    if not lines[i].strip() or len(lines[i]) > ATTRIBUTION_MAX_CHARS or QUOTED_LINE.match(lines[i]):
        return 0
    for span in range(1, ATTRIBUTION_MAX_LINES + 1):
        window = lines[i: i + span]
        if len(window) < span or (span > 1 and (not window[-1].strip() or QUOTED_LINE.match(window[-1]))):
            return 0
        if _is_attribution(window):
            # "Hello" above a wrapped attribution is text: the attribution starts later.
            later = any(_is_attribution(window[k:]) and _starts_attribution(window[k])
                        for k in range(1, span))
            return 0 if later or (span > 1 and not _starts_attribution(window[0])) else span
    return 0


def _starts_attribution(line: str) -> bool:
    return bool(ATTRIBUTION_START.match(ADDRESS.sub("", line)))


def _is_attribution(window: list[str]) -> bool:
    """Every ATTRIBUTIONS pattern ends in a colon, so most lines need no regex at all."""
    joined = " ".join(part.strip() for part in window)
    return joined.rstrip().endswith(":") and any(p.match(joined) for p in ATTRIBUTIONS)


def _quote_follows(lines: list[str], j: int) -> bool:
    """True when the next non-blank line from j is a "> " quoted line."""
    while j < len(lines) and not lines[j].strip():
        j += 1
    return j < len(lines) and bool(QUOTED_LINE.match(lines[j]))


def _drop_inline_quotes(lines: list[str]) -> tuple[list[str], list[str]]:
    """Separate "> " lines (and the attribution introducing them) from own text."""
    quoted_at: set[int] = {i for i, line in enumerate(lines) if QUOTED_LINE.match(line)}
    for i in range(len(lines)):
        span = _attribution_span(lines, i)
        if span and _quote_follows(lines, i + span):
            quoted_at.update(range(i, i + span))
    own = [line for i, line in enumerate(lines) if i not in quoted_at]
    quoted = [line for i, line in enumerate(lines) if i in quoted_at]
    return own, quoted


def _split_signature(lines: list[str]) -> tuple[str, str]:
    for i, line in enumerate(lines):
        if any(p.match(line.strip()) for p in SIGNATURES):
            return "\n".join(lines[:i]), "\n".join(lines[i:])
    return "\n".join(lines), ""
