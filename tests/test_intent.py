"""gateway.desk.intent: the customer's decision read from a reply, in az, ru, tr, en.

A table of real-looking replies to a resolution: accepts, rejects, negations that
mean yes, typed without diacritics, under signatures, top-posted; and ordinary
sentences that contain decision words but decide nothing.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from gateway.desk.intent import MAX_CHARS, clauses, plain, read
from gateway.desk.rulefiles import load_rules

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
LANGS = ("az", "ru", "tr", "en")

OUTLOOK_SIGNATURE_EN = ("\n\nKind regards,\nJohn Smith\nSenior Procurement Manager\nNorthwind Trading LLC\n"
                        "Tel. No.: +994 12 555 01 02\nMob. No.: +994 50 555 01 03\nwww.northwind.example")
OUTLOOK_SIGNATURE_RU = ("\n\nС уважением,\nИван Петров\nНачальник отдела закупок\nТел.: +7 495 123-45-67\n"
                        "Моб.: +7 916 123-45-67")
OUTLOOK_SIGNATURE_TR = ("\n\nSaygılarımla,\nAyşe Yılmaz\nSatın Alma Uzmanı\nTel. No: +90 212 555 01 02\n"
                        "Cep: +90 532 555 01 03")
OUTLOOK_SIGNATURE_AZ = ("\n\nHörmətlə,\nAysel Məmmədova\nMühasib\nTel. No.: +994 12 555 01 02\n"
                        "Mob.: +994 50 555 01 03")


@pytest.fixture(scope="module")
def rules():
    return load_rules(RULES_DIR, LANGS)


ACCEPTS = [
    # the template words, and everyday ways of saying them
    ("az", "qəbul edirəm"), ("az", "Qəbul edirəm, təşəkkürlər."), ("az", "Qebul edirem"), ("az", "QEBUL EDIREM"),
    ("az", "Razıyam."), ("az", "Raziyam"), ("az", "Təşəkkür edirəm, problem həll olundu."),
    ("az", "Problemim yoxdur, təşəkkürlər."), ("az", "Etirazım yoxdur."), ("az", "Sualim yoxdur, tesekkurler"),
    ("az", "Bəli"), ("az", "Salam,\nqəbul edirəm."),
    ("ru", "принимаю"), ("ru", "Согласен, претензий нет."), ("ru", "Принимаю. Вопросов больше нет."),
    ("ru", "Спасибо, всё устраивает."), ("ru", "Да, спасибо."), ("ru", "Не возражаю."),
    ("ru", "Здравствуйте!\nСогласна с решением, претензий не имею."),
    ("tr", "kabul"), ("tr", "Kabul ediyorum."), ("tr", "Tesekkurler, sorunum kalmadi."), ("tr", "Sorunum kalmadı."),
    ("tr", "Evet, teşekkürler."), ("tr", "Şikâyetim kalmadı, teşekkür ederim."), ("tr", "İtirazım yok."),
    ("en", "accept"), ("en", "I accept."), ("en", "OK, I accept. No further questions."), ("en", "Yes"),
    ("en", "Thanks, no further questions."), ("en", "No problem, thanks!"), ("en", "I agree with your answer."),
    ("en", "Thank you for solving my problem."), ("en", "I accept. If you need anything else, call me."),
    ("ru", "Принимаю. Если что, пишите."),
    # under a signature with "No." in it (Outlook in every locale)
    ("en", "I accept." + OUTLOOK_SIGNATURE_EN), ("en", "Yes." + OUTLOOK_SIGNATURE_EN),
    ("ru", "Принимаю." + OUTLOOK_SIGNATURE_RU), ("tr", "Kabul." + OUTLOOK_SIGNATURE_TR),
    ("az", "Qəbul edirəm." + OUTLOOK_SIGNATURE_AZ), ("az", "Qebul edirem" + OUTLOOK_SIGNATURE_AZ),
    # a reply in another language than the complaint's
    ("az", "OK"), ("tr", "Согласен"),
    # double negatives and "OK" that are accepts, next to the rejections below
    ("en", "OK, thanks, everything is fine now"), ("en", "I can't agree more, thanks!"),
    ("ru", "Не могу не согласиться, спасибо."), ("ru", "Это приемлемо."), ("ru", "Ок, спасибо, всё в порядке."),
    ("tr", "Katılıyorum, teşekkürler."), ("az", "Qəbul edilə bilər."),
]

REJECTS = [
    # "if" in another clause of the sentence ("to be honest", "if you ask me") does not soften a no
    ("ru", "Если честно, не согласен."), ("en", "If you ask me, I do not accept this."),
    ("tr", "Eğer açık konuşmam gerekirse, kabul etmiyorum."), ("az", "Əgər açıq desəm, razı deyiləm."),
    ("az", "rədd edirəm"), ("az", "Redd edirem"), ("az", "Rədd edirəm, çünki məhsul hələ də xarabdır."),
    ("az", "Razı deyiləm."), ("az", "Razi deyilem"), ("az", "Qəbul etmirəm."), ("az", "Problem həll olunmayıb."),
    ("az", "Xeyr."), ("az", "Yox, təşəkkürlər."),
    ("ru", "не принимаю"), ("ru", "Не согласен с решением."), ("ru", "Нет."), ("ru", "Нет, спасибо."),
    ("ru", "Не совсем согласна."), ("ru", "Проблема так и не решена."),
    ("ru", "Меня это не устраивает." + OUTLOOK_SIGNATURE_RU),
    ("tr", "ret"), ("tr", "Ret."), ("tr", "Reddediyorum."), ("tr", "Kabul etmiyorum."),
    ("tr", "Kabul etmiyorum, ürün hâlâ bozuk."), ("tr", "Hayır."), ("tr", "Bu çözüm kabul edilebilir değil."),
    ("tr", "Memnun değilim."),
    ("en", "reject"), ("en", "I reject."), ("en", "This does not solve my problem."), ("en", "No."),
    ("en", "I do not accept this." + OUTLOOK_SIGNATURE_EN), ("en", "The problem has not been resolved."),
    ("en", "I'm not fully satisfied."), ("en", "Yes... no, I reject it"),
    ("az", "Qəbul edilmədi."), ("tr", "Kabul etmedim."), ("tr", "Mağaza iadeyi kabul etmedi."),
    ("az", "Mağaza qaytarmanı qəbul etmədi."), ("en", "I accept nothing less than a full refund."),
    ("en", "Thanks for the answer. Unfortunately this does not solve my problem, the device still "
           "does not work after the repair and I want my money back."),
    ("en", "I do not accept this, because the replacement you sent is broken too and I want my money back now."),
    # "I can't agree", "unacceptable", "not OK" in every language (a tester found these read as unclear)
    ("ru", "Я не могу с этим согласиться."), ("ru", "Не могу согласиться с таким решением."),
    ("ru", "Согласиться не могу."), ("ru", "Это неприемлемо."), ("ru", "неприемлемо"), ("ru", "Неприемлемо!"),
    ("ru", "Это решение неприемлемо для меня."), ("ru", "Я не могу принять это решение."), ("ru", "Не ок."),
    ("az", "Qəbuledilməzdir!"), ("az", "Qebuledilmezdir"), ("az", "Qəbul olunmur."), ("az", "Bu qəbul edilməzdir"),
    ("az", "Bu, qəbuledilməzdir."), ("az", "Qəbul oluna bilməz."), ("az", "Bunu qəbul edə bilmərəm"),
    ("az", "Razılaşa bilmərəm."),
    ("tr", "bu kabul edilemez"), ("tr", "Bu kabul edilemezdir."), ("tr", "Kabul edilemez!"), ("tr", "Bunu kabul edemem"),
    ("tr", "Bunu kabul edemeyiz."), ("tr", "Katılamıyorum."), ("tr", "Buna katılamam."),
    ("en", "Not OK"), ("en", "This is not OK."), ("en", "That's not OK"), ("en", "Not okay at all."),
    ("en", "not acceptable"), ("en", "I can't accept this"), ("en", "I cannot agree."),
    ("en", "I don't agree with this answer."), ("en", "I can't agree with this." + OUTLOOK_SIGNATURE_EN),
]

# Neither a clear accept nor a clear reject: the customer wrote, staff read it.
UNCLEAR = [
    # a rejection under an "if" of its own clause is a possibility, not a decision
    ("en", "If it's not OK I'll write again."), ("en", "Thanks. If the refund is not OK, I will write again."),
    ("ru", "Если не устраивает, напишу снова."), ("ru", "Спасибо. Если что-то не решено, я напишу."),
    ("tr", "Eğer kabul etmezsem tekrar yazarım."), ("tr", "Teşekkürler, eğer sorun çözülmediyse yazarım."),
    ("az", "Əgər razı deyiləmsə, yenə yazaram."), ("az", "Təşəkkürlər. Əgər həll olunmayıbsa, yazacağam."),
    ("az", "Qəbul edirəm, amma pulun qaytarılması hələ gəlməyib."),
    ("az", "Təşəkkürlər, sabah yoxlayacağam."),
    ("ru", "Согласен, но хочу компенсацию за задержку."),
    ("ru", "Спасибо за ответ, посмотрю вечером."),
    ("tr", "Kabul ediyorum ama kargo ücretini geri istiyorum."),
    ("tr", "Teşekkürler, yarın kontrol edeceğim."),
    ("en", "OK, but when will the refund arrive in my account?"),
    ("en", "I thought this was resolved but the same fault happened again"),
    ("en", "Thank you." + OUTLOOK_SIGNATURE_EN),
    ("en", "Is it resolved?"),
    ("en", "I would accept if you refund the delivery fee."), ("ru", "Согласен, если вернёте деньги."),
    ("tr", "Kabul ederim, eğer kargo ücretini iade ederseniz."), ("az", "Razıyam, əgər pulu qaytarsanız."),
    ("en", "Do you accept returns by post?"),
    ("en", "Is it OK if I come tomorrow?"), ("en", "Is it not OK to send it by post?"),
]

# Ordinary sentences that contain decision words and decide nothing.
NOT_DECISIONS = [
    ("en", "Please accept my apologies for the late reply."), ("en", "The shop refused to accept the return."),
    ("tr", "Sipariş kabul edildi mi bilmiyorum."), ("tr", "Ret cevabı aldım."), ("az", "Rədd cavabı aldım."),
    ("az", "Sifariş qəbul olunubmu, bilmirəm."),
    ("az", "Sifarişimi qəbul etdiyiniz gündən bəri heç bir xəbər almamışam və mağazaya zəng edəndə heç kim "
           "telefona cavab vermir, bu artıq üçüncü həftədir."),
    ("az", "Kuryer bağlamanı qapıda qoyub getdi, mən evdə yox idim və qonşu onu götürüb, indi isə qutu əzilib."),
    ("ru", "Вчера курьер сказал, что заказ принят на склад, но до сих пор никто не позвонил и ничего не привёз."),
    ("ru", "Нет смысла писать в поддержку по телефону, там никто не отвечает уже неделю, пишу сюда."),
    ("tr", "Kargo firması paketi kabul etmediğimi söylüyor ama ben o gün evdeydim ve kimse kapıyı çalmadı."),
    ("tr", "Hayır demek istemezdim ama ürünün rengi sitedeki fotoğraftan çok farklı ve kumaşı da ince."),
    ("en", "Your courier would not accept my signature on the tablet, so the parcel went back to the depot "
           "and nobody told me when it would come again."),
    ("en", "I have attached the receipt you asked for."),
    ("en", "No one from your shop has called me back yet although I left my number twice last week."),
    # the new rejection words inside ordinary sentences (a long opening clause is not read)
    ("en", "The technician said the screen is not OK and that he would order a new panel from the factory."),
    ("ru", "Не могу принять посылку в понедельник, меня не будет дома до вечера среды и позже."),
    ("ru", "Курьер сказал, что такие сроки доставки неприемлемы для их компании, но ничего не предложил взамен."),
    ("az", "Kartla ödəniş qəbul olunmur deyə mağazada nağd pulla ödəməli oldum və çek də vermədilər."),
    ("tr", "Mağazadaki çalışan iadenin kabul edilemez olduğunu söyledi ama bana hiçbir yazılı açıklama vermedi ve fişi de geri almadı."),
]


@pytest.mark.parametrize("language, text", ACCEPTS)
def test_accepts(rules, language, text):
    assert read(rules, text, language) == "accept"


@pytest.mark.parametrize("language, text", REJECTS)
def test_rejects(rules, language, text):
    assert read(rules, text, language) == "reject"


@pytest.mark.parametrize("language, text", UNCLEAR)
def test_unclear_replies_decide_nothing(rules, language, text):
    assert read(rules, text, language) not in ("accept", "reject")


@pytest.mark.parametrize("language, text", NOT_DECISIONS)
def test_ordinary_sentences_with_decision_words(rules, language, text):
    assert read(rules, text, language) not in ("accept", "reject")


def test_bare_no_of_a_signature_does_not_outvote_an_accept(rules):
    assert read(rules, "I accept.\nJohn\nTel. No.: 123 45 67", "en") == "accept"
    assert read(rules, "Согласен.\nИван\nНет", "ru") == "accept"  # a trailing bare "нет" is not the first clause


def test_empty_reply_asks_for_the_status(rules):
    assert read(rules, " \n", "en") == "status"


def test_status_question_that_mentions_a_decision_word(rules):
    assert read(rules, "When will it be resolved?", "en") == "status"


def test_plain_drops_diacritics_in_every_script():
    assert plain("Qəbul edirəm") == plain("Qebul edirem") == "qebul edirem"
    assert plain("Şikâyetim kalmadı") == "sikayetim kalmadi"
    assert plain("Решён") == plain("решен")


def test_reading_is_bounded(rules):
    long = "word " * 200_000 + "I accept"
    assert all(len(c.words) < 2000 for c in clauses(long))
    assert sum(len(c.words) for c in clauses(long)) <= MAX_CHARS
    assert read(rules, long, "en") is None
