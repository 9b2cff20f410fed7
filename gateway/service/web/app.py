"""The portal's pages (Flask, served by waitress in `gateway web`).

Plain HTML forms that work without JavaScript. Every form carries a CSRF token
bound to the session cookie; the tracking form answers a wrong secret and an
unknown number with the same words after the same work, and locks a client or a
number out after `[web] lockout_failures` misses. Filing and deciding hand a mail
to the pipeline (see submission.py), so they do exactly what mail does.
"""
from __future__ import annotations

import hmac
import secrets
import threading
import tomllib
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import jinja2
from flask import Flask, abort, redirect, request, send_file, session, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway.desk import tracking as tracking_numbers
from gateway.outbound.compose import format_date
from gateway.service.web import portal, submission
from gateway.service.web.throttle import Throttle
from gateway.store.models import Complaint, Message
from gateway.store.private import secret_key

if TYPE_CHECKING:
    from gateway.service.runtime import Runtime

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
NOTICES = ("decided", "not_decidable")  # what a redirect may ask the status page to say
KEPT_TOKENS = 8  # one-time form tokens a session holds (open tabs)
SEEN_LIMIT = 10  # complaints one session may view after giving their secrets


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def create_app(runtime: Runtime, clock: Callable[[], datetime] = utc_now) -> Flask:
    config = runtime.config
    web = config.web
    directory = config.resolve(web.templates)
    app = Flask(__name__, template_folder=str(directory))
    app.secret_key = secret_key(config.resolve(web.secret_key_file))
    app.config.update(
        SESSION_COOKIE_NAME="care_session", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=web.public_url.startswith("https://"),
        MAX_CONTENT_LENGTH=web.max_attachment_bytes + 256 * 1024)
    app.jinja_env.autoescape = True
    app.jinja_env.undefined = jinja2.ChainableUndefined
    if web.behind_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    strings = _strings(directory / "strings.toml", config.gateway.languages, config.status_labels)
    Portal(app, runtime, strings, clock).register()
    return app


