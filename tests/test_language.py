"""gateway.mail.language: az/ru/tr/en on short and long texts written for these tests.

The Azerbaijani and Turkish texts are deliberately near-translations of each
other (same sentence shapes, many shared words), because that pair is where a
detector goes wrong.
"""
from __future__ import annotations

import pytest

from gateway.mail.language import DetectionSettings, LanguageDetector, release_freed_memory

LANGS = ("az", "ru", "tr", "en")

# (language, text); the az and tr entries pair up line by line.
AZ_TR_PAIRS = [
    ("Sifarişim hələ də çatdırılmayıb, kuryer zəng etmədi.",
     "Siparişim hâlâ teslim edilmedi, kurye aramadı."),
    ("Salam, mağazanızdan aldığım telefon iki gündən sonra xarab oldu. Zəmanət var, amma servis mərkəzi qəbul etmir.",
     "Merhaba, mağazanızdan aldığım telefon iki gün sonra bozuldu. Garanti var ama servis kabul etmiyor."),
    ("Kartımdan iki dəfə pul çıxılıb. Xahiş edirəm, artıq tutulan məbləği geri qaytarın.",
     "Kartımdan iki kez para çekildi. Lütfen fazla alınan tutarı iade edin."),
    ("Bu gün saat on ikidə mağazaya gəldim, amma kassada heç kim yox idi.",
     "Bugün saat on ikide mağazaya geldim ama kasada kimse yoktu."),
    ("Mağazada satıcı çox kobud davrandı, bu qəbul edilməzdir.",
     "Mağazada satıcı çok kaba davrandı, bu kabul edilemez."),
    ("Müştəri xidmətləri ilə əlaqə saxladım, amma problem həll olunmadı.",
     "Müşteri hizmetleri ile iletişime geçtim ama sorun çözülmedi."),
    ("Televizor bir ay sonra işləmədi, servis də kömək etmədi.",
     "Televizyon bir ay sonra çalışmadı, servis de yardım etmedi."),
    ("Zəng mərkəzi cavab vermir", "Çağrı merkezi cevap vermiyor"),
    ("Bu nə vaxt həll olunacaq?", "Bu ne zaman çözülecek?"),
    ("Telefon işləmir, dəyişin", "Telefon çalışmıyor, değiştirin"),
    ("Yaxşı, qəbul edirəm", "Tamam, kabul ediyorum"),
    ("Kartımdan pul çıxıb, qaytarın", "Kartımdan para çekildi, iade edin"),
    ("Hörmətli müştəri xidməti, ötən həftə saytınız vasitəsilə soyuducu sifariş etdim. Çatdırılma üçün üç gün "
     "vaxt verildi, lakin artıq on gün keçib və heç kim mənimlə əlaqə saxlamayıb. Zəng mərkəzinə dəfələrlə zəng "
     "etmişəm, operatorlar hər dəfə fərqli cavab verir. Bu vəziyyətdən çox narazıyam.",
     "Sayın müşteri hizmetleri, geçen hafta web siteniz üzerinden bir buzdolabı sipariş ettim. Teslimat için üç "
     "gün süre verildi, ancak on gün geçti ve kimse benimle iletişime geçmedi. Çağrı merkezini defalarca aradım, "
     "temsilciler her seferinde farklı bir cevap veriyor. Bu durumdan hiç memnun değilim."),
]
OTHERS = [
    ("ru", "Заказ до сих пор не доставили, курьер не звонил."),
    ("ru", "Верните деньги"),
    ("ru", "Здравствуйте! Неделю назад я заказал холодильник на вашем сайте. Доставку обещали через три дня, "
           "но прошло уже десять дней, и никто со мной не связался. Прошу решить проблему как можно скорее."),
    ("en", "My order still has not been delivered."),
    ("en", "Refund my money please"),
    ("en", "Hello, last week I ordered a fridge on your website. Delivery was promised within three days, but "
           "ten days have passed and nobody has contacted me. Please solve this as soon as possible."),
    ("tr", "Xiaomi telefonumun ekranı kırıldı, değişim istiyorum."),  # x in a brand name: still Turkish
]
CASES = [("az", az) for az, _ in AZ_TR_PAIRS] + [("tr", tr) for _, tr in AZ_TR_PAIRS] + OTHERS


@pytest.fixture(scope="module")
def detector():
    return LanguageDetector(LANGS)


@pytest.mark.parametrize("language, text", CASES, ids=[f"{lang}-{text[:24]}" for lang, text in CASES])
def test_detects_the_language(detector, language, text):
    assert detector.detect(text, default="xx") == language


@pytest.mark.parametrize("text", ["", "ok", "Salam", "Merhaba", "Спасибо", "Thanks!", "12345 !!! 67890", "Ürün bozuk"])
def test_short_text_falls_back_to_the_default(detector, text):
    assert detector.detect(text, default="ru") == "ru"


def test_text_that_fits_no_language_well_falls_back(detector):
    # a product code and a German name: lingua spreads its confidence thin, and
    # the "x" must not make it Azerbaijani
    assert detector.detect("Ref: ZX-4471-B / Müller GmbH", default="en") == "en"


