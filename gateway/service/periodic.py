"""The daemon's periodic jobs besides mail: heartbeat, metrics endpoint, weekly report, purge.

Kept out of daemon.py so the composition root stays about mail: the daemon
hands over its scheduler and its list of sources, and calls `stop` on the way
out. Each job logs and carries on when it fails: a full disk for the report
or a busy database during the purge must never stop mail from being taken in.
Intervals are read once at start; what a job does reads the current config,
so a SIGHUP that changes [report] mail_to or [retention] days takes effect.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Callable

import schedule

from gateway.jobs import report_mail, retention
from gateway.service.health import Health, read_health
from gateway.service.metricsserver import MetricsServer
from gateway.service.runtime import Runtime
from gateway.service.sourceboard import SourceBoard
from gateway.store.lease import instance_name

log = logging.getLogger("gateway.upkeep")  # the name log filters know
REPORT_CHECK_SECONDS = 300.0


def every(scheduler: schedule.Scheduler, interval: float) -> schedule.Job:
    """`scheduler.every(interval)` for our config's float intervals: schedule annotates the
    interval as an int, but it only ever becomes a timedelta, which takes a float."""
    return scheduler.every(interval)  # type: ignore[arg-type]


class PeriodicJobs:
    """Started by the daemon with its scheduler and sources; stopped on its way out."""

    def __init__(self, runtime: Runtime, clock: Callable[[], datetime], holder: str | None = None):
        self.runtime, self.clock = runtime, clock
        self.board = SourceBoard(holder or instance_name())
        self.sources: list[Any] = []
        self.metrics: MetricsServer | None = None

    def start(self, scheduler: schedule.Scheduler, sources: list[Any]) -> None:
        config = self.runtime.config
        self.sources = sources
        every(scheduler, config.metrics.heartbeat_seconds).seconds.do(self.publish)
        every(scheduler, REPORT_CHECK_SECONDS).seconds.do(self.mail_report)
        every(scheduler, config.retention.purge_every_hours).hours.do(self.purge)
        scheduler.every(1).seconds.do(self.first_purge)  # soon after READY: a daemon that was down catches up
        self.publish()
        if config.metrics.listen:
            self.start_metrics(config.metrics.listen)

    def stop(self) -> None:
        if self.metrics:
            self.metrics.stop()
        self.publish(stopping=True)

    def start_metrics(self, listen: str) -> None:
        try:
            self.metrics = MetricsServer(listen, self.health, self.runtime.database).start()
        except OSError as exc:  # a taken port must not keep mail out
            log.error("metrics: cannot listen; running without metrics",
                      extra={"listen": listen, "error": exc.strerror or str(exc)})

    def health(self) -> Health:
        return read_health(self.clock(), self.runtime.config.metrics.heartbeat_seconds)

    # ------------------------------------------------------------ the jobs

    def publish(self, stopping: bool = False) -> None:
        try:
            self.board.publish(self.sources, self.clock(), stopping=stopping)
        except Exception:
            log.exception("could not publish source status; will try again")

    def mail_report(self) -> None:
        runtime = self.runtime
        try:
            week = report_mail.mail_weekly_report(runtime.config, runtime.policy.calendar, runtime.database,
                                                  runtime.outbox.transport, self.clock(), self.board.holder)
        except Exception:
            log.exception("weekly report failed; will try again")
            return
        if week:
            log.info("weekly report sent", extra={"week": week})

    def first_purge(self) -> type[schedule.CancelJob]:
        self.purge()
        return schedule.CancelJob

    def purge(self) -> None:
        days = self.runtime.config.retention.purge_closed_after_days
        if days <= 0:
            return
        try:
            done = retention.purge(self.runtime.database, self.runtime.archive, self.clock(), days)
        except Exception:
            log.exception("retention purge failed; will try again")
            return
        if done.complaints:
            log.info("retention purge", extra={"complaints": done.complaints, "messages": done.messages,
                                               "files": done.files, "customers": done.customers})
