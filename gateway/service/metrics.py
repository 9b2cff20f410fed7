"""Health as Prometheus text: one gauge per figure, one per source for the per-source ones.

The tables below are the whole exposition: a new figure is a new row, and the
text format (version 0.0.4) is written here by hand because it is a few lines,
not worth a client library.
"""
from __future__ import annotations

from collections.abc import Callable

from gateway.service.health import Health, SourceHealth

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
    for name, help_text, per_source in SOURCE_METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        for source in health.sources:
            measured = per_source(source)
            if measured is not None:
                lines.append(f'{name}{{source="{_label(source.name)}",kind="{_label(source.kind)}"}} '
                             f"{_number(measured)}")
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    return repr(float(value))


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
