"""Status questions, in az, ru, tr, en: read as such, and only a bare one is "status only".

A reply read as a status request gets the canned status mail. When that is all it says
("Şikayetim hangi aşamada?") nothing else happens; when it carries anything more (a new
address, "the courier said it is out of stock", an IBAN) staff read it as the customer's
message too, or those words are lost. And a status question after staff asked the customer
something is no answer: the pause goes on.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from decidekit import CUSTOMER, HUMAN, NOW, complaint
from gateway import config as config_module
from gateway.desk.intent import read, status_only
from gateway.desk.policy import Policy
from gateway.desk.rulefiles import load_rules
from gateway.desk.view import ComplaintView
from gateway.ingest.decide import Inputs, decide
from gateway.ingest.match import Match
from gateway.mail.parse import parse
from gatewaykit import write_config

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
LANGS = ("az", "ru", "tr", "en")


@pytest.fixture(scope="module")
def rules():
    return load_rules(RULES_DIR, LANGS)


# Plain status questions, as customers write them: each is a status request and nothing more.
STATUS_ONLY = [
    # the tester's (tester-findings/03)
    ("ru", "На какой стадии моя жалоба?"), ("ru", "Рассмотрена ли моя жалоба?"),
    ("tr", "Şikayetim hangi aşamada?"), ("tr", "Şikayetimle ilgili bilgi alabilir miyim?"),
    ("az", "Şikayətim hansı mərhələdədir?"), ("az", "Şikayətimə baxılıbmı?"),
    ("en", "Where are we with my complaint?"),
    # az
    ("az", "Salam, şikayətim hansı mərhələdədir?"), ("az", "Müraciətimə baxıldımı?"),
    ("az", "Şikayətim nə vaxt həll olunacaq?"), ("az", "Şikayətimlə bağlı məlumat ala bilərəmmi?"),
    ("az", "Şikayətimin statusu nədir?"), ("az", "Nəticə varmı?"), ("az", "Nə qədər gözləməliyəm?"),
    ("az", "Zəhmət olmasa, şikayətim barədə məlumat verin."), ("az", "Şikayetim hansi merheledir?"),
    ("az", "Cavab nə vaxt olacaq? Təşəkkür edirəm."), ("az", "Şikayətimə baxılırmı?\nElvin"),
    ("az", "Hələ xəbər var?"),
    # ru
    ("ru", "Здравствуйте! На каком этапе моя жалоба?"), ("ru", "Рассмотрели ли моё обращение?"),
    ("ru", "Что с моим обращением?"), ("ru", "Сколько ещё ждать?"), ("ru", "Есть ли ответ по моей жалобе?"),
    ("ru", "Подскажите, пожалуйста, статус заявки."), ("ru", "Когда будет решение по моей претензии?"),
    ("ru", "Есть ли подвижки по жалобе?"), ("ru", "Что нового по моей жалобе? Спасибо.\nОльга"),
    ("ru", "Как обстоят дела с моей жалобой?"), ("ru", "Есть ли какие-нибудь новости?"),
    # tr
    ("tr", "Merhaba, şikayetim ne durumda acaba?"), ("tr", "Başvurum incelendi mi?"),
    ("tr", "Şikayetim hakkında bilgi alabilir miyim?"), ("tr", "Ne kadar beklemem gerekiyor?"),
    ("tr", "Şikayetim değerlendirildi mi?"), ("tr", "Herhangi bir gelişme var mı?"),
    ("tr", "Şikayetim ne zaman çözülecek?"), ("tr", "Sonuç var mı? Teşekkürler."),
    ("tr", "Sikayetim hangi asamada?"), ("tr", "Başvurumla ilgili bilgi alabilir miyim lütfen?"),
    # en
    ("en", "Hi, what is the status of my complaint?"), ("en", "Any updates?"), ("en", "Where do we stand?"),
    ("en", "At what stage is my complaint?"), ("en", "Has my complaint been reviewed?"),
    ("en", "How much longer do I have to wait?"), ("en", "Any word on my complaint?"),
    ("en", "Just following up on my complaint."), ("en", "When will it be resolved? Thanks,\nJohn Smith"),
    ("en", "What's happening with my case?"), ("en", "Status of CC-2026-4K7PQ2MX please"),
]


@pytest.mark.parametrize("language, text", STATUS_ONLY)
def test_a_plain_status_question_is_status_only(rules, language, text):
    assert read(rules, text, language) == "status"
    if "CC-" not in text:  # the tracking number is the policy's to take out (test below)
        assert status_only(rules, text)


# A status question carrying news: still a status request, never "status only".
STATUS_AND_NEWS = [
    # the tester's (tester-findings/02)
    ("ru", "Добавлю: курьер сказал, что товара нет на складе. Когда привезут?"),
    ("tr", "Paket iade edilmiş, yeni adresim Atatürk Cad. 5. Ne zaman?"),
    ("az", "Kuryer gəldi, evdə yox idim. Nə vaxt yenidən gələcək?"),
    ("en", "Tracking says returned to sender. When will you resend?"),
    ("en", "I cancelled my card, refund to IBAN AZ12 instead. Update?"),
    # more of the same shape
    ("ru", "Я переехал, новый адрес: ул. Низами 5. Когда доставка?"), ("ru", "Статус? Телефон сменился: 050 123 45 67"),
    ("tr", "Durum nedir? Bu arada ürün tamamen bozuldu."), ("tr", "Kargo firması aradı, ne zaman gelecek?"),
    ("az", "Status? Yeni nömrəm 050 123 45 67."), ("az", "Usta zəng etmədi. Nə vaxt gələcək?"),
    ("en", "Status? Also the screen now flickers."), ("en", "When? I will be away from Monday to Friday."),
]


@pytest.mark.parametrize("language, text", STATUS_AND_NEWS)
def test_a_status_question_with_news_is_not_status_only(rules, language, text):
    assert read(rules, text, language) == "status"
    assert not status_only(rules, text)


# Ordinary sentences holding the new status words that ask nothing about the status.
NOT_STATUS = [
    ("ru", "Жалоба рассмотрена, деньги получил, спасибо."), ("ru", "Ремонт застрял на этапе диагностики, мастер не пришёл, "
                                                             "прошу заменить товар на новый как можно скорее."),
    ("ru", "Товар повредили на стадии упаковки, прошу вернуть деньги за него полностью и без задержек."),
    ("tr", "Şikayetim incelendi, teşekkürler, sorun çözüldü."),
    ("tr", "Ürün üretim aşamasında hasar görmüş, lütfen yenisiyle değiştirin, faturayı da ekliyorum buraya."),
    ("tr", "Bilgi için teşekkürler, ürünü aldım."),
    ("az", "Şikayətimə baxıldı, təşəkkür edirəm, həll olundu."),
    ("az", "Məhsul qablaşdırma mərhələsində zədələnib, zəhmət olmasa yenisi ilə dəyişin, çeki əlavə edirəm."),
    ("az", "Məlumat üçün təşəkkürlər, məhsulu aldım."),
    ("en", "We are at the stage where I simply want my money back for the broken kettle, please refund it."),
    ("en", "Where are we supposed to send the broken kettle back to, and who pays for the shipping costs?"),
    ("en", "My complaint has been reviewed and I accept the answer."),
    ("en", "How long the battery lasts is not the point, the screen cracked on the first day."),
    ("ru", "Курьер сказал, что заказ на этапе сборки, но прошло две недели, верните деньги."),
    ("tr", "Ürünü incelediniz mi bilmiyorum ama kargo hâlâ gelmedi, paramı iade edin."),
    ("az", "Kuryer dedi ki, şikayətə baxılıb, amma pul hələ qaytarılmayıb, zəhmət olmasa yoxlayın."),
    ("az", "Mərhələli ödəniş istəmirəm, pulu bir dəfəyə qaytarın."),
]


@pytest.mark.parametrize("language, text", NOT_STATUS)
def test_ordinary_sentences_with_status_words_are_no_status_request(rules, language, text):
    assert read(rules, text, language) != "status"


# ---- what decide does with them ---------------------------------------------------------



@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    return Policy.load(config_module.load(write_config(tmp_path_factory.mktemp("cfg"))))


def mail(body: str):
    return parse(f"From: aysel@example.az\r\nTo: care@shop.test\r\nSubject: Re: [CC-2026-4K7PQ2MX] Order\r\n"
                 f"Message-ID: <x@y>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}".encode())


def run(policy, body: str, view: ComplaintView):
    return decide(Inputs(mail=mail(body), verdict=HUMAN, identity=CUSTOMER, match=Match("customer", view),
                         now=NOW, new_tracking="CC-2026-NEW0000X"), policy)


def kinds(plan):
    return sorted((o.kind, o.recipient) for o in plan.outgoing)


STATUS_MAIL = ("status", "aysel@example.az")
STAFF_MAIL = ("staff_update", "agent@shop.test")


@pytest.mark.parametrize("body", ["Where are we with my complaint?", "Status of CC-2026-4K7PQ2MX please",
                                  "Şikayetim hangi aşamada?"])
def test_a_bare_status_question_gets_the_status_mail_alone(policy, body):
    plan = run(policy, body, complaint())
    assert kinds(plan) == [STATUS_MAIL] and plan.message_kind == "status_request" and plan.status is None


@pytest.mark.parametrize("language, body", STATUS_AND_NEWS[:5])
def test_a_status_question_with_news_reaches_staff_too(policy, language, body):
    plan = run(policy, body, complaint())
    assert kinds(plan) == sorted([STATUS_MAIL, STAFF_MAIL])
    assert body.split(".")[0] in plan.outgoing[-1].params["message"]  # the customer's words, for staff
    assert {e.kind for e in plan.events} >= {"status_request", "customer_message"}


def test_a_second_status_question_with_news_within_the_window_tells_staff_once(policy):
    view = complaint(last_auto_answer=NOW - timedelta(hours=1))
    assert kinds(run(policy, "Update? My new address is 5 Nizami street.", view)) == [STAFF_MAIL]
    assert kinds(run(policy, "Any updates?", view)) == [STAFF_MAIL]


def test_a_status_question_does_not_end_the_pause_after_staff_asked(policy):
    view = complaint("waiting_customer", paused_at=NOW, status_before_wait="investigating")
    for body in ("Şikayetim hangi aşamada?", "На какой стадии моя жалоба?", "Where are we with my complaint?",
                 "Şikayətimə baxılıbmı?"):
        plan = run(policy, body, view)
        assert plan.status is None and "paused_at" not in plan.updates, body
        assert kinds(plan) == [STATUS_MAIL]


def test_a_status_question_with_the_asked_information_is_the_answer(policy):
    view = complaint("waiting_customer", paused_at=NOW, status_before_wait="investigating")
    plan = run(policy, "The receipt number is 4471. When will you decide?", view)
    assert plan.status == "investigating" and plan.updates["paused_at"] is None
    assert kinds(plan) == sorted([STATUS_MAIL, STAFF_MAIL])


def test_news_with_a_status_question_to_a_closed_complaint_reopens_it(policy):
    view = complaint("closed", closed_at=NOW - timedelta(days=1))
    plan = run(policy, "It broke again yesterday. Update?", view)
    assert plan.status == "reopened" and STAFF_MAIL in kinds(plan) and STATUS_MAIL not in kinds(plan)
    assert kinds(run(policy, "Any updates?", view)) == [STATUS_MAIL]


def test_a_status_word_a_template_suggests_must_be_status_only(rules, tmp_path):
    """`gateway check`: the ack's "status"/"статус"/"durum" read as a status request and nothing more."""
    from gateway.checks import reply_word_problems
    ack = tmp_path / "ack.en.txt"
    ack.write_text('reply with the word "{{ reply_word("status", "status") }}" or "status, my friend"\n')
    assert reply_word_problems(ack, "ack", "en", [("status", "status")], rules) == []
    problems = reply_word_problems(ack, "ack", "en", [("status", "status, my friend")], rules)
    assert len(problems) == 1 and "read it as news staff must see too" in problems[0]
    assert "[intents.status_context] en" in problems[0]
