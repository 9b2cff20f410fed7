"""gateway.desk.intent: the customer's decision read from a reply, in az, ru, tr, en.

A table of real-looking replies to a resolution: accepts, rejects, negations that
mean yes, typed without diacritics, under signatures, top-posted; and ordinary
sentences that contain decision words but decide nothing. An accept closes the
complaint, so the tables of replies that must never read as one (a hostile
tester's, and our own attempts in every language) say what they read as instead:
"reject", or None (unclear: staff read it, nothing closes).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from gateway.desk.confusables import unmix
from gateway.desk.intent import MAX_CHARS, clauses, plain, read
from gateway.desk.rulefiles import load_rules
from gateway.mail.parse import Unprocessable, parse
from gateway.mail.quotes import split_reply
from intent_attacks import FALSE_ACCEPTS, NATURAL_ACCEPTS
from realmail import ABSENT, CORPUS, manifest

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


# A hostile tester found these read as accepts (the complaint closed on an unsolved problem).
HOSTILE = [
    ("en", "Nothing was resolved.", "reject"), ("en", "No problem was solved", "reject"),
    ("en", "Yes, it is still broken.", None), ("en", "OK. Still waiting for the technician.", None),
    ("en", "I would be satisfied with a refund", None), ("en", "I agree to nothing", None),
    ("en", "Far from resolved.", "reject"), ("en", "Fine. Where is my refund?", None),
    ("en", "I agree to be contacted by phone", None),  # not a decision
    ("ru", "Ладно, пойду в суд.", None), ("ru", "Я не говорил, что согласен.", None),
    ("ru", "Проблема решена только наполовину.", None), ("ru", "Всё хорошо, кроме того что курьер нагрубил.", None),
    ("ru", "Нет проблем с доставкой, проблема с качеством.", None),
    ("tr", "Evet, hala çalışmıyor.", None),
    ("az", "Bəli, hələ də işləmir.", None), ("az", "Məmnunam deyə bilmərəm.", "reject"),
    ("az", "Qəbul edirəm yalnız pul qaytarılsa.", None),
]

# Our own attempts at a false accept, in every language: a yes before bad news, a negated or
# narrowed accept phrase, a condition, a demand, a question.
FALSE_ACCEPT_ATTEMPTS = [
    ("en", "Yes, but the screen is still cracked.", None), ("en", "OK, the courier never came.", None),
    ("en", "Accepted? Not at all.", None), ("en", "I accept that you tried, the phone is still dead.", None),
    ("en", "Resolved on paper, nothing changed in reality.", None), ("en", "I'm satisfied with nothing you did.", None),
    ("en", "Sure, I am waiting for my refund.", None), ("en", "Fine, I'll see you in court.", None),
    ("en", "Resolved? No.", None), ("en", "I accept only a full refund.", None), ("en", "No issues were fixed.", "reject"),
    ("en", "All good except the missing charger.", None), ("en", "I would agree if the device worked.", None),
    ("en", "Yes, the same fault again.", None), ("en", "It is partially resolved.", None),
    ("en", "Thanks. Where is the replacement?", None), ("en", "I agree with the technician that it is broken.", None),
    ("en", "Okay. Why did nobody call me?", None), ("en", "Yes, I still have the problem.", None),
    ("en", "Nothing is solved, I want my money back.", "reject"),
    ("ru", "Да, но экран по-прежнему не работает.", None), ("ru", "Ок, до сих пор жду курьера.", None),
    ("ru", "Согласен? Нет.", None), ("ru", "Хорошо, верните деньги.", None), ("ru", "Решено частично.", None),
    ("ru", "Принимаю только полный возврат.", None), ("ru", "Претензий нет к курьеру, есть к качеству.", None),
    ("ru", "Всё хорошо, но звонка так и не было.", None), ("ru", "Да, опять сломался.", None),
    ("ru", "Ничего не решено, согласиться не могу.", "reject"),
    ("ru", "Я был бы доволен, если бы вернули деньги.", None),
    ("ru", "Где мои деньги? Всё устраивает, кроме этого.", None), ("ru", "Ладно, напишу в Роспотребнадзор.", None),
    ("ru", "Нисколько не доволен.", "reject"), ("ru", "Доволен? Нет.", None),
    ("tr", "Evet ama ekran hâlâ kırık.", None), ("tr", "Tamam, kurye hiç gelmedi.", None),
    ("tr", "Kabul ediyorum ama param nerede?", None), ("tr", "Sorun yok dediniz ama sorun devam ediyor.", None),
    ("tr", "Sadece iade yapılırsa kabul ederim.", None), ("tr", "Çözüldü mü? Hayır.", None),
    ("tr", "Kısmen çözüldü.", None), ("tr", "Memnunum diyemem.", "reject"), ("tr", "Evet, yine bozuldu.", None),
    ("tr", "Tamam, avukatıma ileteceğim.", None), ("tr", "Hiçbir şey çözülmedi.", "reject"),
    ("tr", "Olur, paramı bekliyorum.", None), ("tr", "Kargoyla ilgili sorun yok, ürün bozuk.", None),
    ("tr", "Teşekkürler, neden kimse aramadı?", None),
    ("az", "Bəli, amma ekran hələ də sınıqdır.", None), ("az", "Oldu, kuryer heç gəlmədi.", None),
    ("az", "Qəbul edirəm, amma pulum haradadır?", None),
    ("az", "Problem yoxdur dediniz, amma problem davam edir.", None), ("az", "Yalnız pul qaytarılsa razıyam.", None),
    ("az", "Həll olundu? Xeyr.", None), ("az", "Qismən həll olundu.", None), ("az", "Razıyam deyə bilmərəm.", "reject"),
    ("az", "Hə, yenə xarab oldu.", None), ("az", "Yaxşı, məhkəməyə müraciət edəcəyəm.", None),
    ("az", "Heç nə həll olunmadı.", "reject"), ("az", "Oldu, pulumu gözləyirəm.", None),
    ("az", "Çatdırılma ilə problem yoxdur, məhsul xarabdır.", None),
    ("az", "Təşəkkürlər, niyə heç kim zəng etmədi?", None),
    # bad news in the next sentence, sarcasm, a "no" before the accept
    ("en", "Accepted, thanks. The engineer did not show up.", None), ("en", "Resolved. NOT!", None),
    ("en", "I accept your apology, not the solution.", None), ("en", "I'm not going to say I accept.", None),
    ("en", "I accept. Just kidding.", None), ("en", "Everything is fine, said nobody ever.", None),
    ("en", "OK whatever", None), ("en", "Yes.\nThe screen flickers.", None), ("en", "No, no, I accept", None),
    ("en", "Yes please, close it when the new one arrives.", "status"),
    ("ru", "Принимаю. Курьер не приехал.", None), ("ru", "Согласен только на возврат денег.", None),
    ("ru", "Всё в порядке? Нет.", None), ("ru", "Принимаю ваши извинения, но не решение.", "reject"),
    ("ru", "Да, да, конечно. Шучу.", None),
    ("tr", "Kabul ediyorum. Kurye gelmedi.", None), ("tr", "Tamam, özrünüzü kabul ediyorum ama ürün yok.", None),
    ("tr", "Çözüldü, şaka şaka.", None), ("tr", "Kabul, fatura hâlâ gelmedi.", None),
    ("az", "Qəbul edirəm. Kuryer gəlmədi.", None), ("az", "Razıyam, amma çek verilmədi.", None),
    ("az", "Hə, zarafat edirəm.", None), ("az", "Həll olundu deyirsiniz, pul yoxdur.", None),
    # a hope or a guess is not a decision (a real mail's "Hope it works well!" read as an accept)
    ("en", "Hope it works well!", None), ("en", "It seems resolved.", None),
    ("ru", "Кажется, всё работает.", None), ("ru", "Надеюсь, проблема решена.", None),
    ("tr", "Galiba çözüldü.", None), ("tr", "Umarım artık çalışıyor.", None),
    ("az", "Deyəsən həll olundu.", None), ("az", "Ümid edirəm ki, artıq işləyir.", None),
    # agreeing that the problem is there, or having thought it was solved
    ("en", "I thought it was resolved.", None), ("en", "I agree there is a problem.", None),
    ("en", "I was satisfied until it broke again.", None), ("en", "I agree that nothing works.", None),
    ("en", "Satisfied? Not really.", None),
    ("ru", "Я думал, что всё решено.", None), ("ru", "Я согласен, что проблема есть.", None),
    ("ru", "Согласен с тем, что вы ничего не сделали.", None), ("ru", "Вроде решено.", None),
    ("tr", "Çözüldü sanıyordum.", None), ("tr", "Kabul ediyorum, çünkü başka seçeneğim yok.", None),
    ("tr", "Sorun devam ediyor, kabul etmek zorundayım.", None), ("tr", "Evet, sorun var.", None),
    ("az", "Həll olundu elə bilirdim.", None), ("az", "Razıyam ki, problem var.", None),
    ("az", "Qəbul edirəm, çünki başqa yolum yoxdur.", None), ("az", "Problem davam edir, amma razıyam.", None),
]

# Ordinary accepts that must stay accepts beside the rules above ("|" is a line break).
ORDINARY_ACCEPTS = [
    ("en", "Yes, thank you, it works now."), ("en", "Problem solved, thanks!"), ("en", "OK, thanks"), ("en", "Yes"),
    ("en", "Yes, thank you very much!"), ("en", "I accept, thank you for your help."),
    ("en", "Thanks, everything works now."), ("en", "I got my refund, thank you. I accept."),
    ("en", "All good now, thanks."), ("en", "Thank you, the issue is resolved."), ("en", "I have no further questions."),
    ("en", "Accept.|John"), ("en", "Yes, thanks.|Anna Brown"), ("en", "I'm satisfied with the solution, thanks a lot."),
    ("en", "Hi, I accept your answer. Have a nice day!"), ("en", "Everything is fine, thank you."),
    ("ru", "Спасибо, всё решено, согласен."), ("ru", "Да"), ("ru", "Да, спасибо большое."), ("ru", "Согласна, спасибо."),
    ("ru", "Принимаю, спасибо за помощь."), ("ru", "Всё работает, спасибо!"), ("ru", "Проблема решена, претензий нет."),
    ("ru", "Деньги вернули, спасибо, вопрос решён."), ("ru", "Ок, спасибо"),
    ("ru", "Здравствуйте! Принимаю решение. Хорошего дня."), ("ru", "Да, спасибо.|Иван Петров"),
    ("ru", "Всё в порядке, спасибо."), ("ru", "Претензий больше нет, спасибо."),
    ("tr", "Evet, sorun çözüldü, teşekkürler."), ("tr", "Tamam"), ("tr", "Tamam, çok teşekkür ederim."),
    ("tr", "Sorun çözüldü, teşekkür ederim."), ("tr", "Artık çalışıyor, teşekkürler."),
    ("tr", "Paramı aldım, teşekkürler, sorun yok."), ("tr", "Evet, memnunum."),
    ("tr", "Merhaba, kabul ediyorum. İyi günler."), ("tr", "Hiçbir sorunum kalmadı, teşekkürler."), ("tr", "Evet|Ayşe"),
    ("tr", "Teşekkürler, her şey yolunda."),
    ("az", "Bəli, razıyam, təşəkkür edirəm."), ("az", "Hə, razıyam"), ("az", "Bəli"),
    ("az", "Qəbul edirəm, çox sağ olun."), ("az", "Problem həll olundu, təşəkkürlər."),
    ("az", "Artıq işləyir, təşəkkür edirəm."), ("az", "Pulumu geri aldım, razıyam."),
    ("az", "Salam, qəbul edirəm. Xoş günlər."), ("az", "Heç bir problemim yoxdur, təşəkkürlər."), ("az", "Hə|Aysel"),
    ("az", "Təşəkkürlər, hər şey qaydasındadır."), ("az", "Oldu, çox sağ olun."),
]

ORDINARY_REJECTS = [
    ("en", "No, the phone still does not work."), ("en", "I do not accept, the screen is still broken."),
    ("en", "Not resolved."), ("en", "I reject your answer, I want a refund."), ("en", "Nothing was solved."),
    ("ru", "Нет, не согласен."), ("ru", "Нет не согласен"), ("ru", "Не принимаю, телефон до сих пор не работает."),
    ("ru", "Ничего не решено."), ("ru", "Никто ничего не решил, не согласна."),
    ("tr", "Hayır, kabul etmiyorum."), ("tr", "Ret, ürün hâlâ bozuk."), ("tr", "Asla kabul etmiyorum."),
    ("tr", "Sorun çözülmedi."),
    ("az", "Xeyr, razı deyiləm."), ("az", "Rədd edirəm, telefon hələ də işləmir."), ("az", "Heç vaxt qəbul etmərəm."),
    ("az", "Problem həll olunmayıb."),
]

# Under the accept: a signature and the quoted resolution, whose own words ("still broken",
# "не принимаю", "hâlâ") must not count (the parser cuts them, gateway/mail/quotes.py).
SIGNED = {
    "en": "\n\nKind regards,\nJohn Smith\nTel. No.: +994 12 555 01 02",
    "ru": "\n\nС уважением,\nИван Петров\nТел.: +7 495 123-45-67",
    "tr": "\n\nSaygılarımla,\nAyşe Yılmaz\nTel. No: +90 212 555 01 02",
    "az": "\n\nHörmətlə,\nAysel Məmmədova\nTel. No.: +994 12 555 01 02",
}
HISTORY = {
    "en": ("\n\nOn Mon, 30 Nov 2026 at 10:00, Care Desk <care@shop.test> wrote:\n"
           "> Your complaint was resolved: the technician replaced the broken screen.\n"
           "> Is it still not working? If you do not accept our answer, reply with reject.\n"),
    "ru": ("\n\nFrom: Служба заботы <care@shop.test>\nSent: Monday, November 30, 2026 10:00 AM\n"
           "To: Иван Петров <ivan@example.ru>\nSubject: RE: Жалоба\n\n"
           "Ваша жалоба решена. Если Вы не согласны, напишите «не принимаю». Телефон всё ещё сломан?\n"),
    "tr": ("\n\n30 Kas 2026 Pzt 10:00 tarihinde Care Desk <care@shop.test> şunu yazdı:\n"
           "> Şikâyetiniz çözüldü. Ürün hâlâ bozuksa “ret” yazınız; kabul etmiyorsanız nedenini belirtiniz.\n"),
    "az": ("\n\n30 noy 2026, B.e. 10:00 tarixində Care Desk <care@shop.test> yazdı:\n"
           "> Şikayətiniz həll olundu. Telefon hələ də işləmirsə, “rədd edirəm” yazın. Niyə?\n"),
}
QUOTED = {language: SIGNED[language] + HISTORY[language] for language in LANGS}


def own_text(text: str) -> str:
    """What the parser hands the reader: the reply without its quote and signature."""
    return split_reply(text)[0]


@pytest.mark.parametrize("language, text, expected", HOSTILE + FALSE_ACCEPT_ATTEMPTS)
def test_no_false_accept(rules, language, text, expected):
    assert read(rules, text, language) == expected


# Ordinary sentences with the words an accept may now be (fixed, sounds good, you can close,
# решено, можно закрыть, kapatabilirsiniz, bağlaya bilərsiniz ...) and more beside them: no close.
ACCEPT_WORDS_IN_PROSE = [
    ("en", "The delivery date is fixed to Monday."), ("en", "Sounds good on paper, the phone is still dead."),
    ("en", "You can close the ticket when the money arrives."), ("en", "I'm happy to send the receipt again."),
    ("en", "Resolved. I have a problem."), ("en", "Fixed the date, the phone is on its way back."),
    ("ru", "Решено было отправить курьера ещё раз."), ("ru", "Можно закрыть, когда придут деньги."),
    ("ru", "Всё получил, кроме зарядки."), ("ru", "Деньги пришли не все."), ("ru", "Отлично, курьер опять не пришёл."),
    ("tr", "Ne zaman kapatabilirsiniz?"), ("tr", "Şikayeti kapatabilirsiniz ama para gelmedi."),
    ("tr", "Memnun kaldım demek isterdim."), ("tr", "Sorunum çözüldü mü bilmiyorum."), ("tr", "Harika, kargo yine gecikti."),
    ("az", "Şikayəti bağlaya bilərsiniz, amma pul gəlmədi."), ("az", "Həll edildi deyə yazdınız, amma işləmir."),
    ("az", "Problem həll olundu? Xeyr."), ("az", "Əla, kuryer yenə gəlmədi."), ("az", "Məmnun qaldım deyə bilmərəm."),
]


@pytest.mark.parametrize("language, text", FALSE_ACCEPTS)
def test_whole_reply_must_accept(rules, language, text):
    """The hostile tester's 51 unsolved replies: a word beside the accept that is no courtesy,
    a number, a bracket or an angry emoji sends the reply to staff."""
    assert read(rules, text, language) != "accept"


@pytest.mark.parametrize("language, text", ACCEPT_WORDS_IN_PROSE)
def test_accept_words_in_prose_do_not_close(rules, language, text):
    assert read(rules, text, language) != "accept"


def test_natural_accepts_close():
    """Of the tester's 120 natural accepts, 109 close (11 tell a story beside the accept and go
    to staff); none is read as a rejection. bench/intent.py prints the figures."""
    rules = load_rules(RULES_DIR, LANGS)
    verdicts = [read(rules, text, language) for language, text in NATURAL_ACCEPTS]
    assert len(NATURAL_ACCEPTS) == 120 and "reject" not in verdicts
    assert verdicts.count("accept") >= 108


def test_look_alike_letters_are_read_as_the_word():
    """"Нe согласен" with a Latin "e" rejects; a whole Latin word stays Latin ("He")."""
    assert unmix("Нe согласен, He agrees") == "Не согласен, He agrees"
    rules = load_rules(RULES_DIR, LANGS)
    assert read(rules, "Нe согласен", "ru") == "reject"
    assert read(rules, "нe принимаю", "ru") == "reject"


@pytest.mark.parametrize("language, text", ORDINARY_ACCEPTS)
def test_ordinary_accepts_stay_accepts(rules, language, text):
    text = text.replace("|", "\n")
    assert read(rules, text, language) == "accept"
    assert read(rules, own_text(text + QUOTED[language]), language) == "accept"


@pytest.mark.parametrize("language, text", ORDINARY_REJECTS)
def test_ordinary_rejects(rules, language, text):
    assert read(rules, text, language) == "reject"
    assert read(rules, own_text(text + QUOTED[language]), language) == "reject"


def test_a_quote_the_parser_missed_holds_the_accept_back(rules):
    """Had the parser kept the quoted resolution, its own words ("still", "ещё", "hâlâ", "hələ")
    would hold a bare yes back: the mistake is an unclear reply, never a close."""
    for language, history in HISTORY.items():
        assert read(rules, own_text("OK" + history), language) == "accept"
        assert read(rules, "OK" + history, language) != "accept"


def test_each_language_has_ten_false_accept_attempts():
    for language in LANGS:
        assert sum(1 for lang, _, _ in FALSE_ACCEPT_ATTEMPTS if lang == language) >= 10


def test_no_real_mail_reads_as_an_accept(rules):
    """None of the corpus's ~340 real mails answers a resolution of ours: read as one, any accept
    would have closed a complaint on a stranger's words ("Hope it works well!")."""
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip(ABSENT)
    accepted = []
    for path, _ in manifest():
        try:
            mail = parse((CORPUS / path).read_bytes())
        except Unprocessable:
            continue
        if read(rules, mail.new_text, "en") == "accept":
            accepted.append(path)
    assert accepted == []


def test_courtesy_and_a_signed_name_keep_a_bare_yes(rules):
    assert read(rules, "Yes, thank you very much.\nBest regards", "en") == "accept"
    assert read(rules, "Да.\nИван Петров", "ru") == "accept"
    assert read(rules, "Yes.\nThe courier broke my door", "en") is None  # a sentence, not a name
    assert read(rules, "Yes.\nJohn\nStill Broken", "en") is None  # a doubt word counts wherever it stands
    assert read(rules, "Accepted.\nPlease Call", "en") is None  # capitalised words, no name


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
    # a trailing bare "нет" is not the first clause: no rejection (and, a word beside the accept, no close)
    assert read(rules, "Согласен.\nИван\nНет", "ru") is None


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
