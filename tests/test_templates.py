"""Every mail template renders against the documented context, strictly.

The context below has exactly the keys of the template contract; rendering with
StrictUndefined turns any typo or undocumented variable into a failure here
instead of a blank in a customer's mail. Each template is rendered twice: with
every optional value filled and with every optional value empty, so that both
sides of each `{% if %}` are exercised.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest

from gateway.outbound.compose import reply_word

ROOT = Path(__file__).resolve().parents[1]
MAIL_DIR = ROOT / "templates" / "mail"
LANGUAGES = ("az", "ru", "tr", "en")
CUSTOMER_KINDS = (
    "ack", "status", "ask", "relay", "resolution", "delay", "interim", "closed",
    "reopened", "remedies", "privacy", "stranger", "too_large",
)
STAFF_KINDS = ("staff_new", "staff_update", "reminder", "escalation", "command_error", "staff_notice",
               "registered", "register_error", "extended")
SMS_KINDS = ("sms_ack", "sms_resolution", "sms_remedies")  # text only: the first line names it, the rest is sent
STATUSES = (
    "registered", "in_review", "investigating", "waiting_customer", "resolved", "closed",
    "reopened", "escalated",
)
PRIORITIES = ("high", "normal", "low")
TRACKING = "CC-2026-4K7PQ2MH"
ACCEPT_REJECT = {
    "az": ("qəbul edirəm", "rədd edirəm"),
    "ru": ("принимаю", "не принимаю"),
    "tr": ("kabul", "ret"),
    "en": ("accept", "reject"),
}
CONTRACT_KEYS = {
    "lang", "tracking", "gateway", "complaint", "customer", "due", "message", "reason",
    "new_date", "missing", "linked", "errors", "commands_help", "actor", "events", "secret", "portal",
    "planned", "asked", "remedies", "after_close", "reopen_days", "held", "shortened", "files",
    "old_date", "missed", "reopened_on", "earlier", "deadline", "closes_on", "notice", "notice_args",
}


def make_env(*dirs: Path) -> jinja2.Environment:
    """The environment the contract prescribes: strict, autoescape only for .html; the one
    global is reply_word (a word the customer is told to write, checked against the rules)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
    )
    env.globals["reply_word"] = reply_word
    return env


def full_context(lang: str = "az") -> dict:
    """Every contract key, every optional value filled."""
    return {
        "lang": lang,
        "tracking": TRACKING,
        "gateway": {"name": "Kontakt Müştəri Xidməti", "address": "care@example.az"},
        "complaint": {
            "tracking": TRACKING,
            "subject": "Sifariş gecikir",
            "status": "investigating",
            "status_label": "",
            "priority": "high",
            "category": "delivery",
            "department": "delivery@example.az",
            "assignee": "leyla@example.az",
            "created": "18 noyabr 2026, 10:15",
            "last_step": "Anbarla əlaqə saxlanıldı",
            "sensitive": True,
            "reject_count": 1,
        },
        "customer": {"email": "rauf@example.org", "name": "Rauf Məmmədov", "phone": "+994501234567"},
        "due": {
            "acknowledge": "21 noyabr 2026, 18:00",
            "stage": "24 noyabr 2026, 18:00",
            "resolve": "2 dekabr 2026, 18:00",
        },
        "message": "Birinci sətir.\nİkinci sətir.",
        "shortened": True,
        "reason": "Təchizatçıdan cavab gözlənilir.",
        "new_date": "9 dekabr 2026",
        "planned": True,
        "old_date": "2 dekabr 2026, 18:00",
        "missed": "2 dekabr 2026, 18:00",
        "reopened_on": "25 noyabr 2026, 11:00",
        "earlier": False,
        "deadline": "stage",
        "closes_on": "16 dekabr 2026, 18:00",
        "held": True,
        "after_close": True,
        "reopen_days": 30,
        "asked": "2026-12-05",
        "missing": ["name", "phone"],
        "linked": "CC-2026-ZZZZZZZZ",
        "errors": ["unknown command #stauts", "bad date in #extend"],
        "commands_help": "#status <status>\n#close",
        "actor": "leyla@example.az",
        "secret": "K7PQ2-MXA4R",
        "portal": "https://care.example.az",
        "remedies": ["the consumer arbitration committee;", "the courts."],
        "events": [
            {"at": "18 noyabr 2026, 10:15", "kind": "registered", "detail": ""},
            {"at": "19 noyabr 2026, 09:00", "kind": "status", "detail": "in_review -> investigating"},
        ],
        "notice": "by_phone_said", "notice_args": {"phone": "994501234567", "kind": "ack", "secret": "K7PQ2-MXA4R"},
        "files": [{"filename": "çek.pdf", "content_type": "application/pdf", "size": 48213, "size_label": "47 KB",
                   "attached": True},
                  {"filename": "foto.jpg", "content_type": "image/jpeg", "size": 14680064, "size_label": "14.0 MB",
                   "attached": False}],
    }


