"""gateway.mail.oneline: untrusted text can never become a second header line."""
from __future__ import annotations

import subprocess
import sys

import pytest

from gateway.mail.oneline import one_line


def test_one_line_removes_every_kind_of_line_break() -> None:
    assert one_line("a\r\nb\u2028c\x85d\x00e\tf") == "a b c d e f"


@pytest.mark.parametrize("value, expected", [
    ("", ""), (None, ""), ("  spaced   out  ", "spaced out"), ("Re:\r\n\tfolded", "Re: folded"),
    ("Bcc: x@y\r\nTo: z", "Bcc: x@y To: z"), ("Müştəri\u2029Шикаят", "Müştəri Шикаят"),
])
def test_one_line_folds_and_trims(value, expected) -> None:
    assert one_line(value) == expected


def test_composing_a_line_does_not_load_the_mail_parser() -> None:
    """The outbox and the sweep use one_line; loading mail-parser for it cost every `tick` ~80 ms."""
    code = "import sys, gateway.mail.oneline, gateway.outbound.compose; print('mailparser' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
