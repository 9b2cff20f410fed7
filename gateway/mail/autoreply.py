"""Out-of-office and autoresponder texts that came without any automatic header.

Some responders (a mailbox rule, an old webmail, a CRM) send no Auto-Submitted,
no X-Autoreply and a plain "Re:" subject; their text is all there is. Such a
text has a shape a person's complaint does not: it says its writer is away now
("Я в отпуске", "İzindeyim", "I am out of the office", "Məzuniyyətdəyəm") AND
when they come back or whom to ask meanwhile ("Когда вернусь, отвечу",
"döndüğümde", "for urgent matters", "qayıdanda") — or it calls itself an
automatic reply. And it is short, asks nothing and names no order, parcel,
refund or courier. A person writing "I was on vacation when the parcel came"
or "İzindeyim, siparişim ne zaman gelecek?" is a customer: a false positive
hides a person's words from staff, so every guard must hold.

Body-only evidence never drops mail (gateway.mail.hygiene marks it `away`, not
automatic): a new mail is a complaint; on a complaint's thread only our automatic
answer is held back (gateway.ingest.decide).

Pure: the hygiene step passes the mail's new text; every pattern is a plain
alternation of literal phrases (linear time), read on a bounded prefix.
"""
from __future__ import annotations

import re
import unicodedata

SCAN = 1500  # characters of the new text read; a responder's text is short
LONGEST = 1200  # a longer new text is a person writing at length
AWAY_WITHIN = 400  # the away statement opens the text (after a greeting)


def fold(text: str) -> str:
    """Case-insensitive form that also matches Turkish İ/I against i."""
    return unicodedata.normalize("NFKC", text).casefold().replace("\u0307", "")


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# The writer is away now (first person, present or near future): folded text.
AWAY = _any(
    # en
    r"\bi(?: am|['’]m) (?:currently |now |presently )?(?:out of (?:the )?office|away from (?:the |my )?(?:office|desk)"
    r"|away\b|on (?:annual |parental |maternity |paternity |sick |business |a )?(?:leave|vacation|holidays?|trip)"
    r"|travell?ing|off work)",
    r"\bi will be (?:out of (?:the )?office|away|travell?ing|on (?:annual |parental |maternity |sick )?(?:leave|vacation"
    r"|holidays?))",
    # ru
    r"\bя (?:сейчас |в данный момент |временно |до \S{1,12} )?(?:нахожусь )?(?:в (?:ежегодном |очередном )?отпуске"
    r"|в командировке|на больничном|вне офиса|отсутствую)",
    r"\bменя (?:сейчас )?нет в офисе", r"\bбуду отсутствовать",
    # tr (İ folds to i)
    r"\b(?:yıllık )?(?:izindeyim|tatildeyim|ofis dışındayım|ofiste değilim|ofis dışında olacağım|izinde olacağım"
    r"|seyahatteyim|görev seyahatindeyim|raporluyum)",
    # az
    r"(?:məzuniyyətdəyəm|ezamiyyətdəyəm|tətildəyəm|ofisdə deyiləm|işdə deyiləm|ofisdən kənardayam"
    r"|məzuniyyətdə olacağam|iş yerində deyiləm|xəstəlik vərəqəsindəyəm)",
)
# When they are back, or whom to write meanwhile.
BACK = _any(
    # en
    r"\b(?:i will|i['’]ll) (?:be back|return|reply|respond|answer|get back|have (?:limited|no) access)",
    r"\bupon (?:my )?return\b", r"\bwhen i (?:return|am back|get back)\b", r"\b(?:back|returning) (?:in the office )?on\b",
    r"\blimited (?:access|e-?mail)", r"\bfor (?:urgent|immediate|pressing)\b",
    r"\bin my absence\b", r"\b(?:until|till|through) (?:\d|mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct"
    r"|nov|dec|the |next|tomorrow)",
    # ru
    r"когда вернусь", r"по возвращении", r"после (?:моего )?возвращения", r"\bвернусь\b", r"\bотвечу\b",
    r"по срочным вопросам", r"ограниченн\w{0,3} доступ", r"в мо[её] отсутствие", r"\bдо \d",
    r"\bдо (?:понедельника|вторника|среды|четверга|пятницы|субботы|воскресенья|конца)",
    # tr
    r"döndüğümde", r"dönüşümde", r"döndükten sonra", r"döneceğim", r"dönünce", r"\bne zaman\b",
    r"acil (?:durum|konu|iş)", r"sınırlı (?:erişim|e-?posta)", r"\bkadar\b",
    # az
    r"qayıdanda", r"qayıtdıqdan sonra", r"qayıdacağam", r"qayıtdıqda", r"cavab verəcəyəm", r"təcili (?:hallarda|məsələ|sual)",
    r"tarixinədək|tarixədək|\bqədər\b", r"müraciət edə bilərsiniz", r"əlaqə saxlaya bilərsiniz",
)
# The text says it is an automatic reply: enough on its own (with the guards).
SELF_DECLARED = _any(
    r"\bthis is an? (?:automatic|automated|auto-generated)(?: e-?mail)? (?:reply|response|message|notification)",
    r"\b(?:this|the) (?:e-?mail|message|reply) (?:is|was|has been) (?:sent |generated )?automatically",
    r"(?:это|данное сообщение|настоящее сообщение|это сообщение) (?:— |- )?(?:автоматический ответ"
    r"|сформировано автоматически|отправлено автоматически)",
    r"\bbu (?:e-?posta |mesaj |ileti )?(?:bir )?otomatik (?:bir )?(?:yanıt|cevap|mesaj)", r"otomatik olarak (?:gönderil|oluşturul)",
    r"\bbu (?:məktub |mesaj )?avtomatik (?:cavab|göndəril|yaradıl)",
    # a retired address's standing answer
    r"\b(?:this|my) (?:e-?mail )?(?:address|inbox|mailbox|account) (?:\S{1,80} )?is no longer (?:in use|monitored|active)",
    r"(?:этот|данный) (?:почтовый )?(?:адрес|ящик) больше не (?:используется|обслуживается)",
    r"\bbu (?:e-?posta )?adres(?:i)? artık kullanılmıyor", r"\bbu (?:e-?poçt )?ünvan(?:ı)? artıq istifadə olunmur",
)
# What a customer writes about and a responder does not: any of it means a person.
COMPLAINT_WORDS = _any(
    r"\b(?:order|parcel|package|deliver|refund|courier|money|product|complain|broken|damaged|payment|invoice|receipt)",
    r"\b(?:заказ|посылк|доставк|возврат|курьер|деньг|товар|жалоб|оплат|чек\b|сломан|повреж)",
    r"\b(?:sipariş|kargo|paket|teslim|iade|kurye|para\b|ürün|şikayet|ödeme|fatura|kırık|hasar)",
    r"\b(?:sifariş|bağlama|çatdır|qaytar|kuryer|pul\b|məhsul|şikayət|ödəniş|qəbz|sınıq|zədə)",
)


def is_autoreply_text(new_text: str) -> bool:
    """A responder's text: self-declared or away-and-back, short, no question, no complaint."""
    if len(new_text) > 4 * LONGEST or len(new_text.strip()) > LONGEST:
        return False
    text = fold(new_text[:SCAN]).strip()
    if not text or "?" in text or COMPLAINT_WORDS.search(text):
        return False
    if SELF_DECLARED.search(text):
        return True
    away = AWAY.search(text)
    return away is not None and away.start() <= AWAY_WITHIN and bool(BACK.search(text))
