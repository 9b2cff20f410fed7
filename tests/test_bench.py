"""The benchmark harness (bench/run.py) on 20 messages: its output is well formed.

Nothing is timed or compared: figures depend on the machine. The peer is left
out (--no-peer), since building Roundup's venv would make the suite slow.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROW_KEYS = {"system", "mode", "messages", "wall_s", "msgs_per_s", "settle_s", "peak_rss_mb", "stored", "missing",
            "threaded_pct", "threaded_by_style", "wrongly_merged", "replies_sent", "failures", "failed_processes"}
LATENCY_KEYS = {"spooled", "acknowledged", "ack_p50_s", "ack_p99_s", "ack_max_s"}  # the deliver row's


def test_harness_on_20_messages_prints_and_writes_a_well_formed_table(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--n", "20", "--no-peer",
         "--work", str(tmp_path / "work"), "--results", str(tmp_path / "results")],
        capture_output=True, text=True, timeout=600, cwd=str(REPO))
    assert result.returncode == 0, result.stderr

    written = list((tmp_path / "results").glob("bench-n20-*.json"))
    assert len(written) == 1
    report = json.loads(written[0].read_text(encoding="utf-8"))
    assert report["n"] == 20 and report["peer"] is None
    assert {(row["system"], row["mode"]) for row in report["rows"]} == {
        ("mail-parser", "parse floor"), ("gateway", "batch"), ("gateway", "per-message"), ("gateway", "deliver")}
    for row in report["rows"]:
        assert set(row) == ROW_KEYS | (LATENCY_KEYS if row["mode"] == "deliver" else set())
        assert row["messages"] == 20 and row["wall_s"] > 0 and row["msgs_per_s"] > 0 and row["peak_rss_mb"] > 0
    for row in (r for r in report["rows"] if r["system"] == "gateway"):
        assert row["stored"] + row["missing"] == 20
        assert 0 <= row["threaded_pct"] <= 100 and row["wrongly_merged"] >= 0 and row["replies_sent"] >= 0
        assert row["settle_s"] > 0 or row["mode"] == "deliver"  # the daemon may be done as the last process exits
    deliver = next(r for r in report["rows"] if r["mode"] == "deliver")
    assert deliver["spooled"] == deliver["stored"] == 20 and deliver["failed_processes"] == 0
    assert 0 < deliver["acknowledged"] <= 20
    assert 0 < deliver["ack_p50_s"] <= deliver["ack_p99_s"] <= deliver["ack_max_s"]
    assert set(report["ratios"]) == {"gateway batch / mail-parser parse floor", "gateway deliver / gateway per-message"}
    assert "spool to acknowledgement, gateway deliver" in result.stdout

    header = next(line for line in result.stdout.splitlines() if line.startswith("system"))
    assert header.split()[:4] == ["system", "mode", "msgs", "wall"]
    assert "gateway batch / mail-parser parse floor:" in result.stdout


def test_corpus_manifest_names_the_true_thread_of_every_message(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import corpus
    finally:
        sys.path.remove(str(REPO / "bench"))
    entries = corpus.write(tmp_path, 50, seed=3)
    keys = {e.key: e for e in entries}
    assert len(entries) == 50 and len(list((tmp_path / "eml").glob("*.eml"))) == 50
    assert (tmp_path / "corpus.mbox").stat().st_size > 0
    assert [e.key for e in corpus.load_manifest(tmp_path)] == [e.key for e in entries]
    for position, entry in enumerate(entries):
        origin = keys[entry.thread]
        assert origin.kind == "new" and origin.sender == entry.sender
        assert entries.index(origin) <= position
        raw = (tmp_path / entry.file).read_bytes()
        assert f"<{entry.message_id}>".encode() in raw
        if entry.kind == "followup" and entry.style in ("re_tracking", "localised", "tracking_only"):
            assert f"{{{{tracking:{entry.thread}}}}}".encode() in raw
    assert len({e.sender for e in entries if e.kind == "new"}) == sum(e.kind == "new" for e in entries)
