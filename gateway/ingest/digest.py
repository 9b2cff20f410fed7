"""Staff digests: one sender's storm of new complaints is one mail to staff, not one each.

Up to `[staff] notify_per_sender_hour` new complaints from one sender within an hour are
announced one by one (`staff_new`); past that, each further complaint is added to a single
digest per sender, staff address and clock hour, sent when that hour ends. The complaints
themselves are registered, acknowledged (within the outbox's per-recipient limit) and on
their deadlines like any other: only the staff's inbox is spared.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import peewee as pw

from gateway.desk.plan import OutMail
from gateway.desk.view import naive
from gateway.outbound.enqueue import dedupe_key, new_message_id
from gateway.store import prebuilt
from gateway.store.models import Complaint, Customer, OutgoingMail, db

WINDOW = timedelta(hours=1)
MAX_LISTED = 200  # complaints named in one digest (the row is rewritten per addition); the rest are counted
SUBJECT_CHARS = 120


def recent_complaints_from(sender: str, now: datetime) -> int:
    """New complaints whose customer is this sender, created within the last WINDOW."""
    return (Complaint.select().join(Customer)
            .where((Customer.email == sender.lower()) & (Complaint.created_at > naive(now - WINDOW))).count())


def digest_mail(staff_to: str, language: str, sender: str, tracking: str, subject: str, now: datetime) -> OutMail:
    """The digest entry for one more complaint; `apply` merges it into the hour's digest row."""
    hour = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return OutMail("staff_notice", staff_to, "staff", language, threaded=False,
                   key=f"digest:{sender.lower()}:{hour:%Y-%m-%dT%H}",
                   params={"digest": [[tracking, subject[:SUBJECT_CHARS]]], "digest_sender": sender.lower(),
                           "digest_until": (hour + WINDOW).isoformat()})


def is_digest(mail: OutMail) -> bool:
    return "digest" in mail.params


def add(mail: OutMail, complaint: Complaint | None, now: datetime, gateway_address: str) -> None:
    """Append to the hour's queued digest, or start it (sent when the hour ends)."""
    key = dedupe_key(mail, mail.key)
    query = OutgoingMail.select().where((OutgoingMail.dedupe_key == key) & (OutgoingMail.state == "queued"))
    row = (query.for_update() if isinstance(db.obj, pw.PostgresqlDatabase) else query).first()
    if row is not None:
        listed = list(row.params.get("digest", []))
        count = int(row.params.get("digest_count", len(listed))) + 1
        if len(listed) < MAX_LISTED:
            listed += mail.params["digest"]
        row.params = _params(listed, count, mail.params)
        row.save(only=[OutgoingMail.params])
        return
    if OutgoingMail.select().where(OutgoingMail.dedupe_key == key).exists():  # that hour's went out already
        key = dedupe_key(mail, f"{mail.key}:{mail.params['digest'][0][0]}")
    until = datetime.fromisoformat(mail.params["digest_until"])
    domain = gateway_address.rsplit("@", 1)[-1]
    prebuilt.insert(
        OutgoingMail, complaint=complaint, kind=mail.kind, language=mail.language, recipient=mail.recipient,
        audience=mail.audience, message_id=new_message_id(domain), in_reply_to="", references="",
        params=_params(list(mail.params["digest"]), 1, mail.params), dedupe_key=key, state="queued",
        next_attempt_at=naive(max(until, now)), created_at=naive(now))


def _params(listed: list[list[str]], count: int, base: dict) -> dict:
    lines = "\n".join(f"  {tracking}  {subject}" for tracking, subject in listed)
    more = f"\n  ... and {count - len(listed)} more" if count > len(listed) else ""
    message = (f"{base['digest_sender']} opened {count} more new complaint(s) within the hour, past the "
               f"per-sender limit of one notice each; they are registered, acknowledged and on their "
               f"deadlines:\n\n{lines}{more}")
    return {**base, "digest": listed, "digest_count": count, "message": message}
