"""`gateway preview`: a template rendered as the customer or staff member would read it.

With a tracking number the context is the one the outbox builds for that
complaint (outbox.mail_context), so what an admin previews is what would be
sent; without one, compose's sample context, the same one `gateway check`
renders every template against.
"""
from __future__ import annotations

from gateway.desk.policy import Policy
from gateway.outbound.compose import Templates, sample_context
from gateway.outbound.outbox import mail_context
from gateway.store.models import Complaint


class NoSuchComplaint(LookupError):
    """The tracking number names no complaint: the command says so, no traceback."""


def preview(policy: Policy, templates: Templates, kind: str, lang: str, tracking: str = "") -> str:
    if tracking:
        complaint = Complaint.get_or_none(Complaint.tracking == tracking.upper())
        if complaint is None:
            raise NoSuchComplaint(f"no complaint {tracking}")
        context = mail_context(policy, complaint, lang, {"message": "(preview)"})
    else:
        context = sample_context(lang, policy.config.business_zone, policy.config.calendar.work_end)
    rendered = templates.render(kind, lang, context)
    return f"Subject: {rendered.subject}\n\n{rendered.text}"
