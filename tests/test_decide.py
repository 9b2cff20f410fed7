"""The decide step on its own: mail + match + policy in, plan out (no database)."""
from __future__ import annotations

import pytest

from decidekit import CUSTOMER, HUMAN, NOW, complaint
from gateway import config as config_module
from gateway.desk.policy import Policy
from gateway.ingest.decide import Inputs, decide
from gateway.ingest.match import Match
from gateway.ingest.staff import Identity
from gateway.mail.hygiene import Verdict
from gateway.mail.parse import parse
from gatewaykit import write_config


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    return Policy.load(config_module.load(write_config(tmp_path_factory.mktemp("cfg"))))


def mail(body: str, sender: str = "aysel@example.az", subject: str = "Order", name: str = ""):
    frm = f"{name} <{sender}>" if name else sender
    return parse(f"From: {frm}\r\nTo: care@shop.test\r\nSubject: {subject}\r\nMessage-ID: <x@y>\r\n"
                 f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}".encode())


def run(policy, m, role="new", view=None, verdict=HUMAN, identity=CUSTOMER, **extra):
    return decide(Inputs(mail=m, verdict=verdict, identity=identity, match=Match(role, view if role != "stranger"
                                                                                 else None, linked=view if role == "stranger" else None),
                         now=NOW, new_tracking="CC-2026-NEW0000X", **extra), policy)


def kinds(plan):
    return [(o.kind, o.recipient) for o in plan.outgoing]


def test_new_complaint_is_acknowledged_and_announced(policy):
    plan = run(policy, mail("My parcel has not been delivered, the courier never came.", name="John Smith"))
    assert plan.create.tracking == "CC-2026-NEW0000X" and plan.create.category == "delivery"
    assert ("ack", "aysel@example.az") in kinds(plan)
    assert any(kind == "staff_new" for kind, _ in kinds(plan))
    assert plan.updates["due_resolve"] > NOW and plan.updates["acknowledged_at"] == NOW
    assert plan.customer["name"] == "John Smith"


def test_acknowledgement_asks_for_missing_contact_data(policy):
    plan = run(policy, mail("Parcel not delivered."))
    ack = next(o for o in plan.outgoing if o.kind == "ack")
    assert set(ack.params["missing"]) == {"name", "phone"}


def test_automatic_mail_changes_nothing_and_gets_no_answer(policy):
    plan = run(policy, mail("I am out of office"), role="customer", view=complaint(),
               verdict=Verdict(True, "autoreply", "out-of-office subject"))
    assert plan.outgoing == () and plan.status is None and plan.create is None
    assert plan.complaint_id == 7


def test_status_request(policy):
    plan = run(policy, mail("status"), role="customer", view=complaint())
    assert kinds(plan) == [("status", "aysel@example.az")] and plan.status is None


def test_customer_answer_resumes_a_paused_complaint(policy):
    view = complaint("waiting_customer", paused_at=NOW, status_before_wait="investigating")
    plan = run(policy, mail("The receipt number is 4471."), role="customer", view=view)
    assert plan.status == "investigating" and plan.updates["paused_at"] is None
    assert kinds(plan) == [("staff_update", "agent@shop.test")]


def test_accept_and_reject(policy):
    closed = run(policy, mail("I accept"), role="customer", view=complaint("resolved"))
    assert closed.status == "closed" and ("closed", "aysel@example.az") in kinds(closed)
    reopened = run(policy, mail("reject"), role="customer", view=complaint("resolved"))
    assert reopened.status == "reopened" and reopened.updates["reject_count"] == 1
    escalated = run(policy, mail("reject"), role="customer", view=complaint("resolved", reject_count=1))
    assert escalated.status == "escalated" and ("remedies", "aysel@example.az") in kinds(escalated)
    # staff read the customer's words, not the "deadline passed" template
    assert ("staff_update", "agent@shop.test") in kinds(escalated)
    assert not any(kind == "escalation" for kind, _ in kinds(escalated))
    update = next(o for o in escalated.outgoing if o.kind == "staff_update")
    assert update.params["message"] == "reject"


@pytest.mark.parametrize("text", ["Я не могу с этим согласиться.", "Qəbuledilməzdir!", "Bu kabul edilemez.",
                                  "This is not OK."])
def test_plain_rejections_in_every_language_reopen(policy, text):
    plan = run(policy, mail(text), role="customer", view=complaint("resolved"))
    assert plan.status == "reopened" and plan.updates["reject_count"] == 1


