"""split_reply on realistic samples of each client's quoting style, in our four languages."""
from __future__ import annotations

import pytest

from gateway.mail import quotes
from gateway.mail.quotes import split_reply

GMAIL_EN = """Thanks, the parcel arrived today.

On Mon, Mar 4, 2024 at 10:12 AM Care Desk <
care@example.com> wrote:

> Dear customer, your complaint [CG-2024-ABCD] was registered.
> We will answer within 3 business days.
"""

GMAIL_RU = """Спасибо, посылку получил.

пн, 4 мар. 2024 г. в 10:12, Care Desk <care@example.com>:

> Уважаемый клиент, ваша жалоба зарегистрирована.
"""

GMAIL_TR = """Teşekkürler, kargo ulaştı.

Care Desk <care@example.com>, 4 Mar 2024 Pzt, 10:12 tarihinde şunu yazdı:

> Sayın müşterimiz, şikayetiniz kaydedildi.
"""

GMAIL_AZ = """Təşəkkürlər, bağlama çatdı.

Care Desk <care@example.com>, 4 mar 2024, B.e., 10:12 tarixində yazıb:

> Hörmətli müştəri, şikayətiniz qeydə alındı.
"""

OUTLOOK_EN = """I reject the proposed solution.

Regards,
Ali

-----Original Message-----
From: Care Desk <care@example.com>
Sent: Monday, March 4, 2024 10:12 AM
To: Ali <ali@example.org>
Subject: [CG-2024-ABCD] Proposed solution

Please accept or reject.
"""

OUTLOOK_RU = """Не согласен с решением.

________________________________
От: Care Desk <care@example.com>
Отправлено: 4 марта 2024 г. 10:12
Кому: Иван Петров
Тема: [CG-2024-ABCD] Решение

Примите или отклоните решение.
"""

OUTLOOK_TR = """Çözümü kabul ediyorum.

________________________________
Kimden: Care Desk <care@example.com>
Gönderildi: 4 Mart 2024 Pazartesi 10:12
Kime: Ayşe Yılmaz
Konu: [CG-2024-ABCD] Çözüm önerisi
"""

OUTLOOK_AZ = """Həlli qəbul edirəm.

Göndərən: Care Desk <care@example.com>
Göndərilib: 4 mart 2024 10:12
Kimə: Elvin Məmmədov
Mövzu: [CG-2024-ABCD] Həll təklifi
"""

OUTLOOK_UK = """Дякую.

Від: Care Desk <care@example.com>
Надіслано: 4 березня 2024 р. 10:12
Кому: Олена
Тема: Скарга
"""

THUNDERBIRD_BOTTOM = """On 04.03.2024 10:12, Care Desk wrote:
> Did the courier call you?

No, nobody called me.
"""

THUNDERBIRD_RU = """04.03.2024 10:12, Care Desk пишет:
> Курьер звонил вам?

Нет, никто не звонил.
"""

THUNDERBIRD_FORWARD_STYLE = """Please see below.

-------- Original Message --------
Subject: Complaint
Date: Mon, 4 Mar 2024 10:12:00 +0300
From: Care Desk <care@example.com>
"""

APPLE_MAIL = """The refund has not arrived yet.

Sent from my iPhone

> On 4 Mar 2024, at 10:12, Care Desk <care@example.com> wrote:
>
> Your refund was issued.
"""

APPLE_MAIL_RU = """Возврат ещё не пришёл.

Отправлено с iPhone

> 4 марта 2024 г., в 10:12, Care Desk <care@example.com> написал(а):
>
> Возврат оформлен.
"""

YANDEX = """Жалоба всё ещё актуальна.

04.03.2024, 10:12, "Care Desk" <care@example.com>:
> Ваша жалоба зарегистрирована.
"""

MAILRU = """Жалоба всё ещё актуальна.


Понедельник, 4 марта 2024, 10:12 +03:00 от Care Desk <care@example.com>:
>
>Ваша жалоба зарегистрирована.
"""

