"""The IMAP watcher against a real private Dovecot (tests/servers.py)."""
from __future__ import annotations

import logging
import random
import ssl
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email import message_from_bytes
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pytest

from gateway.config import ImapInbound
from gateway.service.sources.imap import (
    CatchUpReport,
    CheckpointStore,
    ImapSetupError,
    ImapWatcher,
    SinkUnavailable,
    WatcherTuning,
    backoff_delay,
    mailbox_key,
    read_password,
)
from gateway.store.migrate import open_database
from servers import FreezableProxy, PrivateDovecot, make_mail, wait_until

FAST = WatcherTuning(keepalive=40.0, socket_timeout=10.0, backoff_base=0.1, backoff_cap=0.5, retry_delay=0.2)
WAIT = 15.0  # generous upper bound for waits that normally end in well under a second


@dataclass(frozen=True)
class Outcome:
    quarantined: bool = False


@dataclass
class FakePipeline:
    """Stands in for the pipeline's batch entry: stores by Message-ID (duplicates are
    stored, like the real dedupe) and can be told to fail or quarantine.
    Like the real one, a failure stores nothing of the handover it was given."""

    raise_times: dict[str, int] = field(default_factory=dict)  # subject -> how many calls raise
    unavailable: set[str] = field(default_factory=set)  # subjects whose handover finds the database away
    quarantine: set[str] = field(default_factory=set)
    offers: Counter = field(default_factory=Counter)  # subject -> calls
    handovers: list[list[str]] = field(default_factory=list)  # the subjects of each call
    stored: dict[str, str] = field(default_factory=dict)  # message-id -> subject
    sources: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_call: Callable[[], None] | None = None

    def __call__(self, raws: Sequence[bytes], source: str) -> list[Outcome]:
        mails = [message_from_bytes(raw) for raw in raws]
        subjects = [str(mail["Subject"]) for mail in mails]
        with self.lock:
            if self.on_call:
                self.on_call()
            self.offers.update(subjects)
            self.handovers.append(subjects)
            self.sources.add(source)
            if self.unavailable & set(subjects):
                raise SinkUnavailable("database is away")
            if any(self.raise_times.get(s, 0) >= self.offers[s] for s in subjects):
                raise RuntimeError("database is locked")
            outcomes = []
            for mail, subject in zip(mails, subjects):
                self.stored.setdefault(str(mail["Message-ID"]), subject)
                outcomes.append(Outcome(quarantined=subject in self.quarantine))
            return outcomes

    def subjects(self) -> list[str]:
        with self.lock:
            return sorted(self.stored.values())


@pytest.fixture
def database(tmp_path: Path):
    database = open_database(f"sqlite:///{tmp_path / 'gateway.db'}")
    yield database
    database.close()


@pytest.fixture
def account(dovecot: PrivateDovecot):
    return dovecot.add_user()


def settings(server: PrivateDovecot, username: str, tmp_path: Path, **overrides: object) -> ImapInbound:
    (tmp_path / "imap.secret").write_text(server.accounts[username] + "\n")
    values: dict[str, object] = dict(host=server.host, port=server.imap_port, security="none", username=username,
                                     password_file="imap.secret", poll_interval=0.2, batch_size=100)
    values.update(overrides)
    return ImapInbound(**values)  # type: ignore[arg-type]


def watcher(cfg: ImapInbound, sink: Callable, tmp_path: Path, handover: int = FAST.handover) -> ImapWatcher:
    return ImapWatcher(cfg, sink, CheckpointStore(), base_dir=tmp_path, tuning=replace(FAST, handover=handover),
                       rand=random.Random(7))