def test_a_reply_to_the_answer_that_decides_nothing_goes_to_staff_and_holds_the_auto_close(policy):
    plan = run(policy, mail("OK, but the refund has not reached my card yet."), role="customer",
               view=complaint("resolved", resolved_at=NOW))
    assert plan.status is None and "reject_count" not in plan.updates and "closed_at" not in plan.updates
    assert kinds(plan) == [("staff_update", "agent@shop.test")]
    assert plan.outgoing[0].params["message"] == "OK, but the refund has not reached my card yet."
    assert [e.kind for e in plan.events] == ["customer_message", "decision_unclear"]


@pytest.mark.parametrize("text", ["Yes, it is still broken.", "Fine. Where is my refund?", "Ладно, пойду в суд.",
                                  "Всё хорошо, кроме того что курьер нагрубил.", "Evet, hala çalışmıyor.",
                                  "Qəbul edirəm yalnız pul qaytarılsa.", "Bəli, hələ də işləmir."])
def test_a_yes_that_is_no_decision_never_closes(policy, text):
    """The hostile tester's replies (tests/test_intent.py): staff read them, the auto-close waits."""
    plan = run(policy, mail(text), role="customer", view=complaint("resolved", resolved_at=NOW))
    assert plan.status != "closed" and "closed_at" not in plan.updates
    assert "decision_unclear" in [e.kind for e in plan.events] or plan.status == "reopened"
    assert ("staff_update", "agent@shop.test") in kinds(plan)


def test_a_status_question_to_the_answer_gets_the_status_and_staff_read_it(policy):
    plan = run(policy, mail("When will the refund arrive?"), role="customer", view=complaint("resolved"))
    assert plan.status is None and plan.message_kind == "status_request"
    assert kinds(plan) == [("status", "aysel@example.az"), ("staff_update", "agent@shop.test")]
    assert "decision_unclear" in [e.kind for e in plan.events]


def test_an_empty_reply_to_the_answer_is_only_a_status_request(policy):
    plan = run(policy, mail("\n"), role="customer", view=complaint("resolved"))
    assert kinds(plan) == [("status", "aysel@example.az")]
    assert "decision_unclear" not in [e.kind for e in plan.events]


@pytest.mark.parametrize("text, status", [
    ("Qebul edirem", "closed"), ("Согласен, претензий нет.", "closed"), ("Sorunum kalmadı.", "closed"),
    ("OK, I accept. No further questions.", "closed"), ("rədd edirəm", "reopened"), ("Ret", "reopened"),
    ("This does not solve my problem.", "reopened"),
])
def test_the_issue_s_decisions(policy, text, status):
    assert run(policy, mail(text), role="customer", view=complaint("resolved")).status == status


def test_stranger_gets_a_new_linked_complaint_and_no_information(policy):
    plan = run(policy, mail("status", sender="nosy@example.org"), role="stranger", view=complaint())
    assert plan.create.linked_tracking == "CC-2026-4K7PQ2MX"
    assert ("stranger", "nosy@example.org") in kinds(plan)
    assert not any(kind == "status" for kind, _ in kinds(plan))


def test_forged_staff_commands_are_recorded_as_refused(policy):
    forged = Identity(False, True, "staff From without DKIM/SPF pass in Authentication-Results")
    plan = run(policy, mail("#close", sender="agent@shop.test"), role="stranger", view=complaint(), identity=forged)
    assert any(e.kind == "staff_refused" for e in plan.events) and plan.status is None


STAFF_BY_FROM = Identity(True, True, "staff address", needs_proof=True)  # auth off, the shipped default
WORDS = {
    "az": "#ask\nZəhmət olmasa sifariş nömrənizi yazın.",
    "ru": "#resolve\nКурьер привезёт заказ завтра.",
    "tr": "#priority high\n#note Müşteri tekrar aradı.",
    "en": "#extend 2026-12-20 the supplier is late\nWe will call you.",
}


@pytest.mark.parametrize("lang", sorted(WORDS))
@pytest.mark.parametrize("identity", [STAFF_BY_FROM, Identity(True, True, "staff address, authenticated")])
def test_staff_commands_in_a_mail_that_names_no_complaint_are_returned_to_their_author(policy, lang, identity):
    """Tester minor j: a staff reply that lost its thread opened a complaint in the staff member's
    name, acknowledged it to them and dropped the commands; now nothing is opened or applied and
    the author is told, with their text."""
    plan = run(policy, mail(WORDS[lang], sender="zeynep@shop.test", subject="Re: sifariş"), identity=identity)
    assert plan.create is None and plan.complaint_id is None and plan.status is None
    [told] = plan.outgoing
    assert (told.kind, told.recipient, told.params["notice"]) == ("staff_notice", "zeynep@shop.test", "unthreaded")
    assert told.params["notice_args"]["commands"].startswith("#") and WORDS[lang].split("\n")[-1] in told.params["message"]