TURKISH_PLAIN = """Hâlâ cevap bekliyorum.

4.03.2024 10:12 tarihinde Care Desk yazdı:
> Şikayetiniz kaydedildi.

iPhone'umdan gönderildi
"""

AZ_PLAIN = """Hələ cavab gözləyirəm.

4.03.2024 10:12 tarixində Care Desk yazıb:
> Şikayətiniz qeydə alındı.
"""

YAHOO_OLD = """Still broken.

--- On Mon, 3/4/24, Care Desk <care@example.com> wrote:

From: Care Desk <care@example.com>
Subject: Complaint
"""


@pytest.mark.parametrize("text, new, quoted_start", [
    (GMAIL_EN, "Thanks, the parcel arrived today.", "On Mon, Mar 4, 2024"),
    (GMAIL_RU, "Спасибо, посылку получил.", "пн, 4 мар. 2024"),
    (GMAIL_TR, "Teşekkürler, kargo ulaştı.", "Care Desk <care@example.com>, 4 Mar"),
    (GMAIL_AZ, "Təşəkkürlər, bağlama çatdı.", "Care Desk <care@example.com>, 4 mar"),
    (OUTLOOK_EN, "I reject the proposed solution.", "-----Original Message-----"),
    (OUTLOOK_RU, "Не согласен с решением.", "________________________________"),
    (OUTLOOK_TR, "Çözümü kabul ediyorum.", "________________________________"),
    (OUTLOOK_AZ, "Həlli qəbul edirəm.", "Göndərən: Care Desk"),
    (OUTLOOK_UK, "Дякую.", "Від: Care Desk"),
    (THUNDERBIRD_BOTTOM, "No, nobody called me.", "On 04.03.2024 10:12, Care Desk wrote:"),
    (THUNDERBIRD_RU, "Нет, никто не звонил.", "04.03.2024 10:12, Care Desk пишет:"),
    (THUNDERBIRD_FORWARD_STYLE, "Please see below.", "-------- Original Message --------"),
    (APPLE_MAIL, "The refund has not arrived yet.", "> On 4 Mar 2024"),
    (APPLE_MAIL_RU, "Возврат ещё не пришёл.", "> 4 марта 2024 г."),
    (YANDEX, "Жалоба всё ещё актуальна.", "04.03.2024, 10:12"),
    (MAILRU, "Жалоба всё ещё актуальна.", "Понедельник, 4 марта 2024"),
    (TURKISH_PLAIN, "Hâlâ cevap bekliyorum.", "4.03.2024 10:12 tarihinde Care Desk yazdı:"),
    (AZ_PLAIN, "Hələ cavab gözləyirəm.", "4.03.2024 10:12 tarixində Care Desk yazıb:"),
    (YAHOO_OLD, "Still broken.", "--- On Mon, 3/4/24"),
])
def test_new_text_is_separated_from_the_quote(text: str, new: str, quoted_start: str) -> None:
    new_text, quoted, _ = split_reply(text)
    assert new_text == new
    assert quoted.startswith(quoted_start)


@pytest.mark.parametrize("text, new, signature", [
    (APPLE_MAIL, "The refund has not arrived yet.", "Sent from my iPhone"),
    (APPLE_MAIL_RU, "Возврат ещё не пришёл.", "Отправлено с iPhone"),
    (TURKISH_PLAIN, "Hâlâ cevap bekliyorum.", "iPhone'umdan gönderildi"),
    ("Paket gəlmədi.\n\niPhone-dan göndərildi", "Paket gəlmədi.", "iPhone-dan göndərildi"),
    ("Where is my order?\n\n-- \nJohn Smith\n+1 555 0100", "Where is my order?", "-- \nJohn Smith\n+1 555 0100"),
    ("Где заказ?\n\nОтправлено из мобильной Почты Mail.ru", "Где заказ?", "Отправлено из мобильной Почты Mail.ru"),
    ("Hi\n\nGet Outlook for Android", "Hi", "Get Outlook for Android"),
])
def test_signature_is_split_off(text: str, new: str, signature: str) -> None:
    new_text, _, sig = split_reply(text)
    assert (new_text, sig) == (new, signature)


