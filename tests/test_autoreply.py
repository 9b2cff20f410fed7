"""Out-of-office texts without automatic headers, and ordinary sentences using the same words."""
from __future__ import annotations

import pytest

from gateway.mail.autoreply import is_autoreply_text
from gateway.mail.hygiene import assess
from gateway.mail.parse import parse

OWN = frozenset({"care@shop.test"})

RESPONDERS = [
    # ru
    "Здравствуйте!\n\nЯ в отпуске до 15 мая. Когда вернусь, отвечу.\n\nС уважением,\nИрина",
    "Я в отпуске… Когда вернусь, отвечу.",
    "Добрый день. Я нахожусь в командировке. По срочным вопросам обращайтесь к Петрову П.П.",
    "Это автоматический ответ. Ваше письмо получено.",
    # tr
    "Merhaba,\n20 Mayıs'a kadar izindeyim. Döndüğümde size dönüş yapacağım.\n\nSaygılarımla",
    "İzindeyim… Ne zaman döneceğim belli olunca yazacağım.",
    "İZİNDEYİM. Acil durumlarda Ayşe Hanım'a yazabilirsiniz.",
    "Bu otomatik bir yanıttır. E-postanız alınmıştır.",
    # en
    "Thank you for your email. I am currently out of the office until 12 May with limited access to email.\n"
    "For urgent matters please contact my colleague.",
    "I'm on annual leave and will be back on Monday.",
    "I’m away from my desk. I will reply when I return.",
    "This is an automatic reply: your message has been received.",
    "This email address is no longer in use. Please write to someone else.",
    # az
    "Salam, 15 may tarixinədək məzuniyyətdəyəm. Qayıdanda cavab verəcəyəm.",
    "Hörmətli həmkar, ezamiyyətdəyəm. Təcili hallarda Elnur bəyə müraciət edə bilərsiniz.",
    "Bu avtomatik cavabdır. Məktubunuz alındı.",
]

CUSTOMERS = [
    # en
    "I was on vacation when the parcel came and nobody left a note.",
    "I am on vacation until Monday, please deliver my order after that.",
    "When I return from work I'll be at home, the courier can come then.",
    "I'm out of the office until 5pm. Can the courier come later?",
    "I will be back on Monday. Thanks.",
    "This is an automatic reply?! I want a human to answer me.",
    "I was away. When I got back the box was open.",
    # ru
    "Я был в отпуске, когда пришла посылка.",
    "Я в отпуске до понедельника, заказ доставьте после.",
    "Когда вернусь, заберу товар в пункте выдачи.",
    "Я в отпуске. Когда вернусь, разберусь с вашим курьером.",
    "Я в отпуске, а деньги так и не вернули. Отвечу вашему юристу, когда вернусь.",
    # tr
    "İzindeydim, kargo geldiğinde evde yoktum.",
    "İzindeyim, siparişim ne zaman gelecek?",
    "Döndüğümde ürünü iade edeceğim.",
    "İzindeyim ama ödemem hâlâ iade edilmedi, döndüğümde tekrar yazacağım.",
    # az
    "Məzuniyyətdə idim, bağlama gələndə evdə yox idim.",
    "Məzuniyyətdəyəm, sifarişim nə vaxt gələcək?",
    "Qayıdanda məhsulu qaytaracağam.",
    "Məzuniyyətdəyəm, amma pulum hələ qaytarılmayıb. Qayıdanda yenə yazacağam.",
]


@pytest.mark.parametrize("text", RESPONDERS)
def test_responder_texts(text: str) -> None:
    assert is_autoreply_text(text)


@pytest.mark.parametrize("text", CUSTOMERS)
def test_customers_using_the_same_words(text: str) -> None:
    assert not is_autoreply_text(text)


def test_long_texts_are_people() -> None:
    long = "Я в отпуске. Когда вернусь, отвечу.\n" + "Ещё одна мысль о жизни и погоде. " * 60
    assert not is_autoreply_text(long)
    assert not is_autoreply_text("I am out of the office. I will be back on Monday. " + "x" * 10_000_000)


