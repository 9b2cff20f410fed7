"""Staff replies as real mail clients write them, in az/ru/tr/en, top- and bottom-posted, text and HTML.

Each case is a raw mail shaped like the client's own output (the patterns of
../shared/corpus/realmail: Gmail's gmail_quote, Outlook's MsoNormal paragraphs
and From/Sent/To/Subject block, Thunderbird's format=flowed and moz-cite-prefix,
Apple Mail's quoted attribution, Yandex's and Mail.ru's address lines, Yahoo's
unquoted history, mutt's "-- " signature) sent by a staff member with
`#resolve`. For each: the answer reaches the customer whole, nothing of the staff
member (name, address, phone, signature, client footer) is in it, and the
command moved the complaint.
"""
from __future__ import annotations

import html
from datetime import datetime, timezone
from email.message import EmailMessage
from typing import Callable

import pytest

from gateway import config as config_module
from gateway.desk.policy import Policy
from gateway.desk.view import ComplaintView
from gateway.ingest.steer import steer
from gateway.mail.parse import parse
from gatewaykit import write_config
from realmail import CORPUS

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)
STAFF = "leyla.hasanova@shop.test"
PHONE = "+994 12 555 55 55"
LANGS = ("az", "ru", "tr", "en")
NAME = {"az": "Leyla Həsənova", "ru": "Лейла Гасанова", "tr": "Leyla Hasanova", "en": "Leyla Hasanova"}
TITLE = {"az": "Müştəri xidmətləri", "ru": "Служба заботы о клиентах", "tr": "Müşteri Hizmetleri",
         "en": "Customer Care"}
CLOSING = {"az": "Hörmətlə,", "ru": "С уважением,", "tr": "Saygılarımla,", "en": "Regards,"}
# Each answer holds one of the sentences the old word patterns took for a signature or a quote.
ANSWER = {
    "az": "Hörmətli müştəri,\nSifarişiniz bu gün anbarımızdan göndərildi.\nKuryer sabah saat 10:00-da zəng edəcək.",
    "ru": "Уважаемый клиент,\nОтправлено со склада 24 ноября.\nКурьер написал:\nдоставка завтра до 12:00.",
    "tr": "Sayın müşterimiz,\nÜrününüz bugün depomuzdan gönderildi.\nKurye yarın sizi arayacak.",
    "en": "Dear customer,\nSent via DHL Express on 24 November.\nThe courier wrote:\nhe will call you tomorrow.",
}
ORIGINAL = {"az": "Şikayətiniz qeydə alındı.", "ru": "Ваша жалоба зарегистрирована.",
            "tr": "Şikayetiniz kaydedildi.", "en": "Your complaint was registered."}
WHEN = "Mon, 07 Dec 2026 10:01:00 +0400"


# --- attributions and headers as each client writes them ------------------------------

def gmail_attribution(lang: str) -> str:
    return {
        "az": "Care Desk <care@shop.test>, 7 dek 2026, B.e., 10:01 tarixində yazıb:",
        "ru": "пн, 7 дек. 2026 г. в 10:01, Care Desk <care@shop.test>:",
        "tr": "Care Desk <care@shop.test> adresine sahip kullanıcı 7 Ara 2026 Pzt, 10:01\ntarihinde şunu yazdı:",
        "en": "On Mon, 7 Dec 2026 at 10:01, Care Desk <care@shop.test> wrote:",
    }[lang]


OUTLOOK_LABELS = {
    "az": ("Göndərən", "Göndərilib", "Kimə", "Mövzu"), "ru": ("От", "Отправлено", "Кому", "Тема"),
    "tr": ("Kimden", "Gönderildi", "Kime", "Konu"), "en": ("From", "Sent", "To", "Subject"),
}
OUTLOOK_MOBILE = {"az": "iOS üçün Outlook əldə edin", "ru": "Получить Outlook для iOS",
                  "tr": "iOS için Outlook'u edinin", "en": "Get Outlook for iOS"}
IPHONE = {"az": "iPhone-dan göndərildi", "ru": "Отправлено с iPhone", "tr": "iPhone'umdan gönderildi",
          "en": "Sent from my iPhone"}


def outlook_header(lang: str) -> list[str]:
    f, s, t, subj = OUTLOOK_LABELS[lang]
    return [f"{f}: Care Desk <care@shop.test>", f"{s}: 7 December 2026 10:01", f"{t}: {NAME[lang]}",
            f"{subj}: [CC-2026-4K7PQ2MX] Sifariş"]