def test_inline_answers_keep_all_own_lines() -> None:
    text = ("On Mon, 4 Mar 2024, Care Desk wrote:\n> Order number?\n12345\n> Delivery address?\n"
            "Baku, Nizami st. 1\n")
    new_text, quoted, _ = split_reply(text)
    assert new_text == "12345\nBaku, Nizami st. 1"
    assert "> Order number?" in quoted and "> Delivery address?" in quoted


def test_plain_mail_is_all_new_text() -> None:
    text = "Hello,\n\nmy parcel 12:30 arrived broken.\nPlease help: it was a gift.\n"
    assert split_reply(text) == (text.strip(), "", "")


def test_text_above_a_wrapped_attribution_stays_new() -> None:
    text = "Hello\n02.04.2012 14:20 пользователь \"bob@example.com\" <\nbob@example.com> написал:\n\n> Hi\n"
    new_text, quoted, _ = split_reply(text)
    assert new_text == "Hello"
    assert quoted.startswith("02.04.2012 14:20")


def test_a_from_line_in_prose_is_not_a_quote_header() -> None:
    text = "From: my home address the courier took the parcel back.\nIt never came."
    assert split_reply(text)[0] == text


def test_crlf_and_cr_line_endings() -> None:
    text = "Yes.\r\n\r\nOn Mon, Mar 4, 2024 at 10:12 AM Desk <d@example.com> wrote:\r\n> Accept?\r\n"
    assert split_reply(text)[0] == "Yes."
    assert split_reply(text.replace("\r\n", "\r"))[0] == "Yes."


# --- structure, not words: ordinary sentences are kept, with what follows them ----------

ORDINARY = [
    # the regressions
    "Sifarişiniz bu gün anbarımızdan göndərildi.",
    "Ürününüz bugün depomuzdan gönderildi.",
    "Отправлено со склада 24 ноября.",
    "Sent via DHL Express on 24 November",
    "The courier wrote:",
    "Курьер написал:",
    # our own: signature-, footer- and attribution-like words in all four languages
    "Kuryer yazıb:",
    "Müştəri 24 noyabrda yazıb:",
    "Faktura e-poçtunuza göndərildi.",
    "Telefonunuza SMS göndərildi.",
    "Hörmətlə qeyd edirik ki, pul geri qaytarıldı.",
    "Kurye 24 Kasım 2026 tarihinde şunu yazdı:",
    "Kargo firması yazdı:",
    "Telefonunuza SMS gönderildi.",
    "Saygılarımla bildiririz ki iade tamamlandı.",
    "Курьер 24 ноября 2026 в 10:00 написал:",
    "Отправлено с курьером DHL 24.11.2026.",
    "С уважением к вашему времени, отвечаем кратко.",
    "Поставщик пишет:",
    "On 24 November 2026 the courier wrote:",
    "Sent from my warehouse in Baku on 24 November.",
    "Sent with DHL Express, tracking 1234567890.",
    "Regards to the driver, he was very polite.",
    "From: the warehouse in Baku, 24 November",
    "Thanks, the replacement is on its way.",
    "Please send the photos by 10.12.2026 to returns@shop.example:",
    "Call us at 10:00 on 10.12.2026 or write to returns@shop.example:",
    "Фото пришлите до 10.12.2026 в 18:00 на адрес returns@shop.example:",
    "Fotoğrafları 10.12.2026 tarihine kadar returns@shop.example adresine gönderin:",
    "Şəkilləri 10.12.2026 saat 18:00-dək returns@shop.example ünvanına göndərin:",
    "Meeting at 10:00 on 10.12.2026 with Ali <ali@shop.example>:",
    "Встреча в 10:00 10.12.2026 с Иваном <ivan@shop.example>:",
]


