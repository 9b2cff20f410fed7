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
    (MINIMAL + "[[inbound.imap]]\nhost = \"imap\"\n", "inbound.imap[0].username", 3, "required key is missing"),
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
    (MINIMAL + "[calendar]\nweekend = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"Sunday\"]\n",
     "calendar.weekend", 4, "all seven days"),
    (MINIMAL + "[calendar]\nwork_start = \"18:00\"\nwork_end = \"09:00\"\n", "calendar.work_end", 5,
     "after work_start"),
    (MINIMAL + "[sla]\nresolve = 100000000\n", "sla.resolve", 4, "at most 365 business days"),
    (MINIMAL + "[sla]\nunit = \"hours\"\nacknowledge = 4000\n", "sla.acknowledge", 5, "at most 3285 business hours"),
    (MINIMAL + "[sla.priority_resolve]\nhigh = 1\nlow = 400\n", "sla.priority_resolve.low", 5, "at most 365"),
])
def test_errors_name_the_key_and_line(tmp_path, text, key, line, words):
    with pytest.raises(ConfigError) as raised:
        config_module.load(write(tmp_path, text))
    assert raised.value.key == key and words in str(raised.value)
    if line:
        assert raised.value.line == line and f"gateway.toml:{line}:" in str(raised.value)


BAD_VALUES = [  # what `run` would crash on, or do wrong, refused by `check` and `run` alike
    ("[inbound.smtp]\nlisten = \"localhost\"\n", "inbound.smtp.listen", "host:port"),
    ("[inbound.smtp]\nlisten = \"127.0.0.1:99999\"\n", "inbound.smtp.listen", "host:port"),
    ("[inbound.lmtp]\nlisten = \"2424\"\n", "inbound.lmtp.listen", "host:port"),
    ("[metrics]\nlisten = \"localhost:\"\n", "metrics.listen", "host:port"),
    ("[web]\nlisten = \"0.0.0.0\"\n", "web.listen", "host:port"),
    ("[logging]\nlevel = \"verbose\"\n", "logging.level", "DEBUG, INFO"),
    ("[logging]\nformat = \"xml\"\n", "logging.format", "must be one of"),
    ("[staff]\nnotify = \"Team <team@shop.test>\"\n", "staff.notify", "e-mail address"),
    ("[staff]\naddresses = [\"a@shop.test\", \"leyla\"]\n", "staff.addresses", "e-mail address"),
    ("[sla]\nescalate_to = \"boss@\"\n", "sla.escalate_to", "e-mail address"),
    ("[report]\nmail_to = \"a@b.test, c@d.test\"\n", "report.mail_to", "e-mail address"),
    ("[calendar]\ntimezone = \"Asia/Bakuu\"\n", "calendar.timezone", "IANA time zone"),
    ("[calendar]\ncountry = \"XX\"\n", "calendar.country", "country code"),
    ("[calendar]\nweekend = [\"fri\", \"caturday\"]\n", "calendar.weekend", "weekday"),
    ("[calendar]\nextra_holidays = [\"2026-02-30\"]\n", "calendar.extra_holidays", "YYYY-MM-DD"),
    ("[sla]\nsweep_seconds = 0\n", "sla.sweep_seconds", "above 0"),
    ("[sla]\npriority_resolve = {urgent = 1}\n", "sla.priority_resolve.urgent", "unknown key"),
    ("[outbound]\nmax_attempts = 0\n", "outbound.max_attempts", "at least 1"),
    ("[storage]\ndatabase = \"mysql://x\"\n", "storage.database", "sqlite:///"),
    ("[paths]\ntemplates = \"\"\n", "paths.templates", "must be a path"),
    ("[[inbound.imap]]\nhost = \"imap.test:993\"\nusername = \"u\"\n", "inbound.imap[0].host", "without a port"),
]


@pytest.mark.parametrize("table, key, words", BAD_VALUES)
def test_bad_values_name_the_key_and_line(tmp_path, table, key, words):
    with pytest.raises(ConfigError) as raised:
        config_module.load(write(tmp_path, MINIMAL + table))
    assert raised.value.key == key and words in str(raised.value) and raised.value.line == 4, str(raised.value)


@pytest.mark.parametrize("text, key, line, words", [
    ('[gateway]\naddress = "care at shop"\n', "gateway.address", 2, "e-mail address"),
    ('[gateway]\naddress = "c@shop.test"\ntimezone = "Baku"\n', "gateway.timezone", 3, "IANA"),
    ('[gateway]\naddress = "c@shop.test"\nlanguages = ["az", "de"]\n', "gateway.languages", 3, "must be one of"),
    ('[gateway]\naddress = "c@shop.test"\nlanguages = ["az"]\n', "gateway.default_language", 1, "not one of"),
])
def test_gateway_values(tmp_path, text, key, line, words):
    with pytest.raises(ConfigError) as raised:
        config_module.load(write(tmp_path, text))
    assert raised.value.key == key and words in str(raised.value) and raised.value.line == line, str(raised.value)


