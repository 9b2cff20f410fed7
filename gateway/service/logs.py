"""One line per event on stderr (journald), key=value or JSON, with the event's data as fields.

A call names the event in a short fixed message and passes its data with the standard
library's `extra=`: `log.info("sent", extra={"kind": "ack", "message_id": ...})`. Both
formats print every such field, so `format = "json"` has fields to query and a key=value
line can be grepped by `tracking=CC-...`. An exception keeps its whole traceback: in JSON as
one field, in key=value escaped inside one quoted field, so the event stays one line (one
journal entry) and no frame is lost.

Mail content and passwords never reach a log line: callers log identifiers (tracking
number, Message-ID, a digest, masked addresses, counts), and this module only shapes the
line. Field values are escaped, so a hostile Message-ID cannot start a line of its own.
"""
from __future__ import annotations

import json
import logging
import re
import sys
from datetime import date, datetime
from typing import Any

from gateway.config import LoggingSection

# What every LogRecord carries; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
_PLAIN = re.compile(r"[^\s\"'=\\\x00-\x1f\x7f]{1,200}")


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The event's own fields, in the order the call gave them."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _value(value: Any) -> Any:
    """A field's value as JSON knows it: dates as ISO text, anything unknown as its str()."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in value.items()}
    return str(value)


class _Formatter(logging.Formatter):
    def data(self, record: logging.LogRecord) -> dict[str, Any]:
        """level, logger, msg, the fields, then error (one line) and traceback (every frame)."""
        data: dict[str, Any] = {"level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        for name, value in fields_of(record).items():
            data.setdefault(name, _value(value))
        if record.exc_info and record.exc_info[0] is not None:
            text = self.formatException(record.exc_info)
            data.setdefault("error", text.splitlines()[-1] if text else record.exc_info[0].__name__)
            data["traceback"] = text
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return data


class KeyValueFormatter(_Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = self.data(record)
        data["msg"] = json.dumps(data["msg"], ensure_ascii=False)  # always quoted, as grep patterns expect
        return " ".join(f"{name}={value if name == 'msg' else _kv(value)}" for name, value in data.items())


class JsonFormatter(_Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(self.data(record), ensure_ascii=False, default=str)


def _kv(value: Any) -> str:
    """A bare word when it is one, else a JSON string (quotes, newlines and control characters escaped)."""
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else \
        json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)
    return text if _PLAIN.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def setup(settings: LoggingSection) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.format == "json" else KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level.upper())
    logging.getLogger("peewee").setLevel(logging.WARNING)
    logging.getLogger("mailparser").setLevel(logging.ERROR)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: one line per SMTP command otherwise
