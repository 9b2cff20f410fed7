"""gateway.mail.contact: name from the From display name or signature, phones in E.164."""
from __future__ import annotations

import pytest

from gateway.mail.contact import Contact, extract_contact, missing_contact_fields


@pytest.mark.parametrize("display, signature, name", [
    ("Aysel Məmmədova", "", "Aysel Məmmədova"),
    ('"Иванов Иван Иванович"', "", "Иванов Иван Иванович"),
    ("  Mehmet   Yılmaz ", "", "Mehmet Yılmaz"),
    ("aysel.m@mail.az", "Hörmətlə,\nAysel Rauf qızı Məmmədova\n+994 50 123 45 67", "Aysel Rauf qızı Məmmədova"),
    ("", "С уважением,\nПетрова Анна", "Петрова Анна"),
    ("", "-- \nSaygılarımla\nAyşe Demir\nİstanbul", "Ayşe Demir"),
    ("", "Best regards,\nJohn O'Neil", "John O'Neil"),
])
def test_name_from_display_name_else_signature(display, signature, name):
    assert extract_contact(display, "text", signature, "AZ").name == name


@pytest.mark.parametrize("display, signature", [
    ("customer@mail.az", ""),                               # just an address, no signature
    ("", "Sent from my iPhone"),                            # a signature line that is not a name
    ("", "Thanks,\nCall me on 050 123 45 67 after six"),     # digits: a sentence, not a name
    ("", "Hörmətlə,\nsizin sadiq müştəriniz olaraq uzun illərdir ki"),
])
def test_no_name_when_nothing_reads_like_one(display, signature):
    assert extract_contact(display, "", signature, "AZ").name == ""


@pytest.mark.parametrize("text, region, phone", [
    ("Mənim nömrəm 050 123 45 67, zəng edin.", "AZ", "+994501234567"),
    ("Şəhər nömrəsi: (012) 498 12 34", "AZ", "+994124981234"),
    ("Звоните: 8 (916) 123-45-67", "RU", "+79161234567"),
    ("Telefonum 0532 123 45 67", "TR", "+905321234567"),
    ("Call me on +44 20 7946 0958 please", "AZ", "+442079460958"),  # international form ignores the region
])
def test_phone_found_and_stored_in_e164(text, region, phone):
    assert extract_contact("", text, "", region).phone == phone


def test_signature_phone_wins_over_one_in_the_text():
    contact = extract_contact("", "The courier's number was +994 55 555 12 34.", "Aysel\n+994 50 123 45 67", "AZ")
    assert contact.phone == "+994501234567"


def test_order_numbers_and_dates_are_not_phones():
    assert extract_contact("", "Order 12345678 of 2024-05-03, amount 150.00 AZN", "", "AZ").phone == ""


@pytest.mark.parametrize("contact, missing", [
    (Contact("Aysel Məmmədova", "+994501234567"), ()),
    (Contact("Aysel", "+994501234567"), ("name",)),  # a surname is required too
    (Contact("", "+994501234567"), ("name",)),
    (Contact("Aysel Məmmədova", ""), ("phone",)),
    (Contact("", ""), ("name", "phone")),
])
def test_missing_contact_fields(contact, missing):
    assert missing_contact_fields(contact) == missing


def test_a_huge_display_name_is_no_name():
    """A 1 MB display name is not stored as the customer's name: the ack asks for the name."""
    assert extract_contact("A" + "a" * 1_000_000, "", "", "AZ").name == ""
    assert extract_contact("Aysel " * 30, "", "", "AZ").name == ""
    assert extract_contact("", "", "Aysel " + "M" * 200, "AZ").name == ""
    assert extract_contact("Aysel Rauf qızı Məmmədova", "", "", "AZ").name == "Aysel Rauf qızı Məmmədova"
