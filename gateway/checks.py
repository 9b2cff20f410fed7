"""`gateway check`: find an admin's mistake before a customer does.

Every template is rendered against a full sample context with StrictUndefined,
so a misspelt variable is reported as file:line here, never sent as a blank.
"""
from __future__ import annotations

import sys
from typing import Any, Callable

import jinja2

from gateway.config import Config
from gateway.desk import rulefiles
from gateway.desk.business import BusinessCalendar
from gateway.desk.intent import read as read_reply
from gateway.desk.intent import status_only
from gateway.desk.rules import INTENTS, Rules
from gateway.ingest.staff import staff_warnings
from gateway.outbound.compose import Templates, sample_context

CUSTOMER_KINDS = ("ack", "status", "ask", "relay", "resolution", "delay", "interim", "closed", "reopened",
                  "remedies", "privacy", "stranger", "too_large")
# The decisions a customer template must tell the customer how to write, each marked
# {{ reply_word("<intent>", "<word>") }} so that the check below reads the word back
# (any template may mark words, e.g. the ack's "status"; these must).
REPLY_WORDS: dict[str, tuple[str, ...]] = {"resolution": ("accept", "reject")}
STAFF_KINDS = ("staff_new", "staff_update", "reminder", "escalation", "command_error", "staff_notice",
               "registered", "register_error", "extended")


def template_problems(config: Config) -> list[str]:
    directory = config.resolve(config.paths.templates)
    if not directory.is_dir():
        return [f"{directory}: templates directory does not exist"]
    templates = Templates(directory, config.gateway.default_language)
    rules = _rules(config)
    problems: list[str] = []
    for path in templates.all_files():
        if path.name.startswith("_"):
            continue
        kind, lang = path.name.split(".")[0], path.name.split(".")[1] if path.name.count(".") >= 2 else "?"
        env = templates.html_env if path.suffix == ".html" else templates.text_env
        told: list[tuple[str, str]] = []
        context = {**sample_context(lang), "reply_word": _noting(told)}
        try:
            text = env.get_template(path.name).render(context)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(f"{path}:{exc.lineno}: {exc.message}")
            continue
        except (jinja2.UndefinedError, jinja2.TemplateError, KeyError, TypeError) as exc:
            problems.append(f"{path}:{_line_of(exc)}: {exc}")
            continue
        if path.suffix == ".txt" and not text.lower().startswith("subject:"):
            problems.append(f"{path}:1: the first line must be 'Subject: ...'")
        if rules is not None:
            problems += reply_word_problems(path, kind, lang, told, rules)
    for kind in CUSTOMER_KINDS:
        for lang in config.gateway.languages:
            for suffix in (".txt", ".html"):
                if not (directory / f"{kind}.{lang}{suffix}").is_file():
                    problems.append(f"{directory / f'{kind}.{lang}{suffix}'}:0: missing template")
    for kind in STAFF_KINDS:
        if not any(directory.glob(f"{kind}.*.txt")):
            problems.append(f"{directory / f'{kind}.en.txt'}:0: missing staff template")
    return problems


def _noting(told: list[tuple[str, str]]) -> Callable[[str, str], str]:
    """The check's reply_word: writes the word, as compose's does, and notes (decision, word)."""
    def reply_word(intent: str, word: str) -> str:
        told.append((intent, word))
        return word
    return reply_word


def _rules(config: Config) -> Rules | None:
    """The rules the reply words are read with; None when they are broken (check_rules says why)."""
    try:
        return rulefiles.load_rules(config.resolve(config.paths.rules), config.gateway.languages)
    except rulefiles.RulesError:
        return None


def reply_word_problems(path: Any, kind: str, lang: str, told: list[tuple[str, str]], rules: Rules) -> list[str]:
    """One vocabulary: every word a template tells the customer to write must read, with
    the rules, as the decision it stands for (a status word as nothing but a status request,
    or the customer who writes it gets a staff member's attention they did not ask for);
    a decision template must name each one.
    Templates of languages the config does not answer in are never sent: not read."""
    if lang not in rules.languages:
        return []
    problems = []
    source = path.read_text(encoding="utf-8", errors="replace").splitlines()
    for intent, word in dict.fromkeys(told):
        line = next((n for n, text in enumerate(source, 1) if word in text), 0)
        if intent not in INTENTS:
            problems.append(f"{path}:{line}: reply_word: unknown decision {intent!r} (known: {', '.join(INTENTS)})")
            continue
        understood = read_reply(rules, word, lang) if word.strip() else None
        if understood != intent:
            problems.append(f"{path}:{line}: the customer is told to write {word!r} to {intent}, but the rules "
                            f"read it as {understood or 'nothing'}: add it to [intents.{intent}] {lang} "
                            f"(rules/40-intents.toml)")
        elif intent == "status" and not status_only(rules, word):
            problems.append(f"{path}:{line}: the customer is told to write {word!r} for the status, but the rules "
                            f"read it as news staff must see too: add its words to [intents.status_context] {lang} "
                            f"(rules/40-intents.toml)")
    for intent in REPLY_WORDS.get(kind, ()):
        if intent not in {i for i, _ in told}:
            problems.append(f"{path}:0: tells the customer no word to {intent}: mark it as "
                            f"{{{{ reply_word(\"{intent}\", \"...\") }}}}")
    return problems


def _line_of(exc: Exception) -> int:
    tb = exc.__traceback__
    line = 0
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith((".txt", ".html", ".j2")):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def run_checks(config: Config) -> int:
    problems = [str(p) for p in rulefiles.check_rules(config.resolve(config.paths.rules), config.gateway.languages)]
    problems += template_problems(config)
    from gateway.service.web.checks import web_problems
    problems += web_problems(config)
    from gateway.service.sources.maildir import config_problems
    problems += config_problems(config)
    try:
        BusinessCalendar.from_config(config.calendar, config.business_zone)
    except ValueError as exc:
        problems.append(f"{config.source}:0: {exc}")
    for problem in problems:
        print(problem)
    for warning in staff_warnings(config):  # loud, but not a problem (stdout lists problems): the desk stays safe
        print(warning, file=sys.stderr)
    print(f"{len(problems)} problem(s)" if problems else f"ok: {config.source}", file=sys.stderr)
    return 2 if problems else 0  # bad config, rules or templates: what `run` refuses to start with