class Portal:
    """The routes, with what they share: the runtime, the portal's words, the clock, and
    one lock that lets a single thread at a time through the pipeline (filing is rare; the
    language detector and rules are not made for concurrent use)."""

    def __init__(self, app: Flask, runtime: Runtime, strings: dict[str, dict[str, Any]],
                 clock: Callable[[], datetime]):
        self.app, self.runtime, self.strings, self.clock = app, runtime, strings, clock
        self.config = runtime.config
        self.languages = tuple(lang for lang in self.config.gateway.languages if lang in strings)
        self.throttle = Throttle(runtime.database, self.config.web.lockout_failures, self.config.web.lockout_minutes)
        self.ingest_lock = threading.Lock()
        self.host = self.config.gateway.address.rsplit("@", 1)[-1]

    def register(self) -> None:
        app = self.app
        app.add_url_rule("/", "home", lambda: redirect(url_for("file_form", **self.lang_arg())))
        app.add_url_rule("/portal.css", "css", self.css)
        app.add_url_rule("/complaint", "file_form", self.file_form, methods=["GET"])
        app.add_url_rule("/complaint", "file_submit", self.file_submit, methods=["POST"])
        app.add_url_rule("/track", "track_form", self.track_form, methods=["GET"])
        app.add_url_rule("/track", "track_submit", self.track_submit, methods=["POST"])
        app.add_url_rule("/complaint/<tracking>", "status", self.status, methods=["GET"])
        app.add_url_rule("/complaint/<tracking>/decision", "decide", self.decide, methods=["POST"])
        app.after_request(self.headers)
        app.register_error_handler(RequestEntityTooLarge, self.too_large)
        app.register_error_handler(400, lambda e: self.message("error_heading", "error_csrf", 400))

    # ------------------------------------------------------------ shared

    def lang(self) -> str:
        wanted = request.args.get("lang", "")  # never the form: reading it may be what failed (413)
        if wanted in self.languages:
            session["lang"] = wanted
            return wanted
        if session.get("lang") in self.languages:
            return session["lang"]
        best = request.accept_languages.best_match(self.languages)
        return best or (self.config.gateway.default_language if self.config.gateway.default_language
                        in self.languages else self.languages[0])

    def lang_arg(self) -> dict[str, Any]:
        """url_for's query values; typed Any, as url_for takes them (a str would also match _external)."""
        return {"lang": self.lang()}

    def page(self, name: str, status: int = 200, **context: Any) -> tuple[str, int]:
        lang = context.pop("lang", None) or self.lang()
        template = self.app.jinja_env.get_template(name)
        body = template.render(lang=lang, t=self.strings[lang], languages=self.languages, url_for=url_for,
                               gateway_name=self.config.gateway.name, csrf=self.csrf_token(), **context)
        return body, status

    def message(self, heading: str, text: str, status: int = 200) -> tuple[str, int]:
        t = self.strings[self.lang()]
        return self.page("message.html", status, heading=t[heading], text=t[text])

    def headers(self, response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if self.config.web.public_url.startswith("https://"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    def css(self):
        return send_file(self.config.resolve(self.config.web.templates) / "portal.css", mimetype="text/css",
                         max_age=3600)

    def too_large(self, error: Exception):
        return self.message("error_heading", "error_size", 413)

    def when(self, lang: str) -> Callable[[datetime | None], str]:
        return lambda value: format_date(value, lang, self.config.business_zone)

    # ------------------------------------------------------------ tokens

    def csrf_token(self) -> str:
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        return session["csrf"]

    def check_csrf(self) -> None:
        sent, kept = request.form.get("csrf", ""), session.get("csrf", "")
        if not kept or not hmac.compare_digest(sent.encode(), kept.encode()):
            abort(400)

    def new_token(self) -> str:
        """A one-time token for a form whose submission must count once (the Message-ID)."""
        token = secrets.token_hex(16)
        session["tokens"] = (session.get("tokens", []) + [token])[-KEPT_TOKENS:]
        return token

    def owned_token(self, name: str) -> str:
        token = request.form.get(name, "")
        if token not in session.get("tokens", []):
            abort(400)
        return token

    # ------------------------------------------------------------ filing

    def file_form(self, errors: list[str] | None = None, form: dict[str, str] | None = None, status: int = 200):
        return self.page("file.html", status, errors=errors or [], form=form or {}, submission=self.new_token(),
                         accept=",".join(self.config.web.attachment_types))

    def file_submit(self):
        self.check_csrf()
        token = self.owned_token("submission")
        fields = submission.clean(request.form.to_dict())
        upload = self.upload()
        errors = submission.problems(fields, upload, self.config.web.max_attachment_bytes,
                                     self.config.web.attachment_types)
        if fields.get("email") and self.ours(fields["email"]):
            errors.append("invalid:email")  # staff and the desk itself do not file as customers
        if errors:
            return self.file_form([self.word(e) for e in errors], fields, 422)
        now = self.clock()
        raw = submission.complaint_mail(submission.Filing(fields, upload), self.config.gateway.address, token,
                                        self.host, now)
        with self.ingest_lock:
            outcome = self.runtime.pipeline.ingest(raw, "web", now)
        tracking = outcome.tracking or _tracking_of_message(outcome.message_id)
        if not tracking:  # stored but quarantined: staff will see it; the customer is told it arrived
            return self.message("filed_heading", "filed_duplicate" if outcome.state == "duplicate" else "filed_text")
        self.allow(tracking)
        return self.page("filed.html", 201 if outcome.state == "processed" else 200, tracking=tracking,
                         secret=portal.issued_secret(tracking), duplicate=outcome.state == "duplicate")

    def ours(self, address: str) -> bool:
        from gateway.ingest.staff import claims_staff
        return address.lower() == self.config.gateway.address.lower() or \
            claims_staff(address, self.runtime.pipeline.staff_policy)

    def upload(self) -> submission.Upload | None:
        file = request.files.get("attachment")
        if file is None or not file.filename:
            return None
        return submission.Upload(file.filename, file.mimetype or "application/octet-stream", file.read())

    def word(self, error: str) -> str:
        t = self.strings[self.lang()]
        problem, _, field = error.partition(":")
        if problem == "attachment":
            return t[f"attachment_{field}"]
        return t[problem].format(field=t.get(field, field))

    # ------------------------------------------------------------ tracking

    def track_form(self, error: str = "", tracking: str = "", status: int = 200):
        return self.page("track.html", status, error=error, tracking=tracking)

    def track_submit(self):
        self.check_csrf()
        typed = request.form.get("tracking", "")[:40]
        number = typed_tracking(typed, self.config.gateway.tracking_prefix)
        keys = [f"client:{request.remote_addr or '-'}", f"tracking:{number}"]
        now = self.clock()
        t = self.strings[self.lang()]
        if self.throttle.locked(keys, now):
            return self.track_form(t["track_locked"], typed, 429)
        complaint = portal.authenticate(number, request.form.get("secret", ""))
        if complaint is None:
            self.throttle.fail(keys, now)
            return self.track_form(t["track_failed"], typed, 403)
        self.throttle.clear([keys[1]])
        self.allow(complaint.tracking)
        return redirect(url_for("status", tracking=complaint.tracking, **self.lang_arg()), 303)

    def allow(self, tracking: str) -> None:
        seen = [t for t in session.get("seen", []) if t != tracking]
        session["seen"] = (seen + [tracking])[-SEEN_LIMIT:]

    def allowed(self, tracking: str) -> bool:
        return tracking in session.get("seen", [])

    def status(self, tracking: str, notice: str = ""):
        if not self.allowed(tracking):
            return redirect(url_for("track_form", **self.lang_arg()), 303)
        found = portal.view(tracking)
        if found is None:
            return redirect(url_for("track_form", **self.lang_arg()), 303)
        lang = self.lang()
        notice = request.args.get("notice", "")
        return self.page("status.html", c=found, when=self.when(lang), token=self.new_token(),
                         notice=self.strings[lang][notice] if notice in NOTICES else "")

    def decide(self, tracking: str):
        self.check_csrf()
        token = self.owned_token("token")
        choice = request.form.get("decision", "")
        if not self.allowed(tracking) or choice not in ("accept", "reject"):
            abort(400)
        found = portal.view(tracking)
        if found is None or not found.can_decide:
            return redirect(url_for("status", tracking=tracking, notice="not_decidable", **self.lang_arg()), 303)
        now = self.clock()
        raw = submission.decision_mail(found.customer, self.config.gateway.address, tracking, found.subject,
                                       self.phrase(choice, found.language), token, self.host, now)
        with self.ingest_lock:
            self.runtime.pipeline.ingest(raw, "web", now)
        return redirect(url_for("status", tracking=tracking, notice="decided", **self.lang_arg()), 303)

    def phrase(self, intent: str, language: str) -> str:
        """The customer's decision in words the rules read as that decision (their language first)."""
        policy = self.runtime.policy
        group = policy.rules.intents.get(intent)
        for lang in (language, "en", *self.languages):
            for phrase in (group.words.get(lang, ()) if group else ()):
                if policy.intent(phrase.text, lang) == intent:
                    return phrase.text
        raise RuntimeError(f"the rules know no phrase that reads as {intent!r}")


def typed_tracking(typed: str, prefix: str) -> str:
    """A tracking number as typed into the form, in its canonical form when it is one: case,
    spaces and dashes as the customer pleases ("cc 2026 4k7pq2mx")."""
    compact = "".join(ch for ch in typed[:60].upper() if ch.isalnum() or ch in "$*~=")  # old check symbols
    head = prefix.upper()
    if compact.startswith(head) and len(compact) > len(head) + 4 and compact[len(head):len(head) + 4].isdigit():
        spaced = f"{head}-{compact[len(head):len(head) + 4]}-{compact[len(head) + 4:]}"
        return tracking_numbers.normalize(spaced, prefix) or spaced
    return compact


def _tracking_of_message(message_id: str) -> str:
    if not message_id:
        return ""
    row = (Complaint.select(Complaint.tracking).join(Message, on=(Message.complaint == Complaint.id))
           .where(Message.message_id == message_id).first())
    return row.tracking if row else ""


def _strings(path: Path, languages: tuple[str, ...],
             status_labels: dict[str, dict[str, str]] | None = None) -> dict[str, dict[str, Any]]:
    """The portal's words; the policy's own status names ([status_labels.LANG]) win over the file's."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    missing = [lang for lang in languages if lang not in data]
    if len(missing) == len(languages):
        raise ValueError(f"{path}: no table for any configured language ({', '.join(languages)})")
    for lang, labels in (status_labels or {}).items():
        if lang in data:
            data[lang]["statuses"] = {**data[lang].get("statuses", {}), **labels}
    return data


