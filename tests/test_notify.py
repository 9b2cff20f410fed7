"""sd_notify against a real datagram socket the test listens on, as systemd would."""
from __future__ import annotations

import shutil
import signal
import socket
import tempfile
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from gateway.service.notify import SystemdNotifier
from gatewaykit import DaemonProcess, write_config
from servers import free_port


@pytest.fixture
def notify_socket() -> Iterator[tuple[socket.socket, str]]:
    """A bound AF_UNIX datagram socket on a short path (sun_path holds 108 bytes)."""
    directory = Path(tempfile.mkdtemp(prefix="gw-notify-", dir="/tmp"))
    path = str(directory / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(30)
    yield sock, path
    sock.close()
    shutil.rmtree(directory, ignore_errors=True)


def test_a_state_reaches_the_socket(notify_socket):
    sock, path = notify_socket
    assert SystemdNotifier(path).notify("READY=1\nSTATUS=running")
    assert sock.recv(4096) == b"READY=1\nSTATUS=running"


def test_abstract_socket_address():
    name = f"gw-notify-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(10)
        assert SystemdNotifier("@" + name).notify("WATCHDOG=1")
        assert sock.recv(100) == b"WATCHDOG=1"


def test_without_systemd_nothing_is_sent(monkeypatch, tmp_path):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert SystemdNotifier.from_environment().notify("READY=1") is False
    assert SystemdNotifier(str(tmp_path / "nobody-listens")).notify("READY=1") is False  # never raises


def test_the_daemon_speaks_the_protocol(notify_socket, tmp_path):
    sock, path = notify_socket
    port = free_port()
    config = write_config(tmp_path, smtp_port=port)
    with DaemonProcess(config, env={"NOTIFY_SOCKET": path}) as daemon:
        first = sock.recv(4096).decode()
        assert first.splitlines()[0] == "READY=1", first
        daemon.wait_listening(port)  # READY came only once the listener was up
        assert sock.recv(4096) == b"WATCHDOG=1"
        daemon.proc.send_signal(signal.SIGTERM)
        states = []
        while "STOPPING=1" not in states:
            states.append(sock.recv(4096).decode())
        assert set(states[:-1]) <= {"WATCHDOG=1"}
        assert daemon.stop() == 0, daemon.output()
