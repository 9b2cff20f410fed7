"""Staff replies: commands at the top, the rest relayed to the customer.

Each command is one small function in COMMANDS; the reply's "mode" (relay,
note, ask, resolution, closed) decides what the customer gets. Any error —
an unknown command, a refused transition — means nothing happens except an
error mail to the staff member: a half-applied reply is worse than none.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable

from gateway.desk import lifecycle
from gateway.desk.plan import EventSpec, OutMail, Plan, PlanBuilder
from gateway.desk.policy import Policy
from gateway.desk.view import ComplaintView
from gateway.ingest import relaytext
from gateway.mail.parse import TEXT_MAX, Mail

MAX_EXTEND_DAYS = 366  # a promise further out is a typo (2062 for 2026), not a plan

# mode -> (customer mail kind or "" for none, status the complaint moves to or "")
MODES: dict[str, tuple[str, str]] = {
    "relay": ("relay", ""),
    "note": ("", ""),
    "ask": ("ask", "waiting_customer"),
    "resolution": ("resolution", "resolved"),
    "closed": ("closed", "closed"),
}


@dataclass
class Steering:
    """Working state of one staff reply (local to one steer() call)."""

    complaint: ComplaintView
    actor: str
    now: datetime
    policy: Policy
    builder: PlanBuilder
    status: str
    mode: str = "relay"
    errors: list[str] = field(default_factory=list)
    language: str = ""

    def move(self, to_status: str, why: str) -> None:
        if to_status == self.status:
            return
        try:
            lifecycle.check(self.status, to_status)
        except lifecycle.TransitionRefused as refused:
            self.errors.append(str(refused))
            return
        self.builder.transition(self.status, to_status, self.actor, why)
        self.status = to_status


def _status(s: Steering, arg: str) -> None:
    s.move(arg, "#status")


def _priority(s: Steering, arg: str) -> None:
    """Priorities set the resolution date of a new complaint (seed 004); once the customer
    was given a date, a priority change never moves it without telling them. The priority's
    date, when earlier, becomes the staff's target: the stage deadline (reminders and
    escalation to staff; the customer's delay notice still waits for the promised date).
    When later, the promise stands: staff who need the time say so with #extend DATE reason,
    which tells the customer (the reminder before the date asks for it)."""
    target = s.policy.initial_due(s.complaint.created_at or s.now, arg).resolve
    promised = s.complaint.due_resolve
    if promised is None:  # nothing was promised yet
        s.builder.update(priority=arg, due_resolve=target)
        s.builder.event("priority", s.actor, f"{s.complaint.priority} -> {arg}")
        return
    stage = s.complaint.due_stage
    earlier = target < promised and (stage is None or target < stage)
    s.builder.update(priority=arg, **({"due_stage": target} if earlier else {}))
    kept = f"; the date the customer was given ({promised.isoformat()}) stands"
    why = (f"; staff target (stage deadline) {target.isoformat()}" if earlier else "") + kept + (
        f"; the priority's date {target.isoformat()} is later: #extend to tell the customer" if target > promised else "")
    s.builder.event("priority", s.actor, f"{s.complaint.priority} -> {arg}{why}")


def _category(s: Steering, arg: str) -> None:
    department = s.policy.department_for_category(arg)
    s.builder.update(category=arg, **({"department": department} if department else {}))
    s.builder.event("category", s.actor, f"{s.complaint.category or '-'} -> {arg}")


def _assign(s: Steering, arg: str) -> None:
    """Only to staff: the assignee gets the complaint's mail, internal fields and history included."""
    if not s.policy.is_staff_address(arg):
        s.errors.append(f"#assign {arg}: not a staff address; a complaint is assigned to staff only "
                        f"(staff: {s.policy.staff_described()})")
        return
    s.builder.update(assignee=arg.lower())
    s.builder.event("assign", s.actor, arg.lower())


def _language(s: Steering, arg: str) -> None:
    s.language = arg
    s.builder.update(language=arg)
    s.builder.customer(language=arg)
    s.builder.event("language", s.actor, f"{s.complaint.language} -> {arg}")