def empty_context(lang: str = "az") -> dict:
    """Every contract key, every optional value empty (as the contract allows)."""
    ctx = full_context(lang)
    ctx["complaint"].update(
        subject="", category="", department="", assignee="", last_step="", sensitive=False, reject_count=0
    )
    ctx["customer"].update(name="", phone="")
    ctx["due"] = {"acknowledge": "", "stage": "", "resolve": ""}
    ctx.update(message="", shortened=False, reason="", new_date="", planned=False, old_date="", missed="",
               reopened_on="", earlier=False, deadline="", closes_on="", held=False, asked="", after_close=False, reopen_days=0, missing=[], linked="", errors=[],
               commands_help="", actor="", events=[], secret="", portal="", remedies=[], files=[], notice="",
               notice_args={})
    return ctx


def all_templates() -> list[str]:
    return sorted(p.name for p in MAIL_DIR.iterdir() if p.suffix in (".txt", ".html", ".j2"))


def mail_templates() -> list[str]:
    return [name for name in all_templates() if not name.startswith("_")]


def lang_of(name: str) -> str:
    return name.split(".")[1]


def split_txt(rendered: str) -> tuple[str, str, str]:
    first, second, body = (rendered.split("\n", 2) + ["", ""])[:3]
    return first, second, body


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    return make_env(MAIL_DIR)


def test_contract_keys_match_sample_context():
    assert set(full_context()) == CONTRACT_KEYS
    assert set(empty_context()) == CONTRACT_KEYS


@pytest.mark.parametrize("kind", CUSTOMER_KINDS)
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("ext", ("txt", "html"))
def test_customer_kind_exists_in_every_language(kind, lang, ext):
    assert (MAIL_DIR / f"{kind}.{lang}.{ext}").is_file()


@pytest.mark.parametrize("kind", STAFF_KINDS + ("_staff_footer",))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_kind_exists_in_every_language(kind, lang):
    """[staff] language may be any of the four: the Turkish and Russian desks read their own."""
    assert (MAIL_DIR / f"{kind}.{lang}.txt").is_file()
    assert (MAIL_DIR / f"{'_staff' if kind.startswith('_') else kind}.{lang}.html").is_file()


def test_every_mail_template_is_a_known_kind():
    known = set(CUSTOMER_KINDS) | set(STAFF_KINDS) | set(SMS_KINDS)
    for name in mail_templates():
        kind, lang, ext = name.split(".")
        assert kind in known, name
        assert lang in LANGUAGES, name
        assert ext in ("txt", "html"), name


def test_every_txt_has_an_html_alternative_and_back():
    names = set(mail_templates())
    for name in names:
        stem, ext = name.rsplit(".", 1)
        if stem.split(".")[0] in SMS_KINDS:
            continue
        assert f"{stem}.{'html' if ext == 'txt' else 'txt'}" in names, name


