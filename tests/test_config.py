"""gateway.toml -> frozen dataclasses, with errors that name the key and line."""
from __future__ import annotations

import pytest

from gateway import config as config_module
from gateway.config import ConfigError

MINIMAL = '[gateway]\naddress = "care@shop.test"\n'


def write(tmp_path, text: str):
    path = tmp_path / "gateway.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_gets_defaults_and_resolves_paths_against_its_directory(tmp_path):
    cfg = config_module.load(write(tmp_path, MINIMAL))
    assert cfg.gateway.address == "care@shop.test"
    assert cfg.inbound.smtp.listen == "127.0.0.1:2525"
    assert cfg.outbound.transport == "maildir"
    assert cfg.resolve(cfg.outbound.maildir) == tmp_path / "storage" / "outgoing"
    assert cfg.database_url == f"sqlite:///{tmp_path}/storage/gateway.db"


def test_shipped_gateway_toml_is_valid():
    from gatewaykit import REPO
    cfg = config_module.load(REPO / "gateway.toml")
    assert cfg.gateway.address and cfg.gateway.languages == ("az", "ru", "tr", "en")


def test_environment_variable_names_the_config(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEWAY_CONFIG", str(write(tmp_path, MINIMAL)))
    assert config_module.load().gateway.address == "care@shop.test"


@pytest.mark.parametrize("text, key, line, words", [
    (MINIMAL + "adress = 1\n", "gateway.adress", 3, "unknown key"),
    (MINIMAL + "[outbound]\ntransport = \"pigeon\"\n", "outbound.transport", 4, "must be one of"),
    (MINIMAL + "[storage]\nmax_message_bytes = \"big\"\n", "storage.max_message_bytes", 4, "must be an integer"),
    ("[gateway]\nname = \"x\"\n", "gateway.address", None, "required key is missing"),
    (MINIMAL + "[[inbound.imap]]\nhost = \"imap\"\n", "inbound.imap.username", None, "required key is missing"),
    (MINIMAL + "[staff]\nrequire_authentication = \"yes\"\n", "staff.require_authentication", 4, "true or false"),
    (MINIMAL + "[report]\nat = \"8am\"\n", "report.at", 4, "HH:MM"),
    (MINIMAL + "[staff]\nrequire_authentication = true\n", "staff.authserv_id", None, "authserv-id"),
    (MINIMAL + "[staff]\nauthserv_id = 3\n", "staff.authserv_id", 4, "must be a list"),
    (MINIMAL + "[calendar]\nwork_end = \"25:00\"\n", "calendar.work_end", 4, "HH:MM"),
    (MINIMAL + "[staff]\nlanguage = \"de\"\n", "staff.language", 4, "must be one of"),
    (MINIMAL + "[status_labels.ru]\nsolved = \"x\"\n", "status_labels.ru.solved", 4, "unknown status"),
    (MINIMAL + "[status_labels.de]\nclosed = \"x\"\n", "status_labels.de", None, "unknown language"),
    (MINIMAL + "[status_labels.ru]\nclosed = \" \"\n", "status_labels.ru.closed", 4, "must not be empty"),
    (MINIMAL + "[remedies]\nru = []\n", "remedies.ru", 4, "at least one"),
    (MINIMAL + "[remedies]\nde = [\"x\"]\n", "remedies.de", 4, "unknown language"),
])
def test_errors_name_the_key_and_line(tmp_path, text, key, line, words):
    with pytest.raises(ConfigError) as raised:
        config_module.load(write(tmp_path, text))
    assert raised.value.key == key and words in str(raised.value)
    if line:
        assert raised.value.line == line and f"gateway.toml:{line}:" in str(raised.value)


def test_authserv_id_takes_one_server_or_several(tmp_path):
    one = config_module.load(write(tmp_path, MINIMAL + '[staff]\nauthserv_id = "mx.shop.test"\n'))
    assert one.staff.authserv_id == ("mx.shop.test",)
    two = config_module.load(write(tmp_path, MINIMAL + '[staff]\nrequire_authentication = true\n'
                                              'authserv_id = ["mx1.shop.test", "mx2.shop.test"]\n'))
    assert two.staff.authserv_id == ("mx1.shop.test", "mx2.shop.test") and two.staff.require_authentication


def test_toml_syntax_error_has_a_line(tmp_path):
    with pytest.raises(ConfigError) as raised:
        config_module.load(write(tmp_path, MINIMAL + "[outbound\n"))
    assert raised.value.line == 3


def test_several_imap_mailboxes(tmp_path):
    text = MINIMAL + "".join(f'[[inbound.imap]]\nhost = "h{i}"\nusername = "u{i}"\n' for i in range(2))
    cfg = config_module.load(write(tmp_path, text))
    assert [m.host for m in cfg.inbound.imap] == ["h0", "h1"]


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        config_module.load(tmp_path / "nope.toml")


# ---------------------------------------------------------------- one business time zone

def test_two_time_zones_that_disagree_are_refused_naming_both_keys(tmp_path):
    text = MINIMAL.replace("\n", '\ntimezone = "Asia/Baku"\n', 1) + '[calendar]\ntimezone = "Europe/Istanbul"\n'
    with pytest.raises(ConfigError) as raised:
        config_module.load(write(tmp_path, text))
    message = str(raised.value)
    assert "calendar.timezone" in message and "gateway.timezone" in message
    assert "Europe/Istanbul" in message and "Asia/Baku" in message and raised.value.line == 5


@pytest.mark.parametrize("gateway_zone, calendar_zone, business", [
    ("", "", "UTC"),
    ("Europe/Istanbul", "", "Europe/Istanbul"),
    ("", "Europe/Istanbul", "Europe/Istanbul"),  # the alias alone (the examples/ blocks)
    ("Europe/Istanbul", "Europe/Istanbul", "Europe/Istanbul"),
])
def test_the_business_zone_is_gateway_timezone_or_its_calendar_alias(tmp_path, gateway_zone, calendar_zone, business):
    text = '[gateway]\naddress = "care@shop.test"\n' + (f'timezone = "{gateway_zone}"\n' if gateway_zone else "")
    text += f'[calendar]\ntimezone = "{calendar_zone}"\n' if calendar_zone else ""
    assert config_module.load(write(tmp_path, text)).business_zone == business


def test_check_names_both_zone_keys(tmp_path):
    from gatewaykit import gateway, write_config
    config = write_config(tmp_path, extra='[calendar]\ntimezone = "Europe/Istanbul"\n')
    text = config.read_text().replace('[calendar]\ncountry = "AZ"\n', "")
    config.write_text(text.replace('[calendar]\ntimezone', '[calendar]\ncountry = "AZ"\ntimezone'))
    result = gateway(config, "check", check=False)
    err = result.stderr.decode()
    assert result.returncode != 0 and "calendar.timezone" in err and "gateway.timezone" in err
