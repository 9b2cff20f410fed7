"""What of a staff answer reaches the customer, and when an answer must not go at all.

Our staff notice promises the customer never sees a staff member's own address
or phone. quotes.py takes off the signatures it can recognise by structure; what
is left of the staff member here (an Outlook signature without a closing, an
address or phone typed in the text) is removed: their addresses become the care
address, their phone numbers (the ones in their signature or contact block)
are deleted, and a trailing name + contact block goes whole.

And an answer is never lost silently: when nothing is left to send for a
#resolve/#ask or a plain reply, or when most of the text was taken for a
signature, lost_answer() says why, and the caller refuses the reply and tells
its author instead of sending the customer an empty or cut answer.
Pure: no database, network or clock.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from gateway.mail import quotes

_LABEL_ONLY = re.compile(r"^[\W_]*([^\W\d_]{1,12}[\W_]*){0,2}$")  # "Tel.:", "Mob. / WhatsApp:", "" ...
_WORD = re.compile(r"\w+")
_PHONE_LABEL = re.compile(r"^\s*(mob|mobile|cell|gsm|tel|phone|telefon|cep|whatsapp|моб|тел|m|t)\b[^:\d]{0,20}:"
                          r"\s*\+?\d", re.IGNORECASE)
LINE_CAP = 1000  # characters of a line read for a label
PROSE_WORDS = 8  # a signature line with this many words is a sentence somebody wrote
SIGNATURE_LINES = 30  # lines of a signature read for sentences
ADDRESSES_MAX = 20  # own addresses looked for (a signature lists a few)
SIGNATURE_CHARS = 5000  # of a signature read for addresses and phones
LOST_SHARE = 2  # the signature holding twice the answer's words, with prose in it: the answer was cut


def scrub_staff(body: str, staff_addresses: Iterable[str], signature: str, care_address: str,
                region: str, staff_name: str = "", staff_domains: Iterable[str] = ()) -> str:
    """The body without the staff member's contact block, addresses and phone numbers.

    Any address at a staff domain (the configured ones, else the writer's own)
    becomes the care address: a colleague's address is as internal as theirs.
    """
    lines = body.split("\n")
    staff_addresses = tuple(staff_addresses)
    domains = {d.lower() for d in staff_domains if d} or _domains(staff_addresses)
    block_start = _trailing_contact_block(lines, staff_addresses, staff_name)
    removed = "\n".join(lines[block_start:])
    lines = lines[:block_start]
    contact = (signature[:SIGNATURE_CHARS] + "\n" + removed[:SIGNATURE_CHARS] + "\n"
               + _own_labelled_lines(_last_paragraph(lines), domains, staff_name))
    addresses = set(sorted({a.lower() for a in staff_addresses if a} | _addresses(contact))[:ADDRESSES_MAX])
    phones = _phones(contact, region)
    text = _replace_addresses("\n".join(lines), addresses, care_address)
    text = _replace_domains(text, domains, care_address)
    return _remove_phones(text, phones, region).strip()


def staff_reply(text: str, marks: Iterable[str]) -> quotes.Reply:
    """A staff reply's parts, where quoted history is only our own mail quoted back.

    A pasted "From: Warehouse ... Subject: order 1234" block is what the staff
    member wants the customer to read; cutting it as history would send a cut
    answer without telling anyone. Our mail is known by `marks` (our address,
    the complaint's tracking number, with or without its dashes, any case) or by
    our staff notice's field lines or fixed sentences in its headers or text; with that proof,
    quotes.py also takes the openers of clients it does not know (a Thunderbird
    "23.11.2026 10:01, Shop Care пишет:", Outlook's "_____" alone, Lotus Notes).
    """
    wanted = tuple(m.lower() for m in marks if m and len(m) >= 3)
    compact = tuple(m.replace("-", "") for m in wanted if "-" in m and "@" not in m)

    def ours(block: str) -> bool:
        lowered = block.lower()
        return (any(m in lowered for m in wanted) or any(m in lowered.replace("-", "") for m in compact)
                or notice_fields(block) >= NOTICE_FIELDS or bool(notice_sentences(block)))
    return quotes.read_reply(text, ours)


# The field labels of our staff notices (templates/mail/_staff_footer.*.txt and _staff.*.html;
# tests/test_relaytext.py checks they are all here): lines of our notice, never of an answer.
NOTICE_LABELS = frozenset(label.lower() for label in (
    "Tracking", "Subject", "Customer", "Phone", "Status", "Priority", "Category", "Department", "Assignee",
    "Registered", "Acknowledge by", "Stage due", "Resolve by", "Rejected", "Rejected by the customer", "Sensitive",
    "Номер", "Тема", "Клиент", "Телефон", "Статус", "Приоритет", "Категория", "Отдел", "Ответственный",
    "Зарегистрирована", "Подтвердить до", "Срок этапа", "Решить до", "Отклонено", "Отклонено клиентом (раз)",
    "Особые данные",
    "Takip numarası", "Konu", "Müşteri", "Telefon", "Durum", "Öncelik", "Kategori", "Birim", "Sorumlu", "Kayıt tarihi",
    "Teyit son tarihi", "Aşama süresi", "Çözüm son tarihi", "Reddedildi", "Müşterinin ret sayısı", "Hassas veri",
    "Qeydiyyat nömrəsi", "Mövzu", "Müştəri", "Prioritet", "Kateqoriya", "Şöbə", "İcraçı", "Qeydə alınıb",
    "Təsdiq müddəti", "Mərhələ müddəti", "Həll müddəti", "Rədd sayı", "Həssas məlumat"))
NOTICE_FIELDS = 4  # distinct field lines: a staff answer may say "Status: shipped", not four of these
_FIELD = re.compile(r"^[ \t>*]{0,8}([^\W\d_][^:|\n]{0,30}?)[ \t]*[:|][ \t]*\S")
NOTICE_CHARS = 50_000  # of a text searched for our notice's field lines


def notice_fields(text: str) -> int:
    """How many distinct field labels of our staff notice start lines of `text`."""
    seen = set()
    for line in text[:NOTICE_CHARS].split("\n"):
        found = _FIELD.match(line[:LINE_CAP])
        if found and found.group(1).lower() in NOTICE_LABELS:
            seen.add(found.group(1).lower())
    return len(seen)


# The fixed sentences our staff notices open with (templates/mail/staff_new, staff_update, staff_notice in
# every language; tests/test_relaytext.py checks they are there): a line starting with one is our mail
# pasted back, whether or not its field lines came with it. Nobody writes them to a customer.
NOTICE_SENTENCES = tuple(sentence.casefold() for sentence in (
    "A new complaint has been registered", "The customer wrote:", "The gateway reports about this complaint:",
    "They neither accepted nor rejected our answer",
    "Yeni şikayət qeydə alındı", "Müştərinin məktubu:", "Bu şikayətlə bağlı sistem bildirişi:",
    "Müştəri cavabımızı nə qəbul, nə də rədd etdi",
    "Зарегистрирована новая жалоба", "Клиент написал:", "Система сообщает об этой жалобе:",
    "Клиент не принял и не отклонил наш ответ",
    "Yeni bir şikâyet kaydedildi", "Müşterinin yazdığı:", "Sistem bu şikâyetle ilgili bildiriyor:",
    "Müşteri yanıtımızı ne kabul ne de reddetti"))


def notice_sentences(text: str) -> int:
    """How many distinct fixed sentences of our staff notices start lines of `text` (quoted or not)."""
    seen: set[str] = set()
    for line in text[:NOTICE_CHARS].split("\n"):
        start = line[:LINE_CAP].lstrip(" \t>").casefold()
        seen.update(sentence for sentence in NOTICE_SENTENCES if start.startswith(sentence))
    return len(seen)


def internal_text(body: str) -> str:
    """Why `body` must not reach the customer because our staff notice is in it; "" when it may.

    quotes.py cuts our notice quoted under any opener it can tell; a notice pasted
    with none (an unknown client quoting by indentation alone) leaves no line to cut
    at, and guessing would relay its complaint facts and history: nothing goes, and
    the author is told.
    """
    if notice_fields(body) < NOTICE_FIELDS and not notice_sentences(body):
        return ""
    return ("your reply holds the desk's notice (the complaint's fields and history) and it could not be told "
            "where your answer ends (nothing was sent; write the answer above the quoted mail, or delete the quoted "
            "notice)")


def lost_answer(body: str, signature: str, mode: str, has_commands: bool) -> str:
    """Why this reply must not reach the customer as it was understood; "" when it may."""
    if not body.strip() and mode in ("ask", "resolution"):
        return ("no text for the customer was found in your reply: everything in it was read as quoted "
                "history or your signature (nothing was sent; write the answer above the quoted mail)")
    if not body.strip() and mode == "relay" and not has_commands:
        return ("your reply holds no text for the customer: everything in it was read as quoted history "
                "or your signature (nothing was sent)")
    if body.strip() and _prose(signature) and _words(signature) >= LOST_SHARE * _words(body):
        return ("most of your text was read as your signature and would not reach the customer "
                f"(read as signature: {' '.join(signature.split())[:300]!r}); nothing was sent: "
                "write the answer above the signature delimiter \"-- \"")
    return ""


def _trailing_contact_block(lines: list[str], staff_addresses: tuple[str, ...], staff_name: str) -> int:
    """Start of a last paragraph that is the staff member's name + contact block; len(lines) if none.

    It is theirs when it holds their address or starts with a word of their display
    name; a "Courier Desk / Tel: ..." paragraph is part of the answer and stays.
    """
    start, end = _last_paragraph_bounds(lines)
    block = [line.strip() for line in lines[start:end]]
    shown = [line for line in block if not line.startswith("[")]  # a logo's alt text
    if shown and quotes.CLOSING.match(shown[0][:60]):
        shown = shown[1:]
    if len(block) < 2 or len(block) > quotes.SIGNATURE_BLOCK_MAX or not shown or (
            _prose("\n".join(block)) and not quotes.is_signature_block(shown)):
        return len(lines)
    text = "\n".join(block).lower()
    named = {w.lower() for w in staff_name.split() if len(w) > 2} & {w.lower().strip(",|") for w in shown[0].split()}
    own = (named and quotes.is_name(shown[0])) or any(a and a.lower() in text for a in staff_addresses)
    return start if own and any(quotes.CONTACT.search(line[:200]) for line in block) else len(lines)


def _last_paragraph_bounds(lines: list[str]) -> tuple[int, int]:
    """[start, end) of the last run of non-blank lines."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and lines[start - 1].strip():
        start -= 1
    return start, end


def _last_paragraph(lines: list[str]) -> list[str]:
    start, end = _last_paragraph_bounds(lines)
    return lines[start:end]


def _own_labelled_lines(block: list[str], domains: set[str], staff_name: str) -> str:
    """The "Mob: ..." / "Tel.: ..." / "Cep: ..." lines of a last paragraph that is the writer's.

    It is theirs when it opens with a closing or their name, or holds an address at
    a staff domain; a "Courier Desk / Tel: ..." paragraph is part of the answer.
    """
    if not block:
        return ""
    first = block[0].strip()[:60]
    named = {w.lower() for w in staff_name.split() if len(w) > 2} & {w.lower().strip(",|") for w in first.split()}
    own = bool(quotes.CLOSING.match(first) or named or any(
        a.rpartition("@")[2].lower() in domains for a in _addresses("\n".join(block)[:SIGNATURE_CHARS])))
    labelled = "\n".join(line for line in block if _PHONE_LABEL.match(line[:LINE_CAP]))
    return labelled[:SIGNATURE_CHARS] if own else ""


def _domains(staff_addresses: Iterable[str]) -> set[str]:
    return {a.rpartition("@")[2].lower() for a in staff_addresses if "@" in a}


def _replace_domains(text: str, domains: set[str], care_address: str) -> str:
    """Every address at a staff domain (a colleague's, the writer's own) becomes the care address."""
    def one(match: re.Match[str]) -> str:
        address = match.group(0)
        return care_address if address.rpartition("@")[2].lower() in domains else address
    return quotes.ADDRESS.sub(one, text) if domains else text


def _addresses(text: str) -> set[str]:
    return {a.lower() for a in quotes.ADDRESS.findall(text)}


def _replace_addresses(text: str, addresses: set[str], care_address: str) -> str:
    if not addresses:
        return text
    pattern = re.compile("|".join(re.escape(a) for a in sorted(addresses, key=len, reverse=True)), re.IGNORECASE)
    return pattern.sub(care_address, text)


def _phones(text: str, region: str) -> set[str]:
    """National numbers (digits) of the phone numbers in a signature."""
    import phonenumbers  # paid only by the commands that read mail
    return {str(m.number.national_number) for m in phonenumbers.PhoneNumberMatcher(text, region)}


def _remove_phones(text: str, phones: set[str], region: str) -> str:
    """Delete the given phone numbers; a line left holding only its label goes too."""
    if not phones:
        return text
    import phonenumbers
    out = []
    for line in text.split("\n"):
        spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(line, region)
                 if str(m.number.national_number) in phones]
        if not spans:
            out.append(line)
            continue
        for start, end in reversed(spans):
            line = line[:start] + line[end:]
        rest = line.strip()
        if len(rest) > 40 or not _LABEL_ONLY.match(rest):
            out.append(re.sub(r"[ \t]{2,}", " ", line).rstrip())
    return "\n".join(out)


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _prose(signature: str) -> bool:
    """Sentences before the first contact line: somebody's text, not a signature."""
    lines = signature.split("\n")[:SIGNATURE_LINES]
    if lines and quotes.CLOSING.match(lines[0].strip()[:60]):
        lines = lines[1:]
    if quotes.is_signature_block(lines):
        return False  # name, title, company, contacts: a signature whatever its punctuation
    for line in lines:
        line = line.strip()
        if quotes.CONTACT.search(line[:200]) or quotes.is_footer(line) or quotes.is_disclaimer(line):
            return False  # a disclaimer is the mail server's prose, not a cut answer
        words = len(line.split())
        if words >= PROSE_WORDS or (words >= 3 and line.endswith((".", "!", "?"))):
            return True
    return False
