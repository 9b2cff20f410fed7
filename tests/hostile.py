"""Helpers for tests with hostile input: does a call terminate at all?

A backtracking regular expression holds the interpreter (the GIL) for minutes, so
a thread cannot time it out; the call runs in a forked child that is killed when
it is still busy. The bound is generous on purpose: it tells linear work (far
under a second) from exponential work (minutes), it measures no speed; figures
are bench/adversarial.py's job.
"""
from __future__ import annotations

import multiprocessing
from typing import Any, Callable

GENEROUS_SECONDS = 20.0


def _run(fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    fn(*args)


def finishes(fn: Callable[..., Any], *args: Any, seconds: float = GENEROUS_SECONDS) -> bool:
    """True when fn(*args) returned (without raising) within `seconds` in a child process."""
    child = multiprocessing.get_context("fork").Process(target=_run, args=(fn, args), daemon=True)
    child.start()
    child.join(seconds)
    if child.is_alive():
        child.kill()
        child.join()
        return False
    return child.exitcode == 0
