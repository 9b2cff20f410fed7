"""`gateway report --format`: each output format by name, and the function that writes it.

The table sits above the writers (report.py: text and CSV; report_html.py: the
page) so that neither has to import the other to list every format.
"""
from __future__ import annotations

from collections.abc import Callable

from gateway.jobs.report import Report, render_csv, render_text
from gateway.jobs.report_html import render_html

FORMATS: dict[str, Callable[[Report], str]] = {"text": render_text, "csv": render_csv, "html": render_html}
