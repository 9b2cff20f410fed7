"""A seeded, realistic complaint-desk workload for the benchmark (issue 10).

Run: python3 bench/corpus.py --n 1000 --seed 7 --out bench/work/corpus

About 60% new complaints from distinct customers and 40% follow-ups from the
same customers, in Azerbaijani, Russian, Turkish and English; some bodies in
windows-1251 / koi8-r / iso-8859-9, some HTML-only, some with a small
attachment. Follow-ups come in the styles real mail clients produce (STYLES).
A follow-up cannot know a system's tracking designator or reply Message-ID
before that system has answered, so it carries placeholders instead:

    [{{tracking:n00012}}]      -> "[CC-2026-4K7PQ2MX]" or "[issue12]"
    <{{reply:n00012}}>         -> the Message-ID of that system's reply to n00012

and `bench/run.py` substitutes each system's own values, the way its own
replies would carry them. Placeholders are plain ASCII chunks, never inside an
encoded word, so a byte-level substitution is enough.

Writes corpus.mbox, eml/NNNNN.eml (same bytes) and manifest.json (the true
thread of every message).
"""
from __future__ import annotations

import argparse
import json
import mailbox
import random
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from email import charset as email_charset
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from pathlib import Path

CARE_ADDRESS = "care@shop.test"
START = datetime(2026, 11, 16, 8, 0, tzinfo=timezone(timedelta(hours=4)))
NEW_SHARE = 0.6
HTML_ONLY_SHARE = 0.08
ATTACHMENT_SHARE = 0.10
LANGUAGE_WEIGHTS = {"az": 0.35, "ru": 0.25, "tr": 0.2, "en": 0.2}

# charset -> weight, per language; 8-bit legacy charsets where real clients still use them
CHARSETS = {
    "az": {"utf-8": 1.0},
    "ru": {"utf-8": 0.5, "windows-1251": 0.3, "koi8-r": 0.2},
    "tr": {"utf-8": 0.6, "iso-8859-9": 0.4},
    "en": {"utf-8": 0.7, "us-ascii": 0.3},
}
TRANSFER_ENCODINGS = ("8bit", "quoted-printable", "base64")

