"""Hostile and unlucky mail through the whole pipeline: time per mail and peak memory.

Run: python3 bench/adversarial.py [--only NAME ...] [--keep DIR]

Each mail is ingested by its own child process, as the daemon would take it: the
policy and language models are loaded (and warmed) first, then the clock runs
for the one `Pipeline.ingest` call (archive, parse, hygiene, match, decide,
apply, commit). Printed per mail: its size, the outcome, the seconds of that
call, and the child's peak RSS (VmHWM) after it, next to the same figure for an
ordinary complaint. The issue's targets: every mail under 1 s, the process under
300 MB. Figures only, no thresholds: not a test.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

MB = 1024 * 1024


def _message(subject: str = "My order is late", body: str = "My order has not arrived.", sender: str =
             "Aysel <aysel@example.az>", html: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "care@shop.test"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@example.az>"
    msg["Date"] = "Mon, 23 Nov 2026 10:00:00 +0400"
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def ordinary() -> bytes:
    return _message().as_bytes()


def prefix_chain(n: int) -> Callable[[], bytes]:
    return lambda: _message(subject="Re: " * n + "Sifarişim gecikir").as_bytes()


def quote_bomb(size: int) -> bytes:
    """Nested quotes, attribution-like lines and header-like lines, over and over."""
    block = ("On Mon, 23 Nov 2026 at 10:00, Aysel <aysel@example.az> wrote:\n"
             "> > > > > " + "x " * 30 + "\n"
             "From: a@b.example\nSent: Monday\nTo: c@d.example\nSubject: re\n"
             "-----Original Message-----\n" + "> " * 200 + "\n" + " " * 300 + "\n\n\n")
    body = "Salam, sifarişim gecikir.\n\n" + block * (size // len(block))
    return _message(body=body).as_bytes()


def token_flood(n: int) -> bytes:
    tokens = " ".join(f"CC-2026-{i:07d}{'0123456789'[i % 10]}" for i in range(n))
    msg = _message(subject="Re: " + tokens)
    return msg.as_bytes()


def huge_body(size: int) -> bytes:
    line = "Sifarişim çatdırılmayıb, zəhmət olmasa kömək edin. Order late. Заказ опаздывает.\n"
    return _message(body=line * (size // len(line.encode()))).as_bytes()


def huge_multipart(size: int, attached: bool) -> bytes:
    """The 18 MB text again, inside a multipart: as a text part (read up to parse.TEXT_MAX) or
    as an attached file (kept whole); either way every line goes through the stdlib's parser."""
    line = "Sifarişim çatdırılmayıb, zəhmət olmasa kömək edin. Order late. Заказ опаздывает.\n"
    big = line * (size // len(line.encode()))
    msg = _message(body="My order is late." if attached else big)
    if attached:
        msg.add_attachment(big.encode(), maintype="application", subtype="octet-stream", filename="log.txt")
    else:
        msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="a.pdf")
    return msg.as_bytes()


def one_long_line(size: int) -> bytes:
    return _message(body="a" * size).as_bytes()


