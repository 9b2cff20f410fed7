"""gateway.toml -> frozen dataclasses.

The schema *is* the dataclasses below: each section is a dataclass, each key a
field with a type hint, (when optional) a default, and what its value may be
(`key(choices=..., check=...)`: a host:port, an address, a zone...). One generic
builder walks them, so adding a key means adding a field, and every error (unknown
key, wrong type, missing key, a value `run` could not use) names the dotted key and
its line (KeyLines, also used for the rules files). `check` and `run` load the same
way, so what `check` passes `run` accepts.
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
from typing import Any, Callable, Mapping

ENV_VAR = "GATEWAY_CONFIG"


class ConfigError(Exception):
    """A config problem a human must fix; str() is the whole message."""

    def __init__(self, path: Path | str, key: str, message: str, line: int | None = None):
        self.path, self.key, self.line = str(path), key, line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")


# ---------------------------------------------------------------- what a value may be
#
# Declared on the fields below (`key(...)`): `choices` a value (or each item of a list) must
# be one of, `check` a function naming what the value must be ("" when it is fine), `keys`
# the names a table's keys must have. The builder applies them where it reads the value, so
# the line of the key is known; `run` then never meets a value `check` let through.

Check = Callable[[Any], str]
LANGUAGES = ("az", "ru", "tr", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]]{1,64}@[^@\s<>(),;:\"\[\].]{1,63}(\.[^@\s<>(),;:\"\[\].]{1,63}){1,8}")


def key(default: Any = dataclasses.MISSING, *, choices: tuple[str, ...] = (), check: Check | None = None,
        keys: tuple[str, ...] = ()) -> Any:
    """A config key with what its value may be (see above); the dataclass default stays the default."""
    metadata = {"choices": choices, "check": check, "keys": keys}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def optional(check: Check) -> Check:
    """`check`, or empty (the feature is off)."""
    def empty_or(value: Any) -> str:
        problem = "" if value == "" else check(value)
        return f"{problem}, or empty (off)" if problem else ""
    return empty_or


def host_port(value: str) -> str:
    """What a listener binds: host:port, an IPv6 host in brackets; a port of 1..65535."""
    found = re.fullmatch(r"(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9_.-]{1,253}):(\d{1,5})", value)
    if found and 0 < int(found.group(2)) < 65536:
        return ""
    return "must be host:port, e.g. 127.0.0.1:2525 ([::1]:2525 for IPv6)"


def email_address(value: str) -> str:
    """A bare address (no display name, no list): every mail we send or route uses it as is."""
    return "" if EMAIL.fullmatch(value) else "must be an e-mail address like care@shop.example"


def time_zone(value: str) -> str:
    import zoneinfo
    try:
        zoneinfo.ZoneInfo(value)
        return ""
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return "must be an IANA time zone such as Asia/Baku or Europe/Istanbul"


def log_level(value: str) -> str:
    return "" if value.upper() in LOG_LEVELS else f"must be one of {', '.join(LOG_LEVELS)} (any case)"


def path(value: str) -> str:
    return "" if value.strip() and "\0" not in value else "must be a path (relative to the config file or absolute)"


def pattern(regex: str, what: str) -> Check:
    compiled = re.compile(regex)
    return lambda value: "" if compiled.fullmatch(value) else f"must be {what}"


def at_least(low: float, above: bool = False) -> Check:
    """A number of seconds, mails, days...: a negative or zero one would stop or spin a loop."""
    if above:
        return lambda value: "" if value > low else f"must be above {low:g}"
    return lambda value: "" if value >= low else f"must be at least {low:g}"


HH_MM = pattern(r"([01]\d|2[0-3]):[0-5]\d", "a time of day as HH:MM, e.g. 09:00")
URL = pattern(r"https?://[^\s/]+(/\S*)?", "an http(s) URL, e.g. https://care.shop.example")
DATABASE = pattern(r"sqlite:///.+|postgres(ql)?://\S+", "sqlite:///path or postgresql://user:pass@host:port/db")
POSITIVE, NOT_NEGATIVE = at_least(0, above=True), at_least(0)
HOST = pattern(r"[^\s/:\[\]]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]", "a host name or address, without a port")
SECURITY = ("none", "starttls", "tls")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PORT = lambda value: "" if 0 <= value < 65536 else "must be a port number 1..65535 (0: the usual one)"


def weekday(value: str) -> str:
    """mon..sun; a longer name or another case reads the same (Saturday, SAT)."""
    return "" if value.strip().lower()[:3] in WEEKDAYS else f"must be a weekday: {', '.join(WEEKDAYS)}"


def iso_date(value: str) -> str:
    from datetime import date
    try:
        date.fromisoformat(value.strip())
        return ""
    except ValueError:
        return "must be a date as YYYY-MM-DD"


def country_code(value: str) -> str:
    """A country the holidays package knows, read from its registry of codes: importing
    no country module, where building a table (~0.2 s) would be paid by every command."""
    import holidays
    code = value.strip().upper()
    try:
        from holidays.registry import COUNTRIES
        known = any(code in entry[1:] for entry in COUNTRIES.values())
    except (ImportError, AttributeError, TypeError):  # a release that moved the registry
        try:
            holidays.country_holidays(code)
            known = True
        except NotImplementedError:
            known = False
    return "" if known else "must be a country code the holidays package knows, like AZ, TR or RU"


# ---------------------------------------------------------------- sections

@dataclass(frozen=True)
class GatewaySection:
    address: str = key(check=email_address)
    name: str = "Customer Care"
    # the business time zone (see Config.business_zone); empty: [calendar] timezone, else UTC
    timezone: str = key("", check=optional(time_zone))
    default_language: str = key("en", choices=LANGUAGES)
    languages: tuple[str, ...] = key(LANGUAGES, choices=LANGUAGES)
    tracking_prefix: str = key("CC", check=pattern(r"[A-Za-z][A-Za-z0-9]{0,7}",
                                                   "a letter and up to 7 letters or digits, e.g. CC"))
    # accurate (~130 MB of models) | compact (~13 MB, weaker on short az/tr)
    language_detection: str = key("accurate", choices=("accurate", "compact"))
    phone_region: str = key("AZ", check=pattern(r"[A-Za-z]{2}", "a two-letter region code like AZ or TR"))
    # the daemon's budget for reading one mail (parse); over it: quarantined
    read_seconds: float = key(20.0, check=POSITIVE)
    # the reader process's heap limit; a mail needing more is quarantined
    read_memory_mb: int = key(1024, check=at_least(64))


@dataclass(frozen=True)
class StorageSection:
    database: str = key("sqlite:///storage/gateway.db", check=DATABASE)
    archive: str = key("storage/archive", check=path)
    spool: str = key("storage/spool", check=path)  # the Maildir `gateway deliver` writes and the daemon takes mail from
    max_message_bytes: int = key(25 * 1024 * 1024, check=POSITIVE)


@dataclass(frozen=True)
class SmtpInbound:
    listen: str = key("127.0.0.1:2525", check=host_port)
    enabled: bool = True


@dataclass(frozen=True)
class ImapInbound:
    host: str = key(check=HOST)
    username: str = key(check=pattern(r".+", "a user name"))
    port: int = key(0, check=PORT)  # 0: the security's usual port (993, 143)
    security: str = key("tls", choices=SECURITY)
    password_env: str = ""
    password_file: str = key("", check=optional(path))
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    quarantine_folder: str = "Quarantine"
    ca_file: str = key("", check=optional(path))
    poll_interval: float = key(60.0, check=POSITIVE)
    idle_timeout: float = key(25 * 60.0, check=POSITIVE)
    batch_size: int = key(100, check=POSITIVE)
    name: str = ""
    # several gateways on one database: failover time when the holder dies
    lease_seconds: float = key(30.0, check=POSITIVE)


@dataclass(frozen=True)
class LmtpInbound:
    # "127.0.0.1:2424": an LMTP listener for the MTA's `lmtp:` transport
    listen: str = key("", check=optional(host_port))


@dataclass(frozen=True)
class MaildirInbound:
    """A Maildir another program writes (Postfix virtual, Dovecot LDA, fetchmail)."""

    path: str = key(check=path)
    processed_folder: str = "Processed"  # Maildir++ subfolder .Processed
    quarantine_folder: str = "Quarantine"
    poll_seconds: float = key(0.2, check=POSITIVE)


@dataclass(frozen=True)
class InboundSection:
    smtp: SmtpInbound = SmtpInbound()
    imap: tuple[ImapInbound, ...] = ()
    maildir: tuple[MaildirInbound, ...] = ()
    lmtp: LmtpInbound = LmtpInbound()
    spool_poll_seconds: float = key(0.1, check=POSITIVE)  # how often the daemon looks into [storage] spool


@dataclass(frozen=True)
class SmtpOutbound:
    host: str = key("localhost", check=HOST)
    port: int = key(25, check=PORT)
    security: str = key("starttls", choices=SECURITY)
    username: str = ""
    password_env: str = ""
    timeout: float = key(30.0, check=POSITIVE)
    ca_file: str = key("", check=optional(path))


@dataclass(frozen=True)
class OutboundSection:
    transport: str = key("maildir", choices=("maildir", "smtp"))
    maildir: str = key("storage/outgoing", check=path)
    smtp: SmtpOutbound = SmtpOutbound()
    max_attempts: int = key(8, check=at_least(1))
    retry_base_seconds: float = key(60.0, check=NOT_NEGATIVE)
    rate_per_recipient_hour: int = key(10, check=NOT_NEGATIVE)
    rate_per_complaint_day: int = key(20, check=NOT_NEGATIVE)
    # At most one automatic answer (status) per complaint in this many hours:
    # a responder that slips past hygiene gets one mail, and the loop stops there.
    auto_answer_hours: float = key(6.0, check=NOT_NEGATIVE)
    # How long a claimed row is this worker's alone, on the database's clock; renewed at half.
    # One send (connect, TLS, DATA) must finish within half of it.
    claim_seconds: float = key(180.0, check=at_least(2))
    # VERP (gateway/mail/verp.py): each mail's envelope sender is <local>+<row>-<signature>@<domain>
    # of the gateway address, so a bounce to it fails exactly that mail's recipient. The key that
    # signs it is made on first use (keep it, and share it between hosts sending for one desk).
    verp: bool = False
    verp_key_file: str = key("storage/verp.key", check=path)


@dataclass(frozen=True)
class LifecycleSection:
    """What a customer's late reply and repeated rejections do (README: "Complaint lifecycle")."""

    # a reply this many days after closing reopens it; later: a new, linked complaint
    reopen_within_days: int = key(30, check=NOT_NEGATIVE)
    # the Nth rejection escalates (external remedies); 0: never, review again
    escalate_after_rejections: int = key(2, check=NOT_NEGATIVE)