def _extend(s: Steering, arg: str) -> None:
    """A new resolution date: made before the deadline it is a planned extension, told as
    such; one earlier than the date the customer was given is good news, told as that (not
    "it takes longer"); the same date again is refused (there is nothing to tell). A day off
    moves to the next business day, and the staff member is told so."""
    date_text, _, reason = arg.partition(" ")
    asked = date.fromisoformat(date_text)
    if asked > s.now.date() + timedelta(days=MAX_EXTEND_DAYS):
        s.errors.append(f"#extend {date_text}: more than a year ahead; give the nearest date you can keep")
        return
    landed = s.policy.calendar.next_business_day(asked)
    new_due = s.policy.end_of_business_day(landed)
    if new_due <= s.now:
        s.errors.append(f"#extend {date_text}: that date has passed; give a date from today on")
        return
    old_due = s.complaint.due_resolve
    if new_due == old_due:
        s.errors.append(f"#extend {date_text}: the customer was already given that date; nothing to tell them")
        return
    planned = old_due is None or s.now < old_due
    earlier = old_due is not None and new_due < old_due
    stage = s.complaint.due_stage  # a stage ending with the old date moves with it; none ends after the new one
    moved = {"due_stage": new_due} if stage and (stage > new_due or (old_due and stage >= old_due)) else {}
    s.builder.update(due_resolve=new_due, delay_reason=reason.strip(), **moved)
    s.builder.event("extend", s.actor, f"resolve by {new_due.isoformat()}: {reason.strip()}")
    s.builder.send(OutMail("delay", s.complaint.customer_email, "customer", s.language or s.complaint.language,
                           params={"reason": reason.strip(), "new_date": new_due.isoformat(), "planned": planned,
                                   "earlier": earlier, "old_date": old_due.isoformat() if old_due else ""},
                           key="extend"))
    if landed != asked:
        s.builder.send(OutMail("extended", s.actor, "staff", s.policy.staff_language, threaded=False, key="extended",
                               params={"asked": asked.isoformat(), "new_date": new_due.isoformat()}))


def _confirm(s: Steering, arg: str) -> None:
    """A staff member, proven by replying to the desk's own mail, vouches for a complaint an
    unauthenticated staff mail registered: the mails held for the customer go out."""
    s.builder.set(release_held=True)
    s.builder.event("confirmed", s.actor, "registration confirmed: mails held for the customer are sent")


def _mode(mode: str) -> Callable[[Steering, str], None]:
    def set_mode(s: Steering, arg: str) -> None:
        s.mode = mode
    return set_mode


COMMANDS: dict[str, Callable[[Steering, str], None]] = {
    "status": _status,
    "priority": _priority,
    "category": _category,
    "assign": _assign,
    "language": _language,
    "extend": _extend,
    "note": _mode("note"),
    "ask": _mode("ask"),
    "resolve": _mode("resolution"),
    "close": _mode("closed"),
    "confirm": _confirm,
}


TOO_LONG = (f"the text of your mail is over {TEXT_MAX // 1024} KB, so only its start was read; nothing was sent "
            "to the customer: send a shorter answer (long documents go as attachments)")


def steer(mail: Mail, complaint: ComplaintView, now: datetime, policy: Policy) -> Plan:
    reply = relaytext.staff_reply(mail.text, (policy.config.gateway.address, complaint.tracking))
    mail = dataclasses.replace(mail, new_text=reply.new, quoted=reply.quoted, signature=reply.signature)
    parsed = policy.commands(mail.new_text, mail.subject, mail.signature)
    b = PlanBuilder("staff", complaint.id, parsed.body)
    s = Steering(complaint, mail.sender, now, policy, b, complaint.status, errors=list(parsed.errors))
    for command in parsed.commands:
        COMMANDS[command.name](s, command.argument)
    kind, to_status = MODES[s.mode]
    if to_status:
        s.move(to_status, f"#{s.mode}")
    body = parsed.body if s.mode == "note" else relaytext.scrub_staff(
        parsed.body, (mail.sender,), mail.signature, policy.config.gateway.address,
        policy.config.gateway.phone_region, mail.sender_name, policy.config.staff.domains)
    lost = "" if s.mode == "note" else ("" if s.mode == "closed" else relaytext.lost_answer(
        body, mail.signature, s.mode, bool(parsed.commands))) or relaytext.internal_text(body)
    if mail.shortened and s.mode != "note" and body.strip():
        lost = TOO_LONG  # only its start was read: the customer would get part of an answer
    if s.errors or lost:
        return refused(mail, complaint, s.errors + ([lost] if lost else []), policy, understood=body)
    finish(s, kind, body)
    if s.mode == "note" and "note" in parsed.irregular:
        kept_internal(s)
    return told_if_held(b.build(), s)


