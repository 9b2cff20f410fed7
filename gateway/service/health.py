"""Is the gateway well? Source state, outbox, quarantine, overdue complaints.

`gateway status` runs in a process of its own, so it cannot ask the daemon's
sources; the daemon publishes them instead (SourceBoard -> SourceStatus rows,
every [metrics] heartbeat_seconds). A row whose heartbeat stopped belongs to a
daemon that is gone, and its sources count as disconnected, so a crashed
daemon never looks healthy. Everything else is read from the tables the
daemon works from. The same Health feeds the text, the JSON and the
Prometheus exposition ([metrics] listen, a tiny stdlib HTTP server).
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import peewee as pw

from gateway.desk.view import aware, naive
from gateway.store import query
from gateway.store.models import Complaint, Message, OutgoingMail, SourceStatus

log = logging.getLogger("gateway.health")

MISSED_BEATS = 3  # a source is stale after this many heartbeats without news
FORGET_AFTER = timedelta(days=7)  # rows of daemons gone this long are dropped
PENDING_OUTBOX = ("queued", "sending")

Handed = TypeVar("Handed")  # raw bytes, or a list of them (the IMAP batch sink)
Result = TypeVar("Result")


def source_name(kind: str, ident: str) -> str:
    return f"{kind}:{ident}"


@dataclass(frozen=True)
class SourceState:
    """One source of one daemon, as published."""

    name: str
    kind: str
    connected: bool
    last_contact_at: datetime | None = None
    last_mail_at: datetime | None = None
    last_error: str = ""


@dataclass(frozen=True)
class SourceHealth:
    """One source as `gateway status` sees it: `running` is false when no daemon beats for it."""

    name: str
    kind: str
    connected: bool
    running: bool
    last_mail_at: datetime | None
    last_contact_at: datetime | None
    last_error: str
    holders: tuple[str, ...]
    heartbeat_at: datetime | None


@dataclass(frozen=True)
class Health:
    now: datetime
    sources: tuple[SourceHealth, ...]
    outbox_pending: int
    outbox_oldest: datetime | None
    outbox_failed: int
    outbox_held: int
    quarantined: int
    overdue: int
    sweep_skipped: int = 0  # complaints the deadline sweep gave up on ([sla] sweep_max_failures)

    @property
    def ok(self) -> bool:
        """Every source connected (and at least one known): what an exit code or a probe checks."""
        return bool(self.sources) and all(s.connected for s in self.sources)

    def as_json(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            return value.isoformat() if isinstance(value, datetime) else value

        data = {key: plain(value) for key, value in asdict(self).items() if key != "sources"}
        data["sources"] = [{k: plain(v) if not isinstance(v, tuple) else list(v) for k, v in asdict(s).items()}
                           for s in self.sources]
        data["ok"] = self.ok
        return data


# ---------------------------------------------------------------- the daemon's side

class SourceBoard:
    """This daemon's sources: wraps their sinks to note the last mail, and publishes their state."""

    def __init__(self, holder: str):
        self.holder = holder
        self._lock = threading.Lock()
        self._last_mail: dict[str, datetime] = {}

    def track(self, kind: str, ident: str, sink: Callable[[Handed, str], Result],
              clock: Callable[[], datetime]) -> Callable[[Handed, str], Result]:
        """The same sink (one mail, or a batch for IMAP), noting when this source last handed over
        mail that was stored."""
        name = source_name(kind, ident)

        def tracked(raw: Handed, source: str) -> Result:
            result = sink(raw, source)
            with self._lock:
                self._last_mail[name] = clock()
            return result

        return tracked

    def states(self, sources: Iterable[Any]) -> list[SourceState]:
        with self._lock:
            last_mail = dict(self._last_mail)
        return [replace_mail(probe(source), last_mail) for source in sources]

    def publish(self, sources: Iterable[Any], now: datetime, stopping: bool = False) -> None:
        """Upsert one row per source for this holder; on stopping, say disconnected."""
        stamp = naive(now)
        for state in self.states(sources):
            row = {"name": state.name, "holder": self.holder, "kind": state.kind,
                   "connected": state.connected and not stopping, "last_contact_at": naive(state.last_contact_at),
                   "last_mail_at": naive(state.last_mail_at), "last_error": state.last_error, "updated_at": stamp}
            (SourceStatus.insert(**row)
             .on_conflict(conflict_target=[SourceStatus.name, SourceStatus.holder],
                          update={getattr(SourceStatus, k): v for k, v in row.items() if k not in ("name", "holder")})
             .execute())
        SourceStatus.delete().where(SourceStatus.updated_at < naive(now - FORGET_AFTER)).execute()