@pytest.mark.parametrize("name", all_templates())
@pytest.mark.parametrize("make_context", (full_context, empty_context), ids=("full", "empty"))
def test_every_template_renders_strictly(env, name, make_context):
    rendered = env.get_template(name).render(make_context(lang_of(name) if name.count(".") == 2 else "en"))
    assert "None" not in rendered
    assert not re.search(r"\(\s*\)|«\s*»|“\s*”|:\s*\.", rendered), "an empty value left a visible gap"
    if not name.startswith("_"):
        assert rendered.strip()


@pytest.mark.parametrize("name", [n for n in mail_templates() if n.endswith(".txt")])
@pytest.mark.parametrize("make_context", (full_context, empty_context), ids=("full", "empty"))
def test_txt_starts_with_subject_then_blank_line(env, name, make_context):
    first, second, body = split_txt(env.get_template(name).render(make_context(lang_of(name))))
    assert first.startswith("Subject: ")
    assert f"[{TRACKING}]" in first
    assert second == ""
    assert body.strip()
    assert not body.startswith("\n"), "body must begin right after the one blank line"


@pytest.mark.parametrize("kind", CUSTOMER_KINDS)
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("ext", ("txt", "html"))
def test_customer_mail_tells_to_keep_tracking_in_subject(env, kind, lang, ext):
    ctx = empty_context(lang)
    rendered = env.get_template(f"{kind}.{lang}.{ext}").render(ctx)
    body = split_txt(rendered)[2] if ext == "txt" else rendered
    # The reminder line of every customer mail quotes the number in brackets as it appears in the subject.
    assert re.search(r"\[(<strong>)?" + TRACKING + r"(</strong>)?\]", body), "no [tracking] reminder"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_resolution_names_the_accept_and_reject_words(env, lang):
    accept, reject = ACCEPT_REJECT[lang]
    for ext in ("txt", "html"):
        rendered = env.get_template(f"resolution.{lang}.{ext}").render(full_context(lang))
        assert f"“{accept}”" in rendered or f"«{accept}»" in rendered
        assert f"“{reject}”" in rendered or f"«{reject}»" in rendered


@pytest.mark.parametrize("lang", LANGUAGES)
def test_ack_asks_for_missing_contact_data_only_when_missing(env, lang):
    template = env.get_template(f"ack.{lang}.txt")
    both = template.render(full_context(lang))
    only_phone = template.render({**full_context(lang), "missing": ["phone"]})
    none = template.render({**full_context(lang), "missing": []})
    assert len(both) > len(only_phone) > len(none)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("status", STATUSES)
def test_status_mail_shows_a_label_for_every_status(env, lang, status):
    ctx = full_context(lang)
    ctx["complaint"]["status"] = status
    labels = env.get_template("_labels.j2").module
    for ext in ("txt", "html"):
        rendered = env.get_template(f"status.{lang}.{ext}").render(ctx)
        assert labels.STATUS[lang][status] in rendered


@pytest.mark.parametrize("kind", ("status", "interim"))
@pytest.mark.parametrize("ext", ("txt", "html"))
def test_the_policys_status_name_wins_over_the_shipped_label(env, kind, ext):
    ctx = full_context("ru")
    ctx["complaint"].update(status="investigating", status_label="На стадии обработки")
    rendered = env.get_template(f"{kind}.ru.{ext}").render(ctx)
    labels = env.get_template("_labels.j2").module
    assert "На стадии обработки" in rendered and labels.STATUS["ru"]["investigating"] not in rendered


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("ext", ("txt", "html"))
def test_remedies_name_no_financial_authority_unless_the_policy_does(env, lang, ext):
    shipped = env.get_template(f"remedies.{lang}.{ext}").render(empty_context(lang)).lower()
    assert not any(word in shipped for word in ("financ", "финанс", "finans", "maliyyə"))
    own = env.get_template(f"remedies.{lang}.{ext}").render(full_context(lang))
    assert "the consumer arbitration committee;" in own and "the courts." in own
    assert "ombudsman" not in own.lower() and "омбудсмен" not in own.lower()
    if ext == "txt":
        assert "- the consumer arbitration committee;\n- the courts.\n\n" in own


