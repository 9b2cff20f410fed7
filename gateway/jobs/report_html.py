"""The report as one self-contained HTML page a manager opens in a browser.

Charts are inline SVG drawn here: no JavaScript, no fonts or files fetched from
anywhere, so the page works from a mail attachment, offline, and the same bytes
render the same everywhere. jinja2 does the escaping (category names are
admin-edited text).
"""
from __future__ import annotations

from collections.abc import Sequence

import jinja2
from markupsafe import Markup, escape

from gateway.jobs.report import Rate, Report, WeekCounts, summary_rows

PALETTE = ("#2f6db5", "#e07b39", "#3a9d5d", "#c94a4a", "#8a63b8", "#7f7f7f")
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, CHART_WIDTH = 22, 8, 170, 560
COLUMN_AREA_HEIGHT = 200

PAGE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Complaints report {{ since }} to {{ until }}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; background: #fff; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.8em; }
.tiles { display: flex; flex-wrap: wrap; gap: 1em; }
.tile { border: 1px solid #ccd; border-radius: 6px; padding: .8em 1.2em; min-width: 11em; background: #f5f7fb; }
.tile b { display: block; font-size: 1.6em; color: #2f6db5; }
table { border-collapse: collapse; } td, th { padding: .2em .8em; border-bottom: 1px solid #ddd; text-align: left; }
</style></head><body>
<h1>Complaints report</h1>
<p>Received from {{ since }} until {{ until }}; figures as of {{ now }}.</p>
<div class="tiles">
{% for label, value in tiles %}<div class="tile"><b>{{ value }}</b>{{ label }}</div>
{% endfor %}</div>
<h2>By category</h2>{{ by_category }}
<h2>By priority</h2>{{ by_priority }}
<h2>By channel</h2>{{ by_channel }}
<h2>Most frequent categories per week</h2>{{ weekly }}
<h2>Figures</h2>
<table><tr><th>section</th><th>key</th><th>value</th></tr>
{% for section, key, value in rows %}<tr><td>{{ section }}</td><td>{{ key }}</td><td>{{ value }}</td></tr>
{% endfor %}</table>
</body></html>
""")


def render_html(report: Report) -> str:
    return PAGE.render(
        since=report.since.isoformat(timespec="minutes"), until=report.until.isoformat(timespec="minutes"),
        now=report.now.isoformat(timespec="minutes"), tiles=tiles(report),
        by_category=bar_chart(report.by_category, "Complaints by category"),
        by_priority=bar_chart(report.by_priority, "Complaints by priority"),
        by_channel=bar_chart(report.by_channel, "Complaints by channel"),
        weekly=week_chart(report.weeks, report.top_categories), rows=summary_rows(report))


def tiles(report: Report) -> list[tuple[str, str]]:
    def rate(value: Rate) -> str:
        return "-" if value.percent is None else f"{value.percent:.0f}%"

    def days(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f} d"

    return [("received", str(report.received)),
            ("acknowledged within deadline", rate(report.acknowledged_on_time)),
            ("resolved within deadline", rate(report.resolved_on_time)),
            ("median to acknowledge (business days)", days(report.median_acknowledge_days)),
            ("median to resolve (business days)", days(report.median_resolve_days)),
            ("reopened", rate(report.reopen_rate)), ("escalated", rate(report.escalation_rate))]


def bar_chart(pairs: Sequence[tuple[str, int]], title: str) -> Markup:
    """Horizontal bars, one per (label, count), longest = full width."""
    if not pairs:
        return Markup("<p>No complaints.</p>")
    peak = max(count for _, count in pairs) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 50
    height = len(pairs) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    parts = [_svg_open(CHART_WIDTH, height, title)]
    for row, (label, count) in enumerate(pairs):
        y = BAR_GAP + row * (BAR_HEIGHT + BAR_GAP)
        width = max(1, round(span * count / peak))
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" font-size="13">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" fill="{PALETTE[0]}"/>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{y + 16}" font-size="13">{count}</text>')
    return Markup("".join(parts) + "</svg>")


def week_chart(weeks: Sequence[WeekCounts], names: Sequence[str]) -> Markup:
    """Stacked columns per ISO week, one colour per leading category, with a legend."""
    if not weeks or not names:
        return Markup("<p>No complaints.</p>")
    peak = max(sum(count for _, count in week.counts) for week in weeks) or 1
    step = max(24, min(80, (CHART_WIDTH - 60) // len(weeks)))
    width = 50 + step * len(weeks)
    legend_top = COLUMN_AREA_HEIGHT + 40
    parts = [_svg_open(max(width, CHART_WIDTH), legend_top + 20 * len(names), "Categories per week")]
    colours = {name: PALETTE[index % len(PALETTE)] for index, name in enumerate(names)}
    for column, week in enumerate(weeks):
        x, top = 40 + column * step, COLUMN_AREA_HEIGHT
        for name, count in week.counts:
            bar = round(COLUMN_AREA_HEIGHT * count / peak)
            if bar:
                top -= bar
                label = f"{escape(week.week)} {escape(name)}: {count}"
                parts.append(f'<rect x="{x}" y="{top + 10}" width="{step - 8}" height="{bar}" '
                             f'fill="{colours[name]}"><title>{label}</title></rect>')
        parts.append(f'<text x="{x}" y="{COLUMN_AREA_HEIGHT + 26}" font-size="11">{escape(week.week[5:])}</text>')
    for row, name in enumerate(names):
        y = legend_top + row * 20
        parts.append(f'<rect x="40" y="{y}" width="14" height="14" fill="{colours[name]}"/>'
                     f'<text x="60" y="{y + 12}" font-size="13">{escape(name)}</text>')
    return Markup("".join(parts) + "</svg>")


def _svg_open(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>')
