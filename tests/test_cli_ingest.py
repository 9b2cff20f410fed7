"""`gateway ingest FILE...`: files go to the pipeline in batches, one line each, in order."""
from __future__ import annotations

from gateway.cli import INGEST_BATCH
from gatewaykit import gateway, listing, mail, write_config

NOW = "2026-11-23T06:00:00Z"


def test_many_files_one_line_each_in_order_across_batches(tmp_path):
    config = write_config(tmp_path)
    files = []
    for n in range(INGEST_BATCH + 5):
        path = tmp_path / f"m{n:03}.eml"
        path.write_bytes(mail(sender=f"c{n}@example.az", message_id=f"<cli-{n}@example.az>"))
        files.append(str(path))
    files.insert(3, str(tmp_path / "missing.eml"))
    files.append(files[0])  # the same mail again, in the second batch
    result = gateway(config, "ingest", "--now", NOW, *files, check=False)

    assert result.returncode == 1  # one file could not be read
    assert f"\n{tmp_path / 'missing.eml'}: error not stored: FileNotFoundError" in f"\n{result.stderr.decode()}"
    lines = result.stdout.decode().splitlines()
    readable = [f for f in files if not f.endswith("missing.eml")]
    assert [line.split(": ", 1)[0] for line in lines] == readable
    assert all(" processed CC-2026-" in f" {line.split(': ', 1)[1]}" for line in lines[:-1])
    assert lines[-1].split(": ", 1)[1].startswith("duplicate - <cli-0@example.az>")
    assert len(listing(config)) == INGEST_BATCH + 5


def test_stdin_is_one_message(tmp_path):
    config = write_config(tmp_path)
    result = gateway(config, "ingest", "--now", NOW, input=mail())
    assert result.stdout.decode().startswith("-: processed CC-2026-")