def thunderbird_attribution(lang: str) -> str:
    return {"ru": "07.12.2026 10:01, Care Desk пишет:", "tr": "07.12.2026 10:01 tarihinde Care Desk yazdı:",
            "az": "07.12.2026 10:01 tarixində Care Desk yazıb:"}.get(lang, "On 07.12.2026 10:01, Care Desk wrote:")


def apple_attribution(lang: str) -> str:
    return {"ru": "7 дек. 2026 г., в 10:01, Care Desk <care@shop.test> написал(а):",
            "tr": "7 Ara 2026 tarihinde 10:01 saatinde, Care Desk <care@shop.test> şunu yazdı:",
            "az": "7 dek 2026, saat 10:01, Care Desk <care@shop.test> yazdı:"}.get(
        lang, "On 7 Dec 2026, at 10:01, Care Desk <care@shop.test> wrote:")


def quote(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.split("\n"))


def signature_block(lang: str, closing: bool = True, address: bool = True) -> str:
    lines = ([CLOSING[lang]] if closing else []) + [NAME[lang], TITLE[lang], f"Tel: {PHONE}"]
    return "\n".join(lines + ([STAFF] if address else []))


# --- one function per client style: (lang, layout) -> (content type, body, extra params) ----

Body = tuple[str, str, dict[str, str]]


def gmail_text(lang: str, layout: str) -> Body:
    answer = f"#resolve\n{ANSWER[lang]}\n\n-- \n{NAME[lang]}\n{PHONE}"
    history = f"{gmail_attribution(lang)}\n\n{quote(ORIGINAL[lang])}"
    return "plain", _layout(answer, history, layout), {}


def gmail_html(lang: str, layout: str) -> Body:
    lines = "".join(f"<div>{html.escape(x)}</div>" for x in f"#resolve\n{ANSWER[lang]}".split("\n"))
    sig = (f'<br clear="all"><div><br></div>-- <br><div dir="ltr" class="gmail_signature">'
           f"<div>{html.escape(NAME[lang])}</div><div>{PHONE}</div></div>")
    attribution = html.escape(gmail_attribution(lang)).replace("\n", "<br>")
    history = (f'<div class="gmail_quote"><div dir="ltr" class="gmail_attr">{attribution}<br></div>'
               f'<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
               f'rgb(204,204,204);padding-left:1ex"><div>{html.escape(ORIGINAL[lang])}</div></blockquote></div>')
    return "html", f'<div dir="ltr">{lines}{sig}</div><br>{history}', {}


def outlook_desktop(lang: str, layout: str) -> Body:
    def p(text: str) -> str:
        return f"<p class=MsoNormal>{html.escape(text) or '<o:p>&nbsp;</o:p>'}<o:p></o:p></p>\n"
    own = f"#resolve\n{ANSWER[lang]}\n\n{signature_block(lang)}".split("\n")
    header = "<br>\n".join(f"<b>{html.escape(k)}:</b>{html.escape(v)}" for k, v in
                           (line.split(":", 1) for line in outlook_header(lang)))
    body = ("<html><head><style>p.MsoNormal{margin:0cm;}</style></head><body><div class=WordSection1>"
            + "".join(p(x) for x in own) + p("")
            + "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'>"
            + f"<p class=MsoNormal>{header}<o:p></o:p></p></div>" + p("") + p(ORIGINAL[lang])
            + "</div></body></html>")
    return "html", body, {}


def outlook_desktop_text(lang: str, layout: str) -> Body:
    own = f"#resolve\n{ANSWER[lang]}\n\n{signature_block(lang)}"
    history = "________________________________\n" + "\n".join(outlook_header(lang)) + f"\n\n{ORIGINAL[lang]}"
    return "plain", f"{own}\n\n{history}\n", {}


def outlook_web(lang: str, layout: str) -> Body:
    own = f"#resolve\n{ANSWER[lang]}\n\n{signature_block(lang, closing=False)}"
    header = outlook_header(lang)
    header[1] = header[1].replace(OUTLOOK_LABELS[lang][1], "Date" if lang == "en" else OUTLOOK_LABELS[lang][1])
    body = ("<div>" + "<br>".join(html.escape(x) for x in own.split("\n")) + "</div>"
            + '<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" dir="ltr">'
            + "<br>".join(f"<b>{html.escape(k)}:</b>{html.escape(v)}" for k, v in (x.split(":", 1) for x in header))
            + f"</div><div>{html.escape(ORIGINAL[lang])}</div>")
    return "html", body, {}


