"""gateway/ingest/reader.py: mail read in a child process within a time and memory budget (issue 16)."""
from __future__ import annotations

import email
import email.policy
from datetime import datetime, timezone
from pathlib import Path

import pytest

from gateway import config as config_module
from gateway.ingest.reader import BudgetReader, read_inline
from gateway.mail.parse import Unprocessable, parse
from gateway.service.runtime import Runtime
from gateway.store.models import Message
from gatewaykit import mail, write_config

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
LANGUAGES = ("az", "ru", "tr", "en")


def huge(megabytes: int = 18) -> bytes:
    """A mail heavy to read: an attachment of `megabytes` in a multipart left unclosed (every
    line goes through the stdlib's parser; a long text alone is read only up to parse.TEXT_MAX,
    a closed multipart's big bodies are taken out first: mail/mimesplit.py)."""
    line = "Sifarişim çatdırılmayıb. Заказ опаздывает. Siparişim gecikti. My order is late.\n"
    msg = email.message_from_bytes(mail(body="My order is late.", message_id="<huge@example.az>"),
                                   policy=email.policy.default)
    msg.add_attachment((line * (megabytes * 2**20 // len(line.encode()))).encode(), maintype="application",
                       subtype="octet-stream", filename="log.bin")
    raw = msg.as_bytes()
    return raw[: raw.rstrip().rfind(b"\n")]  # unclosed: no fast path, the stdlib reads every line


@pytest.fixture
def reader():
    opened = BudgetReader(LANGUAGES, seconds=30.0)
    yield opened
    opened.close()


def test_a_mail_read_in_the_child_equals_one_read_here(reader: BudgetReader) -> None:
    raw = mail(subject="Sifarişim gecikir", body="Salam, sifarişim 10 gündür çatdırılmayıb.", name="Aysel")
    assert reader(raw) == parse(raw, LANGUAGES) == read_inline(LANGUAGES)(raw)


def test_an_unreadable_mail_keeps_its_reason(reader: BudgetReader) -> None:
    with pytest.raises(Unprocessable) as raised:
        reader(b"Subject: no sender\r\n\r\nhello")
    with pytest.raises(Unprocessable) as inline:
        parse(b"Subject: no sender\r\n\r\nhello")
    assert str(raised.value) == str(inline.value)


def test_a_mail_over_the_time_budget_is_unprocessable_and_the_next_one_is_read() -> None:
    reader = BudgetReader(LANGUAGES, seconds=0.05)
    try:
        reader.warm()
        with pytest.raises(Unprocessable, match=r"longer than the time budget of 0.05 s \(\[gateway\] read_seconds\)"):
            reader(huge(4))
        reader.seconds = 30.0
        assert reader(mail(body="My order is late.")).new_text.strip() == "My order is late."
    finally:
        reader.close()


def test_a_mail_over_the_memory_budget_is_unprocessable() -> None:
    reader = BudgetReader(LANGUAGES, seconds=60.0, memory_mb=40)
    try:
        with pytest.raises(Unprocessable, match="more than 40 MB|reader process stopped"):
            reader(huge(12))
    finally:
        reader.close()


def test_a_killed_reader_is_started_again(reader: BudgetReader) -> None:
    reader.warm()
    reader._child.kill()
    reader._child.join()
    assert reader(mail(body="Still here.")).new_text.strip() == "Still here."


def test_the_pipeline_quarantines_a_mail_over_budget_and_never_reads_the_same_bytes_again(tmp_path: Path) -> None:
    runtime = Runtime.open(config_module.load(write_config(tmp_path)))
    reads: list[int] = []
    budget = BudgetReader(LANGUAGES, seconds=0.05)

    def counting(raw: bytes):
        reads.append(len(raw))
        return budget(raw)

    try:
        runtime.use_reader(counting)
        poison = huge(4)
        first = runtime.pipeline.ingest(poison, "smtp", NOW)
        assert first.state == "quarantined" and "time budget" in first.reason
        row = Message.get(Message.sha256 == first.sha256)
        assert row.state == "quarantined" and "read_seconds" in row.reason
        again = runtime.pipeline.ingest(poison, "smtp", NOW)  # the sender retries, or a restart replays it
        assert again.state == "duplicate" and again.reason == f"same as message {row.id}"
        assert len(reads) == 1  # never parsed again
        budget.seconds = 30.0
        assert runtime.pipeline.ingest(mail(body="My order is late."), "smtp", NOW).state == "processed"
    finally:
        budget.close()
        runtime.close()


def test_a_child_retires_after_its_mails_and_a_fresh_one_reads_on() -> None:
    """The bound on the child's lifetime: never more than retire_mails mails per process."""
    reader = BudgetReader(LANGUAGES, seconds=60.0, retire_mails=3)
    try:
        pids = []
        for n in range(7):
            pids.append(reader._start() and reader._child.pid)
            assert reader(mail(body=f"Order {n} is late.", message_id=f"<r{n}@example.az>")).new_text.strip() \
                == f"Order {n} is late."
        assert [pids.count(pid) for pid in dict.fromkeys(pids)] == [3, 3, 1]
        assert reader.retired == 2
    finally:
        reader.close()


def test_a_child_whose_heap_passed_the_mark_retires_after_the_mail() -> None:
    reader = BudgetReader(LANGUAGES, seconds=60.0, retire_mb=1)  # every child is past 1 MB: one mail each
    try:
        first = reader._start() and reader._child.pid
        assert reader(mail(body="My order is late.")).new_text.strip() == "My order is late."
        assert reader._child is not None and reader._child.pid != first  # the successor already runs
        with pytest.raises(Unprocessable):
            reader(b"Subject: no sender\r\n\r\nhello")  # a refusal retires it too
        assert reader.retired == 2
    finally:
        reader.close()


def test_a_big_parent_does_not_make_every_child_retire() -> None:
    """The mark is the child's RSS now, not getrusage's peak, which Linux carries over fork and exec
    from the parent: a daemon bigger than the mark would otherwise start a child per mail."""
    ballast = bytearray(200 * 2**20)
    ballast[::4096] = b"x" * len(ballast[::4096])  # resident, not just reserved
    reader = BudgetReader(LANGUAGES, seconds=60.0, retire_mb=150)
    try:
        for n in range(2):
            assert reader(mail(body=f"Order {n} is late.")).new_text.strip() == f"Order {n} is late."
        assert reader.retired == 0
    finally:
        reader.close()
        del ballast


def test_a_child_that_kept_a_large_heap_after_a_big_mail_is_replaced() -> None:
    reader = BudgetReader(LANGUAGES, seconds=120.0, retire_mb=70)
    try:
        reader.warm()
        first = reader._child.pid
        reader(mail(body="My order is late."))
        assert reader.retired == 0 and reader._child.pid == first  # an ordinary mail: the same child
        reader(huge(12))  # leaves ~85-90 MB behind in the child (it starts at ~55 MB)
        assert reader.retired == 1 and reader._child.pid != first
    finally:
        reader.close()