def test_labels_cover_every_status_and_priority_in_every_language(env):
    labels = env.get_template("_labels.j2").module
    for lang in LANGUAGES:
        assert set(labels.STATUS[lang]) == set(STATUSES), lang
        assert set(labels.PRIORITY[lang]) == set(PRIORITIES), lang
        assert all(labels.STATUS[lang].values()), lang


@pytest.mark.parametrize("name", [n for n in mail_templates() if n.endswith(".html")])
def test_html_escapes_customer_input(env, name):
    ctx = full_context(lang_of(name))
    ctx["customer"]["name"] = "<script>alert(1)</script>"
    ctx["complaint"]["subject"] = "<script>alert(2)</script>"
    ctx["message"] = "<script>alert(3)</script>\nsecond line"
    rendered = env.get_template(name).render(ctx)
    assert "<script>" not in rendered
    assert "&lt;script&gt;" in rendered


@pytest.mark.parametrize("lang", LANGUAGES)
def test_txt_keeps_customer_text_verbatim(env, lang):
    ctx = full_context(lang)
    ctx["customer"]["name"] = "<Aysel & Co>"
    rendered = env.get_template(f"ack.{lang}.txt").render(ctx)
    assert "<Aysel & Co>" in rendered


def test_html_message_line_breaks_survive_escaping(env):
    ctx = full_context("en")
    ctx["message"] = "a < b\nc & d"
    rendered = env.get_template("relay.en.html").render(ctx)
    assert "a &lt; b<br>\nc &amp; d" in rendered


class _TagBalance(HTMLParser):
    """Counts open/close tags so that a broken HTML template is caught."""

    VOID = frozenset({"meta", "br", "img", "hr", "input", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack})")
        else:
            self.stack.pop()


@pytest.mark.parametrize("name", [n for n in mail_templates() if n.endswith(".html")])
@pytest.mark.parametrize("make_context", (full_context, empty_context), ids=("full", "empty"))
def test_html_is_well_formed_and_self_contained(env, name, make_context):
    rendered = env.get_template(name).render(make_context(lang_of(name)))
    parser = _TagBalance()
    parser.feed(rendered)
    assert parser.errors == [] and parser.stack == []
    assert f'<html lang="{lang_of(name)}">' in rendered
    assert not re.search(r"""(src|href)=["']https?:""", rendered), "no external resources"
    assert "<style" not in rendered and "<link" not in rendered, "inline styles only"


def test_templates_use_only_contract_variables(env):
    """Static check: no template names a top-level variable outside the contract."""
    from jinja2 import meta

    imported = {"STATUS", "PRIORITY", "m", "reply_word", "notice_text", "error_text"}
    for name in all_templates():
        source = (MAIL_DIR / name).read_text(encoding="utf-8")
        undeclared = meta.find_undeclared_variables(env.parse(source))
        assert undeclared <= CONTRACT_KEYS | imported, (name, undeclared - CONTRACT_KEYS)


def test_undefined_variable_is_an_error(tmp_path):
    (tmp_path / "broken.en.txt").write_text(
        "Subject: [{{ tracking }}]\n\n{{ complaint.titel }}\n", encoding="utf-8"
    )
    (tmp_path / "unknown.en.txt").write_text("Subject: [{{ tracking }}]\n\n{{ ticket }}\n", encoding="utf-8")
    env = make_env(tmp_path, MAIL_DIR)
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("broken.en.txt").render(full_context("en"))
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("unknown.en.txt").render(full_context("en"))


