"""gateway.toml -> frozen dataclasses.

The schema *is* the dataclasses below: each section is a dataclass, each key a
field with a type hint and (when optional) a default. One generic builder walks
them, so adding a key means adding a field, and every error (unknown key, wrong
type, missing key) names the dotted key and, where we can find it, the line.
Relative paths resolve against the config file's own directory, so a config
works the same whatever the working directory of the daemon.
"""
from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_VAR = "GATEWAY_CONFIG"


class ConfigError(Exception):
    """A config problem a human must fix; str() is the whole message."""

    def __init__(self, path: Path | str, key: str, message: str, line: int | None = None):
        self.path, self.key, self.line = str(path), key, line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")


# ---------------------------------------------------------------- sections

@dataclass(frozen=True)
class GatewaySection:
    address: str
    name: str = "Customer Care"
    timezone: str = ""  # the business time zone (see Config.business_zone); empty: [calendar] timezone, else UTC
    default_language: str = "en"
    languages: tuple[str, ...] = ("az", "ru", "tr", "en")
    tracking_prefix: str = "CC"
    language_detection: str = "accurate"  # accurate (~130 MB of models) | compact (~13 MB, weaker on short az/tr)
    phone_region: str = "AZ"
    read_seconds: float = 20.0  # the daemon's budget for reading one mail (parse); over it: quarantined
    read_memory_mb: int = 1024  # the reader process's heap limit; a mail needing more is quarantined


@dataclass(frozen=True)
class StorageSection:
    database: str = "sqlite:///storage/gateway.db"
    archive: str = "storage/archive"
    spool: str = "storage/spool"  # the Maildir `gateway deliver` writes and the daemon takes mail from
    max_message_bytes: int = 25 * 1024 * 1024


@dataclass(frozen=True)
class SmtpInbound:
    listen: str = "127.0.0.1:2525"
    enabled: bool = True


@dataclass(frozen=True)
class ImapInbound:
    host: str
    username: str
    port: int = 0
    security: str = "tls"
    password_env: str = ""
    password_file: str = ""
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    quarantine_folder: str = "Quarantine"
    ca_file: str = ""
    poll_interval: float = 60.0
    idle_timeout: float = 25 * 60.0
    batch_size: int = 100
    name: str = ""
    lease_seconds: float = 30.0  # several gateways on one database: failover time when the holder dies


@dataclass(frozen=True)
class LmtpInbound:
    listen: str = ""  # "127.0.0.1:2424": an LMTP listener for the MTA's `lmtp:` transport; empty: off


@dataclass(frozen=True)
class MaildirInbound:
    """A Maildir another program writes (Postfix virtual, Dovecot LDA, fetchmail)."""

    path: str
    processed_folder: str = "Processed"  # Maildir++ subfolder .Processed
    quarantine_folder: str = "Quarantine"
    poll_seconds: float = 0.2


@dataclass(frozen=True)
class InboundSection:
    smtp: SmtpInbound = SmtpInbound()
    imap: tuple[ImapInbound, ...] = ()
    maildir: tuple[MaildirInbound, ...] = ()
    lmtp: LmtpInbound = LmtpInbound()
    spool_poll_seconds: float = 0.1  # how often the daemon looks into [storage] spool


@dataclass(frozen=True)
class SmtpOutbound:
    host: str = "localhost"
    port: int = 25
    security: str = "starttls"
    username: str = ""
    password_env: str = ""
    timeout: float = 30.0
    ca_file: str = ""


@dataclass(frozen=True)
class OutboundSection:
    transport: str = "maildir"
    maildir: str = "storage/outgoing"
    smtp: SmtpOutbound = SmtpOutbound()
    max_attempts: int = 8
    retry_base_seconds: float = 60.0
    rate_per_recipient_hour: int = 10
    rate_per_complaint_day: int = 20
    # At most one automatic answer (status) per complaint in this many hours:
    # a responder that slips past hygiene gets one mail, and the loop stops there.
    auto_answer_hours: float = 6.0
    # How long a claimed row is this worker's alone, on the database's clock; renewed at half.
    # One send (connect, TLS, DATA) must finish within half of it.
    claim_seconds: float = 180.0


@dataclass(frozen=True)
class LifecycleSection:
    """What a customer's late reply and repeated rejections do (README: "Complaint lifecycle")."""

    reopen_within_days: int = 30  # a reply this many days after closing reopens it; later: a new, linked complaint
    escalate_after_rejections: int = 2  # the Nth rejection escalates (external remedies); 0: never, review again


