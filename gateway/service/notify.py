"""sd_notify spoken directly: one datagram to $NOTIFY_SOCKET.

The protocol is a few lines of text on a unix datagram socket; a dependency
would be larger than the code. Without NOTIFY_SOCKET (not under systemd)
every call is a no-op.
"""
from __future__ import annotations

import os
import socket


class SystemdNotifier:
    def __init__(self, address: str | None):
        self.address = address

    @classmethod
    def from_environment(cls) -> "SystemdNotifier":
        return cls(os.environ.get("NOTIFY_SOCKET") or None)

    def notify(self, state: str) -> bool:
        if not self.address:
            return False
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(state.encode("utf-8"), target)
            return True
        except OSError:
            return False
