"""Background work (sweep, outbox) yields the writer to mail being stored (issue 23)."""
from __future__ import annotations

import threading

import peewee as pw
import pytest

from gateway.store import writer as writer_module
from gateway.store.writer import WriterShare


def test_a_background_step_waits_until_no_mail_is_being_stored():
    share = WriterShare(max_wait=30)
    order: list[str] = []
    storing, step_done = threading.Event(), threading.Event()

    def background() -> None:
        storing.wait()
        with share.background():
            order.append("step")
        step_done.set()

    thread = threading.Thread(target=background)
    thread.start()
    with share.foreground():
        assert share.storing == 1
        storing.set()
        assert not step_done.wait(0.2)  # held back while the mail is stored
        order.append("mail stored")
    assert step_done.wait(10)
    thread.join()
    assert order == ["mail stored", "step"]
    assert share.storing == 0


def test_a_flood_holds_background_work_back_at_most_max_wait():
    share = WriterShare(max_wait=0.05)
    with share.foreground():
        assert share.wait_turn() >= 0.05  # and then it goes on: deadlines are not stopped by a flood


def test_nested_and_concurrent_storing_is_counted():
    share = WriterShare()
    with share.foreground(), share.foreground():
        assert share.storing == 2
    assert share.storing == 0


def test_a_storing_error_still_ends_the_foreground():
    share = WriterShare()
    with pytest.raises(RuntimeError), share.foreground():
        raise RuntimeError("database away")
    assert share.storing == 0
    assert share.wait_turn() < share.max_wait


@pytest.mark.parametrize("database, rests", [(pw.SqliteDatabase(":memory:"), True),
                                             (pw.PostgresqlDatabase("x"), False), (None, False)])
def test_on_sqlite_a_step_rests_as_long_as_it_took_capped(monkeypatch, database, rests):
    clock = [100.0]
    slept: list[float] = []
    monkeypatch.setattr(writer_module.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(writer_module.time, "sleep", slept.append)
    share = WriterShare(max_rest=0.2)
    with share.background(database):
        clock[0] += 0.03
    with share.background(database):
        clock[0] += 5.0
    assert slept == (pytest.approx([0.03, 0.2]) if rests else [])