@contextmanager
def running(w: ImapWatcher) -> Iterator[threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=w.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(WAIT)
        assert not thread.is_alive(), "watcher did not stop"


def subjects_in(server: PrivateDovecot, username: str, folder: str) -> list[str]:
    return sorted(str(message_from_bytes(raw)["Subject"]) for raw in server.messages(username, folder).values())


def wait_for_folder(server: PrivateDovecot, username: str, folder: str, subjects: list[str]) -> None:
    wait_until(lambda: subjects_in(server, username, folder) == sorted(subjects), WAIT,
               f"{subjects} in {folder}", interval=0.1)


# ---------------------------------------------------------------- push and catch-up

def test_idle_push_hands_over_and_moves_after_commit(dovecot, account, database, tmp_path):
    sink = FakePipeline()
    w = watcher(settings(dovecot, account.username, tmp_path), sink, tmp_path)
    with running(w):
        wait_until(lambda: w.status()["connected"], WAIT, "the watcher to connect")
        assert {"Processed", "Quarantine"} <= set(dovecot.folders(account.username))
        dovecot.append(account.username, make_mail(subject="pushed"))
        wait_for_folder(dovecot, account.username, "Processed", ["pushed"])
    assert sink.subjects() == ["pushed"] and sink.sources == {"imap"}
    assert subjects_in(dovecot, account.username, "INBOX") == []
    assert all(b"\\Seen" not in flags for flags in dovecot.flags(account.username, "Processed").values())


def test_catch_up_of_backlog_in_batches_from_checkpoint(dovecot, account, database, tmp_path):
    subjects = [f"backlog {n}" for n in range(7)]
    uids = [dovecot.append(account.username, make_mail(subject=s)) for s in subjects]
    sink = FakePipeline()
    cfg = settings(dovecot, account.username, tmp_path, batch_size=3)
    w = watcher(cfg, sink, tmp_path)

    assert w.run_once() == CatchUpReport(processed=7)
    assert sink.subjects() == sorted(subjects)
    assert CheckpointStore().load(mailbox_key(cfg))[1] == max(uids)
    wait_for_folder(dovecot, account.username, "Processed", subjects)

    dovecot.append(account.username, make_mail(subject="later"))
    assert w.run_once() == CatchUpReport(processed=1)
    assert sum(sink.offers.values()) == 8  # nothing offered twice


def test_dovecot_restart_while_idling_loses_and_doubles_nothing(dovecot, account, database, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="gateway.imap")
    sink = FakePipeline()
    w = watcher(settings(dovecot, account.username, tmp_path), sink, tmp_path)
    with running(w):
        dovecot.append(account.username, make_mail(subject="before"))
        wait_for_folder(dovecot, account.username, "Processed", ["before"])
        dovecot.restart()
        dovecot.append(account.username, make_mail(subject="after"))
        wait_for_folder(dovecot, account.username, "Processed", ["after", "before"])
        wait_until(lambda: w.status()["connected"], WAIT, "the watcher to reconnect")
    assert sink.offers == Counter({"before": 1, "after": 1})
    assert subjects_in(dovecot, account.username, "INBOX") == []
    assert any("connected again" in r.getMessage() for r in caplog.records)


def test_silent_dead_connection_is_noticed_and_replaced(dovecot, account, database, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="gateway.imap")
    proxy = FreezableProxy(dovecot.imap_port)
    tuning = WatcherTuning(keepalive=0.5, socket_timeout=1.0, backoff_base=0.1, backoff_cap=0.5)
    sink = FakePipeline()
    w = ImapWatcher(settings(dovecot, account.username, tmp_path, port=proxy.port), sink, CheckpointStore(),
                    base_dir=tmp_path, tuning=tuning)
    try:
        with running(w):
            wait_until(lambda: w.status()["connected"], WAIT, "the watcher to connect")
            proxy.frozen.set()
            wait_until(lambda: any("timed out" in str(getattr(r, "error", "")) for r in caplog.records), WAIT,
                       "the watcher to notice the dead link")
            assert w.status()["connected"] is False
            proxy.frozen.clear()
            dovecot.append(account.username, make_mail(subject="after the outage"))
            wait_for_folder(dovecot, account.username, "Processed", ["after the outage"])
    finally:
        proxy.close()


def test_uidvalidity_change_rescans_whole_folder(dovecot, account, database, tmp_path):
    dovecot.append(account.username, make_mail(subject="old uid space"))
    cfg = settings(dovecot, account.username, tmp_path)
    CheckpointStore().save(mailbox_key(cfg), uidvalidity=1, last_uid=10_000)
    sink = FakePipeline()
    assert watcher(cfg, sink, tmp_path).run_once() == CatchUpReport(processed=1)
    assert CheckpointStore().load(mailbox_key(cfg))[0] != 1


def test_mail_already_read_by_a_person_is_processed(dovecot, account, database, tmp_path):
    dovecot.append(account.username, make_mail(subject="read in thunderbird"), flags=[b"\\Seen"])
    sink = FakePipeline()
    assert watcher(settings(dovecot, account.username, tmp_path), sink, tmp_path).run_once().processed == 1
    assert sink.subjects() == ["read in thunderbird"]


# ---------------------------------------------------------------- only after commit

def test_failing_sink_leaves_its_handover_and_checkpoint_then_retries(dovecot, account, database, tmp_path):
    first = dovecot.append(account.username, make_mail(subject="flaky"))
    dovecot.append(account.username, make_mail(subject="fine"))
    cfg = settings(dovecot, account.username, tmp_path)
    sink = FakePipeline(raise_times={"flaky": 1})
    w = watcher(cfg, sink, tmp_path)

    assert w.run_once() == CatchUpReport(failed=2)  # one handover: stored together or not at all
    assert subjects_in(dovecot, account.username, "INBOX") == ["fine", "flaky"]
    assert CheckpointStore().load(mailbox_key(cfg))[1] == first - 1

    assert w.run_once() == CatchUpReport(processed=2)
    assert sink.offers == Counter({"flaky": 2, "fine": 2})
    assert subjects_in(dovecot, account.username, "Processed") == ["fine", "flaky"]


def test_a_failing_handover_does_not_hold_back_the_others(dovecot, account, database, tmp_path):
    first = dovecot.append(account.username, make_mail(subject="flaky"))
    dovecot.append(account.username, make_mail(subject="fine"))
    cfg = settings(dovecot, account.username, tmp_path)
    sink = FakePipeline(raise_times={"flaky": 1})
    w = watcher(cfg, sink, tmp_path, handover=1)

    assert w.run_once() == CatchUpReport(processed=1, failed=1)
    assert subjects_in(dovecot, account.username, "INBOX") == ["flaky"]
    assert CheckpointStore().load(mailbox_key(cfg))[1] == first - 1  # never past a message still waiting

    assert w.run_once() == CatchUpReport(processed=1)
    assert sink.offers == Counter({"flaky": 2, "fine": 1})
    assert subjects_in(dovecot, account.username, "Processed") == ["fine", "flaky"]


def test_database_away_mid_batch_moves_what_was_stored_and_ends_the_pass(dovecot, account, database, tmp_path):
    uids = [dovecot.append(account.username, make_mail(subject=s)) for s in ("a", "b", "c", "d")]
    cfg = settings(dovecot, account.username, tmp_path, batch_size=4)
    sink = FakePipeline(unavailable={"c"})
    with pytest.raises(SinkUnavailable):
        watcher(cfg, sink, tmp_path, handover=2).run_once()
    assert sink.handovers == [["a", "b"], ["c", "d"]]
    assert subjects_in(dovecot, account.username, "Processed") == ["a", "b"]
    assert subjects_in(dovecot, account.username, "INBOX") == ["c", "d"]
    assert CheckpointStore().load(mailbox_key(cfg))[1] < uids[2]  # never past a message still waiting


def test_one_fetch_per_batch_handed_over_in_parts_with_the_backlog_counting_down(dovecot, account, database,
                                                                                  tmp_path):
    subjects = [f"backlog {n}" for n in range(7)]
    for subject in subjects:
        dovecot.append(account.username, make_mail(subject=subject))
    seen: list[int] = []
    sink = FakePipeline(on_call=lambda: seen.append(w.backlog()))
    w = watcher(settings(dovecot, account.username, tmp_path, batch_size=4), sink, tmp_path, handover=2)
    assert w.run_once() == CatchUpReport(processed=7)
    assert [len(h) for h in sink.handovers] == [2, 2, 2, 1]
    assert seen == [5, 3, 1, 0]  # what still waits beyond each handover: the last one is no backlog
    assert w.backlog() == 0
    assert subjects_in(dovecot, account.username, "Processed") == sorted(subjects)


def test_running_watcher_retries_a_raising_sink(dovecot, account, database, tmp_path):
    sink = FakePipeline(raise_times={"retry me": 2})
    w = watcher(settings(dovecot, account.username, tmp_path), sink, tmp_path)
    with running(w):
        dovecot.append(account.username, make_mail(subject="retry me"))
        wait_for_folder(dovecot, account.username, "Processed", ["retry me"])
    assert sink.offers["retry me"] == 3


def test_quarantined_moves_to_quarantine(dovecot, account, database, tmp_path):
    for subject in ("poison", "normal"):
        dovecot.append(account.username, make_mail(subject=subject))
    sink = FakePipeline(quarantine={"poison"})
    report = watcher(settings(dovecot, account.username, tmp_path), sink, tmp_path).run_once()
    assert report == CatchUpReport(processed=1, quarantined=1, failed=0)
    assert subjects_in(dovecot, account.username, "INBOX") == []
    assert subjects_in(dovecot, account.username, "Quarantine") == ["poison"]
    assert subjects_in(dovecot, account.username, "Processed") == ["normal"]


# ---------------------------------------------------------------- failures and reconnects

def test_wrong_password_is_logged_retried_and_recovers(dovecot, account, database, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="gateway.imap")
    cfg = settings(dovecot, account.username, tmp_path)
    (tmp_path / "imap.secret").write_text("wrong\n")
    sink = FakePipeline()
    w = watcher(cfg, sink, tmp_path)
    dovecot.append(account.username, make_mail(subject="waiting"))

    def failures() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "login failed" in str(getattr(r, "error", ""))]

    with running(w):
        wait_until(lambda: len(failures()) >= 3, WAIT, "three logged login failures")
        status = w.status()
        assert status["connected"] is False and "login failed" in str(status["last_error"])
        assert [r.attempt for r in failures()[:3]] == [1, 2, 3]  # once each
        assert "[AUTHENTICATIONFAILED]" in failures()[0].error and account.username in failures()[0].source
        (tmp_path / "imap.secret").write_text(account.password + "\n")
        wait_for_folder(dovecot, account.username, "Processed", ["waiting"])
    assert w.status()["last_error"] == ""


