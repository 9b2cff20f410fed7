"""`gateway deliver` as the MTA runs it: a subprocess per mail, exit 0 once durable, 75 when not."""
from __future__ import annotations

import io
import subprocess
import sys

import pytest

from gatewaykit import REPO, mail, write_config
from gateway.service import spool
from gateway.entry import _light_command


def deliver(config, raw: bytes, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *extra, "-m", "gateway", "--config", str(config), "deliver"],
                          input=raw, capture_output=True, timeout=60, cwd=str(config.parent),
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


def test_deliver_spools_the_mail_and_exits_0(tmp_path):
    config = write_config(tmp_path)
    raw = mail(subject="Sifarişim gecikir")
    result = deliver(config, raw)
    assert result.returncode == 0, result.stderr
    files = list((tmp_path / "storage" / "spool" / "new").iterdir())
    assert len(files) == 1 and files[0].read_bytes() == raw
    assert not list((tmp_path / "storage" / "spool" / "tmp").iterdir())  # nothing half-written left


def test_two_deliveries_get_two_files(tmp_path):
    config = write_config(tmp_path)
    for _ in range(2):
        assert deliver(config, mail()).returncode == 0
    assert len(list((tmp_path / "storage" / "spool" / "new").iterdir())) == 2


def test_unwritable_spool_exits_tempfail(tmp_path):
    config = write_config(tmp_path)
    (tmp_path / "storage").write_text("a file where the spool's parent should be")
    result = deliver(config, mail())
    assert result.returncode == spool.EX_TEMPFAIL
    assert b"retry later" in result.stderr


def test_missing_config_exits_tempfail(tmp_path):
    result = deliver(tmp_path / "absent.toml", mail())
    assert result.returncode == spool.EX_TEMPFAIL


def test_deliver_loads_no_heavy_module(tmp_path):
    """The point of `deliver`: no pipeline, config validation, database or language models."""
    config = write_config(tmp_path)
    result = deliver(config, mail(), "-X", "importtime")
    assert result.returncode == 0
    loaded = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.decode().splitlines()}
    assert "gateway.service.spool" in loaded
    for heavy in ("gateway.cli", "gateway.config", "gateway.ingest.pipeline", "peewee", "email", "logging"):
        assert heavy not in loaded


def test_spool_key_is_relative_to_the_config(tmp_path):
    config = tmp_path / "gateway.toml"
    config.write_text('[storage]\nspool = "in/box"\nmax_message_bytes = 10\n')
    directory, limit = spool.settings(str(config))
    assert directory == tmp_path / "in" / "box" and limit == 10 * spool.OVERSIZE_FACTOR


def test_far_oversized_mail_is_refused_and_nothing_left(tmp_path):
    with pytest.raises(ValueError):
        spool.write(tmp_path / "box", io.BytesIO(b"x" * 100), limit=50)
    assert not list((tmp_path / "box" / "tmp").iterdir()) and not list((tmp_path / "box" / "new").iterdir())


@pytest.mark.parametrize("argv,expected", [
    (["deliver"], ("deliver", None)),
    (["--config", "a.toml", "deliver"], ("deliver", "a.toml")),
    (["--config=a.toml", "deliver"], ("deliver", "a.toml")),
    (["ingest"], (None, None)),
    (["deliver", "--help"], (None, None)),
])
def test_entry_dispatches_only_plain_deliver(argv, expected):
    assert _light_command(argv) == expected
