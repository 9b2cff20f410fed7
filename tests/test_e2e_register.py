"""Staff register complaints for customers, end to end through `gateway ingest` and `tick`:
a forwarded customer mail (inline or attached) and `#new` for phone and visit complaints."""
from __future__ import annotations

import email
import email.policy
import sqlite3
from email.message import EmailMessage

import pytest

from gatewaykit import gateway, listing, mail, outgoing, show, write_config

NOW = "2026-11-24T06:00:00Z"
LATER = "2026-11-24T07:00:00Z"
CUSTOMER = "aysel@example.az"
AZ_TEXT = "Salam, noyabrın 2-də aldığım paltaryuyan maşın su buraxır. Zəhmət olmasa, kömək edin."


def parse_eml(path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def sent(config) -> list:
    return [parse_eml(p) for p in outgoing(config)]


def to(messages, address: str) -> list:
    return [m for m in messages if m["To"] == address]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def ingest(config, raw: bytes, now: str = NOW) -> str:
    line = gateway(config, "ingest", "--now", now, input=raw).stdout.decode()
    return line.split()[2]


# What our receiving server (authserv-id mx.shop.test) writes on a staff member's genuine mail.
AUTH = {"Authentication-Results": "mx.shop.test; dkim=pass header.d=shop.test"}


def gmail_forward(staff_lines: str = "", sender: str = "leyla@shop.test", headers: dict | None = None) -> bytes:
    body = (f"{staff_lines}\n\n---------- Forwarded message ---------\n"
            f"From: Aysel Məmmədova <{CUSTOMER}>\nDate: Mon, Nov 23, 2026 at 10:00 AM\n"
            f"Subject: Paltaryuyan maşın\nTo: <leyla@shop.test>\n\n{AZ_TEXT}\nTelefon: 050 123 45 67\n")
    return mail(sender=sender, name="Leyla", subject="Fwd: Paltaryuyan maşın", body=body, headers=headers)


def test_regression_a_forward_assigned_to_somebody_who_is_not_staff_is_refused(tmp_path):
    config = write_config(tmp_path, require_auth=True)
    line = gateway(config, "ingest", "--now", NOW, input=gmail_forward(
        "#assign murad@gmail.com\nMüştəri zəng də edib.", headers=AUTH)).stdout.decode()
    assert "staff_rejected" in line and listing(config) == []
    gateway(config, "tick", "--now", NOW)
    error, = to(sent(config), "leyla@shop.test")
    assert "not a staff address" in text_of(error) and not to(sent(config), "murad@gmail.com")


def test_inline_forward_becomes_the_customers_complaint_and_the_conversation_is_theirs(tmp_path):
    config = write_config(tmp_path, require_auth=True)
    tracking = ingest(config, gmail_forward("#priority high\n#assign orkhan@shop.test\nMüştəri zəng də edib.",
                                            headers=AUTH))
    data = show(config, tracking)
    assert data["customer"]["email"] == CUSTOMER and data["customer"]["name"] == "Aysel Məmmədova"
    assert data["customer"]["phone"] == "+994501234567"
    assert data["channel"] == "forward"
    assert data["registered_by"] == {"address": "leyla@shop.test", "name": ""}
    assert (data["priority"], data["assignee"], data["language"]) == ("high", "orkhan@shop.test", "az")
    assert data["created_at"] == "2026-11-23T06:00:00Z"  # 10:00 in Baku, the customer's own date
    assert data["messages"][0]["text"].startswith(AZ_TEXT) and data["messages"][0]["kind"] == "forward"
    assert any(e["kind"] == "note" and "zəng" in e["detail"] for e in data["events"])
    gateway(config, "tick", "--now", NOW)
    out = sent(config)
    ack, = to(out, CUSTOMER)
    assert ack["Content-Language"] == "az" and tracking in ack["Subject"]
    assert "Müştəri zəng" not in text_of(ack)  # the staff note is internal
    registered, = to(out, "leyla@shop.test")
    assert tracking in registered["Subject"] and CUSTOMER in text_of(registered)
    assert to(out, "orkhan@shop.test")  # the assignee hears of it
    # the customer's reply joins the complaint as the customer's
    ingest(config, mail(sender=CUSTOMER, subject=f"Re: [{tracking}] Şikayətiniz", body="Status?"), LATER)
    after = show(config, tracking)
    assert after["messages"][-1]["sender"] == CUSTOMER
    assert after["messages"][-1]["kind"] in ("customer", "status_request")
    assert len(listing(config)) == 1


def original_mail() -> EmailMessage:
    original = EmailMessage()
    original["From"] = "Айсель Мамедова <aysel@example.az>"
    original["To"] = "leyla@shop.test"
    original["Subject"] = "Стиральная машина протекает"
    original["Message-ID"] = "<orig-42@example.az>"
    original["Date"] = "Mon, 23 Nov 2026 10:00:00 +0400"
    original.set_content("Здравствуйте, стиральная машина, купленная 2 ноября, протекает. Помогите, пожалуйста.")
    original.add_attachment(b"\x89PNG fake photo", maintype="image", subtype="png", filename="leak.png")
    return original


def test_attached_original_keeps_its_attachments_and_the_ack_answers_it(tmp_path):
    config = write_config(tmp_path, require_auth=True)
    outer = EmailMessage()
    outer["Authentication-Results"] = AUTH["Authentication-Results"]
    outer["From"] = "leyla@shop.test"
    outer["To"] = "care@shop.test"
    outer["Subject"] = "FW: Стиральная машина протекает"
    outer["Message-ID"] = "<outer-42@shop.test>"
    outer.set_content("#category product_quality\n")
    outer.add_attachment(original_mail())
    tracking = ingest(config, outer.as_bytes())
    data = show(config, tracking)
    assert (data["customer"]["email"], data["channel"], data["category"]) == (CUSTOMER, "forward", "product_quality")
    assert data["subject"] == "Стиральная машина протекает" and data["language"] == "ru"
    with sqlite3.connect(tmp_path / "storage" / "gateway.db") as db:
        names = [row[0] for row in db.execute("SELECT filename FROM attachment_record")]
    assert names == ["leak.png"]
    gateway(config, "tick", "--now", NOW)
    ack, = to(sent(config), CUSTOMER)
    assert ack["In-Reply-To"] == "<orig-42@example.az>" and ack["Content-Language"] == "ru"


def new_mail(*lines: str, sender: str = "leyla@shop.test", text: str = AZ_TEXT, headers: dict | None = None) -> bytes:
    return mail(sender=sender, subject="#new", body="\n".join(["#new", *lines, "", text]), headers=headers)


def test_phone_complaint_without_email_tells_the_staff_member_and_never_mails_the_customer(tmp_path):
    config = write_config(tmp_path, require_auth=True)
    tracking = ingest(config, new_mail("Telefon: 050 123 45 67", "Ad: Aysel", "Soyad: Məmmədova",
                                       "Ata adı: Rauf qızı", "Kanal: zəng", "Əməkdaş: Leyla Həsənova", headers=AUTH))
    data = show(config, tracking)
    assert data["customer"] == {"email": None, "name": "Aysel Rauf qızı Məmmədova", "phone": "+994501234567",
                                "bouncing": False}
    assert data["channel"] == "phone"
    assert data["registered_by"] == {"address": "leyla@shop.test", "name": "Leyla Həsənova"}
    gateway(config, "tick", "--now", NOW)
    out = sent(config)
    assert not [m for m in out if "invalid" in m["To"]]
    registered, = to(out, "leyla@shop.test")
    assert tracking in text_of(registered) and "no e-mail" in text_of(registered)
    # a staff answer for this customer comes back to staff instead of vanishing
    ingest(config, mail(sender="leyla@shop.test", subject=f"Re: [{tracking}]", body="#resolve\nDəyişdirildi.",
                        in_reply_to=registered["Message-ID"], headers=AUTH), LATER)
    gateway(config, "tick", "--now", LATER)
    later = sent(config)[len(out):]
    assert later and not [m for m in later if "invalid" in m["To"]]
    assert any("by phone" in text_of(m) and "Dəyişdirildi" in text_of(m) for m in later)
    assert show(config, tracking)["status"] == "resolved"


def test_phone_complaint_from_an_unproven_staff_from_still_says_to_phone_the_customer(tmp_path):
    config = write_config(tmp_path)  # the shipped default: staff mail is not authenticated
    tracking = ingest(config, new_mail("Telefon: +994 55 765 43 21", "Ad: Olga", "Soyad: Petrova", "Kanal: zəng"))
    gateway(config, "tick", "--now", NOW)
    registered, = to(sent(config), "leyla@shop.test")
    text = text_of(registered)
    assert "+994557654321" in text and tracking in text and "#confirm" in text


def test_visit_complaint_with_email_acknowledges_the_customer(tmp_path):
    config = write_config(tmp_path, require_auth=True)
    tracking = ingest(config, new_mail("Email: Alice@Example.com", "Name: Alice", "Surname: Brown",
                                       "Channel: visit", text="The kettle I bought here broke after a day.",
                                       headers=AUTH))
    data = show(config, tracking)
    assert (data["customer"]["email"], data["channel"], data["language"]) == ("alice@example.com", "visit", "en")
    gateway(config, "tick", "--now", NOW)
    ack, = to(sent(config), "alice@example.com")
    assert tracking in ack["Subject"]
    assert "phone number" in text_of(ack)  # the ack asks for what is missing


def test_missing_fields_get_an_error_naming_them_and_nothing_is_stored(tmp_path):
    config = write_config(tmp_path)
    line = gateway(config, "ingest", "--now", NOW, input=new_mail("Имя: Айсель", "Канал: телефон")).stdout.decode()
    assert "processed - " in line and "staff_rejected" in line
    assert [c for c in listing(config) if c["tracking"]] == []
    gateway(config, "tick", "--now", NOW)
    error, = to(sent(config), "leyla@shop.test")
    body = text_of(error)
    assert "e-mail or phone is missing" in body and "surname is missing" in body
    assert "Имя: Айсель" in body  # their mail, to fix and resend


def test_commands_that_need_a_complaint_are_refused_on_a_forward(tmp_path):
    config = write_config(tmp_path)
    gateway(config, "ingest", "--now", NOW, input=gmail_forward("#resolve\nDone"))
    assert [c for c in listing(config) if c["tracking"]] == []
    gateway(config, "tick", "--now", NOW)
    out = sent(config)
    assert not to(out, CUSTOMER)
    assert "#resolve cannot be used" in text_of(to(out, "leyla@shop.test")[0])


def test_unauthenticated_staff_forward_is_a_customers_mail(tmp_path):
    config = write_config(tmp_path, require_auth=True)
    tracking = ingest(config, gmail_forward("#priority high"))
    data = show(config, tracking)
    assert data["customer"]["email"] == "leyla@shop.test" and data["channel"] == "email"
    assert data["registered_by"] is None


def test_customer_forwarding_mail_is_just_a_customer_writing(tmp_path):
    config = write_config(tmp_path)
    tracking = ingest(config, gmail_forward("See below, nobody answered me.", sender="rauf@example.org"))
    data = show(config, tracking)
    assert data["customer"]["email"] == "rauf@example.org" and data["channel"] == "email"


def test_report_counts_channels(tmp_path):
    config = write_config(tmp_path)
    ingest(config, mail(sender="c1@example.net", body="My order is late, please help."))
    ingest(config, gmail_forward())
    ingest(config, new_mail("Phone: 0501234567", "Name: A", "Surname: B", "Channel: visit"))
    report = gateway(config, "report", "--since", "2026-11-01", "--until", "2026-11-30", "--format", "csv")
    rows = report.stdout.decode()
    for channel in ("email", "forward", "visit"):
        assert f"channel,{channel},1" in rows, rows


def test_staff_forwarding_the_customers_follow_up_adds_it_as_the_customers_message(tmp_path):
    config = write_config(tmp_path, require_auth=True)  # a forward replies to nothing of ours: authenticated
    tracking = ingest(config, mail(sender=CUSTOMER, subject="Paltaryuyan maşın", body=AZ_TEXT))
    gateway(config, "tick", "--now", NOW)
    before = len(outgoing(config))
    body = (f"Bu da müştərinin yeni məktubudur.\n\n---------- Forwarded message ---------\n"
            f"From: Aysel <{CUSTOMER}>\nDate: Tue, Nov 24, 2026 at 9:00 AM\nSubject: Re: [{tracking}]\n"
            f"To: <leyla@shop.test>\n\nUsta hələ gəlməyib.\n")
    ingest(config, mail(sender="leyla@shop.test", subject=f"Fwd: Re: [{tracking}]", body=body,
                        headers={"Authentication-Results": "mx.shop.test; spf=pass smtp.mailfrom=leyla@shop.test"}),
           LATER)
    data = show(config, tracking)
    assert data["messages"][-1]["text"] == "Usta hələ gəlməyib."
    assert data["messages"][-1]["kind"] == "forwarded_customer"
    gateway(config, "tick", "--now", LATER)
    later = [parse_eml(p) for p in outgoing(config)[before:]]
    assert not to(later, CUSTOMER)  # nothing relayed back to the customer
    notice, = to(later, "leyla@shop.test")
    assert "NOT sent to the customer" in text_of(notice)


def test_new_naming_our_own_or_a_staff_address_as_the_customer_is_refused(tmp_path):
    config = write_config(tmp_path)
    for address in ("care@shop.test", "orkhan@shop.test", "1@phone.invalid"):
        gateway(config, "ingest", "--now", NOW, input=new_mail(f"E-mail: {address}", "Name: A", "Surname: B",
                                                               "Channel: visit"))
    assert [c for c in listing(config) if c["tracking"]] == []
    gateway(config, "tick", "--now", NOW)
    errors = to(sent(config), "leyla@shop.test")
    assert len(errors) == 3 and all("is ours" in text_of(m) for m in errors)
    assert not to(sent(config), "care@shop.test")


def test_intake_required_is_checked_by_the_config_loader(tmp_path):
    from gateway import config as config_module
    good = write_config(tmp_path / "good", extra="")
    text = good.read_text().replace('require_authentication = false',
                                    'require_authentication = false\nintake_required = ["contact", "staff_name"]')
    good.write_text(text)
    assert config_module.load(good).staff.intake_required == ("contact", "staff_name")
    good.write_text(text.replace('"staff_name"]', '"shoe_size"]'))
    try:
        config_module.load(good)
    except config_module.ConfigError as exc:
        assert "staff.intake_required" in str(exc) and "shoe_size" in str(exc)
    else:
        raise AssertionError("an unknown field was accepted")


def test_intake_required_patronymic_and_staff_name_are_enforced(tmp_path):
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace(
        'require_authentication = false',
        'require_authentication = false\nintake_required = ["contact", "name", "surname", "patronymic", '
        '"channel", "staff_name"]'))
    ingest(config, new_mail("Phone: 0501234567", "Name: A", "Surname: B", "Channel: visit"))
    assert [c for c in listing(config) if c["tracking"]] == []
    gateway(config, "tick", "--now", NOW)
    body = text_of(to(sent(config), "leyla@shop.test")[0])
    assert "patronymic is missing" in body and "your name is missing" in body