def probe(source: Any) -> SourceState:
    """The live state of an IMAP watcher (its status()) or the SMTP listener (listening or not)."""
    if hasattr(source, "status"):
        status = source.status()
        return SourceState(source_name("imap", str(status["mailbox"])), "imap", bool(status["connected"]),
                           last_contact_at=status.get("last_seen"), last_error=str(status.get("last_error") or ""))
    listening = getattr(source.controller, "server", None) is not None
    return SourceState(source_name("smtp", source.listen), "smtp", listening,
                       last_error="" if listening else "not listening")


def replace_mail(state: SourceState, last_mail: dict[str, datetime]) -> SourceState:
    mail_at = last_mail.get(state.name)
    return state if mail_at is None else SourceState(state.name, state.kind, state.connected, state.last_contact_at,
                                                     mail_at, state.last_error)


# ---------------------------------------------------------------- reading it back

def read_health(now: datetime, heartbeat_seconds: float) -> Health:
    stale_before = naive(now - timedelta(seconds=heartbeat_seconds * MISSED_BEATS))
    pending = OutgoingMail.select().where(OutgoingMail.state.in_(PENDING_OUTBOX))
    oldest = (OutgoingMail.select(pw.fn.MIN(OutgoingMail.created_at))
              .where(OutgoingMail.state.in_(PENDING_OUTBOX)).scalar())
    return Health(
        now=now, sources=tuple(_sources(stale_before)),
        outbox_pending=pending.count(), outbox_oldest=aware(oldest),
        outbox_failed=OutgoingMail.select().where(OutgoingMail.state == "failed").count(),
        outbox_held=OutgoingMail.select().where(OutgoingMail.state == "held").count(),
        quarantined=Message.select().where(Message.state == "quarantined").count(),
        overdue=Complaint.select().where(query.overdue_at(now)).count(),
        sweep_skipped=Complaint.select().where(Complaint.next_action_at.is_null() & (Complaint.sweep_failures > 0)
                                               & (Complaint.status != "closed")).count())


def _sources(stale_before: datetime) -> Iterable[SourceHealth]:
    rows: dict[str, list[SourceStatus]] = {}
    for row in SourceStatus.select().order_by(SourceStatus.name, SourceStatus.updated_at.desc()):
        rows.setdefault(row.name, []).append(row)
    for name, group in rows.items():
        live = [r for r in group if r.updated_at >= stale_before]
        newest = group[0]
        mails = [r.last_mail_at for r in group if r.last_mail_at]
        yield SourceHealth(
            name=name, kind=newest.kind, connected=any(r.connected for r in live), running=bool(live),
            last_mail_at=aware(max(mails, default=None)), last_contact_at=aware(newest.last_contact_at),
            last_error=newest.last_error if live else (newest.last_error or "no running daemon reports this source"),
            holders=tuple(r.holder for r in live), heartbeat_at=aware(newest.updated_at))


# ---------------------------------------------------------------- text and Prometheus

