"""The customer portal over real HTTP: a `gateway web` process on a free port, the
CLI for staff mail and the outbox, as an admin would run them side by side."""
from __future__ import annotations

import email
import re
from email import policy as email_policy

import pytest

from gatewaykit import gateway, mail, outgoing, show, staff_notice_id
from servers import free_port
from webkit import Client, PortalProcess, file_complaint, portal_config, track

NOW = "2026-11-23T10:00:00+04:00"


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    port = free_port()
    config = portal_config(tmp_path_factory.mktemp("portal"), port)
    gateway(config, "migrate")
    process = PortalProcess(config, port)
    yield process
    process.stop()


def staff_resolves(config, tracking: str, answer: str = "Your parcel leaves our warehouse tomorrow.") -> None:
    raw = mail(sender="agent@shop.test", subject=f"Re: complaint [{tracking}]", body=f"#resolve\n{answer}\n",
               in_reply_to=staff_notice_id(config, tracking))
    gateway(config, "ingest", input=raw)


def sent_mails(config) -> list[email.message.EmailMessage]:
    gateway(config, "tick")
    return [email.message_from_bytes(p.read_bytes(), policy=email_policy.default) for p in outgoing(config)]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_filing_in_azerbaijani_registers_a_web_complaint_with_a_secret(portal):
    client = Client(portal.url)
    page = file_complaint(client, lang="az", email="filing@example.az")
    assert page.status == 201, page.body
    assert "Şikayətiniz qeydə alındı" in page.body
    tracking, secret = page.text("tracking"), page.text("secret")
    assert re.fullmatch(r"CC-2026-\S{8}", tracking) and re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", secret)
    data = show(portal.config, tracking)
    assert data["channel"] == "web" and data["language"] == "az"
    assert data["customer"]["email"] == "filing@example.az"
    assert "Aysel Rauf qızı Məmmədova" in data["customer"]["name"]
    acks = [m for m in sent_mails(portal.config) if tracking in m["Subject"] and m["To"] == "filing@example.az"]
    assert len(acks) == 1
    body = text_of(acks[0])
    assert secret in body and f"{portal.url}/track" in body


def test_the_secret_is_stored_hashed(portal):
    import sqlite3
    page = file_complaint(Client(portal.url), email="hashed@example.az")
    secret = page.text("secret")
    database = sqlite3.connect(portal.config.parent / "storage" / "gateway.db")
    digests = [row[0] for row in database.execute("select digest from complaint_secret")]
    assert digests and all(secret not in d and secret.replace("-", "") not in d for d in digests)


def test_a_double_submit_files_once(portal):
    client = Client(portal.url)
    form = client.get("/complaint?lang=en")
    fields = {"csrf": form.field("csrf"), "submission": form.field("submission"), "lang": "en", "name": "John",
              "surname": "Smith", "email": "twice@example.com", "text": "My parcel arrived broken."}
    first, second = client.post("/complaint", fields), client.post("/complaint", fields)
    assert first.status == 201 and second.status == 200
    assert first.text("tracking") == second.text("tracking")
    assert "already received" in second.body
    assert len(gateway(portal.config, "list", "--json").stdout.decode().split("twice@example.com")) == 2


def test_missing_and_invalid_fields_are_named_in_the_customers_language(portal):
    client = Client(portal.url)
    page = file_complaint(client, lang="ru", email="not an address", name="")
    assert page.status == 422
    assert "Заполните, пожалуйста: Имя." in page.body and "Проверьте, пожалуйста: Электронная почта." in page.body
    assert 'value="Məmmədova"' in page.body  # what was typed is kept


def test_attachments_are_checked_by_size_and_content(portal):
    client = Client(portal.url)
    form = client.get("/complaint?lang=en")
    fields = {"csrf": form.field("csrf"), "submission": form.field("submission"), "lang": "en", "name": "Ann",
              "surname": "Lee", "email": "files@example.com", "text": "The invoice is wrong, see attached."}
    fake = client.post("/complaint", fields, files={"attachment": ("x.pdf", "application/pdf", b"MZ\x90\x00exe")})
    assert fake.status == 422 and "Only PDF" in fake.body
    good = client.post("/complaint", fields,
                       files={"attachment": ("invoice.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n")})
    assert good.status == 201
    import sqlite3
    database = sqlite3.connect(portal.config.parent / "storage" / "gateway.db")
    names = [row[0] for row in database.execute(
        "select a.filename from attachment_record a join message m on a.message_id = m.id "
        "join complaint c on m.complaint_id = c.id where c.tracking = ?", (good.text("tracking"),))]
    assert names == ["invoice.pdf"]


