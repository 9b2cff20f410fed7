"""`gateway check` and `gateway preview` on good and broken admin files."""
from __future__ import annotations

import shutil

from gatewaykit import REPO, gateway, write_config


def editable_copy(tmp_path):
    """A config whose rules and templates are copies the test may break."""
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    shutil.copytree(REPO / "templates" / "mail", tmp_path / "templates")
    config = write_config(tmp_path)
    text = config.read_text().replace(f'templates = "{REPO}/templates/mail"', 'templates = "templates"')
    config.write_text(text.replace(f'rules = "{REPO}/rules"', 'rules = "rules"'))
    return config


def test_shipped_files_pass_check(tmp_path):
    result = gateway(write_config(tmp_path), "check", check=False)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()


def test_broken_rules_and_templates_are_reported_as_file_line(tmp_path):
    config = editable_copy(tmp_path)
    (tmp_path / "rules" / "85-routing.toml").write_text('[routing]\nno_such_category = "logistics"\n')
    (tmp_path / "rules" / "90-broken.toml").write_text("[[priority]\nlevel = 'high'\n")
    ack = tmp_path / "templates" / "ack.ru.txt"
    lines = ack.read_text().split("\n")
    lines[4] = lines[4] + " {{ complaint.trackingg }}"
    ack.write_text("\n".join(lines))
    (tmp_path / "templates" / "status.tr.html").unlink()
    result = gateway(config, "check", check=False)
    out = result.stdout.decode()
    assert result.returncode == 2
    assert "90-broken.toml:1:" in out
    assert "85-routing.toml:2:" in out and "no_such_category" in out
    assert "ack.ru.txt:5:" in out and "trackingg" in out
    assert "status.tr.html" in out and "missing" in out


def test_broken_rules_stop_the_daemon_from_starting(tmp_path):
    config = editable_copy(tmp_path)
    (tmp_path / "rules" / "90-broken.toml").write_text("[[category]]\nname = 'x'\nkeywords = 5\n")
    result = gateway(config, "ingest", input=b"From: a@b.c\r\n\r\nx", check=False)
    assert result.returncode == 75 and b"90-broken.toml" in result.stderr  # the MTA keeps the mail and retries


def test_preview_renders_each_language(tmp_path):
    config = write_config(tmp_path)
    for lang, word in (("az", "Hörmətli"), ("ru", "Здравствуйте"), ("tr", "Sayın"), ("en", "Dear")):
        out = gateway(config, "preview", "ack", "--lang", lang).stdout.decode()
        assert out.startswith("Subject: ") and word in out


def test_preview_dates_are_in_the_language_and_at_the_desks_close_of_work(tmp_path):
    """Finding 11g: `preview delay --lang ru` showed "10 dekabr 2026, 18:00" (Azerbaijani, and
    18:00 on a desk whose work ends at 17:30)."""
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace('[calendar]\ncountry = "AZ"\n',
                                                 '[calendar]\ncountry = "AZ"\nwork_end = "17:30"\n'))
    assert 'work_end = "17:30"' in config.read_text()
    for lang, month in (("az", "dekabr"), ("ru", "декабря"), ("tr", "Aralık"), ("en", "December")):
        out = gateway(config, "preview", "delay", "--lang", lang).stdout.decode()
        assert f"10 {month} 2026, 17:30" in out, out
        assert lang == "az" or "dekabr" not in out


def test_preview_with_a_real_complaint(tmp_path):
    config = write_config(tmp_path)
    raw = (b"From: Ivan Petrov <ivan@example.ru>\r\nTo: care@shop.test\r\nSubject: Zakaz\r\n"
           b"Message-ID: <p1@example.ru>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           + "Здравствуйте, мой заказ до сих пор не доставлен, курьер не приехал.".encode())
    tracking = gateway(config, "ingest", input=raw).stdout.decode().split()[2]
    out = gateway(config, "preview", "status", "--lang", "ru", "--complaint", tracking).stdout.decode()
    assert tracking in out and "Ivan Petrov" in out


def test_a_template_word_the_rules_do_not_know_fails_check(tmp_path):
    """One vocabulary: what the resolution mail tells the customer to write must read as that decision."""
    config = editable_copy(tmp_path)
    resolution = tmp_path / "templates" / "resolution.az.txt"
    resolution.write_text(resolution.read_text().replace('reply_word("reject", "rədd edirəm")',
                                                         'reply_word("reject", "istəmirəm")'))
    unmarked = tmp_path / "templates" / "resolution.tr.html"
    unmarked.write_text(unmarked.read_text().replace('{{ reply_word("reject", "ret") }}', "ret"))
    result = gateway(config, "check", check=False)
    out = result.stdout.decode()
    assert result.returncode == 2
    line = next(n for n, text in enumerate(resolution.read_text().splitlines(), 1) if "istəmirəm" in text)
    assert f"resolution.az.txt:{line}: the customer is told to write 'istəmirəm' to reject" in out
    assert "resolution.tr.html:0: tells the customer no word to reject" in out
    assert out.count("\n") == 2, out


def test_a_template_word_becomes_valid_once_the_rules_learn_it(tmp_path):
    config = editable_copy(tmp_path)
    resolution = tmp_path / "templates" / "resolution.en.html"
    resolution.write_text(resolution.read_text().replace('reply_word("accept", "accept")',
                                                         'reply_word("accept", "suits me")'))
    assert gateway(config, "check", check=False).returncode == 2
    (tmp_path / "rules" / "90-local.toml").write_text(
        '[intents.accept]\naz = ["qəbul edirəm"]\nru = ["принимаю"]\ntr = ["kabul"]\nen = ["accept", "suits me"]\n')
    result = gateway(config, "check", check=False)
    assert result.returncode == 0, result.stdout.decode()


def test_check_warns_loudly_when_staff_are_not_authenticated(tmp_path):
    result = gateway(write_config(tmp_path), "check", check=False)
    assert b"WARNING: [staff] require_authentication is off" in result.stderr
    assert b"WARNING" not in result.stdout  # stdout lists problems; the shipped default still passes
    strict = gateway(write_config(tmp_path / "strict", require_auth=True), "check", check=False)
    assert b"WARNING" not in strict.stderr
