"""Who counts as staff.

A From header is trivially forged, and staff commands change what customers
are told, so with `require_authentication` a staff address only counts when the
receiving server vouched for it (Authentication-Results: DKIM or SPF pass for
the staff domain). Without it, the mail is a customer's mail and its commands
are refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.parse import Mail

_RESULT = re.compile(r"\b(dkim|spf)\s*=\s*pass\b([^;]*)", re.IGNORECASE)
_DOMAIN_IN = re.compile(r"\b(?:header\.d|header\.i|smtp\.mailfrom|smtp\.helo)\s*=\s*(?:[^@\s;]*@)?([A-Za-z0-9.-]+)")


@dataclass(frozen=True)
class StaffPolicy:
    addresses: frozenset[str]
    domains: frozenset[str]
    require_authentication: bool = False


@dataclass(frozen=True)
class Identity:
    is_staff: bool
    claims_staff: bool  # From says staff, whether or not we believe it
    reason: str


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower()


def claims_staff(address: str, policy: StaffPolicy) -> bool:
    address = address.lower()
    return address in policy.addresses or domain_of(address) in policy.domains


def authenticated_domains(mail: Mail) -> set[str]:
    """Domains for which the receiving server reported a DKIM or SPF pass."""
    domains: set[str] = set()
    for header in mail.header_all("authentication-results"):
        for match in _RESULT.finditer(header):
            domains.update(d.lower().rstrip(".") for d in _DOMAIN_IN.findall(match.group(2)))
    return domains


def identify(mail: Mail, policy: StaffPolicy) -> Identity:
    if not claims_staff(mail.sender, policy):
        return Identity(False, False, "not a staff address")
    if not policy.require_authentication:
        return Identity(True, True, "staff address")
    if domain_of(mail.sender) in authenticated_domains(mail):
        return Identity(True, True, "staff address, authenticated by the receiving server")
    return Identity(False, True, "staff From without DKIM/SPF pass in Authentication-Results")
