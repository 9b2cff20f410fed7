"""Staff identity: addresses and domains, and authentication when required."""
from __future__ import annotations

from gateway.parse import parse
from gateway.staff import StaffPolicy, identify

POLICY = StaffPolicy(addresses=frozenset({"boss@partner.test"}), domains=frozenset({"shop.test"}))
STRICT = StaffPolicy(POLICY.addresses, POLICY.domains, require_authentication=True)


def mail(sender: str, headers: str = ""):
    return parse(f"From: {sender}\r\nTo: care@shop.test\r\nSubject: x\r\n{headers}\r\nbody\r\n".encode())


def test_domain_and_address_count_as_staff():
    assert identify(mail("agent@shop.test"), POLICY).is_staff
    assert identify(mail("Boss@Partner.test"), POLICY).is_staff
    assert not identify(mail("agent@shop.test.evil.example"), POLICY).is_staff


def test_authentication_required_refuses_a_bare_from():
    who = identify(mail("agent@shop.test"), STRICT)
    assert not who.is_staff and who.claims_staff and "DKIM/SPF" in who.reason


def test_dkim_or_spf_pass_for_the_staff_domain_is_accepted():
    dkim = "Authentication-Results: mx.shop.test; dkim=pass header.d=shop.test; spf=fail\r\n"
    spf = "Authentication-Results: mx.shop.test; spf=pass smtp.mailfrom=agent@shop.test\r\n"
    assert identify(mail("agent@shop.test", dkim), STRICT).is_staff
    assert identify(mail("agent@shop.test", spf), STRICT).is_staff


def test_a_pass_for_another_domain_does_not_count():
    other = "Authentication-Results: mx.shop.test; dkim=pass header.d=evil.example\r\n"
    failed = "Authentication-Results: mx.shop.test; dkim=fail header.d=shop.test\r\n"
    assert not identify(mail("agent@shop.test", other), STRICT).is_staff
    assert not identify(mail("agent@shop.test", failed), STRICT).is_staff
