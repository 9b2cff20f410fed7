"""Soak: sustained mixed mail over SMTP into a real daemon, with `gateway tick` beside it
and deadline waves (issue 23).

Run: python3 bench/soak.py [--rate 15] [--minutes 10] [--tick-every 60] [--tick-ahead 5]
                           [--wave-every 120] [--wave-size 500] [--postgres] [--keep DIR]

What runs: `gateway run` (SMTP listener, outbox through an SMTP relay that this
script runs and records, sweep every 5 s) on SQLite, or on a private PostgreSQL
with --postgres. Mail arrives at --rate per second, each on its own connection:
new complaints in az/ru/tr/en (utf-8, windows-1251, koi8-r, iso-8859-9), customer
replies and staff replies on earlier complaints, out-of-office replies and delivery
reports (failed and delayed). Every --tick-every seconds `gateway tick --now` runs
with a clock --tick-ahead minutes ahead (a host whose clock runs fast). Every
--wave-every seconds --wave-size complaints filed 30 days earlier fall due at once.

Printed: mail answered 250 / stored / lost; outgoing rows sent / received by the
relay / doubled, and acknowledgement duplicates; SMTP time per message (connect
to QUIT) p50/p99/max inside and outside the waves; the daemon's RSS, descriptors
and threads (slope per 10k messages, between waves); database growth per 10k
messages. A benchmark, not a test: it asserts nothing. The machine may be shared:
say so next to the figures.
"""
from __future__ import annotations

import argparse
import email
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from email.mime.text import MIMEText
from email.utils import make_msgid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "bench")]
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))

from wave import HIDDEN, WAVE_KINDS, Timings, prefill, send_one, summary, work_directory  # noqa: E402

from gateway import config as config_module  # noqa: E402
from gateway.service.runtime import Runtime  # noqa: E402
from gateway.store.models import Complaint, Customer, Message, OutgoingMail  # noqa: E402
from gatewaykit import DaemonProcess, write_config  # noqa: E402
from servers import PrivatePostgres, SmtpPeer, free_port  # noqa: E402

NEW = {  # language: (charsets, subject, body)
    "az": (("utf-8",), "Sifarişim gecikir", "Salam, sifarişim {n} on gündür çatdırılmayıb. Zəhmət olmasa kömək edin."),
    "ru": (("utf-8", "windows-1251", "koi8-r"), "Заказ не доставлен",
           "Здравствуйте, мой заказ {n} не доставлен уже две недели. Прошу разобраться."),
    "tr": (("utf-8", "iso-8859-9"), "Siparişim gelmedi", "Merhaba, {n} numaralı siparişim iki haftadır gelmedi."),
    "en": (("utf-8",), "Order not delivered", "Hello, my order {n} has not arrived in two weeks. Please help."),
}
MIX = (("new", 60), ("customer_reply", 15), ("staff_reply", 10), ("out_of_office", 8), ("dsn", 7))


def text_mail(sender: str, subject: str, body: str, charset: str = "utf-8", **headers: str) -> bytes:
    msg = MIMEText(body, "plain", charset)
    msg["From"], msg["To"], msg["Subject"] = sender, "care@shop.test", subject
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    msg["Date"] = email.utils.formatdate(localtime=False)
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    return msg.as_bytes()


def dsn(recipient: str, action: str) -> bytes:
    """A delivery report (RFC 3464) about mail to `recipient`: failed (5.x.x) or delayed (4.x.x)."""
    status = "5.1.1" if action == "failed" else "4.4.1"
    subject = "Delivery Status Notification (Failure)" if action == "failed" else "Delivery delayed"
    return (f"From: MAILER-DAEMON@mx.example.az\r\nTo: care@shop.test\r\nSubject: {subject}\r\n"
            f"Message-ID: {make_msgid(domain='mx.example.az')}\r\nAuto-Submitted: auto-replied\r\n"
            f"Date: {email.utils.formatdate()}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n"
            f"--b1\r\nContent-Type: text/plain\r\n\r\nDelivery to {recipient} {action}.\r\n"
            "--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.az\r\n\r\n"
            f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: {status}\r\n"
            "--b1--\r\n").encode()