KEPT_INTERNAL = ("Your reply was read as an internal note (a \"#note\" was found in it, e.g. a heading \"# Note\", "
                 "a bullet or a line below your text) and kept on the complaint; nothing was sent to the customer. "
                 "If it was meant for the customer, send it again without that line.")


def kept_internal(s: Steering) -> None:
    """A #note not written plainly at the top may be a heading over an answer: its author is
    told it stayed internal, so an answer meant for the customer is never dropped unnoticed."""
    s.builder.send(OutMail("staff_notice", s.actor, "staff", s.policy.staff_language, threaded=False,
                           key="kept_internal", params={"message": KEPT_INTERNAL}))


def told_if_held(plan: Plan, s: Steering) -> Plan:
    """An answer to a complaint whose customer mails wait for a staff #confirm waits with them
    (the outbox holds it): its author learns that it did not go out, and how to send it."""
    to_customer = [o.kind for o in plan.outgoing if o.audience == "customer"]
    if not to_customer or not s.complaint.awaiting_confirmation or plan.release_held:
        return plan
    notice = OutMail("staff_notice", s.actor, "staff", s.policy.staff_language, threaded=False, key="held",
                     params={"held": True})
    return dataclasses.replace(plan, outgoing=plan.outgoing + (notice,), events=plan.events + (
        EventSpec("answer_held", s.actor, f"{', '.join(to_customer)}: waits for a staff #confirm; its author was told"),))


def finish(s: Steering, kind: str, body: str) -> None:
    b, now = s.builder, s.now
    if s.mode == "note":
        b.set(message_kind="note")
        b.event("note", s.actor, body[:500])
    if not s.complaint.assignee and s.mode != "note" and not b.updates("assignee"):
        b.update(assignee=s.actor)
    if s.status == "waiting_customer" and s.complaint.status != "waiting_customer":
        b.update(paused_at=now)
    if s.complaint.status == "waiting_customer" and s.status != "waiting_customer":
        # staff ended the wait (#status, #resolve): the clock runs again with the time it had left
        # (else the paused days counted after all); a date set in this same reply wins
        resumed = s.policy.resumed_dues(s.complaint, now)
        b.update(paused_at=None, **{name: due for name, due in resumed.items() if not b.updates(name)})
    if s.status == "resolved" and (s.complaint.status != "resolved" or s.mode == "resolution"):
        b.update(resolved_at=now)  # a new answer asks for a new decision: its auto-close clock starts now
    if s.status == "closed" and s.complaint.status != "closed":
        b.update(closed_at=now)
    if kind == "relay" and not body.strip():
        return  # commands only: nothing to tell the customer
    if kind == "relay" and s.status == "registered":
        s.move("in_review", "first staff answer")
    if kind:
        b.event("relayed", s.actor, kind)
        closes = s.policy.auto_close_at(now) if kind == "resolution" else None  # told as a date, not "some time"
        b.send(OutMail(kind, s.complaint.customer_email, "customer", s.language or s.complaint.language,
                       params={"message": body, **({"closes_on": closes.isoformat()} if closes else {})}))


def refused(mail: Mail, complaint: ComplaintView, errors: list[str], policy: Policy,
            understood: str = "") -> Plan:
    """Nothing happens but an error mail to the author, quoting what was understood."""
    b = PlanBuilder("staff_rejected", complaint.id, mail.new_text)
    b.event("command_error", mail.sender, "; ".join(errors))
    b.send(OutMail("command_error", mail.sender, "staff", policy.staff_language, threaded=False,
                   params={"errors": errors, "message": understood[:5000]}))
    return b.build()