@dataclass(frozen=True)
class StaffSection:
    notify: str = key("", check=optional(email_address))
    addresses: tuple[str, ...] = key((), check=email_address)
    domains: tuple[str, ...] = key((), check=pattern(r"[^@\s]+\.[^@\s.]+", "a domain like shop.example (no @)"))
    require_authentication: bool = False
    # servers whose Authentication-Results headers are believed (RFC 8601 authserv-id), one or a list
    authserv_id: tuple[str, ...] = ()
    # new complaints from one sender within an hour announced one by one; past it, one digest an hour
    notify_per_sender_hour: int = key(3, check=NOT_NEGATIVE)
    # `#new` (a complaint taken by phone or in person): fields the staff member must give;
    # "contact" is an e-mail or a phone. Also: "patronymic", "staff_name".
    intake_required: tuple[str, ...] = key(
        ("contact", "name", "surname", "channel"),
        choices=("contact", "name", "surname", "patronymic", "channel", "staff_name"))
    # the language of every mail to staff; empty: [gateway] default_language
    language: str = key("", choices=("",) + LANGUAGES)
    # the customer's files a staff notice carries, in all (MB); past it they are listed with
    # name, type and size and fetched with `gateway show` / `gateway export`; 0: always listed
    attach_max_mb: float = key(10.0, check=NOT_NEGATIVE)


