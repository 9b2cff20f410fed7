"""A complaint's history as the customer reads it: sentences, never internal codes."""
from __future__ import annotations

import re

import pytest

from gateway.checks import CUSTOMER_KINDS
from gateway.desk import history
from gateway.desk.lifecycle import STATUSES
from gateway.outbound.compose import Templates, sample_context
from gatewaykit import REPO

LANGUAGES = ("az", "ru", "tr", "en")
# What an internal code looks like in text: "status: registered", "relayed: relay", a snake_case name.
EVENT_KINDS = r"(?:status|created|relayed|extend|delay_notice|classified|escalation|reminder|interim|auto_close)"
CODE = re.compile(rf"\b{EVENT_KINDS}\s*:\s*[a-z_]+\b|\b[a-z]+_[a-z_]+\b")


def test_every_status_and_relayed_kind_has_a_sentence_in_every_language():
    for lang in LANGUAGES:
        for status in STATUSES:
            assert history.STEPS[lang][("status", status)]
        for kind in ("relay", "ask", "resolution", "closed"):
            assert history.STEPS[lang][("relayed", kind)]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("events, english", [
    ([("created", "registered", "new complaint by email (pipe)")], "Your complaint was registered."),
    ([("created", "registered", ""), ("status", "registered", "#status")], "Your complaint was registered."),
    ([("created", "registered", ""), ("relayed", "", "relay"), ("note", "", "internal words")],
     "Our staff answered you."),
    ([("created", "registered", ""), ("extend", "", "resolve by 2026-12-18T14:00:00+00:00: supplier")],
     "The expected resolution date was changed."),
    ([("created", "registered", ""), ("status", "escalated", "the customer replied: reject")],
     "Your complaint was passed on to management."),
    ([("priority", "", "normal -> high"), ("note", "", "x")], ""),
])
def test_last_step_is_a_sentence_of_what_the_customer_may_know(lang, events, english):
    sentence = history.last_step(events, lang)
    if lang == "en":
        assert sentence == english
    assert not CODE.search(sentence)
    assert "internal words" not in sentence and "supplier" not in sentence


def test_the_regressions_of_the_issue_are_gone():
    """"Son atılmış addım: status: registered", «created: registered», "relayed: relay"."""
    assert history.last_step([("status", "registered", "")], "az") == "Şikayətiniz qeydə alındı."
    assert history.last_step([("created", "registered", "")], "ru") == "Ваша жалоба зарегистрирована."
    assert history.last_step([("relayed", "", "relay")], "tr") == "Çalışanımız size yanıt verdi."


def every_step() -> list[tuple[str, str, str]]:
    return [(kind, what if kind == "status" else "", what if kind == "relayed" else "")
            for kind, what in history.STEPS["en"]]


@pytest.mark.parametrize("kind", CUSTOMER_KINDS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_customer_template_renders_an_internal_code(kind, lang):
    """Every customer mail in every language, with every last step and status it can show."""
    templates = Templates(REPO / "templates" / "mail")
    for ext, env in (("txt", templates.text_env), ("html", templates.html_env)):
        for step in every_step():
            for status in STATUSES:
                context = sample_context(lang)
                context["complaint"] = {**context["complaint"], "status": status,
                                        "last_step": history.last_step([step], lang)}
                context["events"] = [{"at": "1 dekabr 2026, 10:00", "kind": step[0], "detail": step[2]}]
                text = env.get_template(f"{kind}.{lang}.{ext}").render(context)
                text = re.sub(r"https?://\S+|\S+@\S+|CC-2026-\w+", "", text)  # addresses are not prose
                found = CODE.search(re.sub(r"<[^>]*>", " ", text) if ext == "html" else text)
                assert not found, f"{kind}.{lang}.{ext} with {step} / {status}: {found.group(0)!r}"
