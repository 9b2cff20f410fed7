"""The typed result of the decide step: everything one email changes.

decide builds a Plan (pure); apply writes it in one transaction. Keeping the
two apart is what lets every rule of the complaint process be tested without a
database, and lets the database code stay one dumb, reviewable writer.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class OutMail:
    kind: str  # template name
    recipient: str
    audience: str = "customer"  # customer | staff
    language: str = "en"
    params: dict[str, Any] = field(default_factory=dict)  # message, reason, new_date, errors, ...
    threaded: bool = True  # In-Reply-To the customer's conversation
    key: str = ""  # dedupe key suffix; unique per triggering mail by default
    hold: str = ""  # queued held, with this reason (AWAITING_CONFIRMATION), until a plan releases it


# Characters of a mail's text a staff notice carries. Staff read a complaint, not a megabyte; a
# longer text (or one parse already cut: Mail.shortened) goes out with its start and a note that
# the whole mail is in the archive. The notice's params are stored as JSON in its outbox row, so
# this also keeps a hostile 18 MB body from being written (and rendered) once more per notice.
STAFF_TEXT_MAX = 64 * 1024
_CUT_LOOKBACK = 2000  # characters searched back from the cap for a line end or a space


def staff_message(text: str, shortened: bool = False) -> dict[str, Any]:
    """The params a staff notice quotes a mail's text with: its start, and whether it is only that."""
    if len(text) <= STAFF_TEXT_MAX:
        return {"message": text, "shortened": shortened}
    head = text[:STAFF_TEXT_MAX]
    at = head.rfind("\n", STAFF_TEXT_MAX - _CUT_LOOKBACK)
    at = at if at > 0 else head.rfind(" ", STAFF_TEXT_MAX - _CUT_LOOKBACK)
    return {"message": (head[:at] if at > 0 else head).rstrip() + "\n[...]", "shortened": True}


# Why a customer's mail waits: the complaint was registered by a staff From nothing vouched for
# ([staff] require_authentication off, not a reply to the desk's mail), so the customer hears
# from the desk only once a staff member confirms it from a proven mailbox (#confirm).
AWAITING_CONFIRMATION = ("awaiting staff confirmation: registered by an unauthenticated staff mail; "
                         "a staff member's #confirm in a reply to the desk's notice sends it")


@dataclass(frozen=True)
class EventSpec:
    kind: str
    actor: str
    detail: str = ""
    from_status: str = ""
    to_status: str = ""
    key: str | None = None  # set for events that must happen once


@dataclass(frozen=True)
class NewComplaint:
    tracking: str
    subject: str
    priority: str
    category: str
    department: str
    language: str
    sensitive: bool
    why: dict[str, str]
    linked_tracking: str = ""
    customer_email: str = ""  # whose complaint it is, when not the sender's (staff registered it)
    channel: str = "email"  # email | web | forward | phone | visit
    registered_by: str = ""  # the staff address that registered it for the customer
    registrar_name: str = ""  # the staff member's name as they gave it (#new "Staff:")
    created_at: datetime | None = None  # when the customer wrote, when earlier than now (a forward)
    thread: tuple[str, ...] = ()  # Message-IDs our first reply answers (the forwarded original's)


@dataclass(frozen=True)
class Plan:
    message_kind: str  # customer | staff | note | stranger | status_request | autoreply | bounce | ...
    complaint_id: int | None = None  # existing complaint the mail joins
    create: NewComplaint | None = None
    status: str | None = None  # new status, already checked against lifecycle
    updates: dict[str, Any] = field(default_factory=dict)  # complaint columns
    customer: dict[str, Any] = field(default_factory=dict)  # customer columns to fill (name, phone, language)
    customer_given: tuple[str, ...] = ()  # columns the customer gave when asked: they replace what was there
    events: tuple[EventSpec, ...] = ()
    outgoing: tuple[OutMail, ...] = ()
    text: str = ""  # what is recorded as the message's text
    bounced_message_ids: tuple[str, ...] = ()
    bounce_permanent: bool = False
    bounce_recipients: tuple[str, ...] = ()
    release_held: bool = False  # #confirm: the complaint's mails held AWAITING_CONFIRMATION are queued


class PlanBuilder:
    """Collects a plan step by step inside one decide call (never shared)."""

    def __init__(self, message_kind: str, complaint_id: int | None = None, text: str = ""):
        self.plan = Plan(message_kind=message_kind, complaint_id=complaint_id, text=text)
        self._events: list[EventSpec] = []
        self._outgoing: list[OutMail] = []
        self._updates: dict[str, Any] = {}
        self._customer: dict[str, Any] = {}

    def event(self, kind: str, actor: str, detail: str = "", **extra: Any) -> None:
        self._events.append(EventSpec(kind, actor, detail, **extra))

    def send(self, mail: OutMail) -> None:
        self._outgoing.append(mail)

    def update(self, **columns: Any) -> None:
        self._updates.update(columns)

    def updates(self, name: str) -> bool:
        """Whether this plan already sets a complaint column."""
        return name in self._updates

    def customer(self, **columns: Any) -> None:
        self._customer.update({k: v for k, v in columns.items() if v})

    def set(self, **fields: Any) -> None:
        self.plan = replace(self.plan, **fields)

    def transition(self, from_status: str, to_status: str, actor: str, why: str) -> None:
        self.plan = replace(self.plan, status=to_status)
        self.event("status", actor, why, from_status=from_status, to_status=to_status)

    def build(self) -> Plan:
        return replace(self.plan, events=tuple(self._events), outgoing=tuple(self._outgoing),
                       updates=dict(self._updates), customer=dict(self._customer))