def test_unknown_status_label_is_an_error(env):
    ctx = full_context("en")
    ctx["complaint"]["status"] = "archived"
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("status.en.txt").render(ctx)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("ext", ["txt", "html"])
def test_a_delay_notice_without_a_reason_states_only_facts(env, lang, ext):
    """Finding 01: with no reason from staff the notice once invented "additional checks". Now it
    says the date given passed and names the new one; a reason only when given, in every language."""
    ctx = {**full_context(lang), "reason": "", "reopened_on": "", "planned": False, "earlier": False}
    text = env.get_template(f"delay.{lang}.{ext}").render(ctx)
    invented = {"az": "yoxlama", "ru": "проверк", "tr": "inceleme gerektir", "en": "checks"}[lang]
    assert invented not in text and ctx["missed"] in text and ctx["new_date"] in text
    assert full_context(lang)["reason"] not in text
    assert ctx["reason"] == "" and "Reason:" not in text
    with_reason = env.get_template(f"delay.{lang}.{ext}").render({**ctx, "reason": "Təchizatçı gecikir"})
    assert "Təchizatçı gecikir" in with_reason
    reopened = env.get_template(f"delay.{lang}.{ext}").render({**ctx, "reopened_on": "25 noyabr 2026, 11:00"})
    assert "25 noyabr 2026, 11:00" in reopened


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_earlier_date_is_not_told_as_a_delay(env, lang):
    """Finding 08: an #extend to an earlier date is good news: no "longer", no apology."""
    ctx = {**full_context(lang), "earlier": True, "planned": True}
    text = env.get_template(f"delay.{lang}.txt").render(ctx)
    longer = {"az": "daha çox vaxt", "ru": "больше времени", "tr": "uzun sürecek", "en": "longer"}[lang]
    sorry = {"az": "üzr", "ru": "извинения", "tr": "özür", "en": "apologise"}[lang]
    assert longer not in text and sorry not in text and ctx["new_date"] in text and ctx["old_date"] in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_escalation_names_the_missed_deadline_and_the_step(env, lang):
    """Finding 11d: management read "passed without the required step" and not which; and for the
    resolution date staff are told how to give the customer a reason (finding 01)."""
    stage = env.get_template(f"escalation.{lang}.txt").render({**full_context(lang), "deadline": "stage"})
    assert "(#status, #ask" in stage and full_context(lang)["complaint"]["last_step"] in stage
    resolve = env.get_template(f"escalation.{lang}.txt").render({**full_context(lang), "deadline": "resolve"})
    assert "(#resolve)" in resolve and resolve.count("#extend") == stage.count("#extend") + 1


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("ext", ["txt", "html"])
@pytest.mark.parametrize("status", ["resolved", "waiting_customer", "closed", "escalated"])
def test_the_status_mail_shows_no_expected_date_while_no_clock_runs(env, lang, ext, status):
    """Finding 11b: after #resolve, or while #ask pauses the clock, the status mail showed an
    expected resolution date as if the clock ran."""
    ctx = full_context(lang)
    ctx["complaint"] = {**ctx["complaint"], "status": status}
    text = env.get_template(f"status.{lang}.{ext}").render(ctx)
    assert ctx["due"]["resolve"] not in text
    running = env.get_template(f"status.{lang}.{ext}").render(full_context(lang))
    assert full_context(lang)["due"]["resolve"] in running


@pytest.mark.parametrize("lang", ["az", "ru", "tr", "en"])
def test_registered_held_without_email_still_says_to_phone_the_number(env, lang):
    """Tester finding 07: a #new by phone from an unproven staff From (auth off) must still tell
    the staff member to pass the number on by phone, and how to #confirm or #close it."""
    ctx = empty_context(lang)
    ctx["customer"].update(email="", phone="+994557654321")
    ctx["held"] = True
    for ext in ("txt", "html"):
        out = env.get_template(f"registered.{lang}.{ext}").render(ctx)
        assert "+994557654321" in out and TRACKING in out and "#confirm" in out and "#close" in out, (lang, ext)
    ctx["customer"].update(email="rauf@example.org")  # with an address: the acknowledgement waits for #confirm
    for ext in ("txt", "html"):
        out = env.get_template(f"registered.{lang}.{ext}").render(ctx)
        assert "#confirm" in out and out.count("#confirm") == 1, (lang, ext)


