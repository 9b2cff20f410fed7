"""A problem found in a staff mail that the desk cannot act on (a `#new` field, a forward).

The staff member reads it in the staff language: the outbox row stores the code and its values
(`Problem.param`), the words live in templates/mail/_errors.j2 (az/ru/tr/en), so an az desk's
error mail is Azerbaijani. `text` is the same problem in English, for logs, events and rows a
template does not know the code of. Pure: a value, no behaviour.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    code: str  # a key of ERRORS in templates/mail/_errors.j2
    text: str  # English, for logs and as the fallback
    args: dict[str, str] = field(default_factory=dict)  # the %(name)s values of the code's text

    def __str__(self) -> str:
        return self.text

    def param(self) -> dict[str, Any]:
        """What an outbox row stores (JSON): the template renders it by code."""
        return {"code": self.code, "args": dict(self.args), "text": self.text}


def as_params(errors: list[Problem | str]) -> list[Any]:
    """Errors as outbox params: a Problem by code, a plain string (older rows, the command
    parser's errors) as it is."""
    return [e.param() if isinstance(e, Problem) else e for e in errors]
