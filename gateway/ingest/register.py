"""Staff register a complaint for a customer: a forwarded mail, or `#new`.

Pure, part of the decide step. A staff mail that joins no complaint is one of:
- a forward of a customer's mail (forward.py found it): the complaint is the
  customer's, channel "forward";
- `#new` with labelled fields (intake.py): a complaint taken by phone or in
  person, channel "phone" or "visit";
- anything else: the staff member's own mail, handled as before (None here).

Either way the staff member is recorded as the registrar, the customer is
acknowledged in their language when they have an e-mail address, and the
registrar is told the tracking number (to pass on when there is no address).
Commands above the forward or after `#new` shape the new complaint; a command
that only makes sense on an existing complaint, a missing field or an
unreadable forward gets the staff member an error mail and stores no complaint.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.desk.plan import AWAITING_CONFIRMATION, NewComplaint, OutMail, Plan, PlanBuilder, staff_message
from gateway.desk.policy import Policy
from gateway.desk.staffcommands import Command
from gateway.desk.view import ComplaintView
from gateway.mail import intake
from gateway.mail.contact import Contact, extract_contact, missing_contact_fields, phone_address, reachable
from gateway.mail.forward import Forwarded, Unreadable, received_at
from gateway.mail.parse import Mail
from gateway.mail.problem import Problem, as_params

ALLOWED = frozenset({"priority", "category", "assign", "language", "note"})
@dataclass(frozen=True)
class Registration:
    """Who the complaint is for and how it came in, whichever way it was registered."""

    original: Mail  # sender/sender_name/subject/new_text/attachments are the customer's
    customer_email: str  # a real address, or phone_address(...)
    channel: str  # forward | phone | visit
    received: datetime
    name: str
    phone: str
    staff_text: str  # what the staff member wrote besides commands: an internal note
    staff_name: str
    commands: tuple[Command, ...]
    thread: tuple[str, ...] = ()  # the original's Message-ID: our acknowledgement answers it
    key: str = ""  # Forwarded.key: the same original registers once


def staff_new(mail: Mail, forwarded: Forwarded | Unreadable | None, tracking: str, now: datetime,
              policy: Policy, before: ComplaintView | None = None, unproven: bool = False) -> Plan | None:
    """The plan for a staff mail that joins no complaint, or None for an ordinary one.
    `before`: the complaint this forwarded original already opened (forwarded twice).
    `unproven`: nothing vouched for the staff From (Identity.needs_proof): see `registered`."""
    if intake.starts_with_new(mail.new_text):
        found = _from_intake(mail, now, policy)
    elif isinstance(forwarded, Forwarded) and before is not None:
        return again(mail, forwarded, before, policy)
    elif isinstance(forwarded, Forwarded):
        found = _from_forward(mail, forwarded, now, policy)
    elif isinstance(forwarded, Unreadable):
        found = [forwarded.problem]
    else:
        return None
    if isinstance(found, list):
        return refused(mail, found, policy)
    return registered(mail.sender, found, tracking, now, policy, held=unproven)


Errors = list[Problem | str]  # a Problem says itself in the staff language; the command parser's are English


def _commands(text: str, policy: Policy) -> tuple[tuple[Command, ...], str, Errors]:
    parsed = policy.commands(text, "")
    errors: Errors = list(parsed.errors)
    for command in parsed.commands:
        if command.name not in ALLOWED:
            allowed = ", ".join("#" + n for n in sorted(ALLOWED))
            errors.append(Problem("not_allowed", f"#{command.name} cannot be used when registering a complaint "
                                  f"(allowed: {allowed}); reply to the staff notice of the new complaint to use it",
                                  {"command": "#" + command.name, "allowed": allowed}))
        elif command.name == "assign" and not policy.is_staff_address(command.argument):
            staff = policy.staff_described()
            errors.append(Problem("assign_not_staff", f"#assign {command.argument}: not a staff address; a complaint "
                                  f"is assigned to staff only (staff: {staff})",
                                  {"address": command.argument, "staff": _staff_shown(policy)}))
        elif command.name == "category" and command.argument not in policy.rules.category_names:
            known = ", ".join(policy.rules.category_names)
            errors.append(Problem("category_unknown", f"#category {command.argument}: unknown category "
                                  f"(known: {known})", {"category": command.argument, "known": known}))
    return parsed.commands, parsed.body, errors


def _staff_shown(policy: Policy) -> str:
    """Who counts as staff without words (staff_described's are English): *@domain and addresses."""
    staff = policy.config.staff
    named = sorted({a.lower() for a in staff.addresses} | policy.rules_staff_addresses)
    shown = ["*@" + d.lower() for d in sorted(staff.domains)] + named[:10]
    return ", ".join(shown) + (" ..." if len(named) > 10 else "") if shown else "-"


def _from_forward(mail: Mail, forwarded: Forwarded, now: datetime, policy: Policy) -> Registration | Errors:
    commands, note, errors = _commands(forwarded.staff_text, policy)
    original = forwarded.original
    if not original.new_text.strip() and not original.subject.strip() and not original.attachments:
        errors.append(Problem("forward_empty", "the forwarded mail has no text, subject or attachment to register"))
    if errors:
        return errors
    contact = extract_contact(original.sender_name, original.new_text, original.signature,
                              policy.config.gateway.phone_region)
    thread = (original.message_id,) if forwarded.how == "attached" and original.message_id else ()
    return Registration(original, original.sender, "forward", received_at(forwarded, now, policy.tz), contact.name,
                        contact.phone, note, "", commands, thread, forwarded.key)


def _from_intake(mail: Mail, now: datetime, policy: Policy) -> Registration | Errors:
    found = intake.read(mail.new_text, policy.config.staff.intake_required)
    commands, _, errors = _commands(found.commands_text, policy)
    errors = [*found.errors, *errors]
    phone = ""
    if found.fields.get("phone"):
        phone = extract_contact("", found.fields["phone"], "", policy.config.gateway.phone_region).phone
        if not phone:
            errors.append(Problem("phone_invalid", f"phone {found.fields['phone']!r} is not a valid phone number",
                                  {"given": found.fields["phone"]}))
    email = found.fields.get("email", "")
    if email and (_is_staff_address(email, policy) or email.endswith(".invalid")):
        errors.append(Problem("email_ours", f"e-mail {email} is ours (the care address, staff or a placeholder), "
                              "not the customer's", {"given": email}))
    if errors:
        return errors
    original = Mail(message_id="", sender=email or phone_address(phone), sender_name=found.full_name,
                    subject=_subject(mail.subject), text=found.text, new_text=found.text, date=now,
                    attachments=mail.attachments, headers=mail.headers)
    return Registration(original, original.sender, found.fields["channel"] if "channel" in found.fields else "phone",
                        now, found.full_name, phone, "", found.fields.get("staff_name", ""), commands)


def _is_staff_address(address: str, policy: Policy) -> bool:
    """The care address or a staff one: acknowledging it would mail ourselves."""
    staff = policy.config.staff
    return (address == policy.address or address in policy.rules_staff_addresses
            or address in {a.lower() for a in staff.addresses}
            or address.rsplit("@", 1)[-1] in {d.lower() for d in staff.domains})


def _subject(subject: str) -> str:
    """The staff mail's subject, unless it only says "#new"."""
    return "" if subject.strip().lower() in ("#new", "new", "") else subject.strip()


def registered(registrar: str, r: Registration, tracking: str, now: datetime, policy: Policy,
               held: bool = False) -> Plan:
    """The new complaint. `held`: the staff From was not authenticated, and anyone can write one,
    so an outsider could make the shop mail whomever they name: the complaint is registered (the
    staff mail is not lost) but every mail to the customer waits, AWAITING_CONFIRMATION, until a
    staff member confirms with #confirm in a reply to the desk's notice (proof of a staff mailbox);
    the registrar's notice says so, and goes to the real owner of the address used."""
    original = r.original
    hold = AWAITING_CONFIRMATION if held else ""
    given = {c.name: c.argument for c in r.commands}
    language = given.get("language") or policy.detect_language(original.new_text or original.subject)
    verdict = policy.classify(original, language)
    category = given.get("category", verdict.category)
    department = (policy.department_for_category(category) if "category" in given else "") or verdict.department
    priority = given.get("priority", verdict.priority)
    due = policy.initial_due(r.received, priority)
    b = PlanBuilder(r.channel if r.channel == "forward" else "intake", None, original.new_text)
    b.set(create=NewComplaint(
        tracking=tracking, subject=original.subject, priority=priority, category=category, department=department,
        language=language, sensitive=verdict.sensitive, why={**verdict.why, **_why(given)},
        customer_email=r.customer_email, channel=r.channel, registered_by=registrar, registrar_name=r.staff_name,
        created_at=r.received, thread=r.thread))
    b.update(due_acknowledge=due.acknowledge, due_stage=due.stage, due_resolve=due.resolve, acknowledged_at=now,
             **({"assignee": given["assign"]} if "assign" in given else {}))
    b.customer(name=r.name, phone=r.phone, language=language)
    how = {"forward": "forwarded by staff", "phone": "taken by phone", "visit": "taken in person"}[r.channel]
    # no customer data in this detail: "created" details outlive the retention purge
    b.event("created", registrar, f"new complaint {how}, registered by {registrar}"
            + (f" ({r.staff_name})" if r.staff_name else ""), to_status="registered")
    if r.key:
        b.event("original", registrar, "the forwarded customer mail", key=r.key)
    if r.received != now:
        b.event("received", r.customer_email, f"the customer wrote on {r.received.isoformat()}")
    b.event("classified", "rules", "; ".join(f"{k}: {v}" for k, v in verdict.why.items()))
    if r.staff_text:
        b.event("note", registrar, r.staff_text[:2000])
    mailable = reachable(r.customer_email)
    missing = list(missing_contact_fields(Contact(r.name, r.phone)))
    if held:
        b.event("held", "gateway", "registered by an unauthenticated staff mail: nothing is sent to the customer "
                "until a staff member confirms (#confirm)")
    if mailable:
        b.send(OutMail("ack", r.customer_email, "customer", language, params={"missing": missing}, hold=hold))
        if verdict.sensitive:
            b.send(OutMail("privacy", r.customer_email, "customer", language, key="privacy", hold=hold))
    if verdict.sensitive:
        b.event("sensitive_data", "rules", "special categories of personal data mentioned")
    b.send(OutMail("registered", registrar, "staff", policy.staff_language, threaded=False, key="registered",
                   params={"actor": registrar, "message": _summary(r, mailable), "held": held}))
    staff_to = given.get("assign") or verdict.department_address or policy.notify_address
    if staff_to and staff_to != registrar:
        b.send(OutMail("staff_new", staff_to, "staff", policy.staff_language, threaded=False,
                       params={**staff_message(original.new_text, original.shortened), "linked": ""}))
    return b.build()


def _summary(r: Registration, mailable: bool) -> str:
    """The facts the registrar needs to check what was registered (staff mail, staff language)."""
    lines = [f"channel: {r.channel}", f"customer: {r.name or '-'}",
             f"e-mail: {r.customer_email if mailable else '-'}", f"phone: {r.phone or '-'}"]
    if r.staff_name:
        lines.append(f"registered by: {r.staff_name}")
    if r.staff_text:
        lines.append(f"your note (internal, NOT sent to the customer): {r.staff_text[:2000]}")
    return "\n".join(lines)


def _why(given: dict[str, str]) -> dict[str, str]:
    return {k: f"set by the registering staff member (#{k})" for k in ("category", "priority") if k in given}


def again(mail: Mail, forwarded: Forwarded, before: ComplaintView, policy: Policy) -> Plan:
    """The customer's mail was registered already (a colleague forwarded it too): it joins that
    complaint, the customer hears nothing twice, the staff member learns the tracking number."""
    b = PlanBuilder("forward_again", before.id, forwarded.original.new_text)
    b.event("forwarded_again", mail.sender, "the same customer mail, forwarded again")
    message = (f"This customer mail was registered already as {before.tracking}; your forward was added to it "
               f"and the customer was not acknowledged a second time.")
    if forwarded.staff_text:
        b.event("note", mail.sender, forwarded.staff_text[:2000])
        message += "\n\nYour text, kept as an internal note (NOT sent to the customer):\n" + forwarded.staff_text[:2000]
    b.send(OutMail("staff_notice", mail.sender, "staff", policy.staff_language, threaded=False, key="again",
                   params={"message": message}))
    return b.build()


def refused(mail: Mail, errors: Errors, policy: Policy) -> Plan:
    """Nothing registered; the staff member learns what to fix, in the staff language
    (templates/mail/_errors.j2 says each Problem by its code)."""
    b = PlanBuilder("staff_rejected", None, mail.new_text)
    b.send(OutMail("register_error", mail.sender, "staff", policy.staff_language, threaded=False,
                   params={"errors": as_params(errors), "message": mail.new_text[:5000]}))
    return b.build()