@dataclass(frozen=True)
class PathsSection:
    templates: str = key("templates/mail", check=path)
    rules: str = key("rules", check=path)


@dataclass(frozen=True)
class CalendarSection:
    country: str = key("AZ", check=optional(country_code))  # public holidays of this country; empty: none
    weekend: tuple[str, ...] = key(("sat", "sun"), check=weekday)
    work_start: str = key("09:00", check=HH_MM)
    work_end: str = key("18:00", check=HH_MM)
    extra_holidays: tuple[str, ...] = key((), check=iso_date)
    extra_workdays: tuple[str, ...] = key((), check=iso_date)
    # deprecated alias of [gateway] timezone: must agree with it when both are set
    timezone: str = key("", check=optional(time_zone))


@dataclass(frozen=True)
class SlaSection:
    """Business days per stage and priority; see README 'Deadlines'."""

    unit: str = key("days", choices=("days", "hours"))
    acknowledge: float = key(3, check=NOT_NEGATIVE)
    review: float = key(3, check=NOT_NEGATIVE)
    investigate: float = key(10, check=NOT_NEGATIVE)
    respond: float = key(10, check=NOT_NEGATIVE)
    resolve: float = key(10, check=NOT_NEGATIVE)
    priority_resolve: dict[str, float] = key({}, keys=("high", "normal", "low"), check=NOT_NEGATIVE)
    reminder_lead: float = key(1, check=NOT_NEGATIVE)
    extend_by: float = key(0, check=NOT_NEGATIVE)  # business days the one automatic delay notice adds; 0: sla.resolve
    escalate_to: str = key("", check=optional(email_address))
    interim_every: float = key(0, check=NOT_NEGATIVE)
    auto_close_after: float = key(5, check=NOT_NEGATIVE)
    ask_reminder_after: float = key(5, check=NOT_NEGATIVE)  # business days an unanswered #ask waits before staff are reminded; 0: off
    sweep_seconds: float = key(60, check=POSITIVE)
    # One pass of the daemon's deadline sweep stops between complaints after this many seconds (the
    # rest at once, in the next pass): a backlog never holds the main loop past WatchdogSec.
    sweep_budget_seconds: float = key(5, check=POSITIVE)
    # A complaint whose deadline actions fail this many passes in a row is skipped (a log line, an
    # event, `gateway status`) until it changes; before that it is retried with a growing delay.
    sweep_max_failures: int = key(5, check=at_least(1))
    due_end_of_day: bool = True  # unit "days": a due date is the end of the working day it falls on