def outlook_mobile(lang: str, layout: str) -> Body:
    own = f"#resolve\n{ANSWER[lang]}\n\n{OUTLOOK_MOBILE[lang]}"
    history = "________________________________\n" + "\n".join(outlook_header(lang)) + f"\n\n{ORIGINAL[lang]}"
    return "plain", f"{own}\n{history}\n", {}


def _wrap(text: str, width: int = 40) -> str:
    """Soft-wrap like Thunderbird: each wrapped line ends with a space (format=flowed)."""
    out = []
    for line in text.split("\n"):
        if line == "-- ":
            out.append(line)
            continue
        while len(line) > width and " " in line[:width]:
            cut = line.rindex(" ", 0, width) + 1
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return "\n".join(out)


def thunderbird_flowed(lang: str, layout: str) -> Body:
    answer = (f"#extend 2026-12-18 the supplier needs two more weeks to deliver the replacement part\n"
              f"#resolve\n{ANSWER[lang]}\n\n-- \n{NAME[lang]}\n{PHONE}")
    history = f"{thunderbird_attribution(lang)}\n{quote(ORIGINAL[lang])}"
    return "plain", _wrap(_layout(answer, history, layout)), {"format": "flowed"}


def thunderbird_html(lang: str, layout: str) -> Body:
    own = "<br>\n".join(html.escape(x) for x in f"#resolve\n{ANSWER[lang]}".split("\n")) + "<br>\n"
    history = (f'<div class="moz-cite-prefix">{html.escape(thunderbird_attribution(lang))}<br></div>'
               f'<blockquote type="cite">{html.escape(ORIGINAL[lang])}</blockquote>')
    sig = f'<pre class="moz-signature" cols="72">-- \n{html.escape(NAME[lang])}\n{PHONE}</pre>'
    parts = (own + "<br>" + sig + history) if layout == "top" else (history + own + sig)
    return "html", f"<html><body>{parts}</body></html>", {}


def apple_mail(lang: str, layout: str) -> Body:
    own = f"#resolve\n{ANSWER[lang]}\n\n{signature_block(lang, closing=False)}\n\n{IPHONE[lang]}"
    history = f"> {apple_attribution(lang)}\n>\n{quote(ORIGINAL[lang])}"
    return "plain", _layout(own, history, layout), {}


def yandex(lang: str, layout: str) -> Body:
    own = f"#resolve\n{ANSWER[lang]}\n\n-- \n{CLOSING[lang]}\n{NAME[lang]}\n{PHONE}"
    history = f'07.12.2026, 10:01, "Care Desk" <care@shop.test>:\n{quote(ORIGINAL[lang])}'
    return "plain", _layout(own, history, layout), {}


def mailru(lang: str, layout: str) -> Body:
    own = f"#resolve\n{ANSWER[lang]}\n\n--\n{NAME[lang]}\n{PHONE}"
    history = f"Понедельник, 7 декабря 2026, 10:01 +04:00 от Care Desk <care@shop.test>:\n>\n{quote(ORIGINAL[lang])}"
    return "plain", _layout(own, history, layout), {}


def yahoo(lang: str, layout: str) -> Body:
    own = f"#resolve\n{ANSWER[lang]}\n\n{signature_block(lang, closing=False)}"
    history = ("On Monday, December 7, 2026, 10:01:00 AM GMT+4, Care Desk <care@shop.test> wrote:\n\n\n"
               f"{ORIGINAL[lang]}")
    return "plain", f"{own}\n\n\n{history}\n", {}


def mutt(lang: str, layout: str) -> Body:
    own = f"#resolve\n{ANSWER[lang]}\n\n-- \n{NAME[lang]} <{STAFF}>\n{PHONE}"
    history = f"On Mon, Dec 07, 2026 at 10:01:00AM +0400, Care Desk wrote:\n{quote(ORIGINAL[lang])}"
    return "plain", _layout(own, history, layout), {}


def _layout(own: str, history: str, layout: str) -> str:
    return f"{own}\n\n{history}\n" if layout == "top" else f"{history}\n\n{own}\n"


CLIENTS: dict[str, tuple[Callable[[str, str], Body], tuple[str, ...]]] = {
    "gmail": (gmail_text, ("top", "bottom")),
    "gmail-html": (gmail_html, ("top",)),
    "outlook-desktop-html": (outlook_desktop, ("top",)),
    "outlook-desktop-text": (outlook_desktop_text, ("top",)),
    "outlook-web": (outlook_web, ("top",)),
    "outlook-mobile": (outlook_mobile, ("top",)),
    "thunderbird-flowed": (thunderbird_flowed, ("top", "bottom")),
    "thunderbird-html": (thunderbird_html, ("top", "bottom")),
    "apple-mail-iphone": (apple_mail, ("top", "bottom")),
    "yandex": (yandex, ("top", "bottom")),
    "mail.ru": (mailru, ("top", "bottom")),
    "yahoo": (yahoo, ("top",)),
    "mutt": (mutt, ("top", "bottom")),
}
CASES = [(client, lang, layout) for client, (_, layouts) in CLIENTS.items() for lang in LANGS for layout in layouts]


