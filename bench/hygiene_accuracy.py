"""Precision and recall of hygiene.assess over the real-mail corpus.

Run: python3 bench/hygiene_accuracy.py [CORPUS_DIR]
Ground truth is MANIFEST.tsv: a message is "automatic" when any tag in
AUTOMATIC_TAGS is present. Prints figures and the misclassified files, so a
rule change can be judged on real mail; not a test (no thresholds asserted).
"""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from gateway.mail.hygiene import assess
from gateway.mail.parse import Unprocessable, parse
from realmail import CORPUS, manifest

AUTOMATIC_TAGS = frozenset({"autoreply", "bounce", "list", "arf", "mdn", "mail-loop", "null-return-path",
                            "precedence=bulk", "precedence=junk", "precedence=list",
                            "auto-submitted=auto-replied", "auto-submitted=auto-generated"})
KIND_OF_TAG = {"bounce": "bounce", "autoreply": "autoreply", "list": "list"}
DEFAULT_CORPUS = CORPUS


def main(corpus: Path) -> None:
    counts: Counter[str] = Counter()
    misses: list[str] = []
    per_kind: Counter[tuple[str, str]] = Counter()
    for path, tags in manifest(corpus):
        try:
            verdict = assess(parse((corpus / path).read_bytes()), frozenset({"care@example.com"}))
        except Unprocessable:
            counts["quarantined"] += 1
            counts["quarantined-automatic" if tags & AUTOMATIC_TAGS else "quarantined-human"] += 1
            continue
        truth = bool(tags & AUTOMATIC_TAGS)
        counts[("t" if truth == verdict.automatic else "f") + ("p" if verdict.automatic else "n")] += 1
        if truth != verdict.automatic:
            misses.append(f"  {'FN' if truth else 'FP'} {path} [{','.join(sorted(tags & AUTOMATIC_TAGS))}]"
                          f" -> {verdict.kind or 'human'} {verdict.reason}")
        for tag, kind in KIND_OF_TAG.items():
            if tag in tags:
                per_kind[(tag, "same kind" if verdict.kind == kind else verdict.kind or "human")] += 1
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    print(f"messages: {sum(counts[k] for k in ('tp', 'fp', 'tn', 'fn')) + counts['quarantined']}"
          f"  quarantined: {counts['quarantined']} (automatic-tagged {counts['quarantined-automatic']})")
    print(f"automatic: precision {tp / max(1, tp + fp):.3f}  recall {tp / max(1, tp + fn):.3f}"
          f"  (tp {tp}, fp {fp}, fn {fn}, tn {counts['tn']})")
    for (tag, outcome), n in sorted(per_kind.items()):
        print(f"  tagged {tag:9} assessed as {outcome:10} {n}")
    print("misclassified:" if misses else "misclassified: none")
    print("\n".join(misses))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS)
