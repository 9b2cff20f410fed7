"""gateway.cli: what `gateway run` prepares before it imports the rest of the daemon."""
from __future__ import annotations

from gateway import config as config_module
from gateway.cli import _warm_detector
from gatewaykit import write_config


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
