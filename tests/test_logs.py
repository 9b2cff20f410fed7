"""Log lines: one per event, with the event's data as fields, in both formats; whole tracebacks."""
from __future__ import annotations

import io
import json
import logging

import pytest

from gateway.config import LoggingSection
from gateway.service import logs


@pytest.fixture
def capture():
    """The root logger set up as the daemon does, writing into a buffer; restored afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level

    def setup(fmt: str) -> io.StringIO:
        logs.setup(LoggingSection(format=fmt, level="debug"))
        buffer = io.StringIO()
        root.handlers[0].setStream(buffer)
        return buffer

    yield setup
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def _fail_deep() -> None:
    def inner_frame_of_the_bug() -> None:
        raise ValueError("template variable 'due' is undefined")
    inner_frame_of_the_bug()


def test_json_has_one_object_per_event_with_its_fields(capture):
    out = capture("json")
    log = logging.getLogger("gateway.outbox")
    log.info("sent", extra={"kind": "ack", "to": "ay***@example.az", "message_id": "a@b", "outgoing_id": 7})
    log.warning("retry later", extra={"attempt": 2, "error": "451 try again"})
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines == [
        {"level": "info", "logger": "gateway.outbox", "msg": "sent", "kind": "ack", "to": "ay***@example.az",
         "message_id": "a@b", "outgoing_id": 7},
        {"level": "warning", "logger": "gateway.outbox", "msg": "retry later", "attempt": 2, "error": "451 try again"},
    ]


def test_keyvalue_prints_the_fields_as_words_or_quoted(capture):
    out = capture("keyvalue")
    logging.getLogger("gateway.pipeline").info("processed", extra={
        "tracking": "CC-2026-4K7PQ2MX", "message_id": "x y@z", "count": 3, "ok": True, "missing": None})
    assert out.getvalue() == ('level=info logger=gateway.pipeline msg="processed" tracking=CC-2026-4K7PQ2MX '
                              'message_id="x y@z" count=3 ok=true missing=""\n')


@pytest.mark.parametrize("fmt", ["keyvalue", "json"])
def test_hostile_values_cannot_start_a_line_of_their_own(capture, fmt):
    out = capture(fmt)
    forged = "a@b\nlevel=error logger=gateway.auth msg=\"staff login\"\r\x1b[2J"
    logging.getLogger("gateway.pipeline").warning("quarantined", extra={"message_id": forged, "reason": 'x="y"'})
    text = out.getvalue()
    assert text.count("\n") == 1 and "\r" not in text and "\x1b" not in text
    if fmt == "json":
        assert json.loads(text)["message_id"] == forged


@pytest.mark.parametrize("fmt", ["keyvalue", "json"])
def test_an_exception_keeps_every_frame_on_one_line(capture, fmt):
    out = capture(fmt)
    try:
        _fail_deep()
    except ValueError:
        logging.getLogger("gateway.daemon").exception("job failed; will try again", extra={"job": "outbox run"})
    text = out.getvalue()
    assert text.count("\n") == 1  # one journal entry
    if fmt == "json":
        data = json.loads(text)
        traceback, error = data["traceback"], data["error"]
        assert data["job"] == "outbox run"
    else:
        assert text.startswith('level=error logger=gateway.daemon msg="job failed; will try again" job="outbox run" ')
        traceback = json.loads(text.split(" traceback=", 1)[1])
        error = json.loads(text.split(" error=", 1)[1].split(" traceback=")[0])
    assert error == "ValueError: template variable 'due' is undefined"
    for frame in ("test_an_exception_keeps_every_frame_on_one_line", "_fail_deep", "inner_frame_of_the_bug"):
        assert f"in {frame}" in traceback
    assert traceback.startswith("Traceback (most recent call last):")


def test_a_field_named_like_a_record_attribute_is_refused_by_the_stdlib():
    """`extra` cannot overwrite a LogRecord attribute: such a call fails loudly in tests, not silently."""
    with pytest.raises(KeyError):
        logging.getLogger("gateway.x").error("x", extra={"msg": "y"})  # noqa: G101 (the clash is what is tested)


def test_dates_and_other_values_are_text(capture):
    from datetime import datetime, timezone
    out = capture("json")
    at = datetime(2026, 12, 4, 18, 0, tzinfo=timezone.utc)
    logging.getLogger("gateway.sweep").info("deadline action", extra={"due": at, "uids": (1, 2), "path": object})
    data = json.loads(out.getvalue())
    assert data["due"] == "2026-12-04T18:00:00+00:00" and data["uids"] == [1, 2] and "object" in data["path"]


def test_no_log_call_of_the_gateway_names_a_field_the_stdlib_refuses():
    """A field named like a LogRecord attribute (name, module, process, ...) raises KeyError at the
    moment of logging, in production, often on an error path: every literal extra= is checked here."""
    import ast
    from pathlib import Path
    package = Path(__file__).resolve().parents[1] / "gateway"
    found = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "extra" and isinstance(keyword.value, ast.Dict):
                        found += [(path.name, k.value) for k in keyword.value.keys if isinstance(k, ast.Constant)]
    assert len(found) > 40
    assert [(file, name) for file, name in found if name in logs._STANDARD] == []