@pytest.mark.parametrize("text", ["Sifarisim hele gelmeyib, kuryer zeng etmir",  # typed without ə
                                  "Kuryer vaxtinda gelmedi, pulumu qaytarin"])
def test_azerbaijani_typed_on_a_turkish_keyboard(detector, text):
    assert detector.detect(text, default="en") == "az"


def test_q_and_x_tip_a_hesitant_az_tr_call():
    hesitant = LanguageDetector(LANGS, DetectionSettings(min_confidence=0.999))
    assert hesitant.detect("Xahis edirem qaytarin pulu", default="en") == "az"   # lingua: az 0.84
    assert hesitant.detect("Satıcı kabaydı ve bağırdı", default="en") == "en"   # no q/x: stays unsure


def test_schwa_settles_azerbaijani_where_the_light_model_says_turkish():
    light = LanguageDetector(LANGS, DetectionSettings(low_accuracy=True))
    assert light._lingua("Sifarişim gəlmədi").detect_language_of("Sifarişim gəlmədi").iso_code_639_1.name == "TR"
    assert light.detect("Sifarişim gəlmədi", default="en") == "az"


def test_only_configured_languages_are_answered():
    detector = LanguageDetector(("az", "tr"))
    assert detector.detect("My order still has not been delivered to my house.", default="az") in ("az", "tr")
    assert detector.detect("Kartımdan iki kez para çekildi, lütfen iade edin.", default="az") == "tr"


def test_a_single_language_needs_no_detection():
    assert LanguageDetector(("en",)).detect("Заказ до сих пор не доставили", default="en") == "en"


def test_detectors_are_independent_objects():
    assert LanguageDetector(("az", "tr")).languages != LanguageDetector(("ru", "en")).languages


def test_unknown_language_code_is_refused():
    with pytest.raises(ValueError):
        LanguageDetector(("az", "xx"))


def test_the_alphabet_decides_without_lingua_when_it_can(detector):
    assert detector.detect("Здравствуйте, заказ не доставлен", default="en") == "ru"
    assert detector.detect("Sifarişim gəlmədi, kömək edin zəhmət olmasa", default="en") == "az"


def test_an_azerbaijani_surname_does_not_make_english_azerbaijani(detector):
    text = "Hello, my order has not arrived after two weeks. Please help. Aysel Məmmədova"
    assert detector.detect(text, default="ru") in ("en", "ru")  # English, or honestly unsure: never az


def test_long_text_never_loads_the_full_models():
    """Trigram models answer long text the same way, and load in a tenth of the time."""
    detector = LanguageDetector(LANGS)
    text = ("Salam, sifarişim hələ də gəlməyib. Kuryer zəng etmir, saytda status dəyişmir. "
            "Xahiş edirəm pulumu qaytarın və ya sifarişi tez çatdırın.")
    assert len(text) >= 120
    assert detector.detect(text.replace("ə", "e"), default="en") == "az"
    assert detector._full is None and detector._trigram is not None
    assert detector.detect("Kuryer vaxtinda gelmedi, pulumu qaytarin", default="en") == "az"
    assert detector._full is not None


def test_the_full_models_hand_their_loading_scratch_back_once():
    detector = LanguageDetector(LANGS)
    assert not detector._full_loaded
    assert detector.detect("Kuryer vaxtinda gelmedi, pulumu qaytarin", default="en") == "az"
    assert detector._full_loaded  # released after the first full-model read ...
    assert detector.detect("Kurye zamanında gelmedi, param iade edilsin", default="en") == "tr"  # ... models intact
    release_freed_memory()  # harmless to call again, on any libc


def test_warm_loads_what_short_and_long_text_need_before_any_mail():
    detector = LanguageDetector(LANGS)
    detector.warm()
    assert detector._trigram is not None and detector._full is not None and detector._full_loaded
    assert detector.detect("Kuryer vaxtinda gelmedi, pulumu qaytarin", default="en") == "az"


def test_warm_in_compact_mode_never_loads_the_full_models():
    detector = LanguageDetector(LANGS, DetectionSettings(low_accuracy=True))
    detector.warm()
    assert detector._full is None and detector._trigram is not None


def test_configured_maps_the_detection_setting():
    assert LanguageDetector.configured(LANGS, "compact").settings.low_accuracy
    assert not LanguageDetector.configured(LANGS, "full").settings.low_accuracy


def test_only_the_start_of_a_huge_text_is_read() -> None:
    """An 18 MB body once took lingua minutes and a list of every letter (issue 16)."""
    from gateway.mail.language import DetectionSettings, LanguageDetector
    detector = LanguageDetector(("az", "ru", "tr", "en"), DetectionSettings(low_accuracy=True))
    text = "Salam, sifarişim on gündür çatdırılmayıb, zəhmət olmasa kömək edin. " * 300_000
    assert detector.detect(text, "en") == "az"
    mixed = "My order is late. " * 100 + "Заказ опаздывает. " * 1_000_000
    assert detector.detect(mixed, "az") == detector.detect(mixed[:3000], "az") == "en"