def render_text(health: Health) -> str:
    def when(value: datetime | None) -> str:
        return value.isoformat(timespec="seconds") if value else "never"

    lines = ["sources: none published (is `gateway run` running?)"] if not health.sources else []
    for s in health.sources:
        state = "connected" if s.connected else ("disconnected" if s.running else "not running")
        line = f"source {s.name}: {state}, last mail {when(s.last_mail_at)}"
        lines.append(line + (f", error: {s.last_error}" if s.last_error and not s.connected else ""))
    lines += [f"outbox: {health.outbox_pending} pending (oldest {when(health.outbox_oldest)}), "
              f"{health.outbox_failed} failed, {health.outbox_held} held",
              f"quarantined: {health.quarantined}", f"overdue complaints: {health.overdue}"]
    if health.sweep_skipped:
        lines.append(f"deadline sweep: {health.sweep_skipped} complaint(s) skipped after repeated failures "
                     "(their events say why; any change to one tries it again)")
    return "\n".join(lines) + "\n"


METRICS: tuple[tuple[str, str, Callable[[Health], float]], ...] = (
    ("gateway_outbox_pending", "outgoing mails waiting to be sent", lambda h: h.outbox_pending),
    ("gateway_outbox_oldest_age_seconds", "age of the oldest waiting outgoing mail (0: none)",
     lambda h: max(0.0, (h.now - h.outbox_oldest).total_seconds()) if h.outbox_oldest else 0),  # a row dated
    # in the future (written by a host whose clock runs ahead, or by `tick --now`) is not negative age
    ("gateway_outbox_failed", "outgoing mails that failed for good", lambda h: h.outbox_failed),
    ("gateway_outbox_held", "outgoing mails held by storm protection", lambda h: h.outbox_held),
    ("gateway_quarantined_messages", "mails that could not be processed", lambda h: h.quarantined),
    ("gateway_overdue_complaints", "open complaints past their resolution date", lambda h: h.overdue),
    ("gateway_sweep_skipped_complaints", "complaints whose deadline actions failed every pass, skipped",
     lambda h: h.sweep_skipped),
)
SOURCE_METRICS: tuple[tuple[str, str, Callable[[SourceHealth], float | None]], ...] = (
    ("gateway_source_connected", "1 when the source is connected or listening", lambda s: float(s.connected)),
    ("gateway_source_last_mail_timestamp_seconds", "when the source last handed over a mail",
     lambda s: s.last_mail_at.timestamp() if s.last_mail_at else None),
)


def prometheus_text(health: Health) -> str:
    """The Prometheus text exposition format (version 0.0.4), gauges only."""
    lines: list[str] = []
    for name, help_text, value in METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {_number(value(health))}"]
    for name, help_text, value in SOURCE_METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        for source in health.sources:
            measured = value(source)
            if measured is not None:
                lines.append(f'{name}{{source="{_label(source.name)}",kind="{_label(source.kind)}"}} '
                             f"{_number(measured)}")
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    return repr(float(value))


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class MetricsServer:
    """GET /metrics (Prometheus text) and /status (JSON) on [metrics] listen, in a thread of its own."""

    def __init__(self, listen: str, health: Callable[[], Health], database: pw.Database):
        host, _, port = listen.rpartition(":")
        self.server = ThreadingHTTPServer((host or "127.0.0.1", int(port)), _handler(health, database))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="metrics", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        return self.server.server_address[:2]

    def start(self) -> "MetricsServer":
        self.thread.start()
        log.info("metrics listening", extra={"url": "http://%s:%d/metrics" % self.address})
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


PAGES: dict[str, tuple[str, Callable[[Health], str]]] = {
    "/metrics": ("text/plain; version=0.0.4; charset=utf-8", prometheus_text),
    "/status": ("application/json", lambda h: json.dumps(h.as_json(), ensure_ascii=False)),
}


def _handler(health: Callable[[], Health], database: pw.Database) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = PAGES.get(self.path.split("?", 1)[0])
            if page is None:
                self.send_error(404, "try /metrics or /status")
                return
            try:
                with database.connection_context():
                    body = page[1](health()).encode("utf-8")
            except Exception as exc:  # the database is away: say so, do not crash the thread
                log.warning("metrics unavailable", extra={"error": type(exc).__name__})
                self.send_error(503, "database unavailable")
                return
            self.send_response(200)
            self.send_header("Content-Type", page[0])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("metrics request", extra={"request": format % args})

    return Handler