@dataclass(frozen=True)
class LoggingSection:
    format: str = key("keyvalue", choices=("keyvalue", "json"))
    level: str = key("INFO", check=log_level)


@dataclass(frozen=True)
class MetricsSection:
    listen: str = key("", check=optional(host_port))  # "127.0.0.1:9108": serve /metrics (Prometheus text); empty: off
    # how often the daemon publishes its sources' state for `gateway status`
    heartbeat_seconds: float = key(10.0, check=POSITIVE)


@dataclass(frozen=True)
class RetentionSection:
    purge_closed_after_days: int = key(0, check=NOT_NEGATIVE)  # 0: keep personal data for ever
    purge_every_hours: float = key(24.0, check=POSITIVE)


@dataclass(frozen=True)
class ReportSection:
    mail_to: str = key("", check=optional(email_address))  # weekly ISO 10002 report by mail; empty: off
    # sent on this day (business time zone) about the previous Monday-to-Sunday week
    weekday: str = key("mon", check=weekday)
    at: str = key("08:00", check=HH_MM)


@dataclass(frozen=True)
class WebSection:
    """The customer portal (`gateway web`), a separate process sharing the database."""

    listen: str = key("127.0.0.1:8080", check=host_port)
    # what mails link to, e.g. https://care.shop.example; empty: mails name no portal
    public_url: str = key("", check=optional(URL))
    templates: str = key("templates/web", check=path)
    # signs session cookies; created on first start; share it between hosts
    secret_key_file: str = key("storage/web.key", check=path)
    behind_proxy: bool = False  # trust one X-Forwarded-For/-Proto hop (a TLS reverse proxy in front)
    max_attachment_bytes: int = key(5 * 1024 * 1024, check=POSITIVE)
    attachment_types: tuple[str, ...] = key(("application/pdf", "image/jpeg", "image/png", "text/plain"),
                                            check=pattern(r"[a-z]+/[a-z0-9.+-]+", "a media type like application/pdf"))
    # wrong number/secret pairs per client or per tracking number ...
    lockout_failures: int = key(10, check=at_least(1))
    lockout_minutes: float = key(15.0, check=NOT_NEGATIVE)  # ... before the tracking form refuses them for this long
    threads: int = key(8, check=at_least(1))


