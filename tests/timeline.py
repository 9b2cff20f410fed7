"""Living through a policy day by day: `gateway ingest --now` and `gateway tick --now`
against one config, every mail the gateway sends collected with the moment it went.

The clock is only ever the --now given to the CLI (in the business time zone),
outgoing mail is the maildir transport's .eml files, and `show --json` maps each
back to the kind of mail it is, so a test can assert the whole timeline.

The CLI runs in the test's process (`gatewaykit.gateway_inline`: the same `main(argv)`,
stdin, stdout and exit code as the program), because a timeline is hundreds of commands
and each process would load the language models again; the program as a process is
what `test_cli*.py`, `test_e2e_*.py` and `Timeline(..., process=True)` run.
"""
from __future__ import annotations

import email
import email.policy
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from gatewaykit import gateway, gateway_inline, mail


@dataclass(frozen=True)
class Sent:
    at: datetime  # the --now of the command that sent it
    to: str
    subject: str
    text: str
    message_id: str
    in_reply_to: str
    date_header: str
    language: str  # Content-Language


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


class Timeline:
    """One config in a temp dir, driven only through the CLI with --now in `zone`."""

    def __init__(self, config: Path, zone: str, process: bool = False):
        self.config, self.zone = config, ZoneInfo(zone)
        self.run = gateway if process else gateway_inline
        self.outgoing = config.parent / "storage" / "outgoing"
        self.seen: set[str] = set()
        self.sent: list[Sent] = []

    def at(self, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
        return datetime(year, month, day, hour, minute, tzinfo=self.zone)

    def ingest(self, raw: bytes, at: datetime) -> str:
        """The tracking number the mail was filed under; the outbox is flushed at the same moment."""
        line = self.run(self.config, "ingest", "--now", at.isoformat(), input=raw).stdout.decode()
        assert line.startswith("-: processed "), line
        self.tick(at)
        return line.split()[2]

    def tick(self, at: datetime) -> list[Sent]:
        """Run every scheduled job once at `at`; the mails it sent."""
        self.run(self.config, "tick", "--now", at.isoformat())
        new = []
        for path in sorted(self.outgoing.glob("*.eml")) if self.outgoing.exists() else []:
            if path.name in self.seen:
                continue
            self.seen.add(path.name)
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            new.append(Sent(at, str(message["To"]), str(message["Subject"]), body(message),
                            str(message["Message-ID"]).strip("<>"), str(message["In-Reply-To"] or "").strip("<>"),
                            str(message["Date"]), str(message["Content-Language"] or "")))
        self.sent += new
        return new

    def days(self, first: date, last: date, hours: tuple[time, ...] = (time(9), time(13), time(18)),
             weekends: bool = True) -> None:
        """Tick at each of `hours` of every calendar day from first to last, weekends and
        holidays included (nothing may go out on a day off that should not), or of every
        weekday only when `weekends` is false."""
        day = first
        while day <= last:
            if weekends or day.weekday() < 5:
                for hour in hours:
                    self.tick(datetime.combine(day, hour, self.zone))
            day += timedelta(days=1)

    def show(self, tracking: str) -> dict[str, Any]:
        return json.loads(self.run(self.config, "show", tracking, "--json").stdout)

    def listing(self, *args: str) -> list[dict[str, Any]]:
        return json.loads(self.run(self.config, "list", "--json", *args).stdout)

    def kinds(self, tracking: str) -> dict[str, str]:
        """Message-ID -> template kind of every mail queued for a complaint."""
        return {o["message_id"]: o["kind"] for o in self.show(tracking)["outgoing"]}

    def timeline(self, tracking: str, kinds: tuple[str, ...] | None = None) -> list[tuple[datetime, str, str]]:
        """(when, kind, recipient) of the complaint's mails (of these kinds), by time, then kind."""
        by_id = self.kinds(tracking)
        return sorted((s.at, by_id[s.message_id], s.to) for s in self.sent
                      if s.message_id in by_id and (kinds is None or by_id[s.message_id] in kinds))

    def mail_of(self, tracking: str, kind: str) -> list[Sent]:
        by_id = self.kinds(tracking)
        return [s for s in self.sent if by_id.get(s.message_id) == kind]

    def reply(self, sender: str, to: Sent, text: str, at: datetime) -> str:
        """`sender` answers one of the gateway's mails from their mail client."""
        return self.ingest(mail(sender=sender, subject=f"Re: {to.subject}", body=text,
                                in_reply_to=f"<{to.message_id}>", references=f"<{to.message_id}>"), at)
