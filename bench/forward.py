"""forward.find over the real-mail corpus and over crafted input: what it finds, how fast.

Run: python3 bench/forward.py [CORPUS_DIR]
Every corpus mail is read as if a staff member had sent it to the care address;
the script prints how many are taken for a forward (inline / attached), how many
for an unreadable forward, the corpus files tagged "forward" it missed, each
detection (to judge by eye: a detection in a mail that forwards nothing is a
false positive), and the time per call on large and crafted bodies. Figures
only, no thresholds: not a test.
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from gateway.mail.forward import Forwarded, Unreadable, find
from gateway.mail.parse import Unprocessable, parse
from realmail import CORPUS, manifest

FORWARD_TAGS = frozenset({"forward", "rfc822-attached"})


def corpus_figures(corpus: Path) -> None:
    counts: Counter[str] = Counter()
    missed: list[str] = []
    for path, tags in manifest(corpus):
        try:
            mail = parse((corpus / path).read_bytes())
        except Unprocessable:
            counts["unparseable"] += 1
            continue
        started = time.perf_counter()
        found = find(mail, lambda address, own=mail.sender: address == own)
        counts["seconds"] += time.perf_counter() - started
        counts["mails"] += 1
        tagged = bool(tags & FORWARD_TAGS)
        if isinstance(found, Forwarded):
            counts[f"forward-{found.how}"] += 1
            counts["tagged-found" if tagged else "untagged-found"] += 1
            text = found.original.new_text[:60].replace("\n", " ")
            print(f"  {found.how:8} {path}: {found.original.sender} {found.original.subject[:40]!r} {text!r}")
        elif isinstance(found, Unreadable):
            counts["unreadable"] += 1
            print(f"  unread.  {path}: {found.reason[:80]}")
        elif tagged:
            missed.append(path)
    print(f"\n{counts['mails']} mails, {counts['unparseable']} unparseable; forwards: inline "
          f"{counts['forward-inline']}, attached {counts['forward-attached']}, unreadable {counts['unreadable']}; "
          f"tagged forward/rfc822 found {counts['tagged-found']}, found without the tag {counts['untagged-found']}")
    print(f"mean {counts['seconds'] / max(counts['mails'], 1) * 1e6:.0f} us per find()")
    print("tagged forward/rfc822 not taken for a forward (a forward of staff's own, digests, reports...):")
    for path in missed:
        print(f"  {path}")


def crafted_figures() -> None:
    cases = {
        "10k ordinary lines": "Salam, sifarişim gecikir.\n" * 10_000,
        "20k header-like lines": "From: x\nDate: y\nTo: z\n" * 20_000,
        "200k colons on one line": ":" * 200_000,
        "50k '> From:' lines": "> From: a@b.c\n" * 50_000,
        "a forward below 10k lines": "text\n" * 10_000 + "---------- Forwarded message ---------\n"
                                     "From: A <a@example.az>\nDate: Mon, Nov 23, 2026 at 10:00 AM\nSubject: x\n"
                                     "To: <s@shop.test>\n\nbody\n",
    }
    for name, body in cases.items():
        raw = f"From: staff@shop.test\r\nTo: care@shop.test\r\nSubject: x\r\n\r\n{body}".encode()
        mail = parse(raw)
        started = time.perf_counter()
        found = find(mail, lambda address: address.endswith("@shop.test"))
        took = time.perf_counter() - started
        print(f"{name:28} {len(raw) / 1e6:6.2f} MB  {took * 1e3:8.1f} ms  -> {type(found).__name__}")


if __name__ == "__main__":
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS
    if directory.is_dir():
        corpus_figures(directory)
    else:
        print(f"no corpus at {directory}: corpus figures skipped")
    crafted_figures()