@dataclass(frozen=True)
class StaffSection:
    notify: str = ""
    addresses: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    require_authentication: bool = False
    # servers whose Authentication-Results headers are believed (RFC 8601 authserv-id), one or a list
    authserv_id: tuple[str, ...] = ()
    # new complaints from one sender within an hour announced one by one; past it, one digest an hour
    notify_per_sender_hour: int = 3
    # `#new` (a complaint taken by phone or in person): fields the staff member must give;
    # "contact" is an e-mail or a phone. Also: "patronymic", "staff_name".
    intake_required: tuple[str, ...] = ("contact", "name", "surname", "channel")
    language: str = ""  # the language of every mail to staff; empty: [gateway] default_language


@dataclass(frozen=True)
class PathsSection:
    templates: str = "templates/mail"
    rules: str = "rules"


@dataclass(frozen=True)
class CalendarSection:
    country: str = "AZ"
    weekend: tuple[str, ...] = ("sat", "sun")
    work_start: str = "09:00"
    work_end: str = "18:00"
    extra_holidays: tuple[str, ...] = ()
    extra_workdays: tuple[str, ...] = ()
    timezone: str = ""  # deprecated alias of [gateway] timezone: must agree with it when both are set


@dataclass(frozen=True)
class SlaSection:
    """Business days per stage and priority; see README 'Deadlines'."""

    unit: str = "days"
    acknowledge: float = 3
    review: float = 3
    investigate: float = 10
    respond: float = 10
    resolve: float = 10
    priority_resolve: dict[str, float] = field(default_factory=dict)
    reminder_lead: float = 1
    extend_by: float = 0  # business days the one automatic delay notice adds; 0: sla.resolve
    escalate_to: str = ""
    interim_every: float = 0
    auto_close_after: float = 5
    sweep_seconds: float = 60
    due_end_of_day: bool = True  # unit "days": a due date is the end of the working day it falls on


@dataclass(frozen=True)
class LoggingSection:
    format: str = "keyvalue"
    level: str = "INFO"


@dataclass(frozen=True)
class MetricsSection:
    listen: str = ""  # "127.0.0.1:9108": serve /metrics (Prometheus text); empty: off
    heartbeat_seconds: float = 10.0  # how often the daemon publishes its sources' state for `gateway status`


@dataclass(frozen=True)
class RetentionSection:
    purge_closed_after_days: int = 0  # 0: keep personal data for ever
    purge_every_hours: float = 24.0


@dataclass(frozen=True)
class ReportSection:
    mail_to: str = ""  # weekly ISO 10002 report by mail; empty: off
    weekday: str = "mon"  # sent on this day (business time zone) about the previous Monday-to-Sunday week
    at: str = "08:00"


@dataclass(frozen=True)
class WebSection:
    """The customer portal (`gateway web`), a separate process sharing the database."""

    listen: str = "127.0.0.1:8080"
    public_url: str = ""  # what mails link to, e.g. https://care.shop.example; empty: mails name no portal
    templates: str = "templates/web"
    secret_key_file: str = "storage/web.key"  # signs session cookies; created on first start; share it between hosts
    behind_proxy: bool = False  # trust one X-Forwarded-For/-Proto hop (a TLS reverse proxy in front)
    max_attachment_bytes: int = 5 * 1024 * 1024
    attachment_types: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png", "text/plain")
    lockout_failures: int = 10  # wrong number/secret pairs per client or per tracking number ...
    lockout_minutes: float = 15.0  # ... before the tracking form refuses them for this long
    threads: int = 8


@dataclass(frozen=True)
class SmsSection:
    """Registration and decision notices by SMS through a provider's HTTP API (a generic POST)."""

    enabled: bool = False
    url: str = ""  # the provider's endpoint
    token_env: str = ""  # environment variable holding the bearer token, if the provider wants one
    sender: str = ""  # the sender name or number the provider expects
    timeout: float = 10.0


