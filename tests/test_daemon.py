"""The daemon's outbox waits while an IMAP backlog drains, never for one pushed message, never for ever."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from gateway import config as config_module
from gateway import daemon as daemon_module
from gateway.daemon import OUTBOX_MAX_DEFER, Daemon
from gateway.runtime import Runtime
from gatewaykit import write_config


@dataclass
class Watcher:
    waiting: int = 0

    def backlog(self) -> int:
        return self.waiting


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    runtime = Runtime.open(config_module.load(write_config(tmp_path)))
    yield Daemon(runtime)
    runtime.close()


def test_outbox_runs_unless_a_backlog_is_waiting(daemon, monkeypatch):
    runs: list[str] = []
    monkeypatch.setattr(daemon, "guarded", lambda what, name, job: runs.append(what))
    watcher = Watcher()
    daemon.watchers.append(watcher)  # type: ignore[arg-type]
    daemon.deliver()
    watcher.waiting = 500
    daemon.deliver()
    daemon.deliver()
    watcher.waiting = 0  # the wake after the last handover
    daemon.deliver()
    assert runs == ["outbox", "outbox"]


def test_a_flood_holds_acknowledgements_back_at_most_the_limit(daemon, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(daemon_module.time, "monotonic", lambda: clock[0])
    daemon.watchers.append(Watcher(waiting=10_000))  # type: ignore[arg-type]
    assert daemon.backlog_first()
    clock[0] += OUTBOX_MAX_DEFER - 1
    assert daemon.backlog_first()
    clock[0] += 1
    assert not daemon.backlog_first()  # send what is due
    clock[0] += 1
    assert daemon.backlog_first()  # and wait again
