"""Marks each collected test by what it uses, so `-m "not slow"` selects the unit tests.

A test is `servers` when it (or a fixture it uses) takes one of the private servers of
`conftest.py`, and `e2e` when its code, followed through the helpers and fixtures it calls in
`tests/`, reaches `subprocess` or `multiprocessing` (the gateway CLI, the daemon, the portal,
mutt, a browser, a parsing child) or the CLI run in-process (`gatewaykit.gateway_inline`).
Both are `slow`. Reading the code rather than a list of files means a new test is marked by
what it does, and a unit test that starts to spawn a process leaves the fast set by itself.
"""
from __future__ import annotations

import inspect
import multiprocessing
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

TESTS = str(Path(__file__).resolve().parent)
SERVER_FIXTURES = frozenset({"dovecot", "postgres", "smtp_peer", "smtp_peer_factory"})
SPAWNERS: tuple[Any, ...] = (subprocess, subprocess.Popen, subprocess.run, subprocess.check_output,
                             subprocess.check_call, subprocess.call, multiprocessing)


def _spawners() -> tuple[Any, ...]:
    """The process starters: the standard library's, the gateway's own children (its reader
    parses each mail in a child process, so a test driving it in-process is not a unit test),
    and the CLI run in-process for timelines (end to end, if without a new interpreter)."""
    from gateway.ingest.reader import BudgetReader
    from gatewaykit import gateway_inline
    return (*SPAWNERS, BudgetReader, gateway_inline)


def _ours(obj: Any) -> bool:
    """Defined in a file under tests/ (helpers are followed; the gateway and libraries are not)."""
    try:
        return (inspect.getsourcefile(obj) or "").startswith(TESTS)
    except TypeError:
        return False


class _Reach:
    """Follows names from code objects to the test helpers they call, remembering what it saw."""

    def __init__(self, spawners: tuple[Any, ...]):
        self.spawners = spawners
        self.seen: set[int] = set()
        self.server_request = False

    def code(self, code: types.CodeType, scope: dict[str, Any]) -> bool:
        if id(code) in self.seen:
            return False
        self.seen.add(id(code))
        if "getfixturevalue" in code.co_names and SERVER_FIXTURES.intersection(
                c for c in code.co_consts if isinstance(c, str)):
            self.server_request = True  # request.getfixturevalue("postgres"): a server on demand
        imported = [sys.modules.get(name) for name in code.co_names]  # `from gatewaykit import ...` inside
        modules = [m for m in [*scope.values(), *imported] if isinstance(m, types.ModuleType) and _ours(m)]
        found = False  # the whole walk, not the first hit: a server asked for further on counts too
        for name in code.co_names:
            for candidate in [scope.get(name)] + [getattr(m, name, None) for m in modules]:
                found = self.value(candidate) | found if candidate is not None else found
        for const in code.co_consts:
            found = self.code(const, scope) | found if isinstance(const, types.CodeType) else found
        return found

    def value(self, obj: Any) -> bool:
        if any(obj is s for s in self.spawners):
            return True
        if isinstance(obj, type) and any(isinstance(s, type) and issubclass(obj, s) for s in self.spawners):
            return True
        if id(obj) in self.seen or not _ours(obj):
            return False
        self.seen.add(id(obj))
        if isinstance(obj, (types.FunctionType, types.MethodType)):
            function = inspect.unwrap(obj)
            return self.code(function.__code__, function.__globals__)
        if isinstance(obj, type):  # its methods and those it inherits from helpers
            members = [m.fget if isinstance(m, property) else m
                       for klass in obj.__mro__ if _ours(klass) for m in vars(klass).values()]
            members = [m.__func__ if isinstance(m, (staticmethod, classmethod)) else m for m in members]
            return any([self.value(m) for m in members if isinstance(m, types.FunctionType)])
        return False


def _fixture_functions(item: pytest.Item) -> list[Any]:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    return [d.func for name in item.fixturenames for d in info.name2fixturedefs.get(name, ())]


def _on_sqlite(item: pytest.Item) -> bool:
    """Parametrized over the database, this instance is the SQLite one (no server)."""
    callspec = getattr(item, "callspec", None)
    return callspec is not None and "sqlite" in callspec.params.values()


def classify(item: pytest.Item, spawners: tuple[Any, ...]) -> tuple[bool, bool]:
    """(uses a private server, runs a process) for one test."""
    reach = _Reach(spawners)
    function = getattr(item, "function", None)
    e2e = any([reach.value(f) for f in [function, *_fixture_functions(item)] if f is not None])
    servers = bool(SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())))
    servers = servers or (reach.server_request and not _on_sqlite(item))
    return servers, e2e


def mark_by_use(items: list[pytest.Item]) -> None:
    spawners = _spawners()
    for item in items:
        servers, e2e = classify(item, spawners)
        if servers:
            item.add_marker(pytest.mark.servers)
        if e2e:
            item.add_marker(pytest.mark.e2e)
        if servers or e2e or item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
