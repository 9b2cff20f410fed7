"""The decide step: what one email means for the complaint process.

Pure: a parsed Mail, the hygiene verdict, the match and the admin's Policy in,
a Plan out. No database, network or clock (`now` is an input). The role the
match found picks the handler; within a handler the complaint's status and the
customer's intent pick the outcome through lifecycle's tables.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable

from gateway.desk import deadlines, lifecycle
from gateway.desk.plan import EventSpec, NewComplaint, OutMail, Plan, PlanBuilder, staff_message
from gateway.desk.policy import Policy
from gateway.desk.view import ComplaintView
from gateway.ingest import register
from gateway.ingest.digest import digest_mail
from gateway.ingest.match import Match
from gateway.ingest.staff import Identity
from gateway.ingest.steer import steer
from gateway.mail import contact as contacts
from gateway.mail.forward import Forwarded, Unreadable, forward_subject
from gateway.mail.hygiene import Verdict
from gateway.mail.parse import Mail


@dataclass(frozen=True)
class Inputs:
    mail: Mail
    verdict: Verdict
    identity: Identity
    match: Match
    now: datetime  # aware
    new_tracking: str  # used only when the mail starts a complaint
    source: str = "pipe"
    bounce_ids: tuple[str, ...] = ()  # our mails a delivery report says failed (gateway.mail.bounces)
    bounce_recipients: tuple[str, ...] = ()  # the addresses they went to
    bounce_permanent: bool = False  # the report says they failed (not merely delayed)
    known_language: str = ""  # what this sender wrote in before, when we know
    forwarded: Forwarded | Unreadable | None = None  # a staff mail's forwarded customer mail (forward.find)
    registered_before: ComplaintView | None = None  # the complaint that forwarded original already opened
    sender_recent_new: int = 0  # new complaints this sender opened within the last hour


def decide(inputs: Inputs, policy: Policy) -> Plan:
    if inputs.verdict.automatic:
        return automatic(inputs, policy)
    if inputs.match.role == "new" and inputs.identity.is_staff:
        registered = register.staff_new(inputs.mail, inputs.forwarded, inputs.new_tracking, inputs.now, policy,
                                        inputs.registered_before, unproven=inputs.identity.needs_proof)
        if registered is not None:
            return registered
    handler: Callable[[Inputs, Policy], Plan] = HANDLERS[inputs.match.role]
    plan = with_stage_due(handler(inputs, policy), inputs, policy)
    if inputs.verdict.away and inputs.match.role == "customer":
        return away_reply(plan, inputs, policy)
    return plan


DECISIONS = ("accept", "reject")


def away_reply(plan: Plan, inputs: Inputs, policy: Policy) -> Plan:
    """A reply on a complaint's thread whose text reads like an out-of-office (no automatic
    header says so): it stays the customer's message, staff are told and an accept/reject in
    it is the customer's decision; only our automatic answers to it are held back, so a real
    responder gets no mail to answer. A new mail with such a text is a complaint (a responder
    answering our acknowledgement carries our thread)."""
    if plan.message_kind in DECISIONS:
        return plan
    held = tuple(o for o in plan.outgoing if o.audience == "customer")
    if not held:
        return plan
    note = EventSpec("answer_held", "gateway", f"{inputs.verdict.reason}: not answered automatically "
                     f"({', '.join(o.kind for o in held)}); staff were told")
    kept = tuple(o for o in plan.outgoing if o.audience != "customer")
    complaint = inputs.match.complaint
    if complaint is not None and not any(o.audience == "staff" for o in kept):  # e.g. a status question
        b = PlanBuilder(plan.message_kind, complaint.id)
        notify_staff(b, complaint, policy, "staff_update", inputs.mail)
        kept += b.build().outgoing
    return replace(plan, outgoing=kept, events=plan.events + (note,))


def with_stage_due(plan: Plan, inputs: Inputs, policy: Policy) -> Plan:
    """Entering a new stage starts that stage's clock (unless the plan set it)."""
    complaint = inputs.match.complaint
    if not plan.status or complaint is None or "due_stage" in plan.updates:
        return plan
    stage_before = deadlines.status_rule(complaint.status).stage
    stage_after = deadlines.status_rule(plan.status).stage
    if stage_after is None or stage_after == stage_before:
        return plan
    due = policy.stage_due(plan.status, inputs.now, complaint.priority)
    return replace(plan, updates={**plan.updates, "due_stage": due})


