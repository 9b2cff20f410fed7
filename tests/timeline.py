"""Living through a policy day by day: `gateway ingest --now` and `gateway tick --now`
against one config, every mail the gateway sends collected with the moment it went.

The clock is only ever the --now given to the CLI (in the business time zone),
outgoing mail is the maildir transport's .eml files, and `show --json` maps each
back to the kind of mail it is, so a test can assert the whole timeline.
"""
from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from gatewaykit import gateway, mail, show


@dataclass(frozen=True)
class Sent:
    at: datetime  # the --now of the command that sent it
    to: str
    subject: str
    text: str
    message_id: str
    date_header: str
    language: str  # Content-Language


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


class Timeline:
    """One config in a temp dir, driven only through the CLI with --now in `zone`."""

    def __init__(self, config: Path, zone: str):
        self.config, self.zone = config, ZoneInfo(zone)
        self.outgoing = config.parent / "storage" / "outgoing"
        self.seen: set[str] = set()
        self.sent: list[Sent] = []

    def at(self, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
        return datetime(year, month, day, hour, minute, tzinfo=self.zone)

    def ingest(self, raw: bytes, at: datetime) -> str:
        """The tracking number the mail was filed under; the outbox is flushed at the same moment."""
        line = gateway(self.config, "ingest", "--now", at.isoformat(), input=raw).stdout.decode()
        assert line.startswith("-: processed "), line
        self.tick(at)
        return line.split()[2]

    def tick(self, at: datetime) -> list[Sent]:
        gateway(self.config, "tick", "--now", at.isoformat())
        new = []
        for path in sorted(self.outgoing.glob("*.eml")) if self.outgoing.exists() else []:
            if path.name in self.seen:
                continue
            self.seen.add(path.name)
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            new.append(Sent(at, str(message["To"]), str(message["Subject"]), body(message),
                            str(message["Message-ID"]).strip("<>"), str(message["Date"]),
                            str(message["Content-Language"] or "")))
        self.sent += new
        return new

    def days(self, first: date, last: date, hours: tuple[time, ...] = (time(9), time(13), time(18))) -> None:
        """Tick at each of `hours` of every calendar day from first to last, weekends and
        holidays included: nothing may go out on a day off that should not."""
        day = first
        while day <= last:
            for hour in hours:
                self.tick(datetime.combine(day, hour, self.zone))
            day += timedelta(days=1)

    def kinds(self, tracking: str) -> dict[str, str]:
        return {o["message_id"]: o["kind"] for o in show(self.config, tracking)["outgoing"]}

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