@dataclass(frozen=True)
class Config:
    gateway: GatewaySection
    storage: StorageSection = StorageSection()
    inbound: InboundSection = InboundSection()
    outbound: OutboundSection = OutboundSection()
    staff: StaffSection = StaffSection()
    paths: PathsSection = PathsSection()
    calendar: CalendarSection = CalendarSection()
    sla: SlaSection = SlaSection()
    logging: LoggingSection = LoggingSection()
    metrics: MetricsSection = MetricsSection()
    retention: RetentionSection = RetentionSection()
    report: ReportSection = ReportSection()
    web: WebSection = WebSection()
    sms: SmsSection = SmsSection()
    lifecycle: LifecycleSection = LifecycleSection()
    # The policy's own words: status names per language and status ({"ru": {"resolved": "Удовлетворено"}}),
    # shown instead of the shipped labels; and the external remedies the remedies mail lists, per language.
    status_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    remedies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    base_dir: Path = Path(".")
    source: Path = Path("gateway.toml")

    @property
    def business_zone(self) -> str:
        """The one business time zone: deadlines, working hours and every date in a mail.

        `[gateway] timezone` is the key; `[calendar] timezone` (older configs and the
        examples/ blocks set it) is accepted as its alias. load() refuses a config
        where the two disagree, so nothing can compute in one zone and print in another.
        """
        return self.gateway.timezone or self.calendar.timezone or "UTC"

    def resolve(self, value: str) -> Path:
        """A path from the config, relative to the config file's directory."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def database_url(self) -> str:
        """The database URL with a relative sqlite path made absolute."""
        url = self.storage.database
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.resolve(url[len(prefix):]))
        return url


# ---------------------------------------------------------------- loading

CHOICES: dict[str, tuple[str, ...]] = {
    "outbound.transport": ("maildir", "smtp"),
    "outbound.smtp.security": ("none", "starttls", "tls"),
    "inbound.imap.security": ("none", "starttls", "tls"),
    "logging.format": ("keyvalue", "json"),
    "sla.unit": ("days", "hours"),
    "gateway.language_detection": ("accurate", "compact"),
    "report.weekday": ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
    "staff.intake_required": ("contact", "name", "surname", "patronymic", "channel", "staff_name"),
    "staff.language": ("", "az", "ru", "tr", "en"),
}
_HH_MM = (re.compile(r"([01]\d|2[0-3]):[0-5]\d"), "a time of day as HH:MM, e.g. 09:00")
PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    "calendar.work_start": _HH_MM,
    "calendar.work_end": _HH_MM,
    "report.at": _HH_MM,
    "web.listen": (re.compile(r"[^\s:]+:\d{1,5}"), "host:port, e.g. 127.0.0.1:8080"),
    "inbound.lmtp.listen": (re.compile(r"([^\s:]+:\d{1,5})?"), "host:port, e.g. 127.0.0.1:2424, or empty (off)"),
    "web.public_url": (re.compile(r"(https?://[^\s/]+(/[^\s]*)?)?"), "an http(s) URL, e.g. https://care.shop.example"),
    "sms.url": (re.compile(r"(https?://[^\s/]+(/[^\s]*)?)?"), "an http(s) URL"),
}
_NOT_IN_TOML = {"base_dir", "source"}
ONE_OR_MANY = {"staff.authserv_id"}  # a list key that also takes one string
LANGUAGES = ("az", "ru", "tr", "en")


def default_path() -> Path:
    return Path(os.environ.get(ENV_VAR) or "gateway.toml")


def load(path: Path | str | None = None) -> Config:
    """Read and validate a config file; raise ConfigError on any problem."""
    path = Path(path) if path else default_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, "", f"cannot read config: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise ConfigError(path, "", f"TOML syntax: {exc}", int(line.group(1)) if line else None) from None
    builder = _Builder(path, text)
    values = builder.build(Config, data, "")
    if values.staff.require_authentication and not values.staff.authserv_id:
        builder.fail("staff.authserv_id", "required with require_authentication = true: the authserv-id "
                     "(RFC 8601) your receiving server writes in Authentication-Results, e.g. \"mx.shop.example\"")
    _one_zone(values, builder)
    builder.check_words(values)
    absolute = path.resolve()
    return dataclasses.replace(values, base_dir=absolute.parent, source=absolute)


def _one_zone(config: Config, builder: "_Builder") -> None:
    """Two business time zones would print a 17:30 Istanbul deadline as 18:30: refuse them."""
    main, alias = config.gateway.timezone, config.calendar.timezone
    if main and alias and main != alias:
        builder.fail("calendar.timezone", f"{alias!r} disagrees with gateway.timezone {main!r} "
                     f"(line {builder.line_of('gateway.timezone')}); the business has one time zone: "
                     "set gateway.timezone and remove calendar.timezone")


class _Builder:
    """Turns parsed TOML into dataclasses, checking each key against its hint."""

    def __init__(self, path: Path, text: str):
        self.path, self.lines = path, text.splitlines()

    def fail(self, key: str, message: str) -> typing.NoReturn:
        raise ConfigError(self.path, key, message, self.line_of(key))

    def line_of(self, key: str) -> int | None:
        """Best effort: the line that sets the last part of a dotted key."""
        leaf = re.escape(key.rsplit(".", 1)[-1])
        section = key.rsplit(".", 1)[0] if "." in key else ""
        header_seen = not section
        for number, line in enumerate(self.lines, 1):
            stripped = line.strip()
            if stripped.startswith("["):
                header_seen = stripped.strip("[]").strip() == section
            elif header_seen and re.match(rf"{leaf}\s*=", stripped):
                return number
        return None

    def check_words(self, config: Config) -> None:
        """[status_labels.LANG] keys are statuses, [remedies] keys languages; labels are never empty."""
        from gateway.desk.lifecycle import STATUSES
        for lang, labels in config.status_labels.items():
            if lang not in LANGUAGES:
                self.fail(f"status_labels.{lang}", f"unknown language (known: {', '.join(LANGUAGES)})")
            for status, label in labels.items():
                if status not in STATUSES:
                    self.fail(f"status_labels.{lang}.{status}", f"unknown status (statuses: {', '.join(STATUSES)})")
                if not label.strip():
                    self.fail(f"status_labels.{lang}.{status}", "must not be empty")
        for lang, lines in config.remedies.items():
            if lang not in LANGUAGES:
                self.fail(f"remedies.{lang}", f"unknown language (known: {', '.join(LANGUAGES)})")
            if not lines or not all(line.strip() for line in lines):
                self.fail(f"remedies.{lang}", "must list at least one remedy, none empty")

    def build(self, cls: type, table: Any, prefix: str) -> Any:
        if not isinstance(table, dict):
            self.fail(prefix, f"must be a table, not {type(table).__name__}")
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in _NOT_IN_TOML}
        for key in table:
            if key not in fields:
                self.fail(_join(prefix, key), f"unknown key (known: {', '.join(sorted(fields))})")
        values = {}
        for name, fld in fields.items():
            dotted = _join(prefix, name)
            if name in table:
                values[name] = self.value(hints[name], table[name], dotted)
            elif fld.default is dataclasses.MISSING and fld.default_factory is dataclasses.MISSING:
                self.fail(dotted, "required key is missing")
        return cls(**values)

    def value(self, hint: Any, raw: Any, key: str) -> Any:
        origin = typing.get_origin(hint)
        if dataclasses.is_dataclass(hint):
            return self.build(hint, raw, key)
        if origin is tuple:
            item = typing.get_args(hint)[0]
            if isinstance(raw, dict) and dataclasses.is_dataclass(item):
                raw = [raw]  # one [inbound.imap] table is a list of one
            if isinstance(raw, str) and key in ONE_OR_MANY:
                raw = [raw]
            if not isinstance(raw, list):
                self.fail(key, f"must be a list, not {_tname(raw)}")
            return tuple(self.value(item, v, key) for v in raw)
        if origin is dict:
            if not isinstance(raw, dict):
                self.fail(key, f"must be a table, not {_tname(raw)}")
            item = typing.get_args(hint)[1]
            return {str(k): self.value(item, v, f"{key}.{k}") for k, v in raw.items()}
        if origin in (typing.Union, types.UnionType):
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        return self.scalar(hint, raw, key)

    def scalar(self, hint: type, raw: Any, key: str) -> Any:
        if hint is float and isinstance(raw, int) and not isinstance(raw, bool):
            raw = float(raw)
        if hint is int and isinstance(raw, bool) or not isinstance(raw, hint):
            self.fail(key, f"must be {_tname_of(hint)}, not {_tname(raw)} ({raw!r})")
        choices = CHOICES.get(re.sub(r"\.\d+$", "", key))
        if choices and raw not in choices:
            self.fail(key, f"must be one of {', '.join(choices)}, not {raw!r}")
        pattern = PATTERNS.get(key)
        if pattern and not pattern[0].fullmatch(raw):
            self.fail(key, f"must be {pattern[1]}, not {raw!r}")
        return raw


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _tname(value: Any) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true/false",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _tname_of(hint: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(hint, hint.__name__)