def automatic(inputs: Inputs, policy: Policy) -> Plan:
    """Recorded where it threads, never answered, never changes a status."""
    complaint = inputs.match.complaint or inputs.match.linked
    b = PlanBuilder(inputs.verdict.kind, complaint.id if complaint else None, inputs.mail.new_text)
    if complaint:
        b.event("automatic_mail", inputs.mail.sender, f"{inputs.verdict.kind}: {inputs.verdict.reason}")
    if inputs.verdict.kind == "bounce" and inputs.bounce_ids:
        b.set(bounced_message_ids=inputs.bounce_ids, bounce_permanent=inputs.bounce_permanent,
              bounce_recipients=inputs.bounce_recipients)
        if complaint and inputs.bounce_permanent:
            b.event("bounce", "gateway", f"permanent failure for {', '.join(inputs.bounce_recipients)}")
            for address in complaint.staff_addresses:
                to = ", ".join(inputs.bounce_recipients) or complaint.customer_email
                b.send(OutMail("staff_notice", address, "staff", policy.staff_language, threaded=False, params={
                    "notice": "bounced", "notice_args": {"to": to}}))
    return b.build()


def new_complaint(inputs: Inputs, policy: Policy, linked: ComplaintView | None = None,
                  follow_up: bool = False) -> Plan:
    """A new complaint; `linked` is the complaint a stranger wrote to, or (`follow_up`) the
    sender's own complaint closed too long ago to reopen."""
    mail, now = inputs.mail, inputs.now
    language = policy.detect_language(mail.new_text or mail.subject, inputs.known_language)
    verdict = policy.classify(mail, language)
    contact = policy.contact(mail, language)
    due = policy.initial_due(now, verdict.priority)
    stranger = linked is not None and not follow_up
    b = PlanBuilder("stranger" if stranger else "customer", None, mail.new_text)
    b.set(create=NewComplaint(
        # a follow-up to a closed complaint keeps its subject: not "Re: ... [its old number]"
        tracking=inputs.new_tracking, subject=linked.subject if follow_up and linked and linked.subject
        else mail.subject, priority=verdict.priority,
        category=verdict.category, department=verdict.department, language=language,
        sensitive=verdict.sensitive, why=verdict.why, linked_tracking=linked.tracking if linked else ""))
    b.update(due_acknowledge=due.acknowledge, due_stage=due.stage, due_resolve=due.resolve, acknowledged_at=now)
    b.customer(name=contact.name, phone=contact.phone, language=language)
    b.event("created", mail.sender, f"new complaint by email ({inputs.source})", to_status="registered")
    b.event("classified", "rules", "; ".join(f"{k}: {v}" for k, v in verdict.why.items()))
    if inputs.identity.claims_staff and not inputs.identity.is_staff:
        b.event("staff_refused", mail.sender, inputs.identity.reason)
    b.send(OutMail("stranger" if stranger else "ack", mail.sender, "customer", language,
                   params={"missing": list(contact.missing), "linked": linked.tracking if linked else ""}))
    if verdict.sensitive:
        b.event("sensitive_data", "rules", "special categories of personal data mentioned")
        b.send(OutMail("privacy", mail.sender, "customer", language, key="privacy"))
    staff_to = verdict.department_address or policy.notify_address
    limit = policy.config.staff.notify_per_sender_hour
    if staff_to and limit and inputs.sender_recent_new >= limit:  # a storm: one digest an hour, not a mail each
        b.send(digest_mail(staff_to, policy.staff_language, mail.sender, inputs.new_tracking, mail.subject, now))
    elif staff_to:
        b.send(OutMail("staff_new", staff_to, "staff", policy.staff_language, threaded=False, params={
            **staff_message(mail.new_text, mail.shortened), "linked": linked.tracking if linked else ""}))
    return b.build()


def stranger(inputs: Inputs, policy: Policy) -> Plan:
    if inputs.identity.claims_staff and inputs.match.linked is not None:
        forwarded = customers_forward(inputs, inputs.match.linked)
        if forwarded is not None:
            return unproven_forward(inputs, inputs.match.linked, forwarded, policy)
        return refused_staff(inputs, policy)
    return new_complaint(inputs, policy, linked=inputs.match.linked)


def why_args(inputs: Inputs) -> dict[str, str]:
    """Why a staff From was not believed, as a staff notice says it (templates/mail/_notices.j2 WHY)."""
    return {"why": inputs.identity.code, "reason": inputs.identity.reason}