@dataclass(frozen=True)
class SmsSection:
    """Registration and decision notices by SMS through a provider's HTTP API (a generic POST)."""

    enabled: bool = False
    url: str = key("", check=optional(URL))  # the provider's endpoint
    token_env: str = ""  # environment variable holding the bearer token, if the provider wants one
    sender: str = ""  # the sender name or number the provider expects
    timeout: float = key(10.0, check=POSITIVE)


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

_NOT_IN_TOML = {"base_dir", "source"}
ONE_OR_MANY = {"staff.authserv_id"}  # a list key that also takes one string


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
        raise ConfigError(path, "", f"TOML syntax: {exc}", syntax_line(exc)) from None
    builder = _Builder(path, text)
    values = builder.build(Config, data, "")
    if values.staff.require_authentication and not values.staff.authserv_id:
        builder.fail("staff.authserv_id", "required with require_authentication = true: the authserv-id "
                     "(RFC 8601) your receiving server writes in Authentication-Results, e.g. \"mx.shop.example\"")
    _one_zone(values, builder)
    if values.outbound.verp and "+" in values.gateway.address.rpartition("@")[0]:
        builder.fail("outbound.verp", f"needs a gateway.address without '+' in its local part ({values.gateway.address}): "
                     "VERP adds '+<token>' to it, and bounces could not be told from mail to the address itself")
    _deadlines_computable(values, builder)
    if values.gateway.default_language not in values.gateway.languages:
        builder.fail("gateway.default_language", f"{values.gateway.default_language!r} is not one of "
                     f"gateway.languages ({', '.join(values.gateway.languages)})")
    builder.check_words(values)
    absolute = path.resolve()
    return dataclasses.replace(values, base_dir=absolute.parent, source=absolute)


def line_of(config: Config, key: str) -> int | None:
    """Where the loaded config sets `key` (inbound.maildir[1].path or inbound.maildir.1.path)."""
    try:
        text = Path(config.source).read_text(encoding="utf-8")
    except OSError:
        return None
    return KeyLines(text).line_of(re.sub(r"\[(\d+)\]", r".\1", key))


def error_at(config: Config, key: str, message: str) -> ConfigError:
    """A problem with a key found after loading (a listener that cannot bind), named like load()'s."""
    return ConfigError(config.source, key, message, line_of(config, key))


def _one_zone(config: Config, builder: "_Builder") -> None:
    """Two business time zones would print a 17:30 Istanbul deadline as 18:30: refuse them."""
    main, alias = config.gateway.timezone, config.calendar.timezone
    if main and alias and main != alias:
        builder.fail("calendar.timezone", f"{alias!r} disagrees with gateway.timezone {main!r} "
                     f"(line {builder.line_of('gateway.timezone')}); the business has one time zone: "
                     "set gateway.timezone and remove calendar.timezone")


# The [sla] keys that are spans of business time (days, or hours with unit = "hours"). A span
# past MAX_SLA_BUSINESS_DAYS is a typo, not a policy, and a calendar walk that long would give
# up (desk/business.py searches 3660 days): every mail would be quarantined instead.
SLA_SPANS = ("acknowledge", "review", "investigate", "respond", "resolve", "reminder_lead", "extend_by",
             "interim_every", "auto_close_after")
MAX_SLA_BUSINESS_DAYS = 365


