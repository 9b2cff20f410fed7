"""`gateway deliver` as the MTA runs it: a subprocess per mail, exit 0 once durable, 75 when not."""
from __future__ import annotations

import io
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from gateway.entry import _deliver_argv
from gateway.service import spool
from gateway.store import private
from gatewaykit import REPO, mail, write_config

SPOOL_FILE = spool.__file__


def deliver(config, raw: bytes, *extra: str) -> subprocess.CompletedProcess:
    return gateway(config, raw, *extra, "-m", "gateway", "--config", str(config), "deliver")


def gateway(config, raw: bytes, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *argv], input=raw, capture_output=True, timeout=60,
                          cwd=str(config.parent), env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


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
    assert Path(directory) == tmp_path / "in" / "box" and limit == 10 * spool.OVERSIZE_FACTOR


def test_spool_of_a_symlinked_config_is_beside_the_real_file(tmp_path):
    """gateway.config resolves the file's symlinks; the daemon and `deliver` must name one directory."""
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "gateway.toml").write_text('[storage]\nspool = "box"\n')
    (tmp_path / "link.toml").symlink_to(tmp_path / "real" / "gateway.toml")
    directory, _ = spool.settings(tmp_path / "link.toml")
    assert Path(directory) == tmp_path / "real" / "box"


def fast(config, raw: bytes, *args: str, cwd=None) -> subprocess.CompletedProcess:
    """The documented MTA line: this file alone, without `site`, PYTHONPATH or the package."""
    return subprocess.run([sys.executable, "-I", "-S", SPOOL_FILE, *args] if config is None else
                          [sys.executable, "-I", "-S", SPOOL_FILE, "--config", str(config), *args],
                          input=raw, capture_output=True, timeout=60, cwd=str(cwd or config.parent),
                          env={"PATH": "/usr/bin:/bin"})


def test_fast_form_spools_durably_and_exits_0(tmp_path):
    config = write_config(tmp_path)
    raw = mail(subject="Заказ задерживается")
    result = fast(config, raw)
    assert result.returncode == 0, result.stderr
    files = list((tmp_path / "storage" / "spool" / "new").iterdir())
    assert [f.read_bytes() for f in files] == [raw]
    assert oct(files[0].stat().st_mode & 0o777) == oct(0o640)  # private whatever the MTA's umask
    assert not list((tmp_path / "storage" / "spool" / "tmp").iterdir())


def test_fast_form_reads_the_config_of_the_environment_or_the_working_directory(tmp_path):
    write_config(tmp_path)
    assert fast(None, mail(), cwd=tmp_path).returncode == 0
    assert len(list((tmp_path / "storage" / "spool" / "new").iterdir())) == 1


def test_fast_form_exit_codes(tmp_path):
    config = write_config(tmp_path)
    assert fast(tmp_path / "absent.toml", mail(), cwd=tmp_path).returncode == spool.EX_TEMPFAIL
    wrong = fast(config, mail(), "--bogus")  # a wrong master.cf line keeps the mail at the MTA
    assert wrong.returncode == spool.EX_TEMPFAIL and b"usage" in wrong.stderr
    small = tmp_path / "small.toml"
    small.write_text('[storage]\nspool = "storage/spool"\nmax_message_bytes = 100\n')
    assert fast(small, b"x" * 500).returncode == spool.EX_DATAERR
    (tmp_path / "storage").rename(tmp_path / "moved")
    (tmp_path / "storage").write_text("a file where the spool's parent should be")
    assert fast(config, mail()).returncode == spool.EX_TEMPFAIL
    assert not list((tmp_path / "moved" / "spool" / "new").iterdir())