def test_password_comes_from_env_or_file_never_toml(monkeypatch, tmp_path):
    cfg = ImapInbound(host="h", username="u", password_env="GW_TEST_IMAP_PW")
    monkeypatch.delenv("GW_TEST_IMAP_PW", raising=False)
    with pytest.raises(ImapSetupError, match="GW_TEST_IMAP_PW"):
        read_password(cfg, tmp_path)
    monkeypatch.setenv("GW_TEST_IMAP_PW", "from env")
    assert read_password(cfg, tmp_path) == "from env"
    with pytest.raises(ImapSetupError, match="password_env or password_file"):
        read_password(ImapInbound(host="h", username="u"), tmp_path)


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap():
    rand = random.Random(1)
    delays = [backoff_delay(attempt, 1.0, 60.0, rand) for attempt in range(1, 10)]
    for attempt, delay in enumerate(delays, 1):
        ceiling = min(60.0, 2.0 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(backoff_delay(3, 1.0, 60.0, rand), 6) for _ in range(5)}) == 5


# ---------------------------------------------------------------- TLS

@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_tls_with_private_ca_file(dovecot, account, database, tmp_path, security):
    port = dovecot.imaps_port if security == "tls" else dovecot.imap_port
    dovecot.append(account.username, make_mail(subject=f"over {security}"))
    cfg = settings(dovecot, account.username, tmp_path, security=security, port=port, ca_file=str(dovecot.ca_file))
    unverified = settings(dovecot, account.username, tmp_path, security=security, port=port)
    sink = FakePipeline()

    with pytest.raises(ssl.SSLCertVerificationError):
        watcher(unverified, sink, tmp_path).run_once()
    assert watcher(cfg, sink, tmp_path).run_once().processed == 1
    assert sink.subjects() == [f"over {security}"]


# ---------------------------------------------------------------- servers without IDLE and MOVE

@pytest.fixture(scope="module")
def basic_dovecot(dovecot):  # depends on `dovecot` only for its skip when Dovecot is missing
    server = PrivateDovecot(extra_config="protocol imap {\n  imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID UIDPLUS\n}\n")
    with server:
        yield server


def test_without_idle_polls_and_without_move_copies_and_expunges(basic_dovecot, database, tmp_path):
    username = basic_dovecot.add_user().username
    sink = FakePipeline(quarantine={"bad"})
    w = watcher(settings(basic_dovecot, username, tmp_path), sink, tmp_path)
    with running(w):
        wait_until(lambda: w.status()["connected"], WAIT, "the watcher to connect")
        basic_dovecot.append(username, make_mail(subject="polled"))
        basic_dovecot.append(username, make_mail(subject="bad"))
        wait_for_folder(basic_dovecot, username, "Processed", ["polled"])
        wait_for_folder(basic_dovecot, username, "Quarantine", ["bad"])
    assert subjects_in(basic_dovecot, username, "INBOX") == []
