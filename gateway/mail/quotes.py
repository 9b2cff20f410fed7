"""Split a reply into what the sender wrote now, the quoted history, the signature.

Staff and customers answer from ordinary clients, each quoting in its own way
and in its own language; the gateway must act on the new text only (a quoted
"I accept" from last week is not an acceptance today). Detection keys on the
STRUCTURE clients write, never on words alone, because ordinary sentences hold
those words ("Отправлено со склада 24 ноября.", "The courier wrote:"):

- history: a separator line ("-----Original Message-----"), an Outlook header
  block (From + Sent/Date + To + Subject lines, in az/ru/tr/en and more), or an
  attribution: a line ending in ":" that names a date or time AND ends with a
  "wrote" verb or with "Name <address>:"; without "> " lines after it, it must
  carry an address in angle brackets, as clients write it;
- signature: a "-- " delimiter, known client footers ("Sent from my iPhone",
  "Get Outlook for iOS" and their translations) as the last lines, or a closing
  ("Regards,", "С уважением,", "Saygılarımla,", "Hörmətlə,") followed by a short
  name/title/contact block at the end, and confidentiality disclaimers closing
  the mail ("This e-mail and any attachments are confidential...", "Bu məktub
  məxfidir...", "Настоящее сообщение конфиденциально...", "Bu e-posta gizlidir...");
  under a signature the writer's text resumes at a P.S. line ("P.S.", "П.С.", "Not:",
  "Qeyd:") or a paragraph that reads as a sentence and holds no contact data: that is
  kept as their text ("P.S. it's still broken" under a phone number is no signature).

A staff reply is read with `ours` (is this block our own mail?): then history is
only our mail quoted back, and openers too weak alone are taken when our mail is
below them (an attribution without an address, a bare "Shop Care пишет:" over
"> " lines, Outlook's "_____" alone, a partial header block, Lotus Notes' shapes).

Where the structure is ambiguous the text is kept: a relayed signature is a
blemish, a lost answer is a failure. Every regular expression here reads one
line at a time, capped at LINE_CAP characters, and none can backtrack beyond
that cap, so the whole split is linear in the size of the mail.
Pure: text in, text out. The full original text is kept by the caller.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_I = re.IGNORECASE | re.UNICODE
LINE_CAP = 1000  # characters of one line any pattern here reads
SCAN_CHARS = 200_000  # characters searched for the start of the history (see read_reply)
ATTRIBUTION_MAX_LINES = 3  # clients wrap a long attribution over up to three lines
ATTRIBUTION_MAX_CHARS = 600  # joined; longer is prose

# A line that starts the quoted history: everything from it down is quoted.
SEPARATOR = re.compile("|".join((
    # Outlook desktop, Yahoo, AOL, Zimbra, Thunderbird ("-------- Original Message --------")
    r"^\s*-{2,}\s*(original message|original-nachricht|ursprüngliche nachricht|"
    r"исходное сообщение|оригинальное сообщение|пересылаемое сообщение|вихідний лист|orijinal mesaj|"
    r"özgün ileti|orijinal ileti|orijinal məktub|ilkin məktub|oorspronkelijk bericht|message d'origine|"
    r"mensaje original|messaggio originale|oryginalna wiadomość)\s*-{2,}\s*$",
    # Outlook.com / help-desk "Reply above this line" markers
    r"^\s*#*\s*(reply above this line|ответьте выше этой строки)",
)), _I)
_SEPARATOR_FIRST = frozenset("-#rRоО")  # what a SEPARATOR line can begin with

# Outlook's quoted header block: a From line, then Sent/Date, To and Subject lines.
HEADER_FROM = re.compile(
    r"^\s*\*?(from|от|від|kimden|gönderen|göndərən|kimdən|von|de|van|da|od)\s*:\*?\s*\S", _I)
HEADER_WHEN = re.compile(
    r"^\s*\*?(sent|date|отправлено|дата|надіслано|gönderildi|gönderilme tarihi|tarih|göndərilib|"
    r"göndərildi|tarix|gesendet|datum|envoyé|enviado|inviato|verzonden)\s*:", _I)
HEADER_SUBJECT = re.compile(
    r"^\s*\*?(subject|тема|konu|mövzu|betreff|objet|asunto|oggetto|onderwerp|temat)\s*:", _I)
HEADER_TO = re.compile(r"^\s*\*?(to|кому|kime|kimə|an|à|para|a|aan|do|komu)\s*:", _I)
HEADER_ANY = re.compile(HEADER_WHEN.pattern + "|" + HEADER_SUBJECT.pattern + "|" + (
    r"^\s*\*?(to|cc|bcc|кому|копия|kime|bilgi|kimə|surət|an|à|para|a|aan|importance|важность|önem|vacib)\s*:"), _I)
OURS_LINES = 60  # lines from a header block or attribution read for signs of our own mail
OURS_CHARS = 20_000
OURS_CHECKS = 200  # blocks of one reply read for our mail: a real reply quotes a few mails, not thousands
HEADER_BLOCK_SPAN = 12  # lines after "From:" (blank ones included) read for the other header lines
RULE_LINE = re.compile(r"^\s*(_{8,}|-{8,}|={8,})\s*$")  # Outlook's line above the block
OUTLOOK_RULE = re.compile(r"^\s*_{8,}\s*$")  # Outlook's "_____" alone: a quoted mail below it
# Lotus Notes: '-----"Shop Care" <care@shop.test> wrote: -----' above its To/From/Date/Subject lines.
# A client's forward line (Thunderbird, Gmail, Outlook.com, in our languages): a forwarded mail below.
FORWARD_LINE = re.compile(
    r"^\s*-{2,}\s*(?:forwarded message|weitergeleitete nachricht|message transféré|переадресованное сообщение|"
    r"пересланное сообщение|iletilen (?:ileti|mesaj)|yönlendirilen (?:ileti|mesaj)|yönlendirilmiş (?:ileti|mesaj)|"
    r"yönləndirilmiş (?:məktub|mesaj)|yönləndirilən (?:məktub|mesaj)|göndərilən məktub)\s*-{2,}\s*$", _I)
LOTUS_ATTRIBUTION = re.compile(r"^\s*-{3,}[^-\n]{1,300}:\s*-{3,}\s*$")
# Lotus Notes (older): "Shop Care <care@shop.test>" alone, the date on the next line.
NAME_ADDRESS_LINE = re.compile(r"^[^<>:]{0,80}<\s?[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}\s?>\s*$")

QUOTED_LINE = re.compile(r"^\s*>")
# An address, found only from the start of a run of address characters (the look-behind),
# with bounded parts: no run is ever rescanned, whatever the line holds.
ADDRESS = re.compile(r"(?<![\w.+'-])[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
# "<address>" as clients write it after a name; prose rarely does (Gmail wraps after the "<").
BRACKETED_ADDRESS = re.compile(r"<\s?[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}\s?>")
_DATE_FIRST = re.compile(r"^[->\s]*(\d|[^\W\d_]{2,12}\.?,)")  # "07.12.2026, ..." or "пн, ..."
_WHEN = re.compile(
    r"\b\d{1,2}:\d{2}\b"  # a time
    r"|\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b"  # a numeric date
    r"|\b(?:19|20)\d{2}\b")  # a year
# What an attribution ends with before its colon (lower-cased, trailing ":" removed).
WROTE = ("wrote", "writes", "schrieb", "a écrit", "escribió", "ha scritto", "schreef", "napisał",
         "написал", "написала", "написал(а)", "написал(-а)", "пишет", "написав", "написала(в)", "пише",
         "yazdı", "şunu yazdı", "şunları yazdı", "yazıb", "yazır", "yazmışdır", "yazdi", "yazib", "yazir")
# How the line above a wrapped attribution may begin and still be part of it.
ATTRIBUTION_START = re.compile(r"^[->\s]*((on|am|le|el|il|op|в|во)\s|\d)", _I)

# Known client footers, matched against a whole (stripped) line at the very end of the text.
_DEVICE = (r"(iphone|ipad|ipod|android|samsung|galaxy|huawei|xiaomi|redmi|honor|oneplus|pixel|"
           r"blackberry|nokia|motorola|windows phone|outlook|yahoo|yandex|яндекс|gmail|mail\.ru|aol|"
           r"proton ?mail|tutanota|mobil|akıllı telefon|cep telefon|telefon|smartfon|planşet)")
FOOTERS: tuple[re.Pattern[str], ...] = tuple(re.compile(p, _I) for p in (
    r"^sent from my (iphone|ipad|ipod|android|samsung|galaxy|huawei|xiaomi|redmi|honor|oneplus|pixel|"
    r"blackberry|nokia|sony|lg|motorola|windows phone|mobile|phone|smartphone|tablet|cell|verizon)\b.{0,50}$",
    r"^sent from (mail for windows|outlook|yahoo mail|samsung mobile|gmail|windows mail|aol|the all new aol app|"
    r"proton ?mail|yandex|mail\.ru|my mobile|mobile)\b.{0,50}$",
    r"^sent (via|with|using) (blackberry|the samsung|samsung|proton ?mail|yahoo|outlook|gmail|mail\.ru|"
    r"yandex|tutanota|android|iphone|spark|bluemail|aquamail|k-9)\b.{0,50}$",
    r"^get outlook for (ios|android)\b.{0,20}$",
    r"^(получить|получите|скачать|скачайте|загрузить|загрузите) outlook для (ios|android)\b.{0,20}$",
    r"^(отправлено|послано|отправлено с помощью) (с|со|из|через) (моего |моей |мобильного |мобильной )?"
    r"(iphone|ipad|android|samsung|galaxy|huawei|xiaomi|honor|blackberry|телефона|смартфона|планшета|"
    r"мобильного|мобильной|яндекс|приложения|почты|mail\.ru|outlook|yahoo|gmail)\b.{0,60}$",
    r"^(надіслано|відправлено) з (мого )?(iphone|ipad|android|samsung|телефона|смартфона|мобільного|"
    r"outlook|gmail|укр\.нет|ukr\.net)\b.{0,40}$",
    r"^(ios|android) için outlook(['’]?u)? (edinin|alın|indirin|edin)\b.{0,20}$",
    r"^(ios|android) üçün outlook(['’-]?u)? (əldə edin|yükləyin|endirin)\b.{0,20}$",
    r"^" + _DEVICE + r"[\w'’ .-]{0,50}(dan|den|tan|ten) gönderildi\.?$",
    r"^" + _DEVICE + r"[\w'’ .-]{0,50}(dan|dən|tan|tən) göndərildi\.?$",
    r"^(envoyé de mon|envoyé depuis mon|von meinem|enviado desde mi|inviato da) .{1,40}$",
))
SIGNATURE_DELIMITER = re.compile(r"^--[ \t]?$")  # RFC 3676 "-- " (and "--" with the space lost)
DELIMITED_MAX_LINES = 25  # a "-- " with more text below it is a separator in prose, kept

# Closings that open a signature block when a short name/title/contact block follows.
CLOSING = re.compile(
    r"^(best regards|kind regards|warm regards|warmest regards|regards|best wishes|best|many thanks|"
    r"thanks|thank you|thanks and regards|cheers|sincerely|yours sincerely|yours faithfully|yours truly|"
    r"respectfully|br|"
    r"с уважением|с наилучшими пожеланиями|всего доброго|всего хорошего|спасибо|благодарю|заранее спасибо|"
    r"с уважением и благодарностью|искренне ваш|искренне ваша|"
    r"saygılarımla|saygılarımızla|saygilarimla|iyi çalışmalar|teşekkürler|tesekkurler|teşekkür ederim|"
    r"selamlar|sevgiler|iyi günler|en iyi dileklerimle|"
    r"hörmətlə|hormetle|ehtiramla|təşəkkürlər|tesekkurler|təşəkkür edirəm|sağ olun|uğurlar|"
    r"hörmətlə və təşəkkürlə)[,.!]?$", _I)
CLOSING_SEARCH_LINES = 15  # the closing must be among the last lines of the text
SIGNATURE_BLOCK_MAX = 12  # lines below the closing
SIGNATURE_TITLE_LINES = 3  # name/title/company lines above a signature's first contact line
CONTACT = re.compile(r"@|https?://|www\.|\+?\d[\d ()./-]{6,}\d|^\s*(tel|phone|mob|fax|тел|моб|факс|telefon|"
                      r"cep|faks|e-?mail|e-?poçt|эл|web)\b", _I)
# The first words of a confidentiality disclaimer a mail server or a company signature appends.
# Read only on the last lines of a text (DISCLAIMER_LINES), a paragraph of its own running to the
# end: "The file is confidential, I will send it by post." in an answer is no mail's disclaimer.
DISCLAIMER = re.compile(
    r"^[\W_]{0,3}(?:(?:notice|important|warning|внимание|важно|diqqət|uyarı|önemli)\s?:\s{0,3})?(?:"
    r"(?:confidentiality|privacy|legal) (?:notice|note|statement|disclaimer)|disclaimer\b|"
    r"(?:this|the information (?:contained )?in this) (?:e-?mail|message|electronic mail|communication|"
    r"transmission)\b[^.]{0,160}?"
    r"\b(?:confidential|privileged)|"
    r"(?:bu|həmin|işbu) (?:məktub|e-?poçt|elektron məktub|mesaj|ismarış)\b[^.]{0,160}?\bməxfi|"
    r"məxfilik (?:bildirişi|qeydi|xəbərdarlığı)|"
    r"(?:настоящее|данное|это) (?:сообщение|письмо|электронное письмо)\b[^.]{0,160}?\bконфиденциальн|"
    r"(?:уведомление о конфиденциальности|конфиденциальность)\b|"
    r"(?:bu|işbu) (?:e-?posta|ileti|mesaj|elektronik posta)\b[^.]{0,160}?\bgizli|"
    r"gizlilik (?:uyarısı|notu|bildirimi|beyanı)|yasal uyarı\b)", _I)
DISCLAIMER_LINES = 40  # a disclaimer (in two or three languages) starts among the last lines
_IMAGE = re.compile(r"^\[[^\[\]]{1,80}\]$")  # an image's alt text, as htmltext writes it (a logo)
# A line that is part of the letter, never of a signature, and resumes the letter under one: a P.S. in any of its spellings ("P.S.",
# "PS:", "P.P.S.", "П.С.", "ПС") or a note label with its colon ("Not:", "Qeyd:", "Note:").
POSTSCRIPT_LINE = re.compile(
    r"^(?:p\.?\s?p\.?\s?s|p\.?\s?s|п\.?\s?п\.?\s?с|п\.?\s?с)(?![^\W\d_])"
    r"|^(?:not|note|nb|n\.\s?b|qeyd|əlavə|ek|примечание|заметка|дополнение|добавлю|uwaga)\s?:", _I)
# Contact data a signature's own lines carry beside CONTACT's: an address or office line.
CONTACT_LABEL = re.compile(r"^\s*(address|adres|ünvan|unvan|адрес|office|ofis|офис)\b", _I)
_NAME_TOKEN = re.compile(r"^[^\W\d_][\w.'’-]*$")


@dataclass(frozen=True)
class Reply:
    """A reply taken apart; each part stripped, "" when absent."""

    new: str  # what the sender wrote now: no history, no inline quotes, no signature
    quoted: str  # the history and the inline quotes
    signature: str
    above: str  # own text above the history before the signature was taken off


def split_reply(text: str) -> tuple[str, str, str]:
    """(new_text, quoted, signature) of a reply; each stripped, "" when absent."""
    reply = read_reply(text)
    return reply.new, reply.quoted, reply.signature


def read_reply(text: str, ours: Callable[[str], bool] | None = None) -> Reply:
    """The reply's parts; only the first SCAN_CHARS are searched for the history.

    A person's own text above the history is never that long; past the cap, the
    text is kept as the sender's own (never dropped), unread for quotes.
    With `ours`, a header block or attribution starts the history only when
    ours(the block and what follows it) says it is our own mail being quoted:
    otherwise it is a colleague's mail the writer pasted, and it is their text.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    head_end = text.find("\n", SCAN_CHARS) if len(text) > SCAN_CHARS else -1
    head, tail = (text, "") if head_end < 0 else (text[:head_end], text[head_end + 1:])
    lines = head.split("\n")
    scan = _Scan(lines, ours)
    cut = scan.history_start()
    own, inline_quotes = scan.drop_inline_quotes(cut)
    if tail and cut == len(lines):
        own += tail.split("\n")
    elif tail:
        lines.append(tail)
    new, signature = split_signature(own)
    quoted = "\n".join(inline_quotes + lines[cut:])
    return Reply(new.strip(), quoted.strip(), signature.strip(), "\n".join(own).strip())


