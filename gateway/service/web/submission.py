"""A web form as the mail the pipeline already understands (pure).

The portal files a complaint, and records the customer's decision, by writing the
message a customer would have mailed and handing it to the pipeline with source
"web": the same rules, deadlines, acknowledgements, staff notices and exactly-once
keys apply. The Message-ID comes from a one-time token of the form, so a double
submit is a duplicate, not a second complaint.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

LIMITS = {"name": 100, "surname": 100, "patronymic": 100, "phone": 40, "email": 254, "subject": 200,
          "text": 20_000}
REQUIRED = ("name", "surname", "email", "text")
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")
_PHONE = re.compile(r"\+?[\d\s().-]{5,40}")
# What an uploaded file must begin with to be what it says it is.
MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",), "image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"), "text/plain": (),
}


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Filing:
    fields: dict[str, str]
    upload: Upload | None = None


def clean(form: dict[str, str]) -> dict[str, str]:
    """The form's fields, trimmed, one line each except the text, and no NULs."""
    out = {}
    for name, limit in LIMITS.items():
        value = (form.get(name) or "").replace("\x00", "").strip()
        if name != "text":
            value = " ".join(value.split())
        out[name] = value[:limit + 1]  # one over: too long is an error, not silently cut
    return out


def problems(fields: dict[str, str], upload: Upload | None, max_bytes: int, types: tuple[str, ...]) -> list[str]:
    """Error codes, one per problem (the page words them in the customer's language)."""
    errors = [f"required:{name}" for name in REQUIRED if not fields.get(name)]
    errors += [f"too_long:{name}" for name, limit in LIMITS.items() if len(fields.get(name, "")) > limit]
    if fields.get("email") and not _EMAIL.fullmatch(fields["email"]):
        errors.append("invalid:email")
    if fields.get("phone") and (not _PHONE.fullmatch(fields["phone"]) or sum(c.isdigit() for c in fields["phone"]) < 5):
        errors.append("invalid:phone")
    if upload is not None:
        errors += upload_problems(upload, max_bytes, types)
    return errors


def upload_problems(upload: Upload, max_bytes: int, types: tuple[str, ...]) -> list[str]:
    if len(upload.data) > max_bytes:
        return ["attachment:size"]
    kind = upload.content_type.split(";")[0].strip().lower()
    if kind not in types or kind not in MAGIC:
        return ["attachment:type"]
    if kind == "text/plain":
        try:
            upload.data.decode("utf-8")
        except UnicodeDecodeError:
            return ["attachment:type"]
    elif not upload.data.startswith(MAGIC[kind]):
        return ["attachment:type"]
    return []


def complaint_mail(filing: Filing, to: str, token: str, host: str, now: datetime) -> bytes:
    """The complaint as the customer would have mailed it; the phone travels in the
    signature, where the contact step looks for it."""
    f = filing.fields
    msg = EmailMessage()
    display = " ".join(part for part in (f["name"], f.get("patronymic", ""), f["surname"]) if part)
    msg["From"] = Address(display_name=display, addr_spec=f["email"])
    msg["To"] = to
    msg["Subject"] = f.get("subject") or f["text"].split("\n", 1)[0][:80]
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = f"<web-{token}@{host}>"
    body = f["text"] + (f"\n\n-- \n{display}\nTel: {f['phone']}\n" if f.get("phone") else "\n")
    msg.set_content(body)
    if filing.upload is not None:
        maintype, subtype = filing.upload.content_type.split(";")[0].strip().lower().split("/", 1)
        msg.add_attachment(filing.upload.data, maintype=maintype, subtype=subtype,
                           filename=_safe_filename(filing.upload.filename))
    return msg.as_bytes()


def decision_mail(customer: str, to: str, tracking: str, subject: str, phrase: str, token: str, host: str,
                  now: datetime) -> bytes:
    """The customer's accept or reject, as the reply the resolution mail asks for."""
    msg = EmailMessage()
    msg["From"] = customer
    msg["To"] = to
    msg["Subject"] = f"Re: {subject} [{tracking}]"[:300]
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = f"<web-decision-{token}@{host}>"
    msg.set_content(phrase + "\n")
    return msg.as_bytes()


def _safe_filename(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?')[:100].strip(". ")
    return base or "attachment"
