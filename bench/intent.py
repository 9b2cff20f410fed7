"""How well and how fast the reader of a customer's decision works (gateway/desk/intent.py).

    python3 bench/intent.py

Prints, per table of tests/test_intent.py, how many replies read as the table expects and
how many non-accepts were read as an accept (the error that closes an unsolved complaint);
then the mean time per reply over the decision table and the time on crafted replies that
stress each pass (a megabyte of prose, thousands of greeting clauses, a negation word
repeated, behind a yes too, a phrase head repeated). The reader cuts its input at MAX_CHARS / MAX_LINES, so
the crafted ones stay in the same range. Run it on an older checkout's reader with the
same tables to compare (the tables are read from tests/, the reader from gateway/).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from gateway.desk.intent import read  # noqa: E402
from gateway.desk.rulefiles import load_rules  # noqa: E402
from gateway.mail.parse import Unprocessable, parse  # noqa: E402
from intent_attacks import FALSE_ACCEPTS, NATURAL_ACCEPTS  # noqa: E402
from realmail import ABSENT, CORPUS, manifest  # noqa: E402
from test_intent import (  # noqa: E402
    ACCEPTS,
    FALSE_ACCEPT_ATTEMPTS,
    HOSTILE,
    NOT_DECISIONS,
    ORDINARY_ACCEPTS,
    ORDINARY_REJECTS,
    REJECTS,
    UNCLEAR,
)

# table name -> (language, text, what it must read as; "not accept" for None/"" or "status")
ACCURACY = {
    "accepts": [(lang, text, "accept") for lang, text in ACCEPTS + ORDINARY_ACCEPTS],
    "rejects": [(lang, text, "reject") for lang, text in REJECTS + ORDINARY_REJECTS],
    "unclear / not decisions": [(lang, text, "neither") for lang, text in UNCLEAR + NOT_DECISIONS],
    "hostile (tester's)": [(lang, text, expected or "neither") for lang, text, expected in HOSTILE],
    "false-accept attempts": [(lang, text, expected or "neither") for lang, text, expected in FALSE_ACCEPT_ATTEMPTS],
    "tester's 51 false accepts": [(lang, text, "not accept") for lang, text in FALSE_ACCEPTS],
    "tester's 120 natural accepts": [(lang, text, "accept") for lang, text in NATURAL_ACCEPTS],
}

CRAFTED = {
    "1 MB of prose": "The courier came late again and I was not at home. " * 20_000,
    "4,000 greeting clauses": "Hi, " * 4_000,
    "'не ' x 100,000": "не " * 100_000,
    "'OK.' + 'не ' x 100,000": "OK.\n" + "не " * 100_000,  # an accept in play: the whole reply is read
    "'no further ' x 50,000": "no further " * 50_000,
    "40 lines of 'accept but'": "I accept but\n" * 40,
    "100,000 lines": "ok\n" * 100_000,
}


def timed(rules, text: str, language: str, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        read(rules, text, language)
    return (time.perf_counter() - start) / repeat


def accuracy(rules) -> None:
    """Replies read as expected, and the non-accepts read as accepts, per table."""
    for name, table in ACCURACY.items():
        right = false_accepts = 0
        for lang, text, expected in table:
            got = read(rules, text.replace("|", "\n"), lang)
            right += got == expected or (expected == "neither" and got not in ("accept", "reject")) or (
                expected == "not accept" and got != "accept")
            false_accepts += got == "accept" and expected != "accept"
        print(f"{name:>28}: {right}/{len(table)} as expected, {false_accepts} read as accept wrongly")


def real_mail(rules) -> None:
    """How many of the shared corpus's real mails (none a reply to our resolution) read as an accept."""
    if not (CORPUS / "MANIFEST.tsv").is_file():
        print(f"real mail: skipped, {ABSENT}")
        return
    read_as: dict[str, int] = {}
    for path, _ in manifest():
        try:
            mail = parse((CORPUS / path).read_bytes())
        except Unprocessable:
            continue
        got = str(read(rules, mail.new_text, "en"))
        read_as[got] = read_as.get(got, 0) + 1
    print(f"{'real mail (not replies to us)':>28}: {sum(read_as.values())} read as "
          + ", ".join(f"{k} {v}" for k, v in sorted(read_as.items())))


def main() -> None:
    rules = load_rules(ROOT / "rules", ("az", "ru", "tr", "en"))
    accuracy(rules)
    real_mail(rules)
    table = ACCEPTS + REJECTS + UNCLEAR + NOT_DECISIONS
    mean = sum(timed(rules, text, lang, 20) for lang, text in table) / len(table)
    print(f"decision table: {len(table)} replies, mean {mean * 1e6:.0f} µs per reply")
    for name, text in CRAFTED.items():
        print(f"{name:>28}: {timed(rules, text, 'en', 3) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