def _may_separate(line: str) -> bool:
    """Cheap test before SEPARATOR: a "--- ... ---" line or a "reply above" marker."""
    stripped = line.strip()
    return stripped[:1] in _SEPARATOR_FIRST and (stripped.endswith("-") or stripped[:1] != "-")


class _Scan:
    """One pass of cheap string tests per line; regexes only on the few candidate lines.

    A quote bomb is mostly lines that cannot start history; the per-line work is a
    few C-level string methods, so 2 MB of them take a fraction of a second.
    """

    def __init__(self, lines: list[str], ours: Callable[[str], bool] | None = None) -> None:
        self.lines = lines
        self.ours = ours
        self.ours_checks = 0
        self.quoted = [line.lstrip()[:1] == ">" for line in lines]
        self.ends_colon = [i for i, line in enumerate(lines) if line.rstrip().endswith(":")]
        first = _SEPARATOR_FIRST | {"_"} if ours is not None else _SEPARATOR_FIRST
        self.candidates = sorted(set(self.ends_colon).union(
            i for i, line in enumerate(lines) if line.lstrip()[:1] in first or ":" in line[:24]
            or (ours is not None and line.rstrip().endswith(">"))))

    def blank(self, i: int) -> bool:
        return not self.lines[i].strip()

    def history_start(self) -> int:
        """Index of the first line of trailing quoted history, len(lines) if none."""
        lines, quoted, ends_colon = self.lines, self.quoted, set(self.ends_colon)
        for i in self.candidates:
            if quoted[i]:
                continue
            line = lines[i]
            if _may_separate(line) and SEPARATOR.match(line[:LINE_CAP]):
                return _include_rule_line(lines, i)
            if ":" in line[:24] and self.header_block_at(i) and self.quoting_us(i):
                return _include_rule_line(lines, i)
            if i in ends_colon:
                start = _attribution_start(lines, self, i)
                if start is not None and not self.quote_follows(i + 1) and (
                        self.ours is not None or BRACKETED_ADDRESS.search(
                            " ".join(lines[start:i + 1])[:ATTRIBUTION_MAX_CHARS])) and self.quoting_us(start):
                    return start  # with `ours`, what follows being our own mail is proof enough
            if self.ours is not None and self.ours_checks < OURS_CHECKS and not self.quote_follows(i + 1) \
                    and self.loose_opener(i) \
                    and self.quoting_us(i):  # a "> " quote below is an inline quote, taken apart below
                return _include_rule_line(lines, i)
        return len(lines)

    def loose_opener(self, i: int) -> bool:
        """A line that may open a quoted mail, read only when `ours` confirms the mail is ours.

        A forward line ("-------- Forwarded Message --------") over our own mail is our mail
        forwarded back: it goes with it, never left dangling at the end of the answer.
        Clients we do not know write their own shapes: Outlook's "_____" alone, a partial
        or reordered header block, Lotus Notes' '-----"Name" <address> wrote: -----' or its
        "Name <address>" over a date. Alone any of these is too weak (a staff member may paste
        a colleague's mail); our own mail below it is not. A "wrote:" without a date stays text
        ("The courier wrote:" above a quote of ours is the staff member's own sentence).
        """
        line = self.lines[i][:LINE_CAP]
        if OUTLOOK_RULE.match(line) or LOTUS_ATTRIBUTION.match(line) or FORWARD_LINE.match(line):
            return True
        if NAME_ADDRESS_LINE.match(line):
            following = self.next_filled(i + 1)
            return following is not None and bool(_WHEN.search(self.lines[following][:LINE_CAP]))
        return self.header_run_at(i) >= 3

    def next_filled(self, j: int) -> int | None:
        while j < len(self.lines) and self.blank(j):
            j += 1
        return j if j < len(self.lines) else None

    def header_run_at(self, i: int) -> int:
        """How many header lines (From, To, Sent/Date, Subject, Cc ...) run from line i on."""
        count = 0
        for line in self.lines[i:i + HEADER_BLOCK_SPAN]:
            line = line[:LINE_CAP]
            if ":" not in line[:40] or not (HEADER_FROM.match(line) or HEADER_ANY.match(line)):
                break
            count += 1
        return count

    def quoting_us(self, i: int) -> bool:
        """Whether the mail quoted from line i is ours (always, when nobody told us what ours is)."""
        if self.ours is None:
            return True
        self.ours_checks += 1
        if self.ours_checks > OURS_CHECKS:
            return False  # a bomb of openers: the rest is the writer's text (relaytext.internal_text still reads it)
        block = [self.lines[i][:LINE_CAP]]
        in_headers = True  # the block's own header lines (Lotus writes To: above From:)
        for line in self.lines[i + 1:i + OURS_LINES]:
            line = line[:LINE_CAP]
            in_headers = in_headers and ":" in line[:40] and bool(HEADER_FROM.match(line) or HEADER_ANY.match(line))
            if not in_headers and (HEADER_FROM.match(line) or OUTLOOK_RULE.match(line) or (
                    _may_separate(line) and SEPARATOR.match(line))):
                break  # the next quoted mail down the thread is not this one (our notices draw "-----" lines)
            block.append(line)
        return self.ours("\n".join(block)[:OURS_CHARS])

    def header_block_at(self, i: int) -> bool:
        """A From line, then header lines (blank lines between allowed) with a Sent/Date, a To and a Subject."""
        lines = self.lines
        if not HEADER_FROM.match(lines[i][:LINE_CAP]):
            return False
        seen_when = seen_subject = seen_to = False
        for j in range(i + 1, min(len(lines), i + 1 + HEADER_BLOCK_SPAN)):
            line = lines[j][:LINE_CAP]
            if not line.strip():
                continue
            if ":" not in line[:40] or not HEADER_ANY.match(line):
                break
            seen_when = seen_when or bool(HEADER_WHEN.match(line))
            seen_subject = seen_subject or bool(HEADER_SUBJECT.match(line))
            seen_to = seen_to or bool(HEADER_TO.match(line))
        return seen_when and seen_subject and seen_to

    def quote_follows(self, j: int) -> bool:
        """True when the next non-blank line from j is a "> " quoted line."""
        while j < len(self.lines) and self.blank(j):
            j += 1
        return j < len(self.lines) and self.quoted[j]

    def names_our_quote(self, i: int) -> bool:
        """A short "Shop Care пишет:" (no date: no attribution alone) over "> " lines of our own mail."""
        line = ADDRESS.sub(" ", self.lines[i].strip()[:LINE_CAP]).replace("<", " ").replace(">", " ")
        said = line.rstrip(":").rstrip()
        verb = next((w for w in sorted(WROTE, key=len, reverse=True) if said.lower().endswith(w)), "")
        if self.ours is None or self.ours_checks >= OURS_CHECKS or not verb or not is_name(
                said[:-len(verb)].strip(" ,\"'")):
            return False  # "The courier wrote:" is the writer's own line, whatever they quote below it
        j = self.next_filled(i + 1)
        run: list[str] = []
        while j is not None and j < len(self.lines) and self.quoted[j] and len(run) < OURS_LINES:
            run.append(self.lines[j][:LINE_CAP])
            j += 1
        self.ours_checks += 1
        return self.ours("\n".join(run)[:OURS_CHARS])

    def drop_inline_quotes(self, cut: int) -> tuple[list[str], list[str]]:
        """Separate "> " lines (and the attribution introducing them) above cut from own text."""
        quoted_at = self.quoted[:cut]
        for i in self.ends_colon:
            if i >= cut:
                break
            if not quoted_at[i] and self.quote_follows(i + 1):
                start = _attribution_start(self.lines, self, i)
                if start is None and self.names_our_quote(i):
                    start = i
                if start is not None:
                    quoted_at[start:i + 1] = [True] * (i + 1 - start)
        own = [line for line, q in zip(self.lines[:cut], quoted_at) if not q]
        quoted = [line for line, q in zip(self.lines[:cut], quoted_at) if q]
        return own, quoted


