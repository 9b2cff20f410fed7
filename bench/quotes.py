"""Prints how long quotes.split_reply and htmltext.html_to_text take on crafted bombs (400 KB and 2 MB).

    python3 bench/quotes.py

Each bomb aims at one part of the split: long quoted lines, many quoted lines,
attributions, colon-ended lines, address-like runs, header-like lines,
closings, "-- " lines. Linear time means the 2 MB figure is ~5x the 400 KB one.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.mail.htmltext import html_to_text
from gateway.mail.quotes import split_reply

UNITS = {
    "one long quoted line": lambda n: "> " + "a" * n,
    "quoted lines": lambda n: "> x\n" * (n // 4),
    "attributions": lambda n: "On Mon, 7 Dec 2026 at 10:01 a@b.cc wrote:\n" * (n // 43),
    "colon-ended long lines": lambda n: ("x" * 990 + ":\n") * (n // 992),
    "address-like runs": lambda n: ("a" * 900 + "@" + "b" * 900 + ":\n") * (n // 1803),
    "From/Sent lines": lambda n: "From: a\nSent: b\n" * (n // 16),
    "closings": lambda n: "Regards,\n" * (n // 9),
    "-- lines": lambda n: "-- \n" * (n // 4),
    "digits and colons": lambda n: ("1" * 5000 + ":\n") * (n // 5002),
    "wrapped attribution starts": lambda n: ("On 1.1.2026 10:00 " + "b" * 400 + "\n") * (n // 419) + ":\n",
    "prose": lambda n: ("The courier wrote: we came at 10:00 on 24.11.2026, nobody was home.\n") * (n // 68),
}


HTML = {
    "html: stray '<'": lambda n: "<" * n,
    "html: unclosed tags": lambda n: "<a " * (n // 3),
    "html: unclosed comments": lambda n: "<!-- x" * (n // 6),
    "html: nested blockquotes": lambda n: "<blockquote>x" * (n // 13),
    "html: table cells": lambda n: "<tr>" + "<td>x</td>" * (n // 10),
    "html: prose": lambda n: "<p>" + "word " * (n // 5),
}


def main() -> None:
    print(f"CPU seconds (wall in brackets; the machine is shared, CPU time is the steadier figure), load {os.getloadavg()[0]:.1f}")
    print(f"{'bomb':<28} {'400 KB':>17} {'2 MB':>17}")
    for name, make, run in [(n, m, split_reply) for n, m in UNITS.items()] + [
            (n, m, html_to_text) for n, m in HTML.items()]:
        row = []
        for size in (400_000, 2_000_000):
            text = make(size)
            wall, cpu = time.perf_counter(), time.process_time()
            run(text)
            row.append(f"{time.process_time() - cpu:.3f}s ({time.perf_counter() - wall:.2f}s)")
        print(f"{name:<28} {row[0]:>17} {row[1]:>17}")


if __name__ == "__main__":
    main()