@pytest.mark.parametrize("sentence", ORDINARY)
@pytest.mark.parametrize("where", ["alone", "first", "middle", "last"])
def test_an_ordinary_sentence_is_kept_with_the_text_after_it(sentence: str, where: str) -> None:
    before, after = "Hörmətli müştəri, cavabımız belədir.", "We will call you tomorrow at 10:00."
    text = {"alone": sentence, "first": f"{sentence}\n{after}",
            "middle": f"{before}\n\n{sentence}\n{after}", "last": f"{before}\n\n{sentence}"}[where]
    new, quoted, signature = split_reply(text)
    assert (new, quoted, signature) == (text, "", "")


@pytest.mark.parametrize("sentence", ORDINARY)
def test_an_ordinary_sentence_above_a_real_quote_is_kept(sentence: str) -> None:
    text = f"{sentence}\nMore details below.\n\n{GMAIL_EN.split(chr(10), 2)[2]}"
    assert split_reply(text)[0] == f"{sentence}\nMore details below."


GMAIL_TR_WRAPPED = """Ürününüz bugün depomuzdan gönderildi.

Care Desk <care.desk.department@example.com> adresine sahip kullanıcı 7 Ara 2026 Pzt, 10:01
tarihinde şunu yazdı:

> Sayın müşterimiz, şikayetiniz kaydedildi.
"""


def test_turkish_gmail_attribution_wrapped_over_two_lines_leaks_nothing() -> None:
    new, quoted, _ = split_reply(GMAIL_TR_WRAPPED)
    assert new == "Ürününüz bugün depomuzdan gönderildi."
    assert quoted.startswith("Care Desk <care.desk.department@example.com> adresine sahip kullanıcı")


@pytest.mark.parametrize("attribution", [
    "On Mon, 7 Dec 2026 at 10:01, Care Desk <care@example.com> wrote:",
    "On Monday, December 7, 2026, 10:01:15 AM GMT+4, Care Desk <care@example.com> wrote:",  # Yahoo
    "On 7 Dec 2026, at 10:01, Care Desk <care@example.com> wrote:",  # Apple Mail
    "On 07.12.2026 10:01, Care Desk wrote:",  # Thunderbird
    "пн, 7 дек. 2026 г. в 10:01, Care Desk <care@example.com>:",  # Gmail ru
    "07.12.2026, 10:01, \"Care Desk\" <care@example.com>:",  # Yandex
    "Понедельник, 7 декабря 2026, 10:01 +04:00 от Care Desk <care@example.com>:",  # Mail.ru
    "7 дек. 2026 г., в 10:01, Care Desk <care@example.com> написал(а):",  # Apple ru
    "07.12.2026 10:01 пользователь Care Desk <care@example.com> написал:",  # Android Gmail ru
    "Care Desk <care@example.com>, 7 Ara 2026 Pzt, 10:01 tarihinde şunu yazdı:",  # Gmail tr
    "7 Ara 2026 Pzt 10:01 tarihinde Care Desk <care@example.com> şunu yazdı:",
    "Care Desk <care@example.com>, 7 dek 2026, B.e., 10:01 tarixində yazıb:",  # Gmail az
    "7 dek 2026, saat 10:01 tarixində Care Desk <care@example.com> yazdı:",
])
@pytest.mark.parametrize("layout", ["top", "bottom"])
def test_attributions_of_each_client_and_language(attribution: str, layout: str) -> None:
    answer = "Cavab: sifariş sabah çatdırılacaq."
    quote = "> Sifarişim haradadır?\n> Aysel"
    text = f"{answer}\n\n{attribution}\n\n{quote}\n" if layout == "top" else f"{attribution}\n{quote}\n\n{answer}\n"
    new, quoted, _ = split_reply(text)
    assert new == answer
    assert quoted.startswith(attribution)