def test_away_statement_must_open_the_text() -> None:
    assert not is_autoreply_text("Hello. " + "Some news from me. " * 30 + "I am away. I will be back on Monday.")


def raw(body: str, subject: str = "Re: [CC-2026-4K7PQ2MX] Your complaint") -> bytes:
    return (f"From: Irina <irina@example.ru>\r\nTo: care@shop.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <r1@example.ru>\r\nIn-Reply-To: <ack-1@shop.test>\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}").encode()


def test_assess_reads_the_text_of_mail_without_automatic_headers() -> None:
    """Body-only evidence marks the mail `away`, never automatic: a person's words can read so."""
    verdict = assess(parse(raw(RESPONDERS[0])), OWN)
    assert (verdict.automatic, verdict.kind, verdict.away) == (False, "", True) and "text" in verdict.reason
    assert not assess(parse(raw(CUSTOMERS[1])), OWN).away


def test_automatic_headers_still_decide() -> None:
    headed = raw(RESPONDERS[0]).replace(b"Message-ID:", b"Auto-Submitted: auto-replied\r\nMessage-ID:", 1)
    verdict = assess(parse(headed), OWN)
    assert (verdict.automatic, verdict.kind) == (True, "autoreply")


# The hostile tester's inputs: people's mail that reads like an out-of-office (see test_e2e_hygiene).
PEOPLE_READING_AWAY = [
    "Здравствуйте. Я в отпуске до 10 декабря. Телевизор, который вы мне продали, не включается. "
    "Когда вернусь, привезу его в магазин.",
    "Hello, I am on vacation until 10 December. The TV I bought from you last week does not turn on. "
    "When I get back I will bring it to the store, please fix it.",
    "Merhaba, izindeyim ama buzdolabım soğutmuyor. Döndüğümde servis gelsin lütfen.",
    "Salam. Məzuniyyətdəyəm, amma aldığım soyuducu işləmir. Qayıdanda usta göndərin, xahiş edirəm.",
    "My washing machine still leaks water all over the kitchen. The reply was sent automatically and did not help at all.",
    "My address peter@old.com is no longer in use, write here. The laptop I bought from you will not start.",
    "I am on vacation until 10 December, but I do not accept this answer.",
    "Я в отпуске до 10 декабря. Не согласен с решением, когда вернусь — позвоню.",
    "İzindeyim, pazartesiye kadar. Kabul etmiyorum.",
    "Məzuniyyətdəyəm, qayıdanda zəng edəcəm. Rədd edirəm.",
]


@pytest.mark.parametrize("text", PEOPLE_READING_AWAY)
def test_body_only_evidence_never_makes_mail_automatic(text: str) -> None:
    assert not assess(parse(raw(text)), OWN).automatic
    assert not assess(parse(raw(text, subject="Hello")), OWN).automatic


@pytest.mark.parametrize("subject", ["Vacation: tour cancelled, I want my money back", "Vacation - hotel booking problem",
                                     "Out of office - my order", "Отпуск: тур отменён", "İzin: otel sorunu",
                                     "Məzuniyyət: otel problemi"])
def test_a_subject_label_alone_never_counts(subject: str) -> None:
    verdict = assess(parse(raw("The hotel cancelled my booking and kept the deposit.", subject=subject)), OWN)
    assert not verdict.automatic and not verdict.away


def test_a_subject_label_counts_with_an_away_text_or_headers() -> None:
    assert assess(parse(raw(RESPONDERS[9], subject="Out of office: Re: complaint")), OWN).away
    headed = raw("The hotel kept the deposit.", subject="Out of office: x").replace(
        b"Message-ID:", b"Return-Path: <>\r\nMessage-ID:", 1)
    assert assess(parse(headed), OWN).automatic


def test_quoted_history_does_not_count() -> None:
    """Our own mail quoted below a customer's question is not their text."""
    body = "Where is my order now\n\nOn Mon, 23 Nov 2026 Shop Care wrote:\n> I am out of the office.\n> I will be back on Monday.\n"
    assert not assess(parse(raw(body)), OWN).automatic
