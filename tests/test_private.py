"""Files the gateway writes are private whatever the umask; stale archive temp files go."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

from gateway.store.private import clean_stale_temp, restrict
from gatewaykit import REPO, mail, write_config

NOW = "2026-11-23T06:00:00Z"


def run_loose(config: Path, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
    """The gateway as cron or an MTA pipe would run it: umask 022."""
    result = subprocess.run([sys.executable, "-m", "gateway", "--config", str(config), *args], input=input,
                            capture_output=True, timeout=120, cwd=str(config.parent),
                            env={**os.environ, "PYTHONPATH": str(REPO)}, preexec_fn=lambda: os.umask(0o022))
    assert result.returncode == 0, result.stderr
    return result


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_everything_written_under_umask_022_is_private(tmp_path):
    config = write_config(tmp_path)
    message = message_from_bytes(mail(), policy=policy.default)
    message.add_attachment(b"%PDF-1.4 receipt", maintype="application", subtype="pdf", filename="receipt.pdf")
    run_loose(config, "ingest", "--now", NOW, input=message.as_bytes())
    run_loose(config, "tick", "--now", NOW)
    storage = tmp_path / "storage"
    files = [p for p in storage.rglob("*") if p.is_file()]
    directories = [p for p in storage.rglob("*") if p.is_dir()]
    assert any(p.suffix == ".eml" and "outgoing" in p.parts for p in files)  # outgoing mail
    assert any("attachments" in p.parts for p in files) and (storage / "gateway.db") in files
    assert all(mode(p) & 0o027 == 0 for p in files), {str(p): oct(mode(p)) for p in files if mode(p) & 0o027}
    assert all(mode(p) & 0o027 == 0 for p in directories), {str(p): oct(mode(p)) for p in directories
                                                             if mode(p) & 0o027}


def test_what_a_looser_run_left_is_narrowed_on_the_next_start(tmp_path):
    config = write_config(tmp_path)
    run_loose(config, "ingest", "--now", NOW, input=mail())
    database = tmp_path / "storage" / "gateway.db"
    database.chmod(0o644)
    (tmp_path / "storage" / "archive").chmod(0o755)
    run_loose(config, "list", "--json")
    assert mode(database) == 0o640 and mode(tmp_path / "storage" / "archive") == 0o750


def test_restrict_keeps_a_stricter_mode_and_skips_missing_paths(tmp_path):
    strict = tmp_path / "strict"
    strict.write_text("x")
    strict.chmod(0o600)
    restrict(strict, tmp_path / "missing")
    assert mode(strict) == 0o600


def test_stale_archive_temp_files_are_removed_fresh_ones_kept(tmp_path):
    root = tmp_path / "archive"
    (root / "ab").mkdir(parents=True)
    (root / "attachments" / "cd").mkdir(parents=True)
    old = [root / "ab" / ".tmp-abc-123-456", root / "attachments" / "cd" / ".tmp-cd-99"]
    fresh = root / "ab" / ".tmp-def-124-457"
    kept = root / "ab" / "ab12.eml"
    now = time.time()
    for path in old + [fresh, kept]:
        path.write_bytes(b"x")
    for path in old + [kept]:
        os.utime(path, (now - 7200, now - 7200))
    assert clean_stale_temp(root, now) == 2
    assert not any(p.exists() for p in old) and fresh.exists() and kept.exists()