NOTICE_ARGS = {"phone": "994501234567", "kind": "ack", "commands": "#ask", "secret": "K7PQ2-MXA4R", "why": "unproven",
               "reason": "the sender's address was not authenticated", "to": "aysel@example.az"}
# Words of the shipped English notices that must not reach an az/ru/tr desk's staff.
ENGLISH_WORDS = re.compile(r"\b(?:the|customer|mail|please|was|sent|your|address|complaint|reply)\b", re.IGNORECASE)


def notice_codes(env) -> list[str]:
    return sorted(env.get_template("_notices.j2").module.NOTICE["en"])


@pytest.mark.parametrize("lang", ["az", "ru", "tr", "en"])
def test_every_staff_notice_code_renders_in_every_language_and_only_in_it(env, lang):
    """Tester finding 04: what the desk tells staff is in the staff's language, never English
    written in Python; each code (templates/mail/_notices.j2) in all four languages."""
    module = env.get_template("_notices.j2").module
    assert set(module.NOTICE[lang]) == set(module.NOTICE["en"]) and set(module.WHY[lang]) == set(module.WHY["en"])
    for code in notice_codes(env):
        ctx = empty_context(lang)
        ctx.update(notice=code, notice_args=NOTICE_ARGS, message="")
        for ext in ("txt", "html"):
            out = env.get_template(f"staff_notice.{lang}.{ext}").render(ctx)
            assert "%(" not in out and "994501234567" in out or code not in ("by_phone", "by_phone_said"), (code, ext)
            if lang != "en":
                body = out.split("\n", 1)[1] if ext == "txt" else out
                body = body.split("Shop")[0]
                notice = str(module.notice_text(code, NOTICE_ARGS, lang))
                assert not ENGLISH_WORDS.search(notice), (lang, code, ENGLISH_WORDS.findall(notice))
                assert notice.split(".")[0][:30] in body.replace("&#39;", "'"), (lang, code)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("ext", ["txt", "html"])
def test_the_resolution_mail_names_the_day_it_closes_by_itself(env, lang, ext):
    """Finding 11a: "closed automatically after some time"; the sweep closes on a known day, and
    with auto-close off ([sla] auto_close_after = 0) nothing is said about closing."""
    told = env.get_template(f"resolution.{lang}.{ext}").render(full_context(lang))
    assert full_context(lang)["closes_on"] in told
    silent = env.get_template(f"resolution.{lang}.{ext}").render({**full_context(lang), "closes_on": ""})
    vague = {"az": "müəyyən müddət", "ru": "некоторое время", "tr": "bir süre", "en": "some time"}[lang]
    assert vague not in told and vague not in silent
    assert {"az": "avtomatik", "ru": "автоматически", "tr": "otomatik", "en": "automatically"}[lang] not in silent


@pytest.mark.parametrize("lang", ["az", "ru", "tr", "en"])
def test_a_staff_notice_about_no_complaint_shows_no_empty_complaint(env, lang):
    """The 'unthreaded' notice (a staff mail with commands that names no complaint) has no tracking
    number: no '[]' in its subject, no complaint table, no 'keep [] in the subject'."""
    ctx = empty_context(lang)
    ctx.update(tracking="", notice="unthreaded", notice_args={"commands": "#ask"}, message="#ask\nText")
    for ext in ("txt", "html"):
        out = env.get_template(f"staff_notice.{lang}.{ext}").render(ctx)
        assert "[]" not in out and "[<strong></strong>]" not in out and "#ask" in out, (lang, ext)
        assert ctx["gateway"]["name"] in out, (lang, ext)


# Values of a Problem's args as a staff mail shows them (no English in them, so none may show).
ERROR_ARGS = {"given": "050 12", "field": "patronymic", "command": "#resolve", "allowed": "#priority, #note",
              "address": "orxan@misal.az", "staff": "*@shop.az", "category": "çatdırılma", "known": "zəmanət, qiymət",
              "filename": "məktub.eml", "detail": "MIME"}
