"""The portal as a real process on a real port, and a small HTTP client that keeps
cookies and reads forms the way a browser would (no JavaScript needed)."""
from __future__ import annotations

import html
import http.cookiejar
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from gatewaykit import REPO, write_config


def portal_config(directory: Path, port: int, extra: str = "") -> Path:
    return write_config(directory, extra=f"""
[web]
listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"
templates = "{REPO}/templates/web"
lockout_failures = 10
lockout_minutes = 15
{extra}""")


class PortalProcess:
    def __init__(self, config: Path, port: int):
        self.port, self.config = port, config
        self.log = (config.parent / "web.log").open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "gateway", "--config", str(config), "web"],
                                     cwd=str(config.parent), stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError((config.parent / "web.log").read_text())
            try:
                urllib.request.urlopen(self.url + "/portal.css", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("portal did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.log.close()


class Response:
    def __init__(self, status: int, url: str, body: str, headers):
        self.status, self.url, self.body, self.headers = status, url, body, headers

    def field(self, name: str) -> str:
        found = re.search(rf'name="{name}" value="([^"]*)"', self.body)
        return html.unescape(found.group(1)) if found else ""

    def text(self, element_id: str) -> str:
        found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', self.body)
        return html.unescape(found.group(1)).strip() if found else ""


class Client:
    """A browser without JavaScript: cookies kept, redirects followed."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self._open(urllib.request.Request(self.base + path, headers=headers or {}))

    def post(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, str, bytes]] | None = None,
             headers: dict[str, str] | None = None) -> Response:
        if files is None:
            data = urllib.parse.urlencode(fields).encode()
            kind = "application/x-www-form-urlencoded"
        else:
            data, kind = _multipart(fields, files)
        request = urllib.request.Request(self.base + path, data=data, method="POST",
                                         headers={"Content-Type": kind, **(headers or {})})
        return self._open(request)

    def _open(self, request: urllib.request.Request) -> Response:
        try:
            with self.opener.open(request, timeout=60) as answer:
                return Response(answer.status, answer.url, answer.read().decode(), answer.headers)
        except urllib.error.HTTPError as error:
            return Response(error.code, error.url, error.read().decode(), error.headers)


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, kind, data) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: {kind}\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def file_complaint(client: Client, lang: str = "en", **fields: str) -> Response:
    form = client.get(f"/complaint?lang={lang}")
    data = {"csrf": form.field("csrf"), "submission": form.field("submission"), "lang": lang,
            "name": "Aysel", "surname": "Məmmədova", "patronymic": "Rauf qızı", "phone": "+994 50 123 45 67",
            "email": "aysel@example.az", "subject": "Sifarişim gecikir",
            "text": "Salam, sifarişim 10 gündür çatdırılmayıb. Xahiş edirəm kömək edin.", **fields}
    return client.post("/complaint", data)


def track(client: Client, tracking: str, secret: str, lang: str = "en") -> Response:
    form = client.get(f"/track?lang={lang}")
    return client.post("/track", {"csrf": form.field("csrf"), "lang": lang, "tracking": tracking, "secret": secret})
