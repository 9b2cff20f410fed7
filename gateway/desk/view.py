"""Read-only snapshots of stored complaints, the data the pure steps decide on.

The pure steps (match, decide, deadlines) never see a peewee row: they get
these frozen views, built by the pipeline inside the email's transaction.
All datetimes here are timezone-aware UTC.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import overload


@dataclass(frozen=True)
class ComplaintView:
    id: int
    tracking: str
    customer_email: str
    status: str
    priority: str = "normal"
    category: str = ""
    department: str = ""
    assignee: str = ""
    language: str = "en"
    subject: str = ""
    reject_count: int = 0
    created_at: datetime | None = None
    due_acknowledge: datetime | None = None
    due_stage: datetime | None = None
    due_resolve: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    paused_at: datetime | None = None
    status_before_wait: str = ""  # where a waiting_customer complaint goes back to
    customer_message_ids: tuple[str, ...] = ()  # for threading our replies
    staff_addresses: tuple[str, ...] = field(default=())  # department/assignee to notify
    last_auto_answer: datetime | None = None  # when we last answered the customer automatically (status)
    sensitive: bool = False  # special-category data mentioned (the customer was warned once)
    customer_name: str = ""  # what we know of the customer (the acknowledgement asked for what is missing)
    customer_phone: str = ""
    awaiting_confirmation: bool = False  # its customer mails wait for a staff #confirm (plan.AWAITING_CONFIRMATION)


@dataclass(frozen=True)
class Thread:
    """What the database knows about the complaints a mail may belong to."""

    by_tracking: ComplaintView | None = None  # tracking number in the subject
    by_reference: ComplaintView | None = None  # In-Reply-To/References to our mail
    tracking_in_subject: str = ""


@overload
def aware(value: datetime) -> datetime: ...


@overload
def aware(value: datetime | None) -> datetime | None: ...


def aware(value: datetime | None) -> datetime | None:
    """Database datetimes are naive UTC; the pure steps speak aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


@overload
def naive(value: datetime) -> datetime: ...


@overload
def naive(value: datetime | None) -> datetime | None: ...


def naive(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