def refused_staff(inputs: Inputs, policy: Policy) -> Plan:
    """A staff From we do not believe, on a complaint: nothing changes, nobody outside hears of
    it, and the address's owner is told (a real staff member learns why their answer did not go
    out; a forgery does not go unnoticed)."""
    complaint = inputs.match.linked
    assert complaint is not None
    b = PlanBuilder("staff_refused", complaint.id, inputs.mail.new_text)
    b.event("staff_refused", inputs.mail.sender, inputs.identity.reason)
    b.send(OutMail("staff_notice", inputs.mail.sender, "staff", policy.staff_language, threaded=False,
                   key="refused", params={"notice": "refused", "notice_args": why_args(inputs)}))
    return b.build()


def customer_reply(inputs: Inputs, policy: Policy) -> Plan:
    complaint = inputs.match.complaint
    assert complaint is not None
    mail, now = inputs.mail, inputs.now
    b = PlanBuilder("customer", complaint.id, mail.new_text)
    b.customer(language=complaint.language)
    contact_given(b, complaint, inputs.mail, policy)
    sensitive_warning(b, complaint, inputs.mail, policy)
    intent = policy.intent(mail.new_text, complaint.language)
    decision = lifecycle.customer_decision(complaint.status, intent or "", complaint.reject_count,
                                           policy.config.lifecycle.escalate_after_rejections)
    if decision:
        return customer_decision(b, complaint, intent or "", decision, inputs, policy)
    if complaint.status == "resolved" and mail.new_text.strip():
        return undecided(b, complaint, intent, inputs, policy)
    if intent == "status":
        if policy.status_only(mail.new_text):
            status_request(b, complaint, inputs, policy)
            return b.build()
        if complaint.status != "closed":  # news with the question: answered, and read on as the customer's message
            status_request(b, complaint, inputs, policy, staff_told=True)
            b.set(message_kind="customer")
    if complaint.status == "closed" and intent != "accept":  # a late "I accept" needs no answer
        return reply_to_closed(b, complaint, inputs, policy)
    b.event("customer_message", mail.sender)
    if complaint.status == "waiting_customer":
        back = complaint.status_before_wait or "in_review"
        b.transition("waiting_customer", back, mail.sender, "the customer answered our question")
        b.update(paused_at=None, **policy.resumed_dues(complaint, now))
    notify_staff(b, complaint, policy, "staff_update", mail)
    return b.build()


def status_request(b: PlanBuilder, complaint: ComplaintView, inputs: Inputs, policy: Policy,
                   staff_told: bool = False) -> None:
    """The status mail, once per auto_answer_hours window; a second question within it reaches
    staff instead. `staff_told`: the caller tells staff of the mail anyway (it carries news
    beside the question: "yeni adresim ... Ne zaman?"), so no second notice goes from here."""
    mail = inputs.mail
    b.set(message_kind="status_request")
    if answered_recently(complaint, inputs.now, policy):
        b.event("status_request", mail.sender, "not answered: the customer was answered automatically "
                f"less than {policy.config.outbound.auto_answer_hours:g} h ago; staff were told")
        if not staff_told:
            notify_staff(b, complaint, policy, "staff_update", mail)
        return
    b.event("status_request", mail.sender)
    b.send(OutMail("status", mail.sender, "customer", complaint.language))


def reply_to_closed(b: PlanBuilder, complaint: ComplaintView, inputs: Inputs, policy: Policy) -> Plan:
    """Never silence: soon after closing the complaint reopens (fresh deadlines, the customer
    and staff told); later the mail opens a new complaint linked to the old one."""
    now = inputs.now
    if not lifecycle.reopens(complaint.closed_at, now, policy.config.lifecycle.reopen_within_days):
        return new_complaint(inputs, policy, linked=complaint, follow_up=True)
    b.transition("closed", "reopened", inputs.mail.sender, "the customer wrote to the closed complaint")
    due = policy.initial_due(now, complaint.priority)
    b.update(due_stage=due.stage, due_resolve=due.resolve, closed_at=None, resolved_at=None)
    b.event("customer_message", inputs.mail.sender)
    b.send(OutMail("reopened", inputs.mail.sender, "customer", complaint.language, params={"after_close": True}))
    notify_staff(b, complaint, policy, "staff_update", inputs.mail)
    return b.build()