NAMES = {
    "az": (("Aysel", "Leyla", "Nigar", "Rəşad", "Elvin", "Kamran", "Günay", "Tural", "Səbinə", "Orxan"),
           ("Məmmədova", "Əliyev", "Hüseynova", "Quliyev", "Həsənov", "İsmayılova", "Abbasov", "Rzayeva")),
    "ru": (("Анна", "Ольга", "Дмитрий", "Сергей", "Екатерина", "Иван", "Мария", "Алексей", "Наталья", "Павел"),
           ("Иванова", "Петров", "Смирнова", "Кузнецов", "Попова", "Соколов", "Лебедева", "Козлов")),
    "tr": (("Ayşe", "Mehmet", "Fatma", "Ömer", "Zeynep", "Emre", "Gülşen", "Burak", "Şule", "Çağrı"),
           ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk", "Aydın", "Doğan")),
    "en": (("Emma", "Oliver", "Sophie", "James", "Grace", "Henry", "Lucy", "Jack", "Chloe", "Daniel"),
           ("Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright")),
}
DOMAINS = {"az": "mail.example.az", "ru": "post.example.ru", "tr": "posta.example.com.tr", "en": "mail.example.com"}

SUBJECTS = {
    "az": ("Sifarişim gecikir", "Məhsul zədəli gəldi", "Pulun geri qaytarılması", "Kuryer gəlmədi",
           "Yanlış məhsul göndərilib", "Hesabdan iki dəfə pul çıxılıb", "Zəmanət təmiri", "Şikayət"),
    "ru": ("Задержка заказа", "Товар пришёл повреждённым", "Возврат денег", "Курьер не приехал",
           "Прислали не тот товар", "Двойное списание с карты", "Гарантийный ремонт", "Жалоба"),
    "tr": ("Siparişim gecikti", "Ürün hasarlı geldi", "Para iadesi", "Kurye gelmedi",
           "Yanlış ürün gönderildi", "Kartımdan iki kez çekildi", "Garanti onarımı", "Şikayet"),
    "en": ("Order delayed", "Item arrived damaged", "Refund request", "Courier never came",
           "Wrong item delivered", "Charged twice", "Warranty repair", "Complaint"),
}
BODIES = {
    "az": ("Salam, {order} nömrəli sifarişim {days} gündür çatdırılmayıb.",
           "Məhsulun qutusu əzilmişdi və ekranı sınıqdır.",
           "Zəhmət olmasa pulumu geri qaytarın, artıq gözləyə bilmirəm.",
           "Telefon: 050 {phone}. Cavabınızı gözləyirəm."),
    "ru": ("Здравствуйте, мой заказ {order} не доставлен уже {days} дней.",
           "Коробка была смята, экран разбит.",
           "Прошу вернуть деньги, ждать больше не могу.",
           "Телефон: +7 916 {phone}. Жду ответа."),
    "tr": ("Merhaba, {order} numaralı siparişim {days} gündür teslim edilmedi.",
           "Kutu ezilmişti ve ekran kırık çıktı.",
           "Lütfen paramı iade edin, daha fazla bekleyemem.",
           "Telefon: 0532 {phone}. Yanıtınızı bekliyorum."),
    "en": ("Hello, my order {order} has not been delivered for {days} days.",
           "The box was crushed and the screen is broken.",
           "Please refund my money, I cannot wait any longer.",
           "Phone: +44 20 {phone}. Waiting for your answer."),
}
FOLLOW_UP_BODIES = {
    "az": ("Hələ də cavab yoxdur. Vəziyyət necədir?", "Əlavə məlumat: qəbz əlavə olunub.", "Nə vaxt həll olunacaq?"),
    "ru": ("Ответа до сих пор нет. Какой статус?", "Дополнение: прикладываю чек.", "Когда вопрос будет решён?"),
    "tr": ("Hâlâ yanıt yok. Durum nedir?", "Ek bilgi: fişi ekledim.", "Ne zaman çözülecek?"),
    "en": ("Still no answer. What is the status?", "One more detail: the receipt is attached.", "When will it be fixed?"),
}
REPLY_PREFIXES = {"az": ("Cavab:", "Re:"), "ru": ("Ответ:", "RE:"), "tr": ("YNT:", "Ynt:"), "en": ("AW:", "Re:")}
CHANGED_SUBJECTS = {"az": "Yenə mən", "ru": "Снова я", "tr": "Yine ben", "en": "Me again"}

# style -> (subject form, In-Reply-To, References); {prefix} is localised, {tracking} a placeholder
STYLES = {
    "re_tracking": ("Re: {tracking} {title}", True, True),
    "localised": ("{prefix} {tracking} {title}", True, True),
    "in_reply_to_only": ("Re: {title}", True, False),
    "references_only": ("Re: {title}", False, True),
    "changed_subject": ("{changed}", True, True),
    "tracking_only": ("{tracking} {title}", False, False),
}
STYLE_WEIGHTS = {"re_tracking": 0.3, "localised": 0.2, "in_reply_to_only": 0.15, "references_only": 0.1,
                 "changed_subject": 0.15, "tracking_only": 0.1}


def tracking_token(thread: str) -> str:
    return f"[{{{{tracking:{thread}}}}}]"


def reply_token(thread: str) -> str:
    return f"{{{{reply:{thread}}}}}"


@dataclass(frozen=True)
class Entry:
    """One message of the corpus and its true thread (the key of the new complaint it belongs to)."""

    key: str
    file: str
    kind: str  # new | followup
    thread: str
    style: str  # "new" for new complaints
    language: str
    charset: str
    html_only: bool
    attachment: bool
    sender: str
    message_id: str  # without angle brackets
    title: str


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def text_part(text: str, subtype: str, charset: str, transfer: str) -> MIMEText:
    """A text part with exactly the charset and transfer encoding asked for."""
    spec = email_charset.Charset(charset)
    spec.header_encoding = email_charset.BASE64
    spec.body_encoding = {"8bit": None, "quoted-printable": email_charset.QP, "base64": email_charset.BASE64}[
        "8bit" if charset == "us-ascii" else transfer]
    return MIMEText(text, subtype, spec)


def subject_header(chunks: list[str], charset: str) -> Header:
    """ASCII chunks stay literal (so placeholders survive), the rest is encoded in the message's charset."""
    header = Header()
    for chunk in chunks:
        header.append(chunk, "us-ascii" if chunk.isascii() else charset)
    return header


class Generator:
    def __init__(self, n: int, seed: int):
        self.n, self.rng = n, random.Random(seed)
        self.seed = seed
        self.customers: set[str] = set()

    def customer(self, language: str) -> tuple[str, str]:
        first, last = (self.rng.choice(part) for part in NAMES[language])
        while True:
            local = f"c{self.rng.randrange(10**6):06d}"
            if local not in self.customers:
                self.customers.add(local)
                return f"{first} {last}", f"{local}@{DOMAINS[language]}"

    def body(self, language: str) -> str:
        lines = self.rng.sample(BODIES[language], k=self.rng.randint(2, 4))
        return "\n\n".join(lines).format(order=f"#{self.rng.randrange(10**5, 10**6)}", days=self.rng.randint(3, 30),
                                         phone=f"{self.rng.randrange(100, 999)} {self.rng.randrange(10, 99)} "
                                               f"{self.rng.randrange(10, 99)}") + "\n"

    def plan(self) -> list[tuple[str, int]]:
        """(kind, index of the new complaint) in arrival order; a follow-up always after its complaint."""
        n_new = max(1, round(self.n * NEW_SHARE))
        slots = [(float(i), "new", i) for i in range(n_new)]
        for _ in range(self.n - n_new):
            parent = self.rng.randrange(n_new)
            slots.append((self.rng.uniform(parent + 0.5, n_new + 0.5), "followup", parent))
        return [(kind, parent) for _, kind, parent in sorted(slots)]

    def generate(self) -> list[tuple[Entry, bytes]]:
        out: list[tuple[Entry, bytes]] = []
        originals: dict[int, Entry] = {}
        for position, (kind, parent) in enumerate(self.plan(), start=1):
            key = f"m{position:05d}"
            when = START + timedelta(minutes=7 * position)
            if kind == "new":
                entry, raw = self.new_complaint(key, when)
                originals[parent] = entry
            else:
                entry, raw = self.follow_up(key, when, originals[parent])
            out.append((entry, raw))
        return out

    def new_complaint(self, key: str, when: datetime) -> tuple[Entry, bytes]:
        language = pick(self.rng, LANGUAGE_WEIGHTS)
        charset = pick(self.rng, CHARSETS[language])
        name, address = self.customer(language)
        title = self.rng.choice(SUBJECTS[language])
        if self.rng.random() < 0.5:
            title = f"{title} #{self.rng.randrange(10**5, 10**6)}"
        html_only, attachment = self.rng.random() < HTML_ONLY_SHARE, self.rng.random() < ATTACHMENT_SHARE
        entry = Entry(key, f"eml/{key}.eml", "new", key, "new", language, charset, html_only, attachment,
                      address, f"{key}.{self.seed}@{address.split('@')[1]}", title)
        headers = {"Subject": subject_header([title], charset)}
        return entry, self.render(entry, name, self.body(language), headers, when)

    def follow_up(self, key: str, when: datetime, original: Entry) -> tuple[Entry, bytes]:
        language, charset, style = original.language, original.charset, pick(self.rng, STYLE_WEIGHTS)
        form, with_in_reply_to, with_references = STYLES[style]
        prefix = self.rng.choice(REPLY_PREFIXES[language])
        subject = form.format(prefix=prefix, tracking=tracking_token(original.key), title=original.title,
                              changed=CHANGED_SUBJECTS[language])
        html_only, attachment = self.rng.random() < HTML_ONLY_SHARE, self.rng.random() < ATTACHMENT_SHARE
        entry = Entry(key, f"eml/{key}.eml", "followup", original.key, style, language, charset, html_only,
                      attachment, original.sender, f"{key}.{self.seed}@{original.sender.split('@')[1]}",
                      original.title)
        reply = f"<{reply_token(original.key)}>"
        headers: dict[str, object] = {"Subject": subject_header(self.subject_chunks(subject), charset)}
        if with_in_reply_to:
            headers["In-Reply-To"] = reply
        if with_references:
            headers["References"] = f"<{original.message_id}> {reply}"
        name = self.rng.choice(NAMES[language][0]) + " " + self.rng.choice(NAMES[language][1])
        quoted = "\n".join("> " + line for line in self.body(language).splitlines())
        body = f"{self.rng.choice(FOLLOW_UP_BODIES[language])}\n\n{quoted}\n"
        return entry, self.render(entry, name, body, headers, when)

    @staticmethod
    def subject_chunks(subject: str) -> list[str]:
        """Split around the placeholder so it stays an ASCII chunk of its own."""
        chunks: list[str] = []
        for word in subject.split(" "):
            if chunks and word.isascii() == chunks[-1].isascii():
                chunks[-1] += " " + word
            else:
                chunks.append(word)
        return chunks

    def render(self, entry: Entry, name: str, body: str, headers: dict[str, object], when: datetime) -> bytes:
        transfer = self.rng.choice(TRANSFER_ENCODINGS)
        if entry.html_only:
            html = "".join(f"<p>{line}</p>" for line in body.splitlines() if line.strip())
            msg: Message = text_part(f"<html><body>{html}</body></html>", "html", entry.charset, transfer)
        else:
            msg = text_part(body, "plain", entry.charset, transfer)
        if entry.attachment:
            mixed = MIMEMultipart("mixed")
            mixed.attach(msg)
            blob = self.rng.randbytes(self.rng.randint(1024, 4096))
            mixed.attach(MIMEApplication(b"%PDF-1.4\n" + blob, "pdf", Name="receipt.pdf"))
            mixed.get_payload()[1]["Content-Disposition"] = 'attachment; filename="receipt.pdf"'
            msg = mixed
        msg["From"] = formataddr((name, entry.sender), charset="us-ascii" if name.isascii() else entry.charset)
        msg["To"] = CARE_ADDRESS
        msg["Date"] = format_datetime(when)
        msg["Message-ID"] = f"<{entry.message_id}>"
        for header, value in headers.items():
            msg[header] = value
        return msg.as_bytes()


def write(out: Path, n: int, seed: int) -> list[Entry]:
    """Generate and write the corpus; returns the manifest entries in arrival order."""
    (out / "eml").mkdir(parents=True, exist_ok=True)
    mbox_path = out / "corpus.mbox"
    mbox_path.unlink(missing_ok=True)
    generated = Generator(n, seed).generate()
    box = mailbox.mbox(str(mbox_path))
    try:
        for entry, raw in generated:
            (out / entry.file).write_bytes(raw)
            box.add(raw)
    finally:
        box.close()
    entries = [entry for entry, _ in generated]
    manifest = {"n": n, "seed": seed, "care_address": CARE_ADDRESS, "messages": [asdict(e) for e in entries]}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return entries


def load_manifest(out: Path) -> list[Entry]:
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return [Entry(**row) for row in data["messages"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "work" / "corpus")
    args = parser.parse_args(argv)
    entries = write(args.out, args.n, args.seed)
    followups = sum(e.kind == "followup" for e in entries)
    print(f"{len(entries)} messages ({len(entries) - followups} new, {followups} follow-ups) -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