class Load:
    """Makes the next mail of the mix; knows earlier complaints from the database."""

    def __init__(self, seed: int = 23):
        self.random, self.n = random.Random(seed), 0
        self.known: list[tuple[str, str]] = []  # (tracking, customer address)
        self.lock = threading.Lock()

    def refresh(self) -> None:
        rows = (Complaint.select(Complaint.tracking, Customer.email).join(Customer)
                .where(Customer.email.startswith("soak")).order_by(Complaint.id.desc()).limit(300).tuples())
        with self.lock:
            self.known = list(rows)

    def next(self) -> tuple[str, bytes, str]:
        """(kind, raw, envelope sender)."""
        self.n += 1
        n = self.n
        kind = self.random.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
        with self.lock:
            earlier = self.random.choice(self.known) if self.known else None
        if earlier is None or kind == "new":
            lang = self.random.choice(sorted(NEW))
            charsets, subject, body = NEW[lang]
            sender = f"soak{n}@example.{lang}"
            return "new", text_mail(sender, f"{subject} {n}", body.format(n=n), self.random.choice(charsets)), sender
        tracking, customer = earlier
        if kind == "customer_reply":
            return kind, text_mail(customer, f"Re: [{tracking}] order", "Any news about my order?"), customer
        if kind == "staff_reply":
            return kind, text_mail("agent@shop.test", f"Re: [{tracking}] order",
                                   "We have found your parcel; it arrives on Monday."), "agent@shop.test"
        if kind == "out_of_office":
            return kind, text_mail(customer, f"Out of office: [{tracking}]", "I am away until Monday.",
                                   Auto_Submitted="auto-replied"), customer
        return kind, dsn(customer, self.random.choice(("failed", "delayed"))), ""