def test_too_large_an_upload_is_refused_politely(portal):
    client = Client(portal.url)
    form = client.get("/complaint?lang=tr")
    fields = {"csrf": form.field("csrf"), "submission": form.field("submission"), "lang": "tr", "name": "Ali",
              "surname": "Kaya", "email": "big@example.com.tr", "text": "Fatura hatalı."}
    page = client.post("/complaint", fields, files={"attachment": ("a.pdf", "application/pdf",
                                                                   b"%PDF-" + b"0" * (6 * 1024 * 1024))})
    assert page.status == 413 and "Dosya çok büyük" in page.body


def test_wrong_secret_and_unknown_number_answer_alike(portal):
    filed = file_complaint(Client(portal.url), email="oracle@example.com")
    tracking = filed.text("tracking")
    wrong = track(Client(portal.url), tracking, "AAAAA-AAAAA")
    unknown = track(Client(portal.url), "CC-2026-ZZZZZZZZ", "AAAAA-AAAAA")
    assert wrong.status == unknown.status == 403
    strip = lambda body: re.sub(r'value="[^"]*"', "", body)
    assert strip(wrong.body) == strip(unknown.body)


def test_status_page_shows_the_policy_words_and_never_internal_data(portal):
    client = Client(portal.url)
    filed = file_complaint(client, lang="ru", email="status@example.ru",
                           subject="<script>alert(1)</script>", text="Товар пришёл повреждённым.")
    tracking, secret = filed.text("tracking"), filed.text("secret")
    raw = mail(sender="agent@shop.test", subject=f"Re: [{tracking}]", body="#note the customer is a VIP, agent phone 5551234\n",
               in_reply_to=staff_notice_id(portal.config, tracking))
    gateway(portal.config, "ingest", input=raw)
    fresh = Client(portal.url)
    page = track(fresh, tracking.lower().replace("-", " "), secret.lower(), lang="ru")
    assert page.status == 200 and page.url.endswith(f"/complaint/{tracking}?lang=ru")
    assert "Зарегистрирована" in page.text("status")
    assert "&lt;script&gt;" in page.body and "<script>" not in page.body
    assert "Товар пришёл повреждённым." in page.body
    assert "VIP" not in page.body and "agent@shop.test" not in page.body and "team@shop.test" not in page.body
    assert "Ожидаемый срок решения" in page.body


@pytest.mark.parametrize("command, status, shows_date, hint", [
    ("#ask\nPlease send a photo of the damaged box.", "waiting_customer", False, True),  # the clock is paused
    ("#resolve\nDone.", "resolved", False, False),
    ("#status escalated", "escalated", False, False),  # after the answer (below): as the status mail, no date
    ("#status investigating", "investigating", True, False),
])
def test_the_status_page_shows_a_date_only_while_one_runs_and_how_to_answer_a_question(portal, command, status,
                                                                                      shows_date, hint):
    """Tester minor f: an escalated complaint showed an expected date nothing kept; a complaint
    waiting for the customer said so without saying how to answer."""
    client = Client(portal.url)
    filed = file_complaint(client, lang="ru", email="waits@example.ru")
    tracking = filed.text("tracking")
    if status == "escalated":
        staff_resolves(portal.config, tracking)
    raw = mail(sender="agent@shop.test", subject=f"Re: [{tracking}]", body=f"{command}\n",
               in_reply_to=staff_notice_id(portal.config, tracking))
    gateway(portal.config, "ingest", input=raw)
    assert show(portal.config, tracking)["status"] == status
    page = client.get(f"/complaint/{tracking}?lang=ru")
    assert ("Ожидаемый срок решения" in page.body) is shows_date
    assert ('id="waiting"' in page.body) is hint
    if hint:
        assert "ответьте на это письмо" in page.text("waiting")


def test_accept_on_the_page_closes_as_the_mail_reply_does(portal):
    client = Client(portal.url)
    filed = file_complaint(client, lang="az", email="accept@example.az")
    tracking = filed.text("tracking")
    staff_resolves(portal.config, tracking)
    page = client.get(f"/complaint/{tracking}?lang=az")
    assert "Cavabınız" not in page.text("status") and page.field("decision") == "accept"
    assert "Your parcel leaves our warehouse tomorrow." in page.body
    decided = client.post(f"/complaint/{tracking}/decision",
                          {"csrf": page.field("csrf"), "token": page.field("token"), "decision": "accept"})
    assert decided.status == 200 and "qərarınız qeydə alındı" in decided.body
    data = show(portal.config, tracking)
    assert data["status"] == "closed"
    assert any(m["kind"] == "accept" for m in data["messages"])
    assert 'id="accept"' not in decided.body


def test_two_rejections_on_the_page_escalate_with_the_remedies_notice(portal):
    client = Client(portal.url)
    tracking = file_complaint(client, lang="en", email="reject@example.com").text("tracking")
    for round_ in (1, 2):
        staff_resolves(portal.config, tracking, f"Answer number {round_}.")
        page = client.get(f"/complaint/{tracking}")
        client.post(f"/complaint/{tracking}/decision",
                    {"csrf": page.field("csrf"), "token": page.field("token"), "decision": "reject"})
    data = show(portal.config, tracking)
    assert data["status"] == "escalated" and data["reject_count"] == 2
    kinds = [o["kind"] for o in data["outgoing"] if o["recipient"] == "reject@example.com"]
    assert kinds.count("remedies") == 1 and kinds.count("reopened") == 1, kinds
    assert sum(1 for m in data["messages"] if m["kind"] == "reject") == 2