def _include_rule_line(lines: list[str], i: int) -> int:
    """Move the cut up over blank lines to Outlook's "_____" rule, if there is one."""
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    return j if j >= 0 and RULE_LINE.match(lines[j][:LINE_CAP]) else i


def _attribution_start(lines: list[str], scan: _Scan, end: int) -> int | None:
    """First line of an attribution ending at line `end`, None when there is none.

    The shortest run of lines (up to three) that reads as an attribution wins, so
    a "Hello" above a wrapped attribution stays text; one more line is taken when
    it begins like an attribution ("On ...", a date).
    """
    last = lines[end]
    if len(last) > LINE_CAP or not last.rstrip().endswith(":") or QUOTED_LINE.match(last):
        return None
    for start in range(end, max(-1, end - ATTRIBUTION_MAX_LINES), -1):
        if scan.blank(start) or scan.quoted[start]:
            return None
        if is_attribution(" ".join(part.strip() for part in lines[start:end + 1])):
            above = start - 1
            if (above >= 0 and end - above < ATTRIBUTION_MAX_LINES and not scan.blank(above)
                    and len(lines[above]) < 100 and ATTRIBUTION_START.match(lines[above])
                    and not lines[above].rstrip().endswith((".", "!", "?", ":"))):
                return above
            return start
    return None


