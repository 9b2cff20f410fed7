"""Staff identity: addresses and domains, and authentication when required.

Authentication-Results (RFC 8601) count only from the servers named in
`[staff] authserv_id`, only the topmost run of them, only for a pass aligned
with the From domain, and never inside comments."""
from __future__ import annotations

from gateway.ingest.staff import StaffPolicy, aligned, identify
from gateway.mail.parse import parse

POLICY = StaffPolicy(addresses=frozenset({"boss@partner.test"}), domains=frozenset({"shop.test"}))
STRICT = StaffPolicy(POLICY.addresses, POLICY.domains, require_authentication=True,
                     authserv_ids=frozenset({"mx.shop.test"}))
TWO_SERVERS = StaffPolicy(POLICY.addresses, POLICY.domains, require_authentication=True,
                          authserv_ids=frozenset({"mx.shop.test", "filter.shop.test"}))


def mail(sender: str, *results: str):
    headers = "".join(f"Authentication-Results: {r}\r\n" for r in results)
    return parse(f"{headers}Received: from outside\r\nFrom: {sender}\r\nTo: care@shop.test\r\nSubject: x\r\n"
                 "\r\nbody\r\n".encode())


def staff(sender: str, *results: str, policy: StaffPolicy = STRICT) -> bool:
    return identify(mail(sender, *results), policy).is_staff


def test_domain_and_address_count_as_staff():
    assert identify(mail("agent@shop.test"), POLICY).is_staff
    assert identify(mail("Boss@Partner.test"), POLICY).is_staff
    assert not identify(mail("agent@shop.test.evil.example"), POLICY).is_staff


def test_without_authentication_a_staff_from_needs_proof():
    who = identify(mail("agent@shop.test"), POLICY)
    assert who.is_staff and who.needs_proof
    assert not identify(mail("agent@shop.test", "mx.shop.test; dkim=pass header.d=shop.test"), STRICT).needs_proof


def test_authentication_required_refuses_a_bare_from():
    who = identify(mail("agent@shop.test"), STRICT)
    assert not who.is_staff and who.claims_staff and "DKIM/SPF/DMARC" in who.reason


def test_real_passing_headers_are_accepted():
    assert staff("agent@shop.test", "mx.shop.test; dkim=pass header.d=shop.test header.s=s1; spf=fail")
    assert staff("agent@shop.test", "mx.shop.test; spf=pass smtp.mailfrom=agent@shop.test")
    assert staff("agent@shop.test", "mx.shop.test; dmarc=pass (p=reject) header.from=shop.test")
    assert staff("Agent <agent@shop.test>", "MX.Shop.Test 1; dkim=pass header.i=@shop.test")
    assert staff("boss@partner.test", "mx.shop.test; dkim=pass header.d=partner.test")


def test_gmail_style_header_with_two_signatures():
    header = ("mx.shop.test;\r\n       dkim=pass header.i=@shop-test.20230601.gappssmtp.com header.s=20230601;\r\n"
              "       dkim=pass header.i=@shop.test header.s=google header.b=abc;\r\n"
              "       spf=pass (domain of agent@shop.test designates 1.2.3.4 as permitted sender) "
              "smtp.mailfrom=agent@shop.test;\r\n       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=shop.test")
    assert staff("agent@shop.test", header)


def test_subdomain_alignment_is_relaxed_but_bounded():
    assert staff("agent@eu.shop.test", "mx.shop.test; dkim=pass header.d=shop.test",
                 policy=StaffPolicy(frozenset(), frozenset({"eu.shop.test"}), True, frozenset({"mx.shop.test"})))
    assert aligned("shop.test", "eu.shop.test") and not aligned("test", "shop.test")
    assert not aligned("hop.test", "shop.test") and not aligned("evil-shop.test", "shop.test")


def test_misaligned_domains_do_not_count():
    assert not staff("agent@shop.test", "mx.shop.test; dkim=pass header.d=evil.example")
    assert not staff("agent@shop.test", "mx.shop.test; dkim=pass header.d=shop.test.evil.example")
    assert not staff("agent@shop.test", "mx.shop.test; spf=pass smtp.mailfrom=bounce@evil.example")
    assert not staff("agent@shop.test", "mx.shop.test; spf=pass smtp.helo=shop.test")  # HELO is not aligned
    assert not staff("agent@shop.test", "mx.shop.test; dmarc=pass header.from=evil.example")
    assert not staff("agent@shop.test", "mx.shop.test; dkim=fail header.d=shop.test")
    assert not staff("agent@shop.test", "mx.shop.test; dkim=neutral header.d=shop.test; spf=softfail "
                                        "smtp.mailfrom=agent@shop.test")
    assert not staff("agent@shop.test", "mx.shop.test; arc=pass header.d=shop.test")


def test_header_from_another_authserv_id_does_not_count():
    assert not staff("agent@shop.test", "attacker.example; dkim=pass header.d=shop.test")
    assert not staff("agent@shop.test", "mx.shop.test.attacker.example; dkim=pass header.d=shop.test")
    assert not staff("agent@shop.test", "(mx.shop.test) attacker.example; dkim=pass header.d=shop.test")


def test_header_d_inside_a_comment_never_matches():
    assert not staff("agent@shop.test", "mx.shop.test; dkim=pass (header.d=shop.test) header.d=evil.example")
    assert not staff("agent@shop.test", "mx.shop.test; dkim=fail (dkim=pass header.d=shop.test)")
    assert not staff("agent@shop.test", "mx.shop.test; spf=pass (smtp.mailfrom=agent@shop.test) "
                                        "smtp.mailfrom=x@evil.example")
    assert not staff("agent@shop.test", "mx.shop.test (; dkim=pass header.d=shop.test); none")


def test_forged_extra_header_below_ours_does_not_count():
    forged = "mx.shop.test; dkim=pass header.d=shop.test; spf=pass smtp.mailfrom=agent@shop.test"
    ours = "mx.shop.test; dkim=none; spf=fail smtp.mailfrom=agent@shop.test"
    assert not staff("agent@shop.test", ours, forged)
    # below a header of another server, a forged one is outside the topmost run of ours
    assert not staff("agent@shop.test", "mx.shop.test; none", "relay.example; none", forged)
    # our own servers' run: a filter's verdict above the border MTA's counts
    assert staff("agent@shop.test", "filter.shop.test; dkim=pass header.d=shop.test", "mx.shop.test; none",
                 policy=TWO_SERVERS)


def test_unreadable_headers_are_ignored_and_bounded():
    assert not staff("agent@shop.test", "mx.shop.test; dkim pass header.d=shop.test")
    assert not staff("agent@shop.test", "mx.shop.test; dkim=pass " + "x.y=z " * 20 + "header.d=shop.test")
    assert not staff("agent@shop.test", "mx.shop.test; garbage", "relay.example; x",
                     "mx.shop.test; dkim=pass header.d=shop.test")
    many = ["relay.example; none"] * 500 + ["mx.shop.test; dkim=pass header.d=shop.test"]
    assert not staff("agent@shop.test", *many)  # only the first 10 headers are read
    huge = "mx.shop.test; dkim=pass reason=\"" + "\\\"" * 200_000 + "\" header.d=shop.test"
    assert not staff("agent@shop.test", huge)  # cut to 2,048 characters before it is parsed


def test_no_trusted_server_configured_trusts_nothing():
    nobody = StaffPolicy(POLICY.addresses, POLICY.domains, require_authentication=True)
    assert not staff("agent@shop.test", "mx.shop.test; dkim=pass header.d=shop.test", policy=nobody)