def _deadlines_computable(config: Config, builder: "_Builder") -> None:
    """Refuse a calendar with no working day and deadlines beyond a year of business days:
    either would make every deadline, hence every new complaint, fail."""
    calendar, sla = config.calendar, config.sla
    if {day.strip().lower()[:3] for day in calendar.weekend} >= set(WEEKDAYS):
        builder.fail("calendar.weekend", "names all seven days: no day is a business day, so no deadline "
                     "could be computed; leave at least one working day")
    start, end = (int(t[:2]) * 60 + int(t[3:]) for t in (calendar.work_start, calendar.work_end))
    if start >= end:
        builder.fail("calendar.work_end", f"{calendar.work_end} must be after work_start {calendar.work_start}")
    per_day = 1.0 if sla.unit == "days" else (end - start) / 60
    limit = MAX_SLA_BUSINESS_DAYS * per_day
    spans = [(f"sla.{name}", getattr(sla, name)) for name in SLA_SPANS]
    spans += [(f"sla.priority_resolve.{name}", value) for name, value in sla.priority_resolve.items()]
    for name, value in spans:
        if value > limit:
            builder.fail(name, f"must be at most {limit:g} business {sla.unit} ({MAX_SLA_BUSINESS_DAYS} business "
                         f"days), not {value:g}: no complaint policy promises an answer that far off")


class _Builder:
    """Turns parsed TOML into dataclasses, checking each key against its hint."""

    def __init__(self, path: Path, text: str):
        self.path, self.lines = path, KeyLines(text)

    def fail(self, key: str, message: str) -> typing.NoReturn:
        raise ConfigError(self.path, _shown(key), message, self.line_of(key))

    def line_of(self, key: str) -> int | None:
        return self.lines.line_of(key)

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
        for name in table:
            if name not in fields:
                self.fail(_join(prefix, name), f"unknown key (known: {', '.join(sorted(fields))})")
        values = {}
        for name, fld in fields.items():
            dotted = _join(prefix, name)
            if name in table:
                values[name] = self.value(hints[name], table[name], dotted, fld.metadata)
            elif fld.default is dataclasses.MISSING and fld.default_factory is dataclasses.MISSING:
                self.fail(dotted, "required key is missing")
        return cls(**values)

    def value(self, hint: Any, raw: Any, key: str, rules: Mapping[str, Any]) -> Any:
        origin = typing.get_origin(hint)
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            return self.build(hint, raw, key)
        if origin is tuple:
            item = typing.get_args(hint)[0]
            if isinstance(raw, dict) and dataclasses.is_dataclass(item):
                raw = [raw]  # one [inbound.imap] table is a list of one
            if isinstance(raw, str) and key in ONE_OR_MANY:
                raw = [raw]
            if not isinstance(raw, list):
                self.fail(key, f"must be a list, not {_tname(raw)}")
            if isinstance(item, type) and dataclasses.is_dataclass(item):  # [[inbound.imap]]: each table has its own lines
                return tuple(self.build(item, v, f"{key}.{n}") for n, v in enumerate(raw))
            return tuple(self.value(item, v, key, rules) for v in raw)
        if origin is dict:
            if not isinstance(raw, dict):
                self.fail(key, f"must be a table, not {_tname(raw)}")
            item = typing.get_args(hint)[1]
            for name in raw:
                if rules.get("keys") and name not in rules["keys"]:
                    self.fail(f"{key}.{name}", f"unknown key (known: {', '.join(rules['keys'])})")
            return {str(k): self.value(item, v, f"{key}.{k}", rules) for k, v in raw.items()}
        if origin in (typing.Union, types.UnionType):
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        return self.scalar(hint, raw, key, rules)

    def scalar(self, hint: type, raw: Any, key: str, rules: Mapping[str, Any]) -> Any:
        if hint is float and isinstance(raw, int) and not isinstance(raw, bool):
            raw = float(raw)
        if hint is int and isinstance(raw, bool) or not isinstance(raw, hint):
            self.fail(key, f"must be {_tname_of(hint)}, not {_tname(raw)} ({raw!r})")
        choices = rules.get("choices")
        if choices and raw not in choices:
            shown = ", ".join(repr(c) if not c else c for c in choices)
            self.fail(key, f"must be one of {shown}, not {raw!r}")
        check = rules.get("check")
        problem = check(raw) if check else ""
        if problem:
            self.fail(key, f"{problem}, not {raw!r}")
        return raw


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _shown(key: str) -> str:
    """inbound.imap.1.port -> inbound.imap[1].port: which of several tables, as people write it."""
    return re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", key)


