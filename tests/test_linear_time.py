"""Every regular expression in gateway/ reads hostile text in linear time (issue 16).

The patterns are found, not listed: each compiled pattern in a gateway module (or
in a tuple of them) is searched over texts made of one short unit repeated, the
shapes that make a backtracking engine re-read its input (runs of blanks, line
breaks, reply prefixes, quote marks, half addresses, header-like lines). A
linear pattern reads 20 KB in a few milliseconds; a quadratic one takes minutes
on the whole battery and an exponential one never ends, so a generous bound on
the whole sweep tells them apart without measuring speed.
"""
from __future__ import annotations

import importlib
import multiprocessing
import pkgutil
import re

import pytest

import gateway

SIZE = 20_000  # characters per hostile text: a quadratic pattern takes minutes on the battery
UNITS = ("Re: ", " ", "\t", "\n", "\n\n", " \n", "\r\n", "a", "a ", "a@", "@a", "a@a.", "> ", ">", "-", "_",
         "=", "=?", "1", "1 ", ": ", "a:", "a.", ".", "'", "<", "<a", "[", "[a", "#", "# ", "a=", "On ",
         "wrote ", "ə", "Ж ", "a-", "*", "a(", ")", "\\", '"', "From: ", "message-id: ", "-- ", "[a=", "[a=]",
         "#a ", "=?utf-8?q?", "<a@", "a@b.c ", "CC-2026-", "1.", "1:1 ", "+1 ", "\n> ", "\n>> ", "a,")
# Patterns whose input is bounded where they are used, so a quadratic worst case stays
# small; each entry says where the bound is.
BOUNDED_INPUT: dict[str, str] = {
    "gateway.mail.quotes.SEPARATOR": "quotes.py: .match() on one line cut at LINE_CAP (1000) characters",
}


def patterns() -> dict[str, re.Pattern]:
    found: dict[str, re.Pattern] = {}

    def collect(name: str, value: object, depth: int = 0) -> None:
        if isinstance(value, re.Pattern):
            found[name] = value
        elif isinstance(value, (tuple, list)) and depth < 2:
            for i, item in enumerate(value):
                collect(f"{name}[{i}]", item, depth + 1)

    for info in pkgutil.walk_packages(gateway.__path__, "gateway."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for key, value in vars(module).items():
            if getattr(value, "__module__", info.name) == info.name or isinstance(value, (re.Pattern, tuple, list)):
                collect(f"{info.name}.{key}", value)
    return found


def _sweep(name: str, pattern: re.Pattern) -> None:
    for unit in UNITS:
        text = unit * (SIZE // len(unit)) + "\x01!"
        subject = text.encode("utf-8") if isinstance(pattern.pattern, bytes) else text
        pattern.search(subject)
        for _ in zip(range(1000), pattern.finditer(subject)):
            pass


def test_the_sweep_finds_the_patterns() -> None:
    found = patterns()
    assert "gateway.mail.hygiene.LIST_TAG_SUBJECT" in found and "gateway.mail.hygiene._TEXT_RECIPIENTS[0]" in found
    assert len(found) > 50


@pytest.mark.parametrize("name", sorted(patterns()))
def test_every_pattern_reads_hostile_text_in_linear_time(name: str) -> None:
    if name in BOUNDED_INPUT:
        pytest.skip(BOUNDED_INPUT[name])
    child = multiprocessing.get_context("fork").Process(target=_sweep, args=(name, patterns()[name]), daemon=True)
    child.start()
    child.join(30.0)
    if child.is_alive():
        child.kill()
        child.join()
        pytest.fail(f"{name} ({patterns()[name].pattern!r}) did not finish {len(UNITS)} hostile texts "
                    f"of {SIZE} characters in 30 s: it backtracks")
    assert child.exitcode == 0


def test_an_admin_sender_pattern_of_many_stars_is_linear() -> None:
    """rules/ sender patterns are globs (fnmatch, atomic groups since Python 3.11), never regexes."""
    from gateway.desk.rules import _sender_match
    from tests.hostile import finishes

    assert finishes(_sender_match, ("*a" * 40 + "*@b.example",), "a" * 100_000 + "@c.example")
    assert _sender_match(("*@partner.example",), "Ali@Partner.example") == "*@partner.example"