@pytest.mark.parametrize("body", [
    "Sifarişim #3 gəlmədi, kömək edin.",  # az: a number after '#', written by an employee as a customer
    "Мой заказ #12345 не пришёл.",
    "Siparişim gelmedi #kargo #rezalet",
    "My order is late. #disappointed",
])
def test_a_staff_address_writing_without_commands_still_files_a_complaint(policy, body):
    plan = run(policy, mail(body, sender="zeynep@shop.test"), identity=STAFF_BY_FROM)
    assert plan.create is not None and ("ack", "zeynep@shop.test") in kinds(plan)


def test_a_customer_writing_a_command_word_files_a_complaint(policy):
    plan = run(policy, mail("#resolve this please, my order is late", sender="aysel@example.az"))
    assert plan.create is not None


def test_a_staff_from_that_failed_authentication_is_nobody_special(policy):
    failed = Identity(False, True, "no DKIM/SPF pass")
    plan = run(policy, mail("#close\nDone.", sender="zeynep@shop.test"), identity=failed)
    assert plan.create is not None and any(e.kind == "staff_refused" for e in plan.events)


def policy_with(tmp_path, lifecycle: str) -> Policy:
    return Policy.load(config_module.load(write_config(tmp_path, extra=f"\n[lifecycle]\n{lifecycle}\n")))


@pytest.mark.parametrize("rejections_before", [0, 1, 5])
def test_escalate_after_rejections_zero_reviews_again_after_every_rejection(tmp_path, rejections_before):
    policy = policy_with(tmp_path, "escalate_after_rejections = 0")  # seed 004
    plan = run(policy, mail("I reject"), role="customer", view=complaint("resolved", reject_count=rejections_before))
    assert plan.status == "reopened" and ("reopened", "aysel@example.az") in kinds(plan)
    assert plan.updates["reject_count"] == rejections_before + 1 and plan.updates["due_resolve"] > NOW


def test_escalate_after_rejections_three(tmp_path):
    policy = policy_with(tmp_path, "escalate_after_rejections = 3")
    view = complaint("resolved", reject_count=1)
    assert run(policy, mail("reject"), role="customer", view=view).status == "reopened"
    assert run(policy, mail("reject"), role="customer", view=complaint("resolved", reject_count=2)).status == \
        "escalated"


def test_a_reply_soon_after_closing_reopens_the_complaint(policy):
    view = complaint("closed", closed_at=NOW.replace(day=10))  # 13 days before NOW; default 30 days
    plan = run(policy, mail("The kettle broke again."), role="customer", view=view)
    assert plan.status == "reopened" and plan.create is None
    assert plan.updates["due_resolve"] > NOW and plan.updates["closed_at"] is None
    reopened = next(o for o in plan.outgoing if o.kind == "reopened")
    assert reopened.recipient == "aysel@example.az" and reopened.params["after_close"]
    assert ("staff_update", "agent@shop.test") in kinds(plan)


def test_a_reply_long_after_closing_opens_a_new_linked_complaint_and_acknowledges_it(tmp_path):
    policy = policy_with(tmp_path, "reopen_within_days = 7")
    view = complaint("closed", closed_at=NOW.replace(day=10), subject="Broken kettle")
    plan = run(policy, mail("The kettle broke again.", subject="Re: Your complaint has been closed [CC-2026-4K7PQ2MX]"),
               role="customer", view=view)
    assert plan.create.tracking == "CC-2026-NEW0000X" and plan.create.linked_tracking == "CC-2026-4K7PQ2MX"
    assert plan.message_kind == "customer"
    ack = next(o for o in plan.outgoing if o.kind == "ack")
    assert ack.recipient == "aysel@example.az" and ack.params["linked"] == "CC-2026-4K7PQ2MX"
    assert plan.create.subject == "Broken kettle"  # the old complaint's, not "Re: ... [old number]"
    assert not any(kind == "stranger" for kind, _ in kinds(plan))


def test_a_late_accept_to_a_closed_complaint_reopens_nothing(policy):
    plan = run(policy, mail("I accept"), role="customer", view=complaint("closed", closed_at=NOW))
    assert plan.status is None and plan.create is None and kinds(plan) == [("staff_update", "agent@shop.test")]
