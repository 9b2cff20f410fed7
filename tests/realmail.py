"""Where the shared real-mail corpus lives and what its MANIFEST.tsv says of each file.

Tests (and bench/hygiene_accuracy.py) read the corpus through ../shared; they skip
with a clear reason when it is absent, and never copy it into the project.
"""
from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "realmail"
ABSENT = f"real-mail corpus not found at {CORPUS} (the ../shared checkout is absent)"


def manifest(corpus: Path = CORPUS) -> list[tuple[str, frozenset[str]]]:
    """(path relative to the corpus, tags) for every file the manifest lists."""
    rows = []
    for line in (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            path, tags = (line.split("\t") + [""])[:2]
            rows.append((path, frozenset(t for t in tags.split(",") if t)))
    return rows