def sensitive_warning(b: PlanBuilder, complaint: ComplaintView, mail: Mail, policy: Policy) -> None:
    """Special-category data in any customer message marks the complaint; the privacy warning
    goes once per complaint (the first mention, whichever message it is in)."""
    if complaint.sensitive:
        return
    why = policy.sensitive(mail.new_text, complaint.language)
    if why:
        b.update(sensitive=True)
        b.event("sensitive_data", "rules", "special categories of personal data mentioned in a later message")
        b.send(OutMail("privacy", mail.sender, "customer", complaint.language, key="privacy"))


def contact_given(b: PlanBuilder, complaint: ComplaintView, mail: Mail, policy: Policy) -> None:
    """Store the name or phone the acknowledgement asked for, when the reply gives them."""
    missing = contacts.missing_contact_fields(contacts.Contact(complaint.customer_name, complaint.customer_phone))
    if not missing:
        return
    found = policy.reply_contact(mail, complaint.language)
    given = {"name": found.name if "name" in missing and len(found.name.split()) > len(
                 complaint.customer_name.split()) else "",
             "phone": found.phone if "phone" in missing else ""}
    given = {column: value for column, value in given.items() if value}
    if given:
        b.customer(**given)
        b.set(customer_given=tuple(given))
        b.event("contact", mail.sender, f"the customer gave their {' and '.join(given)}")


def answered_recently(complaint: ComplaintView, now: datetime, policy: Policy) -> bool:
    """One automatic answer per complaint per window: an autoresponder that hygiene missed
    (and that reads as a status request) gets one mail, answers it, and hears nothing more;
    a person asking again within the window reaches staff instead."""
    last = complaint.last_auto_answer
    return last is not None and now - last < timedelta(hours=policy.config.outbound.auto_answer_hours)


def customer_decision(b: PlanBuilder, complaint: ComplaintView, intent: str, decision: tuple[str, str],
                      inputs: Inputs, policy: Policy) -> Plan:
    new_status, kind = decision
    actor, now = inputs.mail.sender, inputs.now
    b.set(message_kind=intent)
    b.transition(complaint.status, new_status, actor, f"the customer replied: {intent}")
    if intent == "reject":
        b.update(reject_count=complaint.reject_count + 1, resolved_at=None)
        if new_status == "reopened":
            due = policy.initial_due(now, complaint.priority)
            b.update(due_stage=due.stage, due_resolve=due.resolve)
    else:
        b.update(closed_at=now)
    b.send(OutMail(kind, inputs.mail.sender, "customer", complaint.language))
    # staff read the customer's own words (not the deadline template); an escalation also reaches
    # whoever escalations go to
    extra = policy.escalation_addresses_for(complaint) if new_status == "escalated" else ()
    notify_staff(b, complaint, policy, "staff_update", inputs.mail, extra)
    return b.build()


def undecided(b: PlanBuilder, complaint: ComplaintView, intent: str | None, inputs: Inputs,
              policy: Policy) -> Plan:
    """A reply to our answer that neither accepts nor rejects it ("OK, but when does the refund
    come?", "Согласен, но ..."): the customer was not silent. Staff read it (their notice says
    the complaint will not close by itself), and the recorded event keeps the sweep from
    auto-closing it as "no decision"; a status question still gets the status mail."""
    mail = inputs.mail
    b.event("customer_message", mail.sender)
    b.event(lifecycle.UNDECIDED_EVENT, "gateway", "the customer replied to the answer without accepting or "
                                                  "rejecting it: staff told, not closed automatically")
    if intent == "status":
        b.set(message_kind="status_request")
        b.send(OutMail("status", mail.sender, "customer", complaint.language))
    notify_staff(b, complaint, policy, "staff_update", mail)
    return b.build()


def notify_staff(b: PlanBuilder, complaint: ComplaintView, policy: Policy, kind: str, mail: Mail,
                 also: tuple[str, ...] = ()) -> None:
    """Staff are told of `mail`; its new text is quoted up to STAFF_TEXT_MAX (plan.staff_message)."""
    usual = complaint.staff_addresses or ((policy.notify_address,) if policy.notify_address else ())
    for address in dict.fromkeys(usual + also):
        b.send(OutMail(kind, address, "staff", policy.staff_language, threaded=False,
                       params=staff_message(mail.new_text, mail.shortened)))


def staff_reply(inputs: Inputs, policy: Policy) -> Plan:
    complaint = inputs.match.complaint
    assert complaint is not None
    forwarded = customers_forward(inputs, complaint)
    if forwarded is not None:
        return forwarded_customer_mail(inputs, forwarded, policy)
    return steer(inputs.mail, complaint, inputs.now, policy)


