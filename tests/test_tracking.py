"""Tracking numbers: unguessable, verified by a check character, found in subjects."""
from __future__ import annotations

import re

import pytest

from gateway.desk import tracking


def test_format_and_randomness():
    numbers = {tracking.make("CC", 2026) for _ in range(500)}
    assert len(numbers) == 500
    assert all(re.fullmatch(r"CC-2026-[0-9A-HJKMNP-TV-Z]{8}", n) for n in numbers)  # letters and digits only


def test_found_after_reply_prefixes_in_any_case():
    number = tracking.make("CC", 2026, token="4K7PQ2M")
    for subject in (f"Re: [{number}] Order", f"RE: AW: [{number.lower()}]", f"Ответ: {number}", f"YNT: #{number}"):
        assert tracking.find(subject, "CC") == [number]


@pytest.mark.parametrize("position", range(8, 16))
def test_a_mistyped_character_does_not_verify(position):
    number = tracking.make("CC", 2026, token="4K7PQ2M")
    for replacement in "0123456789ABCDEFGHJKMNPQRSTVWXYZ":
        typo = number[:position] + replacement + number[position + 1:]
        if typo != number:
            found = tracking.normalize(typo, "CC")
            assert found is None or tracking.is_legacy(found)  # at most an old-form key, looked up like any


def test_confusable_letters_are_read_as_digits():
    number = tracking.make("CC", 2026, token="1011000")
    head, body = number[:8], number[8:]
    assert tracking.normalize(head + body.replace("1", "I", 1).replace("0", "O", 1), "CC") == number


def test_other_prefixes_and_neighbouring_text_are_ignored():
    number = tracking.make("CC", 2026, token="4K7PQ2M")
    assert tracking.find(f"XCC-2026-4K7PQ2M{number[-1]}", "CC") == []
    assert tracking.find(f"[{number}] and [{number}]", "CC") == [number]
    assert tracking.find(number, "ZZ") == []


def test_every_single_substitution_and_most_neighbour_swaps_fail_the_current_check():
    body = "4K7PQ2M"
    good = body + tracking.check_char(body)
    for i in range(len(good)):
        for char in tracking.ALPHABET:
            if char != good[i]:
                typo = good[:i] + char + good[i + 1:]
                assert tracking.check_char(typo[:-1]) != typo[-1]
    swaps = [good[:i] + good[i + 1] + good[i] + good[i + 2:] for i in range(len(good) - 1) if good[i] != good[i + 1]]
    caught = sum(tracking.check_char(s[:-1]) != s[-1] for s in swaps)
    assert caught >= len(swaps) - 1


@pytest.mark.parametrize("typed", [
    "CC-2026-{b}", "cc-2026-{l}", "CC2026{b}", "cc2026{l}", "CC 2026 {b}", "CC-2026{b}", "CC2026-{b}",
    "Cc-2O26-{o}", "[cc 2026 {l}]", "CC\u20132026\u2013{b}", "CC\u00a02026\u00a0{b}",
])
def test_found_whatever_the_case_dashes_and_confusable_letters(typed):
    number = tracking.make("CC", 2026, token="101PQ20")
    body = number[8:]
    confused = body.replace("1", "I", 1).replace("0", "O", 1)
    subject = "Re: " + typed.format(b=body, l=confused.lower(), o=confused.replace("1", "l"))
    assert tracking.find(subject, "CC") == [number], subject


def test_old_numbers_with_a_symbol_keep_working_with_or_without_it():
    body = next(b for b in (f"6PVMA{a}{c}" for a in tracking.ALPHABET for c in tracking.ALPHABET)
                if tracking.legacy_check_char(b) == "$")
    old = f"CC-2026-{body}$"
    assert tracking.find(f"Re: [{old}] Sifariş", "CC") == [old]
    assert tracking.find(f"Re: [CC-2026-{body}] Sifariş", "CC") == [old]  # the $ dropped
    assert tracking.find(f"Re: cc2026{body.lower()}", "CC") == [old]
    assert tracking.is_legacy(old)


def test_old_numbers_with_a_letter_or_digit_check_keep_working():
    body = next(b for b in (f"4K7P{a}{c}M" for a in tracking.ALPHABET for c in tracking.ALPHABET)
                if tracking.legacy_check_char(b) in tracking.ALPHABET and tracking.legacy_check_char(b)
                != tracking.check_char(b))
    old = f"CC-2026-{body}{tracking.legacy_check_char(body)}"
    assert tracking.find(old, "CC") == [old] and tracking.is_legacy(old)


def test_a_current_number_without_its_check_is_not_guessed():
    body = next(b for b in (f"4K7P{a}2M" for a in tracking.ALPHABET)
                if tracking.legacy_check_char(b) not in tracking.LEGACY_SYMBOLS)
    assert tracking.find(f"Re: CC-2026-{body}", "CC") == []


@pytest.mark.parametrize("subject", [
    "Order 2026 ACCESS-2026-4K7PQ2MX", "Tel: CC-2026-12345", "CC-2026-4K7PQ2MX9 (too long)",
    "Sifariş nömrəsi 20264K7PQ2MX", "Заказ № CC-20-26-4K7PQ2MX",
])
def test_near_misses_are_not_numbers(subject):
    assert tracking.find(subject, "CC") == []


def test_a_long_hostile_subject_is_searched_in_bounded_time():
    import time
    subject = "CC-2026-" * 20000 + "cc 2026 " * 20000
    started = time.perf_counter()
    tracking.find(subject, "CC")
    assert time.perf_counter() - started < 5  # bounded input (MAX_TEXT), fixed-length pattern