@pytest.mark.parametrize("attribution", [
    "On Mon, 7 Dec 2026 at 10:01, Care Desk <care@example.com> wrote:",
    "Care Desk <care@example.com>, 7 Ara 2026 Pzt, 10:01 tarihinde şunu yazdı:",
    "--- On Mon, 12/7/26, Care Desk <care@example.com> wrote:",
])
def test_an_attribution_with_an_address_starts_unquoted_history(attribution: str) -> None:
    text = f"Answer here.\n\n{attribution}\n\nOur earlier mail, not quoted with >.\n"
    assert split_reply(text)[0] == "Answer here."


@pytest.mark.parametrize("block", [
    "From: Care Desk <care@example.com>\nSent: Monday, December 7, 2026 10:01 AM\nTo: Ali\nSubject: RE: [CC-2026-X]",
    "От: Care Desk <care@example.com>\nОтправлено: 7 декабря 2026 г. 10:01\nКому: Иван\nТема: [CC-2026-X]",
    "Kimden: Care Desk <care@example.com>\nGönderildi: 7 Aralık 2026 Pazartesi 10:01\nKime: Ayşe\nKonu: [CC-2026-X]",
    "Göndərən: Care Desk <care@example.com>\nGöndərilib: 7 dekabr 2026 10:01\nKimə: Elvin\nMövzu: [CC-2026-X]",
    # Outlook web and mobile: From / Date / To / Subject, sometimes with blank lines between
    "From: Care Desk <care@example.com>\nDate: Monday, 7 December 2026 at 10:01\nTo: Ali <ali@example.org>\n"
    "Subject: [CC-2026-X]",
    "From: Care Desk\n\nSent: Monday, December 7, 2026 10:01\n\nTo: Ali\n\nSubject: [CC-2026-X]",
])
def test_outlook_header_blocks_in_each_language(block: str) -> None:
    text = f"Ödəniş geri qaytarıldı.\n\n________________________________\n{block}\n\nOur earlier mail.\n"
    new, quoted, _ = split_reply(text)
    assert new == "Ödəniş geri qaytarıldı."
    assert quoted.startswith("____")


def test_a_route_with_from_and_to_lines_is_not_a_header_block() -> None:
    text = "From: Baku warehouse\nTo: Ganja pick-up point\nDate: 8 December 2026\nThe parcel travels overnight."
    assert split_reply(text)[0] == text


@pytest.mark.parametrize("footer", [
    "Sent from my iPhone", "Sent from my Samsung Galaxy smartphone.", "Sent from Mail for Windows",
    "Sent from Yahoo Mail for iPhone", "Get Outlook for iOS", "Get Outlook for Android",
    "Отправлено с iPhone", "Отправлено из мобильной Почты Mail.ru", "Отправлено из Яндекс.Почты для Android",
    "Получить Outlook для iOS", "Скачайте Outlook для Android",
    "iPhone'umdan gönderildi", "Samsung Galaxy akıllı telefonumdan gönderildi", "iOS için Outlook'u edinin",
    "Android için Outlook edinin",
    "iPhone-dan göndərildi", "Samsung Galaxy smartfonumdan göndərildi", "iOS üçün Outlook əldə edin",
])
def test_client_footers_at_the_end_are_signature(footer: str) -> None:
    new, _, signature = split_reply(f"Sifarişiniz yoldadır.\n\n{footer}\n")
    assert (new, signature) == ("Sifarişiniz yoldadır.", footer)


def test_a_footer_followed_by_more_text_is_text() -> None:
    text = "Sent from my iPhone\nSorry, the photo is attached now."
    assert split_reply(text)[0] == text


