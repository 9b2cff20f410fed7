"""The weekly report by mail ([report] mail_to), for the scheduler.

`schedule` can only place a job in the process's local time (its time-zone
support needs pytz), and a daemon restarted on Monday 08:05 must still send
Monday's report. So the daemon just asks every few minutes "has this week's
slot come?" (pure, business time zone) and the week is claimed under a unique
JobRun key: sent once, whatever restarts or how many instances.
"""
from __future__ import annotations

import email.utils
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

import peewee as pw

from gateway.config import Config
from gateway.desk.business import WEEKDAYS, BusinessCalendar
from gateway.desk.view import naive
from gateway.jobs.report import Report, build, render_csv, render_text
from gateway.jobs.report_html import render_html
from gateway.outbound.transports import Transport
from gateway.store.models import JobRun, write_transaction


def previous_week(now: datetime, calendar: BusinessCalendar) -> tuple[str, datetime, datetime]:
    """(ISO week, since, until) of the Monday-to-Sunday week before `now`, business time zone."""
    local = now.astimezone(calendar.zone)
    this_monday = datetime.combine(local.date() - timedelta(days=local.weekday()), datetime.min.time(),
                                   tzinfo=calendar.zone)
    since = this_monday - timedelta(days=7)
    year, number, _ = since.date().isocalendar()
    return f"{year}-W{number:02d}", since.astimezone(timezone.utc), this_monday.astimezone(timezone.utc)


def weekly_due(now: datetime, calendar: BusinessCalendar, weekday: str, at: str) -> bool:
    """Has this week's sending slot ([report] weekday + at, business time zone) come?"""
    local = now.astimezone(calendar.zone)
    hour, minute = (int(part) for part in at.split(":"))
    slot_day = local.date() - timedelta(days=local.weekday() - WEEKDAYS[weekday])
    slot = datetime.combine(slot_day, datetime.min.time(), tzinfo=calendar.zone).replace(hour=hour, minute=minute)
    return local >= slot


def mail_weekly_report(config: Config, calendar: BusinessCalendar, database: pw.Database, transport: Transport,
                       now: datetime, holder: str) -> str | None:
    """Send last week's report once; returns the ISO week sent, None when not due or already sent.

    The claim is committed before sending; a failed send gives it back, so the
    next run tries again instead of skipping the week.
    """
    settings = config.report
    if not settings.mail_to or not weekly_due(now, calendar, settings.weekday, settings.at):
        return None
    week, since, until = previous_week(now, calendar)
    key = f"weekly-report:{week}"
    try:
        with write_transaction(database):
            JobRun.create(key=key, holder=holder, at=naive(now))
    except pw.IntegrityError:
        return None
    try:
        report = build(since, until, now, calendar)
        message = report_message(report, config, week, now)
        transport.send(message.as_bytes(), str(message["Message-ID"]), settings.mail_to, config.gateway.address)
    except BaseException:
        JobRun.delete().where(JobRun.key == key).execute()
        raise
    return week


def report_message(report: Report, config: Config, week: str, now: datetime) -> EmailMessage:
    """Text body, the HTML page as alternative, the CSV attached; automatic mail (RFC 3834)."""
    message = EmailMessage()
    message["From"] = email.utils.formataddr((config.gateway.name, config.gateway.address))
    message["To"] = config.report.mail_to
    message["Subject"] = f"Complaints report {week}"
    message["Date"] = email.utils.format_datetime(now)
    message["Message-ID"] = email.utils.make_msgid(domain=config.gateway.address.rsplit("@", 1)[-1])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_text(report))
    message.add_alternative(render_html(report), subtype="html")
    message.add_attachment(render_csv(report).encode("utf-8"), maintype="text", subtype="csv",
                           filename=f"complaints-{week}.csv")
    return message
