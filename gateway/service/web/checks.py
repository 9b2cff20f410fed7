"""`gateway check` for the portal: its pages parse and its words exist for every
configured language, so `gateway web` never starts on a broken template."""
from __future__ import annotations

import tomllib

import jinja2

from gateway.config import Config

PAGES = ("base.html", "file.html", "filed.html", "track.html", "status.html", "message.html")


def web_problems(config: Config) -> list[str]:
    directory = config.resolve(config.web.templates)
    if not directory.is_dir():  # a desk without the portal needs none; one that announces it does
        return [f"{directory}:0: the portal's templates directory does not exist ([web] templates)"] \
            if config.web.public_url else []
    problems: list[str] = []
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(directory)), autoescape=True)
    for page in PAGES:
        try:
            env.get_template(page)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(f"{directory / page}:{exc.lineno}: {exc.message}")
        except jinja2.TemplateNotFound:
            problems.append(f"{directory / page}:0: missing page")
    strings = directory / "strings.toml"
    try:
        data = tomllib.loads(strings.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return problems + [f"{strings}:0: {exc}"]
    reference = data.get(config.gateway.default_language) or data.get("en") or {}
    for lang in config.gateway.languages:
        table = data.get(lang)
        if table is None:
            problems.append(f"{strings}:0: no [{lang}] table for the configured language {lang}")
            continue
        missing = sorted(set(reference) - set(table)) + sorted(
            f"statuses.{s}" for s in set(reference.get("statuses", {})) - set(table.get("statuses", {})))
        if missing:
            problems.append(f"{strings}:0: [{lang}] lacks {', '.join(missing)}")
    return problems