OUTLOOK_SIGNATURES = [
    ("Regards,\nAli Aliyev\nSenior Specialist, Customer Care\nShop LLC\nTel. No.: +994 12 555 55 55\n"
     "ali.aliyev@shop.example"),
    "С уважением,\nИван Петров\nСтарший специалист\nТел.: +7 495 123-45-67\nivan@shop.example",
    "Saygılarımla,\nAyşe Yılmaz\nMüşteri Hizmetleri\nTel: +90 212 555 55 55",
    "Hörmətlə,\nLeyla Həsənova\nMüştəri xidmətləri\nTel: +994 50 123 45 67\nleyla@shop.example",
    "Hormetle,\nLeyla Hasanova",
    "Best regards,\nJohn",
    "Thanks,\nAli\nTel: 050 123 45 67\n\nThis e-mail and any attachment are confidential and intended only for the addressee; if "
    "you received it in error please tell the sender and delete it.",
]


@pytest.mark.parametrize("signature", OUTLOOK_SIGNATURES)
def test_a_closing_with_a_short_name_block_is_signature(signature: str) -> None:
    answer = "Sifarişiniz bu gün anbarımızdan göndərildi.\nKuryer sabah zəng edəcək."
    new, _, sig = split_reply(f"{answer}\n\n{signature}\n\n-----Original Message-----\nFrom: x@y.z\n")
    assert (new, sig) == (answer, signature)


@pytest.mark.parametrize("text", [
    "Thanks,\nAli\nP.S. The refund was sent.",
    "Regards,\nAli\nThe refund was sent today.",
    "Thanks,\nWe received the parcel back and will refund you today.",
    "Спасибо,\nмы получили посылку и вернём деньги сегодня.",
    "Teşekkürler,\nparanız bugün iade edilecek.",
    "Təşəkkürlər,\nPulunuz bu gün qaytarılacaq və sizə SMS göndəriləcək.",
    "Regards,",
    "Best,\nWhat else can we do for you?",
])
def test_a_closing_followed_by_a_sentence_is_text(text: str) -> None:
    assert split_reply(text)[0] == text


def test_dash_dash_far_above_the_end_is_a_separator_in_prose() -> None:
    text = "Items:\n--\n" + "\n".join(f"line {i} of the answer" for i in range(40))
    assert split_reply(text)[0] == text


def test_read_reply_keeps_the_own_text_above_the_history() -> None:
    reply = quotes.read_reply("#resolve\nAnswer.\n\nRegards,\nAli\n\n" + GMAIL_EN.split("\n", 2)[2])
    assert reply.above == "#resolve\nAnswer.\n\nRegards,\nAli"
    assert reply.new == "#resolve\nAnswer."


@pytest.mark.parametrize("bomb", [
    "> " + "a" * 2_000_000,
    "> x\n" * 500_000,
    ("On Mon, 7 Dec 2026 at 10:01 a@b.cc wrote:\n" * 40_000),
    ("x" * 990 + ":\n") * 2_000,
    ("a" * 900 + "@" + "b" * 900 + ":\n") * 1_100,
    "From: a\nSent: b\n" * 100_000,
    ("Regards,\n" * 200_000),
    "-- \n" * 400_000,
    ("1" * 5000 + ":\n") * 400,
    ("On 1.1.2026 10:00 " + "b" * 400 + "\n") * 2000 + ":\n",
])
def test_quote_bombs_finish(bomb: str) -> None:
    """Linear time: the figures are printed by bench/quotes.py; here it must merely finish."""
    split_reply(bomb)


def test_text_past_the_scan_cap_is_kept_as_own_text() -> None:
    long_answer = "\n".join(f"Line {i} of a very long answer." for i in range(12_000))
    new, quoted, _ = split_reply(long_answer + "\n> quoted far below\nlast line")
    assert new.startswith("Line 0 ") and new.endswith("last line") and quoted == ""


def test_history_found_before_the_cap_takes_everything_below() -> None:
    text = "Answer.\n\n-----Original Message-----\n" + "old line\n" * 50_000
    new, quoted, _ = split_reply(text)
    assert new == "Answer." and quoted.count("old line") == 50_000