def is_attribution(joined: str) -> bool:
    """A line ending in ":" that names a date or time, and an address or a "wrote" verb."""
    if len(joined) > ATTRIBUTION_MAX_CHARS or not joined.rstrip().endswith(":"):
        return False
    bare = ADDRESS.sub(" ", joined)
    if not _WHEN.search(bare):
        return False
    ending = bare.rstrip().rstrip(":").rstrip().lower()
    if ending.endswith(WROTE):
        return True
    # Without a verb (Gmail ru, Yandex, Mail.ru): it opens with the date ("07.12.2026, 10:01, ",
    # "пн, 7 дек. 2026 г. в 10:01, ", "Понедельник, 7 декабря ...") and ends "Name <address>:".
    found = BRACKETED_ADDRESS.search(joined)
    return (found is not None and not joined[found.end():].rstrip().rstrip(":").strip()
            and bool(_DATE_FIRST.match(joined)))


# --- signatures ----------------------------------------------------------------

def split_signature(lines: list[str]) -> tuple[str, str]:
    """(text, signature): client footers at the end, a closing block, a "-- " block.

    A P.S. written under the whole signature, its disclaimer included ("Regards, / name /
    disclaimer / P.S. bring the box"), is the letter's: the signature is read above it and
    the P.S. joins the text, so neither the sign-off goes to the reader nor the P.S. is lost.
    """
    postscript = _closing_postscript(lines)
    if postscript:
        text, signature = _split_signature(lines[:postscript])
        if signature:
            after, own = _split_signature(lines[postscript:])  # a P.S. signed again keeps that signature out
            return text.rstrip("\n") + "\n\n" + after.strip("\n"), "\n\n".join(filter(None, (signature, own)))
    return _split_signature(lines)


