"""The daemon's side of health: the state of its sources, published as rows.

`gateway status` runs in a process of its own, so it cannot ask the daemon's
sources; the daemon publishes them instead (SourceBoard -> SourceStatus rows,
every [metrics] heartbeat_seconds), and service/health.py reads them back. Rows
of daemons gone for a week are dropped here, so the table stays small.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from gateway.desk.view import naive
from gateway.store.models import SourceStatus

FORGET_AFTER = timedelta(days=7)  # rows of daemons gone this long are dropped

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
