"""Name and phone from a customer's reply (labelled or free form), in az, ru, tr and en,
and ordinary sentences that must not be read as a name."""
from __future__ import annotations

import pytest

from gateway.mail.contact import regions
from gateway.mail.contactreply import reply_contact

AZ = regions("AZ", "az")
TR_UNDER_AZ = regions("AZ", "tr")


@pytest.mark.parametrize(("text", "name", "phone"), [
    ("Ad: Aysel\nSoyad: Məmmədova\nAta adı: Rauf qızı\nTelefon: 050 123 45 67",
     "Aysel Rauf qızı Məmmədova", "+994501234567"),
    ("Имя: Иван\nФамилия: Петров\nОтчество: Сергеевич\nТелефон: 050 123 45 67",
     "Иван Сергеевич Петров", "+994501234567"),
    ("İsim: Ayşe\nSoyadı: Yılmaz\nTelefon: +90 532 123 45 67", "Ayşe Yılmaz", "+905321234567"),
    ("Name: John\nSurname: Smith\nPhone: +44 20 7946 0958", "John Smith", "+442079460958"),
    ("ФИО: Петров Иван Сергеевич", "Петров Иван Сергеевич", ""),
    ("Salam, mənim adım Aysel Məmmədova, nömrəm 050 123 45 67.", "Aysel Məmmədova", "+994501234567"),
    ("Здравствуйте! Меня зовут Иван Петров, мой телефон +7 912 345-67-89.", "Иван Петров", "+79123456789"),
    ("Merhaba, benim adım Ayşe Yılmaz. Telefonum 0532 123 45 67", "Ayşe Yılmaz", "+905321234567"),
    ("Hello, my name is John Smith and my number is +1 415 555 0132", "John Smith", "+14155550132"),
])
def test_labelled_and_free_form_replies(text, name, phone):
    found = reply_contact(text, TR_UNDER_AZ if "Ayşe" in text else AZ)
    assert (found.name, found.phone) == (name, phone)


def test_a_turkish_number_without_country_in_a_turkish_complaint_under_az():
    assert reply_contact("Telefon: 0532 123 45 67", TR_UNDER_AZ).phone == "+905321234567"
    assert reply_contact("Telefon: 0532 123 45 67", regions("AZ", "az")).phone == ""  # not an AZ number
    assert reply_contact("Telefon: 050 123 45 67", TR_UNDER_AZ).phone == "+994501234567"  # AZ first


@pytest.mark.parametrize("text", [
    # az
    "Salam Hörmətli Komanda, sifarişim hələ gəlməyib.",
    "Adım çəkilən məhsul Bakı Mağazasında satılır.",
    "Sifarişim Gəncə Filialına göndərilib.",
    # ru
    "Здравствуйте, Уважаемая Служба Поддержки!",
    "Меня зовут обратно в магазин, но я не могу приехать.",
    "Заказ Доставлен Не Полностью",
    # tr
    "Merhaba Değerli Müşteri Hizmetleri, siparişim gelmedi.",
    "Benim adım geçen ay sisteme yanlış yazılmış.",
    "Ankara Şubesi Kapalıydı",
    # en
    "Dear Customer Care Team, my order is late.",
    "My name is on the order, please check it.",
    "Order Number Missing",
])
def test_ordinary_sentences_are_not_a_name(text):
    assert reply_contact(text, AZ).name == ""


@pytest.mark.parametrize("text", [
    "Sifariş nömrəsi 123456789, 12.03.2026 tarixində.",
    "Заказ № 2026031512, сумма 1500 рублей.",
    "Sipariş numarası 4521 8876 3320, tutar 250 TL.",
    "Order 1234567 placed on 2026-03-01.",
])
def test_order_numbers_and_dates_are_not_a_phone(text):
    assert reply_contact(text, TR_UNDER_AZ).phone == ""


def test_input_is_bounded():
    found = reply_contact("Ad: " + "A" * 100_000 + "\n" * 1000 + "Telefon: 050 123 45 67", AZ)
    assert len(found.name) <= 200 and found.phone == ""  # a field is cut; lines beyond the first 40 are not read


@pytest.mark.parametrize("text", [
    "Zəng etdim qaynar xəttinizə +994 12 310 00 00, amma heç kim cavab vermədi, çox narazıyam.",
    "Я звонил на вашу горячую линию +7 495 123-45-67 три раза, никто не ответил на звонок.",
    "Çağrı merkezinizi 0850 222 00 00 defalarca aradım ama kimse açmadı, çok üzgünüm.",
    "I called your hotline at +1 415 555 0132 three times and nobody answered the phone.",
])
def test_a_number_the_customer_merely_mentions_is_not_their_phone(text):
    assert reply_contact(text, TR_UNDER_AZ).phone == ""


@pytest.mark.parametrize(("text", "phone"), [
    ("050 123 45 67", "+994501234567"),
    ("Aysel Məmmədova\n050 123 45 67", "+994501234567"),
    ("Zəhmət olmasa mənə zəng edin, əlaqə nömrəm 050 123 45 67, axşamlar evdəyəm.", "+994501234567"),
    ("Пожалуйста, перезвоните мне вечером, мой телефон +7 912 345-67-89, спасибо.", "+79123456789"),
    ("Lütfen akşam arayın, cep telefonum 0532 123 45 67, teşekkürler.", "+905321234567"),
    ("Please call me in the evening, my number is +1 415 555 0132, thanks.", "+14155550132"),
])
def test_a_number_given_as_the_customers_own(text, phone):
    assert reply_contact(text, TR_UNDER_AZ).phone == phone


def test_a_lone_name_label_in_a_long_reply_is_not_the_customers_name():
    text = "\n".join(["Sifarişim haqqında:", "Name: Samsung Galaxy", "Model: S24", "Rəng: qara",
                      "Qiymət: 1500 AZN", "Mağaza: Gənclik", "Tarix: 12.03.2026", "Hələ də gəlməyib."])
    assert reply_contact(text, AZ).name == ""
    assert reply_contact("Ad: Aysel Məmmədova", AZ).name == "Aysel Məmmədova"