def test_the_same_customer_mail_forwarded_twice_registers_once(tmp_path):
    config = write_config(tmp_path, require_auth=True)
    first = ingest(config, gmail_forward("From Leyla", headers=AUTH))
    again = gateway(config, "ingest", "--now", LATER, input=gmail_forward("Orkhan here, also got this",
                                                                          sender="orkhan@shop.test", headers=AUTH))
    assert f"processed {first} " in again.stdout.decode()
    assert [c["tracking"] for c in listing(config) if c["tracking"]] == [first]
    gateway(config, "tick", "--now", LATER)
    out = sent(config)
    assert len(to(out, CUSTOMER)) == 1  # one acknowledgement
    notice, = to(out, "orkhan@shop.test")
    assert first in text_of(notice) and "registered already" in text_of(notice)
    assert any(e["kind"] == "forwarded_again" for e in show(config, first)["events"])


# --- [staff] require_authentication = false: a staff From nothing vouched for -------------------

def held_rows(config, tracking: str) -> list:
    return [o for o in show(config, tracking)["outgoing"] if o["state"] == "held"]


def test_a_forged_staff_forward_mails_no_customer_until_a_staff_member_confirms(tmp_path):
    """Anyone can write From: leyla@shop.test. The complaint is registered (a real forward is not
    lost) but the customer hears nothing; the notice goes to the real Leyla, whose #confirm in a
    reply to it (proof of her mailbox) sends the acknowledgement."""
    config = write_config(tmp_path)  # the shipped default: authentication off
    tracking = ingest(config, gmail_forward("Müştəri zəng də edib."))
    gateway(config, "tick", "--now", NOW)
    out = sent(config)
    assert not to(out, CUSTOMER)
    held, = held_rows(config, tracking)
    assert held["kind"] == "ack" and "#confirm" in held["error"]
    registered, = to(out, "leyla@shop.test")
    assert "NOT been told" in text_of(registered) and "#confirm" in text_of(registered)
    # somebody else's "#confirm", not a reply to the desk's mail, confirms nothing
    ingest(config, mail(sender="leyla@shop.test", subject=f"Re: [{tracking}]", body="#confirm"), LATER)
    gateway(config, "tick", "--now", LATER)
    assert not to(sent(config), CUSTOMER) and len(held_rows(config, tracking)) == 1
    # the real Leyla replies to the desk's notice
    ingest(config, mail(sender="leyla@shop.test", subject=f"Re: {registered['Subject']}", body="#confirm",
                        in_reply_to=registered["Message-ID"]), LATER)
    gateway(config, "tick", "--now", LATER)
    ack, = to(sent(config), CUSTOMER)
    assert tracking in ack["Subject"] and ack["Content-Language"] == "az"
    assert held_rows(config, tracking) == []
    assert any(e["kind"] == "confirmed" for e in show(config, tracking)["events"])


