"""The decide step for staff mail that registers a complaint for a customer (no database)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from gateway import config as config_module
from gateway.desk.policy import Policy
from gateway.desk.view import ComplaintView
from gateway.ingest.decide import Inputs, decide
from gateway.ingest.match import Match
from gateway.ingest.staff import Identity
from gateway.mail.forward import find
from gateway.mail.hygiene import Verdict
from gateway.mail.parse import parse
from gatewaykit import write_config

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)
HUMAN = Verdict(False, "", "")
STAFF = Identity(True, True, "staff address")
CUSTOMER_ID = Identity(False, False, "not a staff address")


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    return Policy.load(config_module.load(write_config(tmp_path_factory.mktemp("cfg"))))


def staff_mail(body: str, sender: str = "leyla@shop.test", subject: str = "Fwd: order"):
    return parse(f"From: {sender}\r\nTo: care@shop.test\r\nSubject: {subject}\r\nMessage-ID: <s@shop.test>\r\n"
                 f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}".encode())


def run(policy, mail, identity=STAFF, role="new", complaint=None):
    forwarded = find(mail, lambda a: a.endswith("@shop.test")) if identity.is_staff else None
    return decide(Inputs(mail=mail, verdict=HUMAN, identity=identity, match=Match(role, complaint), now=NOW,
                         new_tracking="CC-2026-NEW0000X", forwarded=forwarded), policy)


FORWARD = ("#priority high\nCustomer called as well.\n\n-----Original Message-----\n"
           "From: Aysel Məmmədova [mailto:AYSEL@Example.AZ]\nSent: 23.11.2026 10:00\nTo: Leyla\n"
           "Subject: Sifariş gecikir\n\nSalam, sifarişim 10 gündür çatdırılmayıb.\n")


def test_forward_plan_is_the_customers(policy):
    plan = run(policy, staff_mail(FORWARD))
    new = plan.create
    assert (new.customer_email, new.channel, new.registered_by, new.priority) == (
        "aysel@example.az", "forward", "leyla@shop.test", "high")
    assert new.created_at == datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)  # 10:00 in Baku
    assert plan.text == "Salam, sifarişim 10 gündür çatdırılmayıb."
    kinds = [(o.kind, o.recipient, o.language) for o in plan.outgoing]
    assert ("ack", "aysel@example.az", "az") in kinds
    assert ("registered", "leyla@shop.test", "en") in kinds
    assert any(e.kind == "note" and e.detail == "Customer called as well." for e in plan.events)
    assert plan.customer["name"] == "Aysel Məmmədova"


def test_customer_sending_the_same_mail_opens_their_own_complaint(policy):
    plan = run(policy, staff_mail(FORWARD, sender="rauf@example.org"), identity=CUSTOMER_ID)
    assert plan.create.customer_email == "" and plan.create.channel == "email"
    assert plan.outgoing[0].recipient == "rauf@example.org"


def test_unauthenticated_staff_is_a_customer(policy):
    plan = run(policy, staff_mail(FORWARD), identity=Identity(False, True, "no DKIM/SPF pass"))
    assert plan.create.channel == "email" and plan.create.registered_by == ""
    assert any(e.kind == "staff_refused" for e in plan.events)


def test_staff_mail_that_forwards_nothing_is_handled_as_before(policy):
    plan = run(policy, staff_mail("The shop in Gəncə has no stock of this model.", subject="Stock"))
    assert plan.create.channel == "email" and plan.create.registered_by == ""


@pytest.mark.parametrize("command", ["#resolve", "#close", "#ask", "#status closed", "#extend 2026-12-01 why"])
def test_commands_for_existing_complaints_are_refused(policy, command):
    plan = run(policy, staff_mail(FORWARD.replace("#priority high", command)))
    assert plan.create is None and plan.message_kind == "staff_rejected"
    (error,) = plan.outgoing
    assert error.kind == "register_error" and error.recipient == "leyla@shop.test"
    assert error.params["errors"][0]["code"] == "not_allowed"  # said in the staff language (_errors.j2)
    assert "cannot be used when registering" in error.params["errors"][0]["text"]


def test_phone_only_intake_acknowledges_nobody_but_the_registrar(policy):
    plan = run(policy, staff_mail("#new\nTelefon: 050 123 45 67\nAd: Aysel\nSoyad: Məmmədova\nKanal: zəng\n\n"
                                  "Kuryer gəlmədi.", subject="#new"))
    new = plan.create
    assert (new.customer_email, new.channel, new.subject) == ("994501234567@phone.invalid", "phone", "")
    assert [(o.kind, o.recipient) for o in plan.outgoing if o.audience == "customer"] == []
    registered = next(o for o in plan.outgoing if o.kind == "registered")
    assert "phone: +994501234567" in registered.params["message"]


def test_intake_errors_name_every_missing_field(policy):
    plan = run(policy, staff_mail("#new\nName: Aysel\n\nText", subject="#new"))
    assert plan.create is None
    errors = plan.outgoing[0].params["errors"]
    assert [e["code"] for e in errors] == ["missing_contact", "missing_surname", "missing_channel"]
    assert "e-mail or phone is missing" in errors[0]["text"] and "surname is missing" in errors[1]["text"]


def test_invalid_phone_number_is_an_error(policy):
    plan = run(policy, staff_mail("#new\nPhone: 12345\nName: A\nSurname: B\nChannel: phone\n\nText"))
    (error,) = plan.outgoing[0].params["errors"]
    assert plan.create is None and error == {"code": "phone_invalid", "args": {"given": "12345"},
                                             "text": "phone '12345' is not a valid phone number"}


def test_forward_of_the_complaints_own_customer_is_their_message(policy):
    complaint = ComplaintView(id=7, tracking="CC-2026-4K7PQ2MX", customer_email="aysel@example.az",
                              status="in_review", language="az", created_at=NOW,
                              staff_addresses=("leyla@shop.test",))
    plan = run(policy, staff_mail(FORWARD.replace("#priority high\n", "")), role="staff", complaint=complaint)
    assert plan.message_kind == "forwarded_customer" and plan.complaint_id == 7
    assert not [o for o in plan.outgoing if o.recipient == "aysel@example.az"]
    notice = next(o for o in plan.outgoing if o.kind == "staff_notice" and o.params.get("notice") == "forwarded")
    assert notice.recipient == "leyla@shop.test"


def test_an_outlook_reply_quoting_the_customer_is_still_a_staff_reply(policy):
    """A reply's quoted header block has no forward marker and the subject says RE:, not FW:."""
    complaint = ComplaintView(id=7, tracking="CC-2026-4K7PQ2MX", customer_email="aysel@example.az",
                              status="in_review", language="az", created_at=NOW,
                              staff_addresses=("leyla@shop.test",))
    reply = ("Hörmətli Aysel xanım, sifarişiniz sabah çatdırılacaq.\n\n________________________________\n"
             "From: Aysel Məmmədova <aysel@example.az>\nSent: 23.11.2026 10:00\nTo: Care\n"
             "Subject: [CC-2026-4K7PQ2MX] Sifariş\n\nSalam, sifarişim gecikir.\n")
    plan = run(policy, staff_mail(reply, subject="RE: [CC-2026-4K7PQ2MX] Sifariş"), role="staff",
               complaint=complaint)
    assert plan.message_kind == "staff"
    assert any(o.kind == "relay" and o.recipient == "aysel@example.az" for o in plan.outgoing)
    forwarded = run(policy, staff_mail(reply, subject="FW: [CC-2026-4K7PQ2MX] Sifariş"), role="staff",
                    complaint=complaint)
    assert forwarded.message_kind == "forwarded_customer"


def test_a_forwarded_customers_signature_still_gives_their_phone(policy):
    body = FORWARD.replace("çatdırılmayıb.\n", "çatdırılmayıb.\n\nHörmətlə,\nAysel Məmmədova\nTel: 050 123 45 67\n")
    plan = run(policy, staff_mail(body))
    assert plan.text == "Salam, sifarişim 10 gündür çatdırılmayıb."
    assert plan.customer["phone"] == "+994501234567"