def raw_mail(lang: str, subtype: str, body: str, params: dict[str, str]) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{NAME[lang]} <{STAFF}>"
    msg["To"] = "care@shop.test"
    msg["Subject"] = "RE: [CC-2026-4K7PQ2MX] Sifariş"
    msg["Date"] = WHEN
    msg.set_content(body, subtype=subtype, cte="8bit" if subtype == "plain" else "quoted-printable")
    for key, value in params.items():
        msg.set_param(key, value)
    return bytes(msg)


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    return Policy.load(config_module.load(write_config(tmp_path_factory.mktemp("cfg"))))


def view() -> ComplaintView:
    return ComplaintView(id=7, tracking="CC-2026-4K7PQ2MX", customer_email="aysel@example.az", status="investigating",
                         language="az", created_at=NOW, due_resolve=NOW)


@pytest.mark.parametrize("client, lang, layout", CASES)
def test_staff_answer_arrives_whole_and_nothing_of_the_staff_leaks(policy, client, lang, layout):
    make, _ = CLIENTS[client]
    subtype, body, params = make(lang, layout)
    plan = steer(parse(raw_mail(lang, subtype, body, params)), view(), NOW, policy)
    kinds = [o.kind for o in plan.outgoing]
    assert kinds.count("resolution") == 1, (kinds, [o.params for o in plan.outgoing])
    message = next(o for o in plan.outgoing if o.kind == "resolution").params["message"]
    assert message == ANSWER[lang]
    for leak in (STAFF, "555 55 55", "5555555", NAME[lang], TITLE[lang], CLOSING[lang], "Outlook", "iPhone",
                 ORIGINAL[lang], "Care Desk", "-- "):
        assert leak not in message
    assert plan.status == "resolved"
    if client == "thunderbird-flowed":
        delay = next(o for o in plan.outgoing if o.kind == "delay")
        assert delay.params["reason"] == "the supplier needs two more weeks to deliver the replacement part"


def test_every_client_of_the_issue_is_in_the_table():
    covered = {c.split("-")[0] for c in CLIENTS}
    assert {"gmail", "outlook", "thunderbird", "apple", "yandex", "mail.ru", "yahoo", "mutt"} <= covered
    assert len(CASES) >= 80


REAL_REPLIES = ["android", "aol", "apple_mail", "apple_mail_2", "comcast", "gmail", "hotmail", "iphone", "outlook",
                "sparrow", "thunderbird", "yahoo"]


@pytest.mark.parametrize("name", REAL_REPLIES)
def test_real_client_replies_of_the_corpus(name):
    """talon's standard replies (real clients, each answering "Hello" above its own quoting style)."""
    path = CORPUS / "talon" / "standard_replies" / f"{name}.eml"
    if not path.is_file():
        pytest.skip(f"real-mail corpus not found at {CORPUS} (the ../shared checkout is absent)")
    mail = parse(path.read_bytes())
    assert mail.new_text == "Hello"


def test_outlook_html_signature_in_a_layout_table_with_a_logo(policy):
    body = ("<p class=MsoNormal>#resolve</p><p class=MsoNormal>Pulunuz qaytarıldı.</p><p class=MsoNormal>&nbsp;</p>"
            "<p class=MsoNormal>Hörmətlə,</p><table class=MsoNormalTable><tr><td><img alt='Shop logo' src=cid:1>"
            "</td><td><p class=MsoNormal><b>Leyla Həsənova</b> | Müştəri xidmətləri</p><p class=MsoNormal>"
            f"Tel: {PHONE} | Mob: +994 50 555 55 55</p><p class=MsoNormal><a href='mailto:{STAFF}'>{STAFF}</a>"
            "</p></td></tr></table><div style='border:none;border-top:solid #E1E1E1 1.0pt'><p class=MsoNormal>"
            "<b>From:</b> Care &lt;care@shop.test&gt;<br><b>Sent:</b> Monday<br><b>To:</b> Leyla<br>"
            "<b>Subject:</b> x</p></div><p>old</p>")
    plan = steer(parse(raw_mail("az", "html", body, {})), view(), NOW, policy)
    [out] = plan.outgoing
    assert out.params["message"] == "Pulunuz qaytarıldı."