def syntax_line(exc: tomllib.TOMLDecodeError) -> int | None:
    """tomllib names the line only in its message."""
    found = re.search(r"line (\d+)", str(exc))
    return int(found.group(1)) if found else None


class KeyLines:
    """Where each key of a TOML text is set, for messages an admin can act on: tomllib gives
    no positions. One pass over the lines: table headers ([a.b], [[a.b]] numbered from 0, so
    the second [[inbound.imap]] is inbound.imap.1), keys (bare, quoted, dotted), skipping the
    inside of multi-line strings and arrays. A key set in an inline table, or not set at all,
    is found at its nearest enclosing key or table (a missing key: its table's header)."""

    _KEY = r"(?:[A-Za-z0-9_-]+|\"[^\"\n]*\"|'[^'\n]*')"
    _DOTTED = re.compile(rf"\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*")
    _PART = re.compile(_KEY)

    def __init__(self, text: str):
        self.found: dict[str, int] = {}
        counts: dict[str, int] = {}
        table, closing, depth = "", "", 0
        for number, line in enumerate(text.splitlines()[:100_000], 1):
            if closing:  # inside a multi-line string
                closing = "" if line.count(closing) % 2 else closing
                continue
            bare = self._unquoted(line)
            if depth:
                depth = max(0, depth + bare.count("[") + bare.count("{") - bare.count("]") - bare.count("}"))
                continue
            stripped = line.strip()
            if stripped.startswith("["):
                table = self._header(stripped, counts, number) or table
                continue
            found = self._DOTTED.match(line)
            if not found or not line[found.end():].startswith("="):
                continue
            parts = self._path(found.group(1)).split(".")
            for end in range(1, len(parts) + 1):  # keywords.az = [...] also sets the table keywords
                self._set(_join(table, ".".join(parts[:end])), number)
            value = line[found.end() + 1:]
            for quote in ('"""', "'''"):
                if value.count(quote) % 2:
                    closing = quote
            if not closing:
                rest = self._unquoted(value)
                depth = max(0, rest.count("[") + rest.count("{") - rest.count("]") - rest.count("}"))

    def line_of(self, key: str) -> int | None:
        """The line setting `key`, else that of its nearest enclosing key or table; None when
        nothing of it is in the text (a required key of a missing table)."""
        parts = key.split(".")
        while parts:
            line = self.found.get(".".join(parts))
            if line:
                return line
            parts.pop()
        return None

    def first_of(self, key: str) -> int | None:
        """The first line setting `key` or anything under it ([categories.x] for categories)."""
        lines = [n for k, n in self.found.items() if k == key or k.startswith(key + ".")]
        return min(lines) if lines else None

    def _header(self, stripped: str, counts: dict[str, int], number: int) -> str:
        array = stripped.startswith("[[")
        found = self._DOTTED.match(stripped[2 if array else 1:])
        if not found:
            return ""
        name = self._numbered(self._path(found.group(1)), counts)
        if array:
            counts[name] = counts.get(name, -1) + 1
            name = f"{name}.{counts[name]}"
        self._set(name, number)
        return name

    def _numbered(self, name: str, counts: dict[str, int]) -> str:
        """[inbound.imap.tls] after the second [[inbound.imap]] belongs to inbound.imap.1."""
        parts, done = name.split("."), []
        for part in parts:
            done.append(part)
            joined = ".".join(done)
            if joined in counts and len(done) < len(parts):
                done.append(str(counts[joined]))
        return ".".join(done)

    def _path(self, dotted: str) -> str:
        return ".".join(p.strip("\"'") for p in self._PART.findall(dotted))

    def _set(self, key: str, number: int) -> None:
        self.found.setdefault(key, number)

    @staticmethod
    def _unquoted(line: str) -> str:
        """The line without its strings and comment, to count brackets."""
        line = re.sub(r"\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'", "", line)
        return line.split("#", 1)[0]


def _tname(value: Any) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true/false",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _tname_of(hint: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(hint, hint.__name__)