def test_regression_an_answer_before_the_confirmation_waits_and_its_author_is_told(tmp_path):
    config = write_config(tmp_path)
    tracking = ingest(config, gmail_forward("Müştəri zəng də edib."))
    gateway(config, "tick", "--now", NOW)
    registered, = to(sent(config), "leyla@shop.test")
    ingest(config, mail(sender="leyla@shop.test", subject=f"Re: {registered['Subject']}",
                        body="Sifarişiniz sabah çatdırılacaq.", in_reply_to=registered["Message-ID"]), LATER)
    gateway(config, "tick", "--now", LATER)
    out = sent(config)
    assert not to(out, CUSTOMER) and {o["kind"] for o in held_rows(config, tracking)} == {"ack", "relay"}
    told = [m["Subject"] for m in to(out, "leyla@shop.test") if "#confirm" in text_of(m)]
    assert len(told) == 2  # the registration notice, then: your answer waits
    assert any(e["kind"] == "answer_held" for e in show(config, tracking)["events"])


def test_a_forged_new_closed_by_the_real_staff_member_never_reaches_the_customer(tmp_path):
    config = write_config(tmp_path)
    tracking = ingest(config, new_mail("Email: victim@example.org", "Name: Vic", "Surname: Tim", "Channel: visit",
                                       text="Please send me your catalogue every day."))
    gateway(config, "tick", "--now", NOW)
    registered, = to(sent(config), "leyla@shop.test")
    assert "#close" in text_of(registered)
    ingest(config, mail(sender="leyla@shop.test", subject=f"Re: {registered['Subject']}", body="#close",
                        in_reply_to=registered["Message-ID"]), LATER)
    gateway(config, "tick", "--now", LATER)
    assert show(config, tracking)["status"] == "closed"
    assert not to(sent(config), "victim@example.org")  # neither the acknowledgement nor the closing mail
    assert {o["kind"] for o in held_rows(config, tracking)} == {"ack", "closed"}