def imported(*argv: str, stdin: bytes = b"") -> set[str]:
    result = subprocess.run([sys.executable, "-I", "-S", "-X", "importtime", *argv], input=stdin,
                            capture_output=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    return {line.rsplit("|", 1)[-1].strip() for line in result.stderr.decode().splitlines()[1:]
            if line.startswith("import time:")}


def test_fast_form_imports_only_os(tmp_path):
    """Beyond the interpreter's own start: `os` and its parts (no pathlib, socket, tomllib)."""
    config = write_config(tmp_path)
    extra = imported(SPOOL_FILE, "--config", str(config), stdin=mail()) - imported("-c", "pass")
    assert extra <= {"os", "stat", "_stat", "_collections_abc", "posixpath", "genericpath"}, extra


def test_umask_is_the_packages(tmp_path):
    assert spool.UMASK == private.UMASK


STORAGE_CASES = [
    '[storage]\nspool = "in/box"\nmax_message_bytes = 1_000\n',
    "[storage]\nspool = 'C:\\odd\\path' # literal\n",
    '# comment [storage]\n[ storage ]  # the table\n  spool="a#b"   # c\nmax_message_bytes = +42\n',
    '[gateway]\nname = "x = y"\n[storage]\ndatabase = "sqlite:///a.db"\n[other]\nspool = "not this"\n',
    '[storage]\r\nspool = "crlf"\r\n',
    '',
    '[storage]\n',
    '[a]\nlist = [\n  "[storage]",  # a comment ]\n  "]", \'[\', "\\"]",\n]\n[storage]\nspool = "after array"\n',
    '[a]\nx = [\n[1]]\n[storage]\nspool = "nested"\n',
    '[storage]\nkeep = [\n  { a = "}" },\n]\nspool = "after inline tables"\n',
    '[[inbound.imap]]\nhost = "a"\n[[inbound.imap]]\nhost = "b"\n[storage]\nspool = "s"\n[[inbound.maildir]]\npath = "m"\n',
    '[storage]\nspool = ""\n',
]
FALLBACK_CASES = [  # forms the line reader leaves to tomllib (each is valid TOML)
    'storage.spool = "dotted"\n',
    'storage = { spool = "inline" }\n',
    '[storage]\nspool = """multi"""\n',
    '[storage]\n"spool" = "quoted key"\n',
    '[storage]\nspool = "esc\\u0041ped"\n',
    '[storage]\nmax_message_bytes = 0x10\n',
    '[storage]\nmax_message_bytes = -1\n',
    '[storage.sub]\nx = 1\n[storage]\nspool = "s"\n',
    '[[storage]]\nspool = "array of tables"\n',
]


@pytest.mark.parametrize("text", STORAGE_CASES + FALLBACK_CASES)
def test_line_reader_agrees_with_tomllib(text):
    cheap = spool.storage_keys(text)
    try:
        full = tomllib.loads(text).get("storage", {})
    except tomllib.TOMLDecodeError:
        full = None
    if text in FALLBACK_CASES:
        assert cheap is None and full is not None
    if cheap is not None:
        assert full is not None and cheap == {k: v for k, v in full.items() if k in spool.KEYS}


@pytest.mark.parametrize("text", [
    '[storage]\nspool = "a"\n[storage]\nspool = "b"\n',
    '[storage]\nspool = "a"\nspool = "b"\n',
    '[storage]\nspool = "unterminated\n',
    '[storage]\nspool = "a" trailing\n',
    '[storage]\nspool = 5\n',
    '[storage]\nmax_message_bytes = 012\n',
    '[storage]\nmax_message_bytes = 1__0\n',
    '[storage]\nmax_message_bytes = ١٢\n',  # Arabic-Indic digits: isdigit() but not TOML
    '[storage\nspool = "a"\n',
    '[a]\nx = [\n  1,\n[storage]\nspool = "inside an array left open"\n',
    '[a]\nx = "unterminated [\n[storage]\nspool = "s"\n',
    '[a]\nx = ]\n[storage]\nspool = "s"\n',
])
def test_line_reader_gives_up_on_what_tomllib_refuses_or_reads_otherwise(text):
    assert spool.storage_keys(text) is None


def test_written_configs_take_the_cheap_path(tmp_path):
    """The shipped example and the tests' config need no tomllib, and read as tomllib reads them."""
    for text in ((REPO / "gateway.toml").read_text("utf-8"), write_config(tmp_path).read_text("utf-8")):
        cheap = spool.storage_keys(text)
        assert cheap is not None
        assert cheap == {k: v for k, v in tomllib.loads(text).get("storage", {}).items() if k in spool.KEYS}


def test_far_oversized_mail_is_refused_and_nothing_left(tmp_path):
    with pytest.raises(ValueError):
        spool.write(tmp_path / "box", io.BytesIO(b"x" * 100), limit=50)
    assert not list((tmp_path / "box" / "tmp").iterdir()) and not list((tmp_path / "box" / "new").iterdir())


@pytest.mark.parametrize("argv,expected", [
    (["deliver"], []),
    (["--config", "a.toml", "deliver"], ["--config", "a.toml"]),
    (["--config=a.toml", "deliver"], ["--config=a.toml"]),
    (["deliver", "--config", "a.toml"], ["--config", "a.toml"]),
    (["deliver", "--help"], ["--help"]),
    (["--bogus", "deliver", "x"], ["--bogus", "x"]),
    (["ingest"], None),
    (["--config", "deliver", "ingest"], None),
])
def test_entry_hands_every_deliver_line_to_the_spool(argv, expected):
    assert _deliver_argv(argv) == expected


def test_config_after_deliver_is_understood(tmp_path):
    """`gateway deliver --config X`, the order an admin writes in an MTA's pipe line, spools the mail."""
    config = write_config(tmp_path)
    raw = mail()
    result = gateway(config, raw, "-m", "gateway", "deliver", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert [p.read_bytes() for p in (tmp_path / "storage" / "spool" / "new").iterdir()] == [raw]


@pytest.mark.parametrize("extra", [["--bogus"], ["--config"], ["--config", "a.toml", "--config", "b.toml"], ["x"]])
def test_wrong_deliver_line_exits_75_not_2(tmp_path, extra):
    """argparse's usage error is 2, which an MTA takes as permanent and bounces the customer's mail."""
    config = write_config(tmp_path)
    result = gateway(config, mail(), "-m", "gateway", "--config", str(config), "deliver", *extra)
    assert result.returncode == 75, result.stderr
    assert b"retry later" in result.stderr