class Sampler:
    """The daemon's RSS (kB), open descriptors and threads, and its children's RSS (the
    reader process, gateway/ingest/reader.py), with the messages sent so far."""

    def __init__(self, pid: int):
        self.pid, self.samples = pid, []

    def sample(self, sent: int, in_wave: bool) -> None:
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
            fds = len(os.listdir(f"/proc/{self.pid}/fd"))
        except OSError:
            return
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss = int(fields["VmRSS"].split()[0])
        threads = int(fields["Threads"])
        self.samples.append((sent, rss, fds, threads, in_wave, sum(map(rss_kb, children(self.pid)))))

    def slopes(self) -> str:
        calm = [s for s in self.samples if not s[4]]
        half = calm[len(calm) // 3:]  # after the warm-up (models, caches)
        if len(half) < 3:
            return "too few samples"
        out = []
        for index, name, unit in ((1, "RSS", "MB"), (5, "children's RSS", "MB"), (2, "fds", ""), (3, "threads", "")):
            slope = _slope([s[0] for s in half], [s[index] for s in half]) * 10_000
            if unit == "MB":
                slope /= 1024
            first, last = half[0][index], half[-1][index]
            scale = 1024 if unit == "MB" else 1
            out.append(f"{name} {first / scale:.1f}->{last / scale:.1f}{unit} ({slope:+.2f}{unit}/10k msgs)")
        return ", ".join(out)


def children(pid: int) -> list[int]:
    """The processes `pid` started, from any of its threads (Linux /proc)."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except OSError:
        pass
    return found


def rss_kb(pid: int) -> int:
    """VmRSS of a process in kB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _slope(xs: list[float], ys: list[float]) -> float:
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / var if var else 0.0


def database_bytes(runtime: Runtime, root: Path) -> int:
    if runtime.config.database_url.startswith("sqlite"):
        db = root / "storage" / "gateway.db"
        return sum(Path(f"{db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db}{s}").exists())
    return runtime.database.execute_sql("SELECT pg_database_size(current_database())").fetchone()[0]


def run(args: argparse.Namespace, root: Path, database: str) -> None:
    port = free_port()
    relay = SmtpPeer().start()
    extra = f'[outbound.smtp]\nhost = "127.0.0.1"\nport = {relay.port}\nsecurity = "none"\ntimeout = 10\n'
    config = write_config(root, database=database, smtp_port=port, transport="smtp", outbound_extra=extra,
                          extra="sweep_seconds = 5\n")
    waves_total = args.wave_size * max(1, int(args.minutes * 60 // args.wave_every))
    started = time.monotonic()
    prefill(config, waves_total)
    relay.recorder.received.clear()
    print(f"prefilled {waves_total} complaints for the waves in {time.monotonic() - started:.0f}s", flush=True)
    runtime = Runtime.open(config_module.load(config))
    size_before = database_bytes(runtime, root)
    messages_before = Message.select().count()
    first_row = (OutgoingMail.select(OutgoingMail.id).order_by(OutgoingMail.id.desc()).scalar() or 0) + 1
    load, timings, stop = Load(), Timings(), threading.Event()
    answered: list[tuple[str, str]] = []  # (kind, Message-ID) answered 250
    ticks: list[int] = []
    waves: list[list[float]] = []  # [start, end] on the monotonic clock

    def send(kind: str, raw: bytes, sender: str) -> None:
        if send_one(port, raw, sender or "<>", timings):
            answered.append((kind, email.message_from_bytes(raw)["Message-ID"].strip("<>")))

    def generate() -> None:
        begun, n = time.monotonic(), 0
        while not stop.is_set():
            kind, raw, sender = load.next()
            threading.Thread(target=send, args=(kind, raw, sender), daemon=True).start()
            n += 1
            stop.wait(max(0.0, begun + n / args.rate - time.monotonic()))

    def tick_beside() -> None:
        while not stop.wait(args.tick_every):
            ahead = (datetime.now(timezone.utc) + timedelta(minutes=args.tick_ahead)).isoformat()
            done = subprocess.run([sys.executable, "-m", "gateway", "--config", str(config), "tick", "--now", ahead],
                                  cwd=root, capture_output=True)
            ticks.append(done.returncode)

    with DaemonProcess(config) as daemon:
        daemon.wait_listening(port, timeout=180)
        sampler = Sampler(daemon.proc.pid)
        threads = [threading.Thread(target=generate, daemon=True), threading.Thread(target=tick_beside, daemon=True)]
        for thread in threads:
            thread.start()
        ends, next_wave, next_refresh = time.monotonic() + args.minutes * 60, time.monotonic() + args.wave_every, 0.0
        while time.monotonic() < ends:
            now = time.monotonic()
            if now >= next_refresh:
                load.refresh()
                next_refresh = now + 10
            if now >= next_wave:
                release = [c.id for c in Complaint.select(Complaint.id).where(Complaint.next_action_at == HIDDEN)
                           .limit(args.wave_size)]
                Complaint.update(next_action_at=datetime.now(timezone.utc).replace(tzinfo=None)) \
                    .where(Complaint.id.in_(release)).execute()
                waves.append([now, float("inf")])
                next_wave = now + args.wave_every
            if waves and waves[-1][1] == float("inf") and _wave_over():
                waves[-1][1] = time.monotonic()
            sampler.sample(len(answered), bool(waves and waves[-1][1] == float("inf")))
            time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(timeout=300)
        drained = _drain(args.drain)
        code = daemon.stop()
    time.sleep(1)
    report(args, runtime, root, relay, timings, answered, ticks, waves, sampler, size_before, messages_before,
           first_row, drained, code)
    runtime.close()
    relay.stop()


def _wave_over() -> bool:
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    due = Complaint.select().where(Complaint.next_action_at <= now).exists()
    waiting = OutgoingMail.select().where(OutgoingMail.state.in_(("queued", "sending"))
                                          & OutgoingMail.kind.in_(WAVE_KINDS)).exists()
    return not due and not waiting


def _drain(limit: float) -> bool:
    ends = time.monotonic() + limit
    while time.monotonic() < ends:
        if not OutgoingMail.select().where(OutgoingMail.state.in_(("queued", "sending"))).exists():
            return True
        time.sleep(2)
    return False


def report(args, runtime, root, relay, timings, answered, ticks, waves, sampler, size_before, messages_before,
           first_row, drained, code) -> None:
    ids = {mid for _, mid in answered}
    stored = {m for (m,) in Message.select(Message.message_id).where(Message.direction == "in").tuples()}
    received = Counter(email.message_from_bytes(m.data)["Message-ID"].strip().strip("<>") for m in relay.messages)
    rows = {r.message_id: r for r in OutgoingMail.select(OutgoingMail.message_id, OutgoingMail.kind,
                                                         OutgoingMail.complaint, OutgoingMail.state)
            .where(OutgoingMail.id >= first_row)}  # not the prefilled complaints' rows (never sent)
    sent = sum(1 for r in rows.values() if r.state == "sent")
    doubled = {mid: n for mid, n in received.items() if n > 1}
    acks = Counter(rows[mid].complaint_id for mid in received if mid in rows and rows[mid].kind == "ack")
    kinds = Counter(kind for kind, _ in answered)

    def inside(t: float) -> bool:
        return any(start <= t <= end for start, end in waves)
    in_wave = [s for t, s, ok in timings.samples if ok and inside(t)]
    out_wave = [s for t, s, ok in timings.samples if ok and not inside(t)]
    grown = database_bytes(runtime, root) - size_before
    messages = Message.select().count() - messages_before
    print(f"\nsoak: {args.minutes:g} min at {args.rate:g} msg/s on {'PostgreSQL' if args.postgres else 'SQLite'}, "
          f"tick every {args.tick_every:g}s with --now {args.tick_ahead:g} min ahead, "
          f"{len(waves)} waves of {args.wave_size}")
    print(f"incoming: answered 250: {len(ids)} ({dict(kinds)}); stored: {len(ids & stored)}; "
          f"lost: {len(ids - stored)}; SMTP failures: {sum(1 for *_, ok in timings.samples if not ok)}")
    print(f"outgoing: rows sent: {sent}; received by the relay: {sum(received.values())} "
          f"({len(received)} distinct); doubled: {len(doubled)}; acknowledgement duplicates: "
          f"{sum(1 for n in acks.values() if n > 1)}; outbox drained: {drained}; "
          f"states: {dict(Counter(r.state for r in rows.values()))}")
    for error, count in Counter(timings.errors).most_common(5):
        print(f"  SMTP failure x{count}: {error}")
    print(f"SMTP outside waves: {summary(out_wave)}")
    print(f"SMTP inside waves:  {summary(in_wave)}")
    print(f"waves: {', '.join(f'{end - start:.0f}s' if end != float('inf') else 'unfinished' for start, end in waves)}")
    print(f"daemon between waves: {sampler.slopes()}")
    print(f"database: +{grown / 1e6:.1f} MB for {messages} messages stored "
          f"({grown / max(1, messages) * 10_000 / 1e6:.1f} MB per 10k); ticks: {len(ticks)} exit {set(ticks)}; "
          f"daemon exit {code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=15.0)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--tick-every", type=float, default=60.0)
    parser.add_argument("--tick-ahead", type=float, default=5.0, help="minutes the tick's clock runs ahead")
    parser.add_argument("--wave-every", type=float, default=120.0)
    parser.add_argument("--wave-size", type=int, default=500)
    parser.add_argument("--drain", type=float, default=600.0, help="seconds to wait for the outbox after the load")
    parser.add_argument("--postgres", action="store_true", help="a private PostgreSQL cluster instead of SQLite")
    parser.add_argument("--keep", help="directory to keep (default: a temporary one, removed)")
    args = parser.parse_args()
    with work_directory(args.keep, "soak-") as root:
        server = PrivatePostgres().start() if args.postgres else None
        try:
            run(args, root, server.create_database() if server else "sqlite:///storage/gateway.db")
        finally:
            if server:
                server.close()


if __name__ == "__main__":
    main()
