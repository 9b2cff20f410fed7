"""Tracking numbers as customers type them, through `gateway ingest`: an old number
whose check symbol was dropped, a current one typed in lower case without dashes."""
from __future__ import annotations

import sqlite3

from gateway.desk import tracking
from gatewaykit import gateway, listing, mail, show, write_config

CUSTOMER = "aysel@example.az"


def _new_complaint(config) -> str:
    gateway(config, "ingest", input=mail(sender=CUSTOMER, subject="Sifariş gecikir",
                                         body="Salam, sifarişim 10 gündür çatdırılmayıb, kömək edin."))
    return listing(config)[0]["tracking"]


def _make_old(config, tracking_now: str, symbol: str = "$") -> str:
    """Give the complaint a number of the old form (check symbol `symbol`), as complaints made before have."""
    body = next(b for b in (f"6PVMA{a}{c}" for a in tracking.ALPHABET for c in tracking.ALPHABET)
                if tracking.legacy_check_char(b) == symbol)
    old = f"CC-2026-{body}{symbol}"
    with sqlite3.connect(config.parent / "storage" / "gateway.db") as db:
        db.execute("UPDATE complaint SET tracking = ? WHERE tracking = ?", (old, tracking_now))
    return old


def test_an_old_number_typed_without_its_symbol_reaches_its_complaint(tmp_path):
    config = write_config(tmp_path)
    old = _make_old(config, _new_complaint(config))
    gateway(config, "ingest", input=mail(sender=CUSTOMER, subject=f"Re: {old[:-1]} Sifariş gecikir",
                                         body="Hələ də heç bir xəbər yoxdur, zəhmət olmasa yoxlayın."))
    assert len(listing(config)) == 1  # no second complaint
    assert len([m for m in show(config, old)["messages"] if m["direction"] == "in"]) == 2


def test_a_current_number_typed_in_lower_case_without_dashes_threads(tmp_path):
    config = write_config(tmp_path)
    number = _new_complaint(config)
    typed = number.replace("-", "").lower().replace("0", "o").replace("1", "l")
    gateway(config, "ingest", input=mail(sender=CUSTOMER, subject=f"nömrə {typed}",
                                         body="Hələ də heç bir xəbər yoxdur, zəhmət olmasa yoxlayın."))
    assert len(listing(config)) == 1
    assert len([m for m in show(config, number)["messages"] if m["direction"] == "in"]) == 2
