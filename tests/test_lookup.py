"""gateway/store/lookup.py: a subject's tracking numbers, bounded (issue 16)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from gateway import config as config_module
from gateway.desk import tracking
from gateway.service.runtime import Runtime
from gateway.store.lookup import MAX_TRACKING_CANDIDATES
from gatewaykit import mail, write_config

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)


def fakes(n: int) -> str:
    """Tracking-shaped tokens that verify (right check character) but name no complaint."""
    return " ".join(tracking.make("CC", 2025, f"{i:07d}") for i in range(n))


def test_a_flood_of_tracking_tokens_costs_a_bounded_lookup(tmp_path: Path) -> None:
    runtime = Runtime.open(config_module.load(write_config(tmp_path)))
    try:
        first = runtime.pipeline.ingest(mail(subject="Order late", message_id="<one@example.az>"), "smtp", NOW)
        number = first.tracking
        near = runtime.pipeline.ingest(mail(subject=f"Re: {fakes(MAX_TRACKING_CANDIDATES - 1)} {number}"),
                                       "smtp", NOW)
        assert near.tracking == number  # among the first candidates: found, in one query
        flood = runtime.pipeline.ingest(mail(subject=f"Re: {fakes(50_000)} {number}"), "smtp", NOW)
        assert flood.state == "processed" and flood.tracking != number  # past the cap: a new complaint
    finally:
        runtime.close()