def test_an_authenticated_staff_forward_acknowledges_at_once(tmp_path):
    config = write_config(tmp_path, require_auth=True)
    tracking = ingest(config, gmail_forward(headers=AUTH))
    gateway(config, "tick", "--now", NOW)
    assert to(sent(config), CUSTOMER) and held_rows(config, tracking) == []
    assert "NOT been told" not in text_of(to(sent(config), "leyla@shop.test")[0])


@pytest.mark.parametrize("require_auth", [False, True])
def test_an_unproven_staff_forward_of_the_customers_follow_up_is_added_and_decides_nothing(tmp_path, require_auth):
    """Shipped default (no authentication) and authentication on but missing: the forward of the
    complaint's own customer's mail (tester finding 09) is the customer's message; it accepts
    nothing for them, mails them nothing, and the address's owner is told."""
    config = write_config(tmp_path, require_auth=require_auth)
    tracking = ingest(config, mail(sender=CUSTOMER, subject="Paltaryuyan maşın", body=AZ_TEXT))
    gateway(config, "tick", "--now", NOW)
    before = len(outgoing(config))
    body = ("Bax bura.\n\n---------- Forwarded message ---------\n"
            f"From: Aysel <{CUSTOMER}>\nDate: Tue, Nov 24, 2026 at 9:00 AM\nSubject: Re: [{tracking}]\n"
            "To: <leyla@shop.test>\n\nUsta hələ gəlməyib. Qəbul edirəm ki, gecikmə olub.\n")
    ingest(config, mail(sender="leyla@shop.test", subject=f"Fwd: Re: [{tracking}]", body=body), LATER)
    data = show(config, tracking)
    assert data["messages"][-1]["text"].startswith("Usta hələ gəlməyib.")
    assert data["messages"][-1]["kind"] == "forwarded_customer" and data["status"] == "registered"
    forwarded = [e for e in data["events"] if e["kind"] == "forwarded"]
    assert len(forwarded) == 1 and "unauthenticated" in forwarded[0]["detail"]
    assert "staff_refused" not in [e["kind"] for e in data["events"]]
    gateway(config, "tick", "--now", LATER)
    later = [parse_eml(p) for p in outgoing(config)[before:]]
    assert not to(later, CUSTOMER)
    told = [m for m in to(later, "leyla@shop.test") if "was added to this complaint" in text_of(m)]
    assert len(told) == 1 and "Bax bura." in text_of(told[0])
    assert any("Usta hələ gəlməyib." in text_of(m) for m in later if m["To"] != "leyla@shop.test")


