"""Tracking numbers: unguessable, verified by a check character, found in subjects."""
from __future__ import annotations

import re

import pytest

from gateway import tracking


def test_format_and_randomness():
    numbers = {tracking.make("CC", 2026) for _ in range(500)}
    assert len(numbers) == 500
    assert all(re.fullmatch(r"CC-2026-[0-9A-HJKMNP-TV-Z]{7}[0-9A-Z*~$=]", n) for n in numbers)


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
            assert tracking.normalize(typo, "CC") is None


def test_confusable_letters_are_read_as_digits():
    number = tracking.make("CC", 2026, token="1011000")
    head, body = number[:8], number[8:]
    assert tracking.normalize(head + body.replace("1", "I", 1).replace("0", "O", 1), "CC") == number


def test_other_prefixes_and_neighbouring_text_are_ignored():
    number = tracking.make("CC", 2026, token="4K7PQ2M")
    assert tracking.find(f"XCC-2026-4K7PQ2M{number[-1]}", "CC") == []
    assert tracking.find(f"[{number}] and [{number}]", "CC") == [number]
    assert tracking.find(number, "ZZ") == []