def test_a_decision_button_pressed_twice_counts_once(portal):
    client = Client(portal.url)
    tracking = file_complaint(client, email="double@example.com").text("tracking")
    staff_resolves(portal.config, tracking)
    page = client.get(f"/complaint/{tracking}")
    form = {"csrf": page.field("csrf"), "token": page.field("token"), "decision": "reject"}
    client.post(f"/complaint/{tracking}/decision", form)
    client.post(f"/complaint/{tracking}/decision", form)
    assert show(portal.config, tracking)["reject_count"] == 1


def test_forms_without_the_sessions_csrf_token_are_refused(portal):
    victim, attacker = Client(portal.url), Client(portal.url)
    tracking = file_complaint(victim, email="csrf@example.com").text("tracking")
    staff_resolves(portal.config, tracking)
    forged = attacker.get("/complaint")
    page = victim.get(f"/complaint/{tracking}")
    answer = victim.post(f"/complaint/{tracking}/decision",
                         {"csrf": forged.field("csrf"), "token": page.field("token"), "decision": "accept"})
    assert answer.status == 400
    assert victim.post("/track", {"tracking": tracking, "secret": "x"}).status == 400
    assert show(portal.config, tracking)["status"] == "resolved"


def test_a_status_page_needs_the_secret_first(portal):
    tracking = file_complaint(Client(portal.url), email="peek@example.com").text("tracking")
    page = Client(portal.url).get(f"/complaint/{tracking}")
    assert page.url.endswith("/track?lang=en") and tracking not in page.body


def test_lockout_after_ten_failures(tmp_path):
    port = free_port()
    config = portal_config(tmp_path, port)
    gateway(config, "migrate")
    process = PortalProcess(config, port)
    try:
        filed = file_complaint(Client(process.url), email="lock@example.com")
        tracking, secret = filed.text("tracking"), filed.text("secret")
        client = Client(process.url)
        statuses = [track(client, tracking, f"WRONG-{i:05d}").status for i in range(10)]
        assert statuses == [403] * 10
        locked = track(Client(process.url), tracking, secret)
        assert locked.status == 429 and "Too many attempts" in locked.body
        other = track(client, "CC-2026-AAAAAAAA", "x")
        assert other.status == 429  # the client is locked out too
    finally:
        process.stop()


def test_security_headers_and_cookie_flags(portal):
    page = Client(portal.url).get("/complaint")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_language_from_accept_language_then_default(portal):
    assert "Подача жалобы" in Client(portal.url).get("/complaint", {"Accept-Language": "ru-RU,ru;q=0.9"}).body
    assert "File a complaint" in Client(portal.url).get("/complaint", {"Accept-Language": "de"}).body
    assert 'lang="tr"' in Client(portal.url).get("/complaint?lang=tr").body


def test_email_complaints_get_a_secret_that_opens_the_portal(portal):
    raw = mail(sender="mailer@example.com", subject="Broken kettle", body="The kettle I bought leaks.")
    out = gateway(portal.config, "ingest", input=raw).stdout.decode()
    tracking = out.split()[2]
    ack = next(m for m in sent_mails(portal.config) if m["To"] == "mailer@example.com")
    secret = re.search(r"secret ([A-Z0-9]{5}-[A-Z0-9]{5})", text_of(ack)).group(1)
    page = track(Client(portal.url), tracking, secret)
    assert page.status == 200 and "The kettle I bought leaks." in page.body
    assert show(portal.config, tracking)["channel"] == "email"


def test_nobody_files_as_staff_through_the_form(portal):
    page = file_complaint(Client(portal.url), email="agent@shop.test", text="#close\nclosing everything")
    assert page.status == 422 and "Please check: E-mail." in page.body
    page = file_complaint(Client(portal.url), email="care@shop.test")
    assert page.status == 422


def test_check_finds_a_broken_portal_page_and_missing_words(tmp_path):
    import shutil

    from gatewaykit import REPO, write_config
    pages = tmp_path / "web"
    shutil.copytree(REPO / "templates" / "web", pages)
    (pages / "track.html").write_text("{% if %}", encoding="utf-8")
    strings = (pages / "strings.toml").read_text(encoding="utf-8")
    (pages / "strings.toml").write_text(strings.replace('track_locked = "Çox sayda', 'x = "'), encoding="utf-8")
    config = write_config(tmp_path, extra=f'[web]\ntemplates = "{pages}"\n')
    result = gateway(config, "check", check=False)
    out = result.stdout.decode()
    assert result.returncode == 2 and "track.html:1:" in out and "[az] lacks track_locked" in out
