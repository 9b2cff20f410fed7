"""The customer's name and phone number, as far as a mail tells them.

The complaint policies (seed 000: name, surname, patronymic and contact
number) need both; when either is missing the acknowledgement asks for it, so
this module must say what it could not find rather than guess. The From
display name is the customer's own choice and wins; a signature is only read
when it starts with what looks like a person's name. Phone numbers are left to
`phonenumbers`, which knows every country's numbering plan.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Lines that close a letter rather than name its writer (folded to lower case).
CLOSINGS: tuple[str, ...] = (
    "hörmətlə", "ehtiramla", "təşəkkürlər", "təşəkkür edirəm", "sağ olun", "salamla",
    "с уважением", "спасибо", "заранее спасибо", "всего доброго", "с наилучшими пожеланиями",
    "saygılarımla", "saygılar", "teşekkürler", "iyi çalışmalar", "iyi günler",
    "regards", "best regards", "kind regards", "best", "thanks", "thank you", "sincerely", "yours sincerely",
    "cheers",
)
# Lower-case words a name may contain: Azerbaijani/Turkish patronymics, particles.
NAME_PARTICLES: frozenset[str] = frozenset({"qızı", "oğlu", "kızı", "van", "von", "de", "da", "bin", "ibn"})
MIN_NAME_WORDS = 2  # seed 000 asks for name and surname (and patronymic); one word is not enough
MAX_NAME_WORDS = 4  # "Aysel Rauf qızı Məmmədova"; longer lines are sentences, not names
MAX_NAME_CHARS = 100  # longer is no person's name (a hostile 1 MB display name): the ack asks for it

_NAME_WORD = re.compile(r"^[^\W\d_]+(?:[-'’.][^\W\d_]*)*$")


@dataclass(frozen=True)
class Contact:
    name: str  # "" when unknown
    phone: str  # E.164, "" when unknown

    @property
    def missing(self) -> tuple[str, ...]:
        """What the acknowledgement must ask for (missing_contact_fields)."""
        return missing_contact_fields(self)


# Where a complaint's language says its customer most likely lives: a number written without
# +country is read in [gateway] phone_region first, then here ("0532 123 45 67" in a Turkish
# complaint to an Azerbaijani desk). English says nothing about a country.
LANGUAGE_REGIONS: dict[str, str] = {"az": "AZ", "ru": "RU", "tr": "TR"}

MAX_PHONE_TEXT = 20_000  # characters searched for a phone number: a bounded step

PHONE_DOMAIN = "phone.invalid"  # RFC 2606: a customer known only by phone; never mailed, never a sender


def phone_address(e164: str) -> str:
    """The customer row's key for a customer without e-mail (Customer.email is unique and
    required): staff registered a phone or visit complaint and got no address."""
    return f"{e164.lstrip('+')}@{PHONE_DOMAIN}"


def reachable(address: str) -> bool:
    """Whether mail can go to this customer address at all."""
    return not address.lower().endswith("@" + PHONE_DOMAIN)


def regions(phone_region: str, language: str = "") -> tuple[str, ...]:
    """The regions a number without +country is read in, in order."""
    return tuple(dict.fromkeys(r for r in (phone_region.upper(), LANGUAGE_REGIONS.get(language, "")) if r))


def extract_contact(display_name: str, text: str, signature: str, region: str | tuple[str, ...]) -> Contact:
    """Name from the From display name (else the signature), first phone number found.

    The signature is searched for a phone before the text, because a number in
    the text is as likely to be a shop's or a courier's as the customer's own.
    """
    name = _name_from_display(display_name) or _name_from_signature(signature)
    return Contact(name, first_phone(signature, region) or first_phone(text, region))


def missing_contact_fields(contact: Contact) -> tuple[str, ...]:
    """What the acknowledgement must ask for: "name" and/or "phone"."""
    missing = []
    if len(contact.name.split()) < MIN_NAME_WORDS:
        missing.append("name")
    if not contact.phone:
        missing.append("phone")
    return tuple(missing)


def _name_from_display(display_name: str) -> str:
    name = " ".join(display_name.strip().strip("\"'").split())
    return "" if "@" in name else _as_name(name)


def _name_from_signature(signature: str) -> str:
    """The first signature line that is a name, skipping closings like "Best regards,"."""
    for line in signature.splitlines():
        line = line.strip().strip("-–—").strip().rstrip(",")
        if not line or line.lower().rstrip("!.") in CLOSINGS:
            continue
        return _as_name(line)
    return ""


def _as_name(candidate: str) -> str:
    """The candidate when it reads like a person's name (1-4 capitalised words), else ""."""
    if len(candidate) > MAX_NAME_CHARS:
        return ""
    parts = candidate.split()
    if not 0 < len(parts) <= MAX_NAME_WORDS or not all(_NAME_WORD.match(p) for p in parts):
        return ""
    if not all(p[0].isupper() or p in NAME_PARTICLES for p in parts) or parts[0] in NAME_PARTICLES:
        return ""
    return candidate


def first_phone(text: str, region: str | tuple[str, ...]) -> str:
    """The first valid number (E.164), read in each region in turn; "" when none."""
    import phonenumbers  # ~80 ms to import: paid by the commands that read mail, not by `list` or `tick`
    for each in ((region,) if isinstance(region, str) else region):
        for match in phonenumbers.PhoneNumberMatcher(text[:MAX_PHONE_TEXT], each):
            if phonenumbers.is_valid_number(match.number):
                return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return ""
