"""gateway.cli: what `gateway run` prepares before it imports the rest of the daemon,
and what the one-shot commands leave unimported (their start-up time)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from gateway import config as config_module
from gateway.cli import _warm_detector
from gatewaykit import gateway, mail, write_config


def test_run_loads_the_language_models_first(tmp_path):
    config = config_module.load(write_config(tmp_path))
    detector = _warm_detector(config)
    assert detector.languages == config.gateway.languages
    assert detector._full_loaded and detector._trigram is not None


def test_compact_detection_is_warmed_without_the_full_models(tmp_path):
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("[gateway]\n", '[gateway]\nlanguage_detection = "compact"\n', 1))
    detector = _warm_detector(config_module.load(path))
    assert detector.settings.low_accuracy and detector._full is None and detector._trigram is not None


PARSING_LIBRARIES = ("mailparser", "charset_normalizer", "phonenumbers")
LOADED = ("import sys\nfrom gateway.cli import main\nmain(sys.argv[1:])\n"
          "print('loaded:', *sorted(m for m in {libraries!r} if m in sys.modules))\n")


def loaded_after(config, *args: str) -> set[str]:
    """Which of the mail-reading libraries a command imported (~0.3 s of its start)."""
    code = LOADED.format(libraries=PARSING_LIBRARIES)
    result = subprocess.run([sys.executable, "-c", code, "--config", str(config), *args],
                            capture_output=True, text=True, check=True, cwd=config.parent)
    [line] = [line for line in result.stdout.splitlines() if line.startswith("loaded:")]
    return set(line.split()[1:])


@pytest.mark.parametrize("args", [("list", "--json"), ("tick", "--now", "2026-11-21T10:00:00+04:00"),
                                  ("show", "CC-2026-AAAAAAAA", "--json")])
def test_commands_that_read_no_mail_do_not_load_the_parsing_libraries(tmp_path, args):
    config = write_config(tmp_path)
    gateway(config, "migrate")
    assert loaded_after(config, *args) == set(), args


def test_ingest_loads_them(tmp_path):
    config = write_config(tmp_path)
    message = tmp_path / "one.eml"
    message.write_bytes(mail(body="Salam, sifarişim gəlmədi, zəhmət olmasa kömək edin."))
    assert {"mailparser", "phonenumbers"} <= loaded_after(config, "ingest", "--now", "2026-11-21T10:00:00+04:00",
                                                          str(message))
