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
    from gatewaykit import gateway_inline

    from gateway.reader import BudgetReader
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

    def code(self, code: types.CodeType, scope: dict[str, Any]) -> bool:
        if id(code) in self.seen:
            return False
        self.seen.add(id(code))
        modules = [v for v in scope.values() if isinstance(v, types.ModuleType) and _ours(v)]
        for name in code.co_names:
            candidates = [scope.get(name)] + [getattr(m, name, None) for m in modules]
            if any(self.value(c) for c in candidates if c is not None):
                return True
        return any(self.code(const, scope) for const in code.co_consts if isinstance(const, types.CodeType))

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
        if isinstance(obj, type):
            members = [m.fget if isinstance(m, property) else m for m in vars(obj).values()]
            members = [m.__func__ if isinstance(m, (staticmethod, classmethod)) else m for m in members]
            return any(self.value(m) for m in members if isinstance(m, types.FunctionType))
        return False


def _fixture_functions(item: pytest.Item) -> list[Any]:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    return [d.func for name in item.fixturenames for d in info.name2fixturedefs.get(name, ())]


def uses_servers(item: pytest.Item) -> bool:
    return bool(SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())))


def spawns(item: pytest.Item, spawners: tuple[Any, ...]) -> bool:
    reach = _Reach(spawners)
    function = getattr(item, "function", None)
    return any(reach.value(f) for f in [function, *_fixture_functions(item)] if f is not None)


def mark_by_use(items: list[pytest.Item]) -> None:
    spawners = _spawners()
    for item in items:
        servers, e2e = uses_servers(item), spawns(item, spawners)
        if servers:
            item.add_marker(pytest.mark.servers)
        if e2e:
            item.add_marker(pytest.mark.e2e)
        if servers or e2e or item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
