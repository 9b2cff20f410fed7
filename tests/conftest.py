"""Shared fixtures: real servers started privately by the suite (see tests/servers.py).

Dovecot and PostgreSQL are session-wide (a second or so each to start); tests stay
isolated by taking a fresh Dovecot user or a fresh database. The SMTP peer is per test.

Every test is marked here by what it uses, so nobody marks a hundred files by hand (see
`markers.py`): `servers` (a private Dovecot, PostgreSQL, SMTP peer or browser), `e2e` (the
gateway or another program run as a process), and `slow` for both; `-m "not slow"` (what
`scripts/test.sh --fast` runs) is the unit tests.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from markers import mark_by_use
from servers import PrivateDovecot, PrivatePostgres, SmtpPeer, make_self_signed_cert, postgres_bin, private_dir


@pytest.fixture(scope="session")
def dovecot() -> Iterator[PrivateDovecot]:
    if shutil.which("dovecot") is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd; .ci/run does)")
    with PrivateDovecot() as server:
        yield server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PrivatePostgres]:
    if postgres_bin() is None:
        pytest.skip("PostgreSQL server is not installed (apt-get install postgresql; .ci/run does)")
    pytest.importorskip("psycopg2", reason="psycopg2-binary is not installed (pip install .[test])")
    with PrivatePostgres() as server:
        yield server


@pytest.fixture(scope="session")
def tls_cert() -> Iterator[tuple[Path, Path]]:
    """(cert, key) of a self-signed CN=localhost certificate; the cert is its own CA file."""
    directory = private_dir("gw-tls-")
    yield make_self_signed_cert(directory)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def smtp_peer() -> Iterator[SmtpPeer]:
    """A plain SMTP peer on loopback that accepts everything."""
    with SmtpPeer() as peer:
        yield peer


@pytest.fixture
def smtp_peer_factory() -> Iterator[Callable[..., SmtpPeer]]:
    """Make SmtpPeer(**options) peers (TLS, AUTH, scripted replies); all stopped after the test."""
    peers: list[SmtpPeer] = []

    def make(**options: object) -> SmtpPeer:
        peer = SmtpPeer(**options).start()  # type: ignore[arg-type]
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mark_by_use(items)