def _closing_postscript(lines: list[str]) -> int:
    """The line a P.S. paragraph starts at among the last lines of the text; 0 when none."""
    for i in range(max(1, len(lines) - DISCLAIMER_LINES), len(lines)):
        if not lines[i - 1].strip() and POSTSCRIPT_LINE.match(lines[i].strip()[:LINE_CAP]):
            return i
    return 0


def _split_signature(lines: list[str]) -> tuple[str, str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    cut = end
    while cut and (not lines[cut - 1].strip() or is_footer(lines[cut - 1])):
        cut -= 1
    while cut < end and not lines[cut].strip():
        cut += 1
    body_end = cut = _disclaimer_block(lines, cut)
    cut = min(_closing_block(lines, cut), _delimited_block(lines, cut))
    resumed = _resumed(lines, cut, body_end)
    if resumed == body_end:
        return "\n".join(lines[:cut]), "\n".join(lines[cut:end])
    text = "\n".join(lines[:cut]).rstrip("\n") + "\n\n" + "\n".join(lines[resumed:body_end])
    return text, "\n".join(lines[cut:resumed] + lines[body_end:end]).strip("\n")


def _resumed(lines: list[str], cut: int, end: int) -> int:
    """Where the writer's own text goes on under the signature starting at `cut`: a P.S. line
    ("P.S. it's still broken" under a phone number), or a paragraph that reads as a sentence
    and holds no contact data; `end` when nothing resumes. What follows is kept as text: a
    company slogan kept is a blemish, a customer's last words dropped are lost."""
    for i in range(cut + 1, end):
        line = lines[i].strip()[:LINE_CAP]
        if POSTSCRIPT_LINE.match(line):
            return i
        if line and not lines[i - 1].strip() and _sentence_paragraph(lines, i, end):
            return i
    return end


def _sentence_paragraph(lines: list[str], start: int, end: int) -> bool:
    """The paragraph from `start` is a sentence of the letter: no contact line, no client footer or
    disclaimer, three words or more with lower-case ones among them, and a sentence's end (or six
    words, mostly lower-case: "it's still broken and nobody called me")."""
    paragraph = []
    for line in lines[start:end]:
        if not line.strip():
            break
        paragraph.append(line.strip()[:LINE_CAP])
    if any(CONTACT.search(line[:200]) or CONTACT_LABEL.match(line) or is_footer(line) or _IMAGE.match(line)
           for line in paragraph) or is_disclaimer(_head(lines, start, end)):
        return False
    words = " ".join(paragraph).split()
    lower = sum(1 for word in words[1:] if word[:1].islower())
    if len(words) < 3 or not lower:
        return False
    return paragraph[-1].endswith((".", "!", "?", "…")) or (len(words) >= 6 and 2 * lower >= len(words) - 1)


def is_disclaimer(line: str) -> bool:
    return bool(DISCLAIMER.match(line.strip()[:LINE_CAP]))


def _disclaimer_block(lines: list[str], end: int) -> int:
    """Where the confidentiality disclaimers closing the text start (blank lines above them
    dropped too); `end` when the text does not end in one.

    Each is a paragraph of its own whose first line opens like a disclaimer; the
    text above must hold something else (a mail that is only a disclaimer keeps it).
    """
    cut = end
    while True:
        start = cut
        while start and lines[start - 1].strip():
            start -= 1
        if start == cut or end - start > DISCLAIMER_LINES or not is_disclaimer(_head(lines, start, cut)):
            return cut
        above = start
        while above and not lines[above - 1].strip():
            above -= 1
        if not above:
            return cut
        cut = above


def _head(lines: list[str], start: int, end: int) -> str:
    """A paragraph's first lines joined: a disclaimer wraps its "confidential" onto the second or third."""
    head = []
    for line in lines[start:min(end, start + 3)]:
        if not line.strip():
            break
        head.append(line.strip()[:LINE_CAP])
    return " ".join(head)


def is_footer(line: str) -> bool:
    stripped = line.strip()
    return len(stripped) <= 100 and any(p.match(stripped) for p in FOOTERS)


def _delimited_block(lines: list[str], end: int) -> int:
    """Where a "-- " signature starts above `end`; `end` when there is none."""
    for i in range(max(0, end - DELIMITED_MAX_LINES - 1), end):
        if SIGNATURE_DELIMITER.match(lines[i]):
            return i
    return end


def _closing_block(lines: list[str], end: int) -> int:
    """Where a closing + name/title/contact block starts above `end`; `end` when none."""
    first = next((i for i in range(end) if lines[i].strip()), end)
    for i in range(max(first + 1, end - CLOSING_SEARCH_LINES), end):  # "Thanks,\nAli" alone is the message
        line = lines[i].strip()[:60]
        if CLOSING.match(line) and is_signature_block(lines[i + 1:end]):
            return i
        closing, comma, name = line.partition(", ")
        if comma and CLOSING.match(closing) and is_name(name) and (
                i + 1 == end or is_signature_block([name] + lines[i + 1:end])):
            return i  # "Thanks, Ali" / "Regards, Ali Aliyev" + contacts
    return end


def is_signature_block(block: list[str]) -> bool:
    """A name first (or a contact), then short title/company/contact lines.

    Before the first contact line every line must be short and hold no digits: a
    sentence or an order number below a "Thanks," is part of the letter, not a
    signature. After a contact line, anything (an Outlook disclaimer) may follow.
    """
    filled = [line.strip() for line in block if line.strip() and not _IMAGE.match(line.strip())]
    if not filled or len(block) > SIGNATURE_BLOCK_MAX:
        return False
    if not (is_name(filled[0]) or CONTACT.search(filled[0][:200])):
        return False
    dotted_ok = _contact_paragraph(block)
    for line in filled:
        if CONTACT.search(line[:200]):
            return True
        if len(line) > 60 or len(line.split()) > 7 or line.endswith(("?", "!")) or POSTSCRIPT_LINE.match(line) or (
                line.endswith(".") and len(line.split()) >= 3 and not dotted_ok) or any(ch.isdigit() for ch in line):
            return False  # a sentence, a P.S., an order number: the letter goes on
    return True


def _contact_paragraph(block: list[str]) -> bool:
    """One paragraph with a contact line among its first lines: a signature whatever its punctuation.

    "Senior Care Specialist | Shop Ltd.", "ООО «Шоп», отдел доставки." or a
    "This e-mail is confidential." above the phone end in "." yet are no sentence
    of the letter: what makes them a signature is the contact line right below.
    """
    filled = [line.strip() for line in block]
    while filled and not filled[-1]:
        filled.pop()
    while filled and not filled[0]:
        filled.pop(0)
    if not filled or "" in filled:
        return False
    return any(CONTACT.search(line[:200]) for line in filled[:SIGNATURE_TITLE_LINES + 1])


def is_name(line: str) -> bool:
    """One to four capitalised words, no digits: "Ali Məmmədov", "Иван Петров"."""
    tokens = line.split("|", 1)[0].replace(",", " ").split()  # "Leyla Həsənova | Customer Care"
    return 1 <= len(tokens) <= 4 and len(line) <= 50 and all(
        _NAME_TOKEN.match(t) and t[0].isupper() for t in tokens)