def blank_lines(size: int) -> bytes:
    return _message(body="Hello\n" + " \n" * (size // 2)).as_bytes()


def html_bomb(size: int) -> bytes:
    html = "<html><body><p>Order late</p>" + "<div><b><i><!-- x " * (size // 18) + "</body></html>"
    return _message(html=html).as_bytes()


def deep_mime(depth: int) -> bytes:
    head = "From: Aysel <aysel@example.az>\r\nTo: care@shop.test\r\nSubject: deep\r\n" \
           f"Message-ID: <deep-{uuid.uuid4().hex}@example.az>\r\nMIME-Version: 1.0\r\n"
    parts = []
    for i in range(depth):
        parts.append(f"Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n")
    inner = "Content-Type: text/plain; charset=utf-8\r\n\r\nMy order is late.\r\n"
    tail = "".join(f"\r\n--b{i}--\r\n" for i in reversed(range(depth)))
    return (head + "".join(parts) + inner + tail).encode()


def wide_mime(n: int) -> bytes:
    head = "From: Aysel <aysel@example.az>\r\nTo: care@shop.test\r\nSubject: wide\r\n" \
           f"Message-ID: <wide-{uuid.uuid4().hex}@example.az>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"w\"\r\n\r\n"
    part = "--w\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMy order is late.\r\n"
    return (head + part * n + "--w--\r\n").encode()


def many_headers(n: int) -> bytes:
    received = "".join(f"Received: from h{i}.example by mx.example; Mon, 23 Nov 2026 10:00:00 +0400\r\n"
                       for i in range(n))
    return received.encode() + ordinary()


def long_display_name(size: int) -> bytes:
    return _message(sender='"' + "Aysel " * (size // 6) + '" <aysel@example.az>').as_bytes()


def many_recipients(n: int) -> bytes:
    msg = _message()
    msg["Cc"] = ", ".join(f"p{i}@example.az" for i in range(n))
    return msg.as_bytes()


CASES: dict[str, Callable[[], bytes]] = {
    "ordinary complaint": ordinary,
    "subject: 30 'Re: ' prefixes": prefix_chain(30),
    "subject: 10,000 'Re: ' prefixes": prefix_chain(10_000),
    "subject: 50,000 tracking-shaped tokens": lambda: token_flood(50_000),
    "quote bomb 400 KB": lambda: quote_bomb(400 * 1024),
    "quote bomb 2 MB": lambda: quote_bomb(2 * MB),
    "text body 18 MB": lambda: huge_body(18 * MB),
    "text part 18 MB in a multipart": lambda: huge_multipart(18 * MB, attached=False),
    "attachment 18 MB": lambda: huge_multipart(18 * MB, attached=True),
    "one line of 5 MB": lambda: one_long_line(5 * MB),
    "2 MB of blank lines": lambda: blank_lines(2 * MB),
    "HTML bomb 2 MB (unclosed tags, comments)": lambda: html_bomb(2 * MB),
    "MIME 200 levels deep": lambda: deep_mime(200),
    "MIME 20,000 parts": lambda: wide_mime(20_000),
    "10,000 Received headers": lambda: many_headers(10_000),
    "display name of 1 MB": lambda: long_display_name(MB),
    "Cc of 20,000 addresses": lambda: many_recipients(20_000),
}


def child(config: str, path: str) -> None:
    """One mail, in this process: load and warm the policy, then time the ingest alone."""
    from datetime import datetime, timezone

    from gateway import config as config_module
    from gateway.service.runtime import Runtime
    now = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
    runtime = Runtime.open(config_module.load(Path(config)))
    runtime.policy.warm(now)
    runtime.pipeline.ingest(ordinary(), "bench", now)  # the daemon at rest: first-use costs paid
    before = _hwm()
    raw = Path(path).read_bytes()
    started = time.perf_counter()
    outcome = runtime.pipeline.ingest(raw, "bench", now)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "state": outcome.state, "kind": outcome.kind,
                      "reason": outcome.reason[:80], "rss_before": before, "rss_peak": _hwm()}))


def _hwm() -> float:
    """Peak RSS of this process so far, MB (VmHWM; getrusage's maxrss where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="substrings of case names to run")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before a case counts as frozen")
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    from gatewaykit import write_config
    with tempfile.TemporaryDirectory(prefix="adversarial-") as work:
        home = Path(work)
        config = write_config(home / "gw")
        print(f"{'mail':44} {'size':>9} {'seconds':>8} {'RSS MB':>7}  outcome")
        for name, make in CASES.items():
            if args.only and not any(o.lower() in name.lower() for o in args.only):
                continue
            raw = make()
            path = home / "mail.eml"
            path.write_bytes(raw)
            try:
                done = subprocess.run([sys.executable, __file__, "--child", str(config), str(path)],
                                      capture_output=True, timeout=args.timeout, cwd=str(ROOT))
            except subprocess.TimeoutExpired:
                print(f"{name:44} {len(raw):>9} {'>' + str(int(args.timeout)):>8} {'-':>7}  did not finish")
                continue
            lines = done.stdout.decode().strip().splitlines()
            if done.returncode or not lines:
                print(f"{name:44} {len(raw):>9} {'-':>8} {'-':>7}  failed: {done.stderr.decode()[-300:]}")
                continue
            row = json.loads(lines[-1])
            outcome = row["state"] + (f" {row['kind']}" if row["kind"] else "") + \
                (f" ({row['reason']})" if row["reason"] else "")
            print(f"{name:44} {len(raw):>9} {row['seconds']:>8.3f} {row['rss_peak']:>7.0f}  {outcome}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
