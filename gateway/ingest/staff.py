"""Who counts as staff.

A From header is trivially forged, and staff commands change what customers
are told, so with `require_authentication` a staff address only counts when a
server we trust vouched for it: an Authentication-Results header (RFC 8601)
whose authserv-id is one of `[staff] authserv_id`, reporting a DKIM, SPF or
DMARC pass aligned with the From address's domain. Anyone can write an
Authentication-Results header into the mail they send, so only the topmost
run of headers written by our own servers counts (they are prepended on
receipt, above anything the sender wrote; RFC 8601 section 5 has the border
MTA delete incoming ones carrying its id), within it each method's topmost
result, and comments never match (the `authres` parser drops them).

Without authentication (`require_authentication = false`) a staff From is
only half believed: the pipeline lets it act on a complaint only when it
replies to a mail we sent to staff (see `needs_proof`).
"""
from __future__ import annotations

from dataclasses import dataclass

import authres

from gateway.config import Config
from gateway.mail.parse import Mail

MAX_HEADERS = 10  # Authentication-Results headers read, from the top (ours are the topmost)
MAX_HEADER_CHARS = 4096  # read of one header
MAX_RESULTS = 8  # results (';'-separated parts) read of one header
MAX_PART_CHARS = 400  # one result with its properties; authres is super-linear on long ones
MAX_PROPERTIES = 12  # '=' signs in one result (method=result and its properties)


@dataclass(frozen=True)
class StaffPolicy:
    addresses: frozenset[str]
    domains: frozenset[str]
    require_authentication: bool = False
    authserv_ids: frozenset[str] = frozenset()  # lower-case


@dataclass(frozen=True)
class Identity:
    is_staff: bool
    claims_staff: bool  # From says staff, whether or not we believe it
    reason: str
    needs_proof: bool = False  # staff by From alone: may act on a complaint only by replying to our staff mail
    code: str = ""  # why, as staff mail says it in their language (templates/mail/_notices.j2 WHY)


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower().rstrip(".")


def claims_staff(address: str, policy: StaffPolicy) -> bool:
    address = address.lower()
    return address in policy.addresses or domain_of(address) in policy.domains


def trusted_results(mail: Mail, authserv_ids: frozenset[str]) -> list[list[authres.AuthenticationResult]]:
    """The results of the topmost run of Authentication-Results headers written by our servers.

    Walking down from the top, the first header carrying a trusted authserv-id
    starts the run and the first other header ends it: whatever lies below was
    there before our server received the mail, so the sender may have written it."""
    run: list[list[authres.AuthenticationResult]] = []
    started = False
    for value in mail.header_all("authentication-results")[:MAX_HEADERS]:
        parts = _split(value[:MAX_HEADER_CHARS])
        server = parts[0].split()[0] if parts[0].split() else ""
        if server.lower().rstrip(".") in authserv_ids:
            started = True  # ours, even when unreadable: it still belongs to the run
            run.append([r for part in parts[1:MAX_RESULTS + 1] for r in _parse(parts[0], part)])
        elif started:
            break
    return run


def _split(value: str) -> list[str]:
    """The header's ';'-separated parts with comments taken out, in one linear pass (authres
    alone is super-linear on long or oddly quoted headers, so it only ever sees one part)."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted, escaped = 0, False, False
    for char in value:
        if escaped:
            escaped = False
            if not depth:
                current.append(char)
        elif char == "\\" and (quoted or depth):
            escaped = True
            if not depth:
                current.append(char)
        elif depth:
            depth += 1 if char == "(" else -1 if char == ")" else 0
        elif quoted:
            current.append(char)
            quoted = char != '"'
        elif char == "(":
            depth = 1
            current.append(" ")
        elif char == ";":
            parts.append("".join(current))
            current = []
        else:
            quoted = char == '"'
            current.append(char)
    parts.append("".join(current))
    return parts


def _parse(server: str, part: str) -> list[authres.AuthenticationResult]:
    part = part.strip()
    if not part or len(part) > MAX_PART_CHARS or part.count("=") > MAX_PROPERTIES:
        return []  # no real result is that long; authres would take its time over it
    try:
        return list(authres.AuthenticationResultsHeader.parse_value(f"{server}; {part}").results)
    except Exception:  # authres raises its own SyntaxError and, on odd input, others
        return []


def aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment: the same domain, or the From domain lies under the authenticated one."""
    domain = domain.lower().strip().rstrip(".")
    return bool(domain) and (domain == from_domain or ("." in domain and from_domain.endswith("." + domain)))


def _property(result: authres.AuthenticationResult, kind: str, name: str) -> str:
    for prop in result.properties:
        if prop.type.lower() == kind and prop.name.lower() == name:
            return str(prop.value or "")
    return ""


def passes(result: authres.AuthenticationResult, from_domain: str) -> bool:
    """A DKIM, SPF or DMARC pass for an identity aligned with the From domain
    (SPF's HELO identity and DKIM signatures of other domains do not count)."""
    if str(result.result).lower() != "pass":
        return False
    method = str(result.method).lower()
    if method == "dkim":
        identity = _property(result, "header", "d") or domain_of(_property(result, "header", "i"))
        return aligned(identity, from_domain)
    if method == "spf":
        mailfrom = _property(result, "smtp", "mailfrom")
        return bool(mailfrom) and aligned(domain_of(mailfrom), from_domain)
    if method == "dmarc":
        return _property(result, "header", "from").lower().rstrip(".") == from_domain
    return False


def authenticated(mail: Mail, policy: StaffPolicy) -> bool:
    """For each method, the topmost trusted header that reports it decides (with all of its
    results there: a mail may carry several DKIM signatures): a forged header slipped in
    below our server's own cannot overrule what our server said about that method."""
    from_domain = domain_of(mail.sender)
    decided: set[str] = set()
    for results in trusted_results(mail, policy.authserv_ids):
        methods = {str(result.method).lower() for result in results} - decided
        if any(passes(result, from_domain) for result in results if str(result.method).lower() in methods):
            return True
        decided |= methods
    return False


def identify(mail: Mail, policy: StaffPolicy) -> Identity:
    if not claims_staff(mail.sender, policy):
        return Identity(False, False, "not a staff address")
    if not policy.require_authentication:
        return Identity(True, True, "staff address (not authenticated)", needs_proof=True)
    if authenticated(mail, policy):
        return Identity(True, True, "staff address, authenticated by the receiving server")
    return Identity(False, True, "staff From without an aligned DKIM/SPF/DMARC pass from a trusted "
                                 "authserv-id in Authentication-Results", code="unauthenticated")


def staff_warnings(config: Config) -> list[str]:
    """What is legal but unsafe: staff recognised by their From header alone."""
    staff = config.staff
    if staff.require_authentication or not (staff.domains or staff.addresses):
        return []
    return [f"{config.source}:0: WARNING: [staff] require_authentication is off, so staff are recognised by "
            "the From header alone, which anyone can forge. A staff address may then act on a complaint "
            "(answer the customer, #resolve, #close) only by replying to the desk's own mail to staff; "
            "set require_authentication = true and authserv_id to your receiving server's "
            "Authentication-Results id (README: \"Staff authentication in production\")"]
