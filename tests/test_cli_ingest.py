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


EX_TEMPFAIL = 75


def _closed_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_database_unreachable_exits_tempfail_so_the_mta_retries(tmp_path):
    config = write_config(tmp_path, database=f"postgresql://care:pw@127.0.0.1:{_closed_port()}/care")
    result = gateway(config, "ingest", "--now", NOW, input=mail(), check=False)
    assert result.returncode == EX_TEMPFAIL, result.stderr
    assert b"retry later" in result.stderr or b"cannot start" in result.stderr


def _with_attachment(raw: bytes, payload: bytes) -> bytes:
    from email import message_from_bytes, policy
    message = message_from_bytes(raw, policy=policy.default)
    message.add_attachment(payload, maintype="application", subtype="octet-stream", filename="photo.bin")
    return message.as_bytes()


def test_disk_full_exits_tempfail_and_the_retry_stores_the_mail(tmp_path):
    """A file-size limit stands in for a full disk: the archive write fails, nothing is kept,
    and the MTA's next attempt (with room again) stores the mail once."""
    import resource
    config = write_config(tmp_path)
    gateway(config, "ingest", "--now", NOW, input=mail(sender="first@example.az"))  # schema in place
    big = _with_attachment(mail(message_id="<full-disk@example.az>"), bytes(range(256)) * 3500)

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))  # Python ignores SIGXFSZ: writes fail

    import subprocess
    import sys

    from gatewaykit import REPO
    result = subprocess.run([sys.executable, "-m", "gateway", "--config", str(config), "ingest", "--now", NOW],
                            input=big, capture_output=True, timeout=120, cwd=str(config.parent),
                            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, preexec_fn=small_files)
    assert result.returncode == EX_TEMPFAIL, result.stderr
    assert b"retry later" in result.stderr and result.stdout == b""
    assert len(listing(config)) == 1
    assert not list((tmp_path / "storage" / "archive").rglob(".tmp-*"))
    again = gateway(config, "ingest", "--now", NOW, input=big)
    assert again.stdout.decode().startswith("-: processed CC-2026-")
    assert len(listing(config)) == 2


def test_stored_quarantined_and_duplicate_all_exit_zero(tmp_path):
    config = write_config(tmp_path, extra="")
    raw = mail(message_id="<zero@example.az>")
    assert gateway(config, "ingest", "--now", NOW, input=raw).returncode == 0
    assert gateway(config, "ingest", "--now", NOW, input=raw).stdout.decode().startswith("-: duplicate")
    unparseable = b"\x00" * 10
    result = gateway(config, "ingest", "--now", NOW, input=unparseable, check=False)
    assert result.returncode == 0, result.stderr