@pytest.mark.parametrize("text", [
    "Thanks,\nAli\nOrder 12345",
    "Спасибо,\nИван\nЗаказ № 4711",
    "Teşekkürler,\nAyşe\nSipariş 99812",
    "Təşəkkürlər,\nAysel\nSifariş 55123",
])
def test_an_order_number_under_a_closing_stays_text(text: str) -> None:
    assert split_reply(text)[0] == text


@pytest.mark.parametrize("text", ["Thanks,\nAli", "Спасибо,\nИван Петров", "Teşekkürler,\nAyşe", "Təşəkkürlər,\nAysel",
                                  "Thanks,\nAli Aliyev\nhttps://shop.example"])
def test_a_closing_that_is_the_whole_message_stays(text: str) -> None:
    assert split_reply(text)[0] == text


@pytest.mark.parametrize("text", [
    "Kimden: depo\nTarih: 7 Aralık\nKonu: iade\nParanız iade edildi.",
    "От: склада в Баку\nДата: 7 декабря\nТема: возврат\nДеньги вернули.",
    "Göndərən: anbar\nTarix: 7 dekabr\nMövzu: geri qaytarma\nPulunuz qaytarıldı.",
])
def test_header_like_prose_without_a_to_line_is_text(text: str) -> None:
    assert split_reply(text)[0] == text


@pytest.mark.parametrize("text, signature", [
    ("Refund sent.\n\nThanks, Ali", "Thanks, Ali"),
    ("Refund sent.\n\nRegards, Ali Aliyev\nTel: 050 123 45 67", "Regards, Ali Aliyev\nTel: 050 123 45 67"),
    ("Pul qaytarıldı.\n\nHörmətlə, Leyla Həsənova", "Hörmətlə, Leyla Həsənova"),
])
def test_a_closing_with_the_name_on_its_line(text: str, signature: str) -> None:
    assert split_reply(text)[1:] == ("", signature)


def test_with_ours_a_pasted_header_block_is_the_writers_text() -> None:
    from gateway.mail.quotes import read_reply
    text = ("Hello,\nbelow is what the warehouse told us.\n\nFrom: Warehouse <stock@warehouse.az>\n"
            "Sent: 24 November 2026 15:00\nTo: agent@shop.test\nSubject: order 1234\n\nShipped today.")
    assert quotes.read_reply(text, lambda block: "care@shop.test" in block).new == text
    assert read_reply(text).new == "Hello,\nbelow is what the warehouse told us."
    assert quotes.read_reply(text, lambda block: "order 1234" in block).new == "Hello,\nbelow is what the warehouse told us."


def test_unknown_openers_are_read_only_for_staff_replies_that_quote_our_mail() -> None:
    """A customer's (no `ours`) text under a Thunderbird ru attribution without an address stays theirs."""
    text = "My kettle is broken.\n\n23.11.2026 10:01, Shop Care пишет:\n\nYour complaint CC-2026-4K7PQ2MX was registered."
    assert quotes.read_reply(text).new == text
    assert quotes.read_reply(text, lambda block: "cc-2026-4k7pq2mx" in block.lower()).new == "My kettle is broken."


DISCLAIMERS = {
    "en": "This e-mail and any attachments are confidential and intended solely for the addressee. If you have "
          "received it in error, please notify the sender and delete it.",
    "az": "Bu məktub məxfidir və yalnız ünvanlandığı şəxs üçün nəzərdə tutulub. Səhvən almısınızsa, göndərənə "
          "bildirin və məktubu silin.",
    "ru": "Настоящее сообщение конфиденциально и предназначено только для адресата. Если Вы получили его по "
          "ошибке, сообщите отправителю и удалите его.",
    "tr": "Bu e-posta gizlidir ve yalnızca alıcısına yöneliktir. Yanlışlıkla aldıysanız lütfen gönderene bildirin "
          "ve silin.",
}