def test_good_values_of_every_kind_pass(tmp_path):
    cfg = config_module.load(write(tmp_path, MINIMAL.replace("\n", '\ntimezone = "Europe/Istanbul"\n', 1) + (
        '[inbound.smtp]\nlisten = "[::1]:2525"\n[inbound.lmtp]\nlisten = ""\n[logging]\nlevel = "debug"\n'
        '[calendar]\nweekend = ["Saturday", "SUN"]\ncountry = "tr"\nextra_holidays = ["2026-12-31"]\n'
        '[sla]\npriority_resolve = {high = 1, low = 5}\n[staff]\nnotify = "team@şirkət.az"\n')))
    assert cfg.inbound.smtp.listen == "[::1]:2525" and cfg.sla.priority_resolve == {"high": 1.0, "low": 5.0}


def test_the_second_of_several_tables_is_named_with_its_own_line(tmp_path):
    text = MINIMAL + "".join(f'[[inbound.imap]]\nhost = "h{i}"\nusername = "u{i}"\n' for i in range(2))
    with pytest.raises(ConfigError) as raised:
        config_module.load(write(tmp_path, text.replace('host = "h1"', 'host = "h1"\nsecurity = "ssl"')))
    assert raised.value.key == "inbound.imap[1].security" and raised.value.line == 8


def test_key_lines_skip_multi_line_values_and_find_quoted_and_dotted_keys():
    from gateway.config import KeyLines
    lines = KeyLines('a = """\nb = 1\n"""\nc = [\n  "d = 2",\n]\n[t]\n"e" = 1\nf.g = 2  # h = 3\n'
                     '[[arr]]\nx = 1\n[[arr]]\nx = 2\n[arr.sub]\ny = 3\n')
    assert lines.line_of("a") == 1 and lines.line_of("b") is None and lines.line_of("d") is None
    assert lines.line_of("c") == 4 and lines.line_of("t.e") == 8 and lines.line_of("t.f.g") == 9
    assert lines.line_of("arr.0.x") == 11 and lines.line_of("arr.1.x") == 13 and lines.line_of("arr.1.sub.y") == 15
    assert lines.line_of("t.missing") == 7 and lines.line_of("nothing.here") is None


@pytest.mark.parametrize("edit, key, words", [
    (lambda text: text.replace('listen = "127.0.0.1:2525"', 'listen = "localhost"'), "inbound.smtp.listen", "host:port"),
    (lambda text: text + '\n[logging]\nlevel = "verbose"\n', "logging.level", "DEBUG, INFO"),
    (lambda text: text.replace("[calendar]\n", '[calendar]\ntimezone = "Asia/Bakuu"\n'), "calendar.timezone", "IANA"),
])
def test_check_and_run_refuse_a_bad_value_alike_without_a_traceback(tmp_path, edit, key, words):
    from gatewaykit import gateway, write_config
    config = write_config(tmp_path)
    text = edit(config.read_text())
    config.write_text(text)
    line = next(n for n, t in enumerate(text.splitlines(), 1)
                if t.startswith(key.rsplit(".", 1)[1] + " =") and ("localhost" in t or "verbose" in t or "Bakuu" in t))
    results = [gateway(config, command, check=False, timeout=60) for command in ("check", "run")]
    for result in results:
        err = result.stderr.decode()
        assert result.returncode == 2 and "Traceback" not in err, err
        assert f"gateway.toml:{line}: {key}: " in err and words in err
    assert results[0].stderr == results[1].stderr


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


def test_run_names_a_listen_address_it_cannot_bind_like_a_config_error(tmp_path):
    """Valid in form, unusable on this machine (the port taken): `run` says which key, exit 2, no traceback."""
    import socket

    from gatewaykit import gateway, write_config
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path, smtp_port=port)
        result = gateway(config, "run", check=False, timeout=60)
    err = result.stderr.decode()
    line = next(n for n, t in enumerate(config.read_text().splitlines(), 1) if t.startswith("listen ="))
    assert result.returncode == 2 and "Traceback" not in err, err
    assert f"gateway.toml:{line}: inbound.smtp.listen: cannot listen on 127.0.0.1:{port}: " in err


def test_policies_of_a_year_and_six_weekend_days_are_accepted(tmp_path):
    text = MINIMAL + '[calendar]\nweekend = ["mon", "tue", "wed", "thu", "fri", "sat"]\n[sla]\nresolve = 365\n'
    cfg = config_module.load(write(tmp_path, text))
    assert cfg.sla.resolve == 365 and len(cfg.calendar.weekend) == 6


@pytest.mark.parametrize("edit, key", [
    (lambda text: text.replace("[calendar]\n", '[calendar]\nweekend = ["mon","tue","wed","thu","fri","sat","sun"]\n'),
     "calendar.weekend"),
    (lambda text: text.replace("resolve = 10\n", "resolve = 100000000\n"), "sla.resolve"),
])
def test_check_refuses_a_calendar_where_no_deadline_can_be_computed(tmp_path, edit, key):
    """Accepted before, such a config quarantined every mail ("no business day within 3660 days")."""
    from gatewaykit import gateway, write_config
    config = write_config(tmp_path)
    config.write_text(edit(config.read_text()))
    result = gateway(config, "check", check=False)
    err = result.stderr.decode()
    assert result.returncode == 2 and f": {key}: " in err and "Traceback" not in err, err
