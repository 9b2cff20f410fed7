"""One line per event on stderr (journald), key=value or JSON.

Mail content and passwords never reach a log line: callers log identifiers
(tracking number, Message-ID, masked addresses), and this module only shapes
the line.
"""
from __future__ import annotations

import json
import logging
import sys

from gateway.config import LoggingSection


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"level={record.levelname.lower()} logger={record.name} msg={json.dumps(record.getMessage(), ensure_ascii=False)}"
        if record.exc_info:
            line += f" error={json.dumps(self.formatException(record.exc_info).splitlines()[-1])}"
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {"level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def setup(settings: LoggingSection) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.format == "json" else KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level.upper())
    logging.getLogger("peewee").setLevel(logging.WARNING)
    logging.getLogger("mailparser").setLevel(logging.ERROR)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: one line per SMTP command otherwise
