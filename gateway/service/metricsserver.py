"""GET /metrics and /status over HTTP ([metrics] listen), a tiny stdlib server in a thread.

The stdlib server is enough for a scrape every few seconds and adds no
dependency; each request reads Health in a database connection of its own and
answers 503 when the database is away, so a scrape never takes the thread down.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import peewee as pw

from gateway.service.health import Health
from gateway.service.metrics import prometheus_text

log = logging.getLogger("gateway.health")


class MetricsServer:
    """GET /metrics (Prometheus text) and /status (JSON) on [metrics] listen, in a thread of its own."""

    def __init__(self, listen: str, health: Callable[[], Health], database: pw.Database):
        host, _, port = listen.rpartition(":")
        self.server = ThreadingHTTPServer((host or "127.0.0.1", int(port)), _handler(health, database))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="metrics", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server.server_address[:2]
        return str(host), port

    def start(self) -> "MetricsServer":
        self.thread.start()
        log.info("metrics listening", extra={"url": "http://%s:%d/metrics" % self.address})
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


PAGES: dict[str, tuple[str, Callable[[Health], str]]] = {
    "/metrics": ("text/plain; version=0.0.4; charset=utf-8", prometheus_text),
    "/status": ("application/json", lambda h: json.dumps(h.as_json(), ensure_ascii=False)),
}


def _handler(health: Callable[[], Health], database: pw.Database) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = PAGES.get(self.path.split("?", 1)[0])
            if page is None:
                self.send_error(404, "try /metrics or /status")
                return
            try:
                with database.connection_context():
                    body = page[1](health()).encode("utf-8")
            except Exception as exc:  # the database is away: say so, do not crash the thread
                log.warning("metrics unavailable", extra={"error": type(exc).__name__})
                self.send_error(503, "database unavailable")
                return
            self.send_response(200)
            self.send_header("Content-Type", page[0])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("metrics request", extra={"request": format % args})

    return Handler
