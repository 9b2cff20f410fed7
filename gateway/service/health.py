"""Is the gateway well? Source state, outbox, quarantine, overdue complaints.

Read back from the tables: the sources from the rows the daemons publish
(service/sourceboard.py), everything else from the tables the daemon works
from. A source row whose heartbeat stopped belongs to a daemon that is gone,
and its sources count as disconnected, so a crashed daemon never looks
healthy. The same Health feeds the text here, the JSON, and the Prometheus
exposition (service/metrics.py, served by service/metricsserver.py).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import peewee as pw

from gateway.desk.view import aware, naive
from gateway.store import query
from gateway.store.models import Complaint, Message, OutgoingMail, SourceStatus

MISSED_BEATS = 3  # a source is stale after this many heartbeats without news
PENDING_OUTBOX = ("queued", "sending")


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