@pytest.mark.parametrize("lang", sorted(DISCLAIMERS))
def test_regression_a_confidentiality_disclaimer_closing_a_reply_is_signature(lang: str) -> None:
    answer = "Your refund was sent today."
    new, _, signature = split_reply(f"{answer}\n\n{DISCLAIMERS[lang]}")
    assert new == answer and signature == DISCLAIMERS[lang]
    both = f"{answer}\n\nRegards,\nLeyla\n\n{DISCLAIMERS[lang]}\n\n{DISCLAIMERS['en']}"
    assert split_reply(both)[0] == answer


@pytest.mark.parametrize("sentence", [
    "The file is confidential, I will send it by post.",
    "Fayl məxfidir, onu poçtla göndərəcəyəm.",
    "Файл конфиденциальный, я отправлю его почтой.",
    "Dosya gizlidir, posta ile göndereceğim.",
    "The message from the courier is confidential, so I cannot forward it.",
])
def test_the_word_confidential_in_an_answer_stays(sentence: str) -> None:
    for text in (f"Your refund was sent today.\n{sentence}\nThe courier calls first.",
                 f"Your refund was sent today.\n\n{sentence}"):
        assert split_reply(text)[0] == text


def test_a_mail_that_is_only_a_disclaimer_keeps_it() -> None:
    assert split_reply(DISCLAIMERS["en"])[0] == DISCLAIMERS["en"]


SIGNED_WITH_DISCLAIMER = {
    "az": ("Hörmətli müştəri,\n\nSifarişiniz sabah göndəriləcək.",
           "Hörmətlə,\nRəşad\nMüştəri xidməti\n\nBu məktub məxfidir və yalnız ünvanlandığı şəxs üçündür. Əgər siz "
           "bu məktubu səhvən almısınızsa, dərhal bizə bildirin və silin.",
           "P.S. Qutunu da gətirin, yoxsa qəbul etməyəcəyik."),
    "ru": ("Уважаемый клиент,\n\nЗаказ будет отправлен завтра.",
           "С уважением,\nРашад\nСлужба поддержки\n\nДанное сообщение конфиденциально и предназначено только для "
           "адресата.",
           "P.S. Принесите, пожалуйста, и коробку."),
    "tr": ("Sayın müşterimiz,\n\nSiparişiniz yarın gönderilecek.",
           "Saygılarımızla,\nReşat\nMüşteri hizmetleri\n\nBu e-posta gizli bilgi içerir ve yalnızca alıcısı içindir.",
           "P.S. Kutuyu da getirin lütfen."),
    "en": ("Dear customer,\n\nYour order ships tomorrow.",
           "Kind regards,\nRashad\nCustomer care\n\nThis email and any attachments are confidential and intended "
           "solely for the addressee.",
           "P.S. Please bring the box too."),
}


@pytest.mark.parametrize("lang", sorted(SIGNED_WITH_DISCLAIMER))
def test_regression_a_ps_under_the_disclaimer_joins_the_text_and_the_sign_off_stays_out(lang):
    answer, signature, postscript = SIGNED_WITH_DISCLAIMER[lang]
    new, _, sig = split_reply(f"{answer}\n\n{signature}\n\n{postscript}")
    assert new == f"{answer}\n\n{postscript}" and sig == signature


def test_a_ps_above_the_signature_stays_where_it_was_and_a_signed_ps_keeps_its_signature_out():
    new, _, sig = split_reply("Your order ships tomorrow.\n\nP.S. Please bring the box.\n\nThanks,\nAli\n+994 50 555 01 03")
    assert new == "Your order ships tomorrow.\n\nP.S. Please bring the box." and sig.startswith("Thanks,")
    new, _, sig = split_reply("Your order ships tomorrow.\n\nThanks,\nAli\n\nP.S. Please bring the box.\n\n-- \n"
                              "Ali Aliyev\n+994 50 555 01 03")
    assert new == "Your order ships tomorrow.\n\nP.S. Please bring the box." and "+994" in sig and "Thanks" in sig
