"""How long reading a customer's decision takes (gateway/desk/intent.py), typical and crafted.

    python3 bench/intent.py

Prints the mean time per reply over the decision table of tests/test_intent.py and the
time on crafted replies that stress each pass (a megabyte of prose, thousands of
greeting clauses, a negation word repeated, a phrase head repeated). The reader cuts
its input at MAX_CHARS / MAX_LINES, so the crafted ones stay in the same range.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from gateway.desk.intent import read  # noqa: E402
from gateway.desk.rulefiles import load_rules  # noqa: E402
from test_intent import ACCEPTS, NOT_DECISIONS, REJECTS, UNCLEAR  # noqa: E402

CRAFTED = {
    "1 MB of prose": "The courier came late again and I was not at home. " * 20_000,
    "4,000 greeting clauses": "Hi, " * 4_000,
    "'не ' x 100,000": "не " * 100_000,
    "'no further ' x 50,000": "no further " * 50_000,
    "40 lines of 'accept but'": "I accept but\n" * 40,
    "100,000 lines": "ok\n" * 100_000,
}


def timed(rules, text: str, language: str, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        read(rules, text, language)
    return (time.perf_counter() - start) / repeat


def main() -> None:
    rules = load_rules(ROOT / "rules", ("az", "ru", "tr", "en"))
    table = ACCEPTS + REJECTS + UNCLEAR + NOT_DECISIONS
    mean = sum(timed(rules, text, lang, 20) for lang, text in table) / len(table)
    print(f"decision table: {len(table)} replies, mean {mean * 1e6:.0f} µs per reply")
    for name, text in CRAFTED.items():
        print(f"{name:>28}: {timed(rules, text, 'en', 3) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