def test_an_unproven_staff_forward_of_somebody_else_is_still_refused(tmp_path):
    config = write_config(tmp_path)
    tracking = ingest(config, mail(sender=CUSTOMER, subject="Paltaryuyan maşın", body=AZ_TEXT))
    body = ("\n---------- Forwarded message ---------\nFrom: Someone <other@example.org>\n"
            f"Date: Tue, Nov 24, 2026 at 9:00 AM\nSubject: Re: [{tracking}]\nTo: <leyla@shop.test>\n\nSalam.\n")
    ingest(config, mail(sender="leyla@shop.test", subject=f"Fwd: Re: [{tracking}]", body=body), LATER)
    kinds = [e["kind"] for e in show(config, tracking)["events"]]
    assert "staff_refused" in kinds and "forwarded" not in kinds


def test_an_az_desk_reads_what_to_fix_in_azerbaijani(tmp_path):
    """Tester finding 04: on a desk whose [staff] language is az, the problems in an unreadable
    forward and in a #new reach the staff member in Azerbaijani, with the labels intake reads."""
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace(
        "require_authentication = false",
        'require_authentication = false\nlanguage = "az"\n'
        'intake_required = ["contact", "name", "surname", "patronymic", "channel"]'))
    outlook = ("\n\nFrom: Kamran Əliyev\nSent: Monday, November 23, 2026 9:45 AM\nTo: Leyla Həsənova\n"
               "Subject: Problem\n\nSalam, kondisioner işləmir.\n")
    gateway(config, "ingest", "--now", NOW, input=mail(sender="leyla@shop.test", subject="FW: Problem", body=outlook))
    gateway(config, "ingest", "--now", NOW, input=new_mail("Telefon: 050 123 45 67", "Ad: Aysel",
                                                           "Soyad: Məmmədova", "Kanal: zəng"))
    assert [c for c in listing(config) if c["tracking"]] == []
    gateway(config, "tick", "--now", NOW)
    texts = [text_of(m) for m in to(sent(config), "leyla@shop.test")]
    assert len(texts) == 2 and not any("From line" in t or "Patronymic" in t or "missing" in t for t in texts)
    assert any("Kimdən sətrində ünvan yoxdur" in t for t in texts)
    assert any("müştərinin ata adı yoxdur (Ata adı: ...)" in t for t in texts)
