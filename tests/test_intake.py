"""intake.read: `#new` with labelled fields in az/ru/tr/en, every combination and the errors."""
from __future__ import annotations

import itertools

import pytest

from gateway.mail.intake import DEFAULT_REQUIRED, read, starts_with_new

TEXT = "Paltaryuyan maşın su buraxır."
GIVEN = {
    "email": "E-mail: Aysel@Example.az",
    "phone": "Phone: 050 123 45 67",
    "name": "Name: Aysel",
    "surname": "Surname: Məmmədova",
    "patronymic": "Patronymic: Rauf qızı",
    "channel": "Channel: phone",
    "staff_name": "Staff: Leyla Həsənova",
}


def mail(*lines: str, text: str = TEXT) -> str:
    return "\n".join(["#new", *lines, "", text])


@pytest.mark.parametrize("present", [c for n in range(len(GIVEN) + 1) for c in itertools.combinations(GIVEN, n)])
def test_every_combination_of_fields(present):
    found = read(mail(*(GIVEN[name] for name in present)), DEFAULT_REQUIRED + ("patronymic", "staff_name"))
    missing = set(GIVEN) - set(present)
    errors = " | ".join(e.text for e in found.errors)
    codes = {e.code for e in found.errors}  # what the staff mail says, in the staff language (_errors.j2)
    assert found.text == TEXT
    assert ("e-mail or phone is missing" in errors) == ({"email", "phone"} <= missing) == ("missing_contact" in codes)
    for name, shown in (("name", "customer's name"), ("surname", "customer's surname"),
                        ("patronymic", "customer's patronymic"), ("channel", "the channel"),
                        ("staff_name", "your name")):
        assert (f"{shown} is missing" in errors) == (name in missing) == (f"missing_{name}" in codes)
    if "email" in present:
        assert found.fields["email"] == "aysel@example.az"
    if not found.errors:
        assert found.full_name == "Aysel Rauf qızı Məmmədova"


LANGUAGE_FORMS = {
    "az": ["E-poçt: aysel@example.az", "Telefon: 050 123 45 67", "Ad: Aysel", "Soyad: Məmmədova",
           "Ata adı: Rauf qızı", "Kanal: zəng", "Əməkdaş: Leyla"],
    "ru": ["Эл. почта: aysel@example.az", "Телефон: 050 123 45 67", "Имя: Айсель", "Фамилия: Мамедова",
           "Отчество: Рауфовна", "Канал: визит", "Сотрудник: Лейла"],
    "tr": ["E-posta: ayse@example.com.tr", "Telefon: 0532 123 45 67", "İsim: Ayşe", "Soyadı: Yılmaz",
           "Baba adı: Mehmet", "Kanal: ziyaret", "Personel: Elif"],
    "en": ["Email: alice@example.com", "Phone: +44 20 7946 0958", "First name: Alice", "Last name: Brown",
           "Middle name: Jane", "Channel: in person", "Staff member: Bob"],
}


@pytest.mark.parametrize("lang", LANGUAGE_FORMS)
def test_labels_and_channel_values_in_every_language(lang):
    found = read(mail(*LANGUAGE_FORMS[lang]), DEFAULT_REQUIRED + ("patronymic", "staff_name"))
    assert found.errors == ()
    assert set(found.fields) == {"email", "phone", "name", "surname", "patronymic", "channel", "staff_name"}
    assert found.fields["channel"] == ("phone" if lang == "az" else "visit")


@pytest.mark.parametrize("line,expected", [
    ("ФИО: Мамедова Айсель Рауфовна", ("Айсель", "Мамедова", "Рауфовна")),
    ("Ad, soyad, ata adı: Məmmədova Aysel Rauf qızı", ("Aysel", "Məmmədova", "Rauf qızı")),
    ("Full name: Brown Alice", ("Alice", "Brown", "")),
])
def test_full_name_in_one_field(line, expected):
    found = read(mail(line, "Phone: 0501234567", "Channel: visit"))
    assert found.errors == ()
    assert (found.fields["name"], found.fields["surname"], found.fields.get("patronymic", "")) == expected


@pytest.mark.parametrize("line,error,code", [
    ("E-mail: aysel at example", "is not an e-mail address", "email_invalid"),
    ("Phone: call me", "too few digits", "phone_short"),
    ("Channel: pigeon", "is not phone or visit", "channel_invalid"),
])
def test_bad_values_are_named(line, error, code):
    base = {"E-mail": "E-mail: aysel@example.az", "Phone": "Phone: 0501234567", "Channel": "Channel: phone"}
    base[line.split(":")[0]] = line
    found = read(mail("Name: Aysel", "Surname: M", *base.values()))
    assert any(error in e.text and e.code == code and e.args["given"] == line.split(": ")[1]
               for e in found.errors), found.errors


def test_contradicting_duplicate_is_an_error():
    found = read(mail("Name: Aysel", "Name: Leyla", "Surname: M", "Phone: 0501234567", "Channel: phone"))
    assert any("given twice" in e.text and (e.code, e.args) == ("twice", {"field": "name"}) for e in found.errors)


def test_missing_text_is_an_error():
    found = read(mail("Name: Aysel", "Surname: M", "Phone: 0501234567", "Channel: phone", text=""))
    assert any("complaint text is missing" in e.text and e.code == "missing_text" for e in found.errors)


def test_commands_after_new_are_kept_for_the_command_parser():
    found = read("#new\n#priority high\n#category delivery\nName: A\nSurname: B\nPhone: 0501234567\n"
                 "Channel: phone\n\nText")
    assert found.commands_text == "#priority high\n#category delivery"
    assert found.errors == ()


# Ordinary sentences with a colon and label-like words stay complaint text, in every language.
ORDINARY = {
    "en": "Order: 12345 was not delivered. Name of the courier: unknown. Phone: the line was busy all day",
    "ru": "Заказ: 12345 не доставлен. Имя курьера мне неизвестно. Телефон: магазина всё время занят",
    "tr": "Sipariş: 12345 teslim edilmedi. Adı bilinmeyen kurye geldi. Telefon: mağazanın hattı meşgul",
    "az": "Sifariş: 12345 çatdırılmayıb. Kuryerin adı: bilmirəm. Telefon: mağazanın nömrəsi cavab vermir",
}


@pytest.mark.parametrize("lang", ORDINARY)
def test_ordinary_sentences_below_the_fields_stay_text(lang):
    text = ORDINARY[lang].replace(". ", ".\n")
    found = read(mail("Name: Aysel", "Surname: M", "Phone: 0501234567", "Channel: phone", text=text))
    assert found.errors == ()
    assert found.text == text
    assert found.fields["phone"] == "0501234567"


@pytest.mark.parametrize("text,expected", [
    ("#new\nName: A", True), ("\n\n  #NEW\n", True), ("#news about the order", False),
    ("Please register #new complaint", False), ("#note\n#new", False), ("", False),
])
def test_starts_with_new(text, expected):
    assert starts_with_new(text) is expected


def test_huge_field_block_is_bounded():
    lines = ["Name: A"] * 50_000
    found = read("#new\n" + "\n".join(lines) + "\n\n" + "x" * 100_000)
    assert found.fields["name"] == "A"
