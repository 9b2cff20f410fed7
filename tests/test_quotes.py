"""split_reply on realistic samples of each client's quoting style, in our four languages."""
from __future__ import annotations

import pytest

from gateway import quotes
from gateway.quotes import split_reply

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
    (OUTLOOK_EN, "I reject the proposed solution.\n\nRegards,\nAli", "-----Original Message-----"),
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


def test_every_attribution_pattern_ends_with_a_colon() -> None:
    """_is_attribution skips the regexes for lines without a final colon."""
    assert all(p.pattern.endswith(quotes.ATTRIBUTION_END) for p in quotes.ATTRIBUTIONS)