def customers_forward(inputs: Inputs, complaint: ComplaintView) -> Forwarded | None:
    """The staff mail forwards a mail of the complaint's own customer (an Outlook reply quoting
    them is not one: no forward marker above the block, no Fwd: subject)."""
    forwarded = inputs.forwarded
    if isinstance(forwarded, Forwarded) and forwarded.original.sender == complaint.customer_email.lower() \
            and (forwarded.marked or forward_subject(inputs.mail.subject)):
        return forwarded
    return None


def unproven_forward(inputs: Inputs, complaint: ComplaintView, forwarded: Forwarded, policy: Policy) -> Plan:
    """A staff From nothing vouched for forwards the complaint's own customer's mail: adding the
    customer's words sends the customer nothing, so it is safe to accept. Only that: their text is
    recorded and staff are told as of any customer mail, but it decides nothing (no accept or
    reject, no automatic answer): a forger could write those. The address's owner is told."""
    staff, original = inputs.mail.sender, forwarded.original
    b = PlanBuilder("forwarded_customer", complaint.id, original.new_text)
    b.event("forwarded", staff, "the customer's mail, forwarded by staff from an unauthenticated address "
            f"({inputs.identity.reason}): added as the customer's message, nothing else done")
    if forwarded.staff_text:
        b.event("note", staff, forwarded.staff_text[:2000])
    notify_staff(b, complaint, policy, "staff_update", original)
    b.send(OutMail("staff_notice", staff, "staff", policy.staff_language, threaded=False, key="forwarded",
                   params={"notice": "unproven_forward", "notice_args": why_args(inputs),
                           "message": forwarded.staff_text[:2000]}))
    return b.build()


def forwarded_customer_mail(inputs: Inputs, forwarded: Forwarded, policy: Policy) -> Plan:
    """The complaint's own customer wrote to a staff member, who forwarded it here: it is the
    customer's message (never relayed back to them as if staff had written it)."""
    plan = customer_reply(replace(inputs, mail=forwarded.original), policy)
    staff = inputs.mail.sender
    note = (EventSpec("forwarded", staff, "the customer's mail, forwarded by staff"),) + (
        (EventSpec("note", staff, forwarded.staff_text[:2000]),) if forwarded.staff_text else ())
    told: tuple[OutMail, ...] = ()
    if forwarded.staff_text:  # what they wrote is not relayed: they must know, or an answer vanishes
        told = (OutMail("staff_notice", staff, "staff", policy.staff_language, threaded=False, key="forwarded", params={
            "notice": "forwarded", "notice_args": {}, "message": forwarded.staff_text[:2000]}),)
    return replace(plan, message_kind="forwarded_customer", events=plan.events + note,
                   outgoing=plan.outgoing + told)


def new_mail(inputs: Inputs, policy: Policy) -> Plan:
    """A mail that joins no complaint is a new one, unless a staff address wrote commands in it: a
    reply that lost its thread (a new mail, a client that dropped In-Reply-To, the tracking number
    cut from the subject). Opening a complaint in the staff member's name, acknowledging it to them
    and dropping their #ask or #resolve would lose the answer without a word."""
    mail = inputs.mail
    # Believed staff only (by authentication, or by From with auth off): a From that failed
    # authentication is nobody special. A forward is registration's (register.py), never here.
    if inputs.identity.is_staff and inputs.forwarded is None:
        found = policy.commands(mail.new_text, mail.subject, mail.signature).commands
        if found:
            return unthreaded_commands(inputs, tuple(f"#{c.name}" for c in found), policy)
    return new_complaint(inputs, policy)


def unthreaded_commands(inputs: Inputs, commands: tuple[str, ...], policy: Policy) -> Plan:
    """Nothing applied, nothing opened, nothing sent to anyone but the author, who is told why."""
    mail = inputs.mail
    b = PlanBuilder("staff_rejected", None, mail.new_text)
    b.send(OutMail("staff_notice", mail.sender, "staff", policy.staff_language, threaded=False, key="unthreaded",
                   params={"notice": "unthreaded", "notice_args": {"commands": ", ".join(dict.fromkeys(commands))},
                           "message": mail.new_text[:2000]}))
    return b.build()


HANDLERS: dict[str, Callable[[Inputs, Policy], Plan]] = {
    "new": new_mail,
    "stranger": stranger,
    "customer": customer_reply,
    "staff": staff_reply,
}