LABEL_OR_VALUE = re.compile(r"(?:\(|və ya |или |veya |or )([^():,]{1,20}): ([^ ()]+)")


def error_codes_in_source() -> set[str]:
    """Every Problem code the gateway can put in an error mail (gateway/mail/problem.py)."""
    from gateway.mail import intake

    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "gateway").rglob("*.py"))
    return set(re.findall(r'Problem\(\s*"(\w+)"', source)) | {f"missing_{n}" for n in intake.REQUIRABLE}


@pytest.mark.parametrize("lang", ["az", "ru", "tr", "en"])
def test_every_register_error_code_renders_in_every_language_and_only_in_it(env, lang):
    """Tester finding 04: the problems in a #new or a forward reach staff in the staff language,
    by code (templates/mail/_errors.j2), in register_error and command_error, txt and html; a row
    queued before codes (a plain string) or with a code the table lacks still shows its text."""
    module = env.get_template("_errors.j2").module
    assert set(module.ERRORS[lang]) == set(module.ERRORS["en"]) == error_codes_in_source()
    assert set(module.LABEL[lang]) == set(module.LABEL["en"])
    errors = [{"code": code, "args": ERROR_ARGS, "text": "English " + code} for code in sorted(module.ERRORS[lang])]
    legacy = ["the customer's patronymic is missing (Patronymic: ...)", {"code": "later", "args": {}, "text": "kept"}]
    for kind in ("register_error", "command_error"):
        ctx = empty_context(lang)
        ctx.update(errors=errors + legacy, message="")
        for ext in ("txt", "html"):
            out = env.get_template(f"{kind}.{lang}.{ext}").render(ctx).replace("&#39;", "'").replace("&#34;", '"')
            assert "%(" not in out and "English " not in out and legacy[0] in out and "kept" in out, (kind, ext)
            for code in module.ERRORS[lang]:
                said = str(module.error_text({"code": code, "args": ERROR_ARGS}, lang))
                assert said in out.replace("&amp;", "&"), (kind, ext, code)
                if lang != "en":
                    assert not ENGLISH_WORDS.search(said), (lang, code, ENGLISH_WORDS.findall(said))
    assert "Ata adı" in str(module.error_text({"code": "twice", "args": {"field": "patronymic"}}, "az"))


@pytest.mark.parametrize("lang", ["az", "ru", "tr", "en"])
def test_labels_an_error_mail_tells_staff_to_write_are_read_by_intake(lang):
    """What a template tells staff to write, the parser must understand: every "Label: value" in
    an error text, every label of _errors.j2's LABEL, and every line of the #new example in
    register_error, parse as that field in gateway/mail/intake.py."""
    from gateway.mail import intake

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(MAIL_DIR)))
    module = env.get_template("_errors.j2").module
    for name, label in module.LABEL[lang].items():
        assert intake._label_of(f"{label}: x") == (name, "x"), (lang, label)
    told = [pair for code, text in module.ERRORS[lang].items() if code.startswith("missing_") or code == "channel_invalid"
            for pair in LABEL_OR_VALUE.findall(text)]  # the texts that tell staff what to write
    assert len(told) >= 6, told
    for label, value in told:
        found = intake._label_of(f"{label}: {value}")
        assert found is not None, (lang, label)
        if found[0] == "channel":
            assert intake.CHANNELS.get(intake.fold(value)), (lang, value)
    for ext in ("txt", "html"):
        example = (MAIL_DIR / f"register_error.{lang}.{ext}").read_text(encoding="utf-8").split("#new\n", 1)[1]
        for line in example.split("</pre>")[0].split("\n\n")[0].split("\n"):
            for part in re.split(r"\s{2,}", line.strip()):
                if ":" in part and "(" not in part:
                    assert intake._label_of(part) is not None, (lang, ext, part)
