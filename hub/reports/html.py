"""A report as one self-contained HTML page (no scripts, no external files).

It shows the same sections as the terminal table, several reports on one
page: `hub report … --format html` and the demo's report. Percentages (scores,
attainment) carry a bar, as on the dashboard's charts, drawn with CSS only so
the page survives e-mail clients that strip scripts.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.reports.output import Report, _cell, percent

_STYLE = """
body { font-family: system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2rem;
       color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
h3 { font-size: 1rem; color: #555; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .85rem; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } .meta, .note { color: #666; font-size: .85rem; }
td.pct { white-space: nowrap; min-width: 7rem; }
.bar { display: inline-block; height: .6rem; margin-right: .4rem; vertical-align: middle;
       border-radius: 2px; background: #16a34a; } .bar.mid { background: #f59e0b; }
.bar.low { background: #dc2626; }
"""


def _cell_html(section_display: Any, column: str, value: Any) -> str:
    show = section_display.get(column, _cell)
    text = html.escape(show(value))
    if show is not percent or value is None:
        return f"<td>{text}</td>"
    try:
        share = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return f"<td>{text}</td>"
    width = max(0, min(int(share * 60), 90))  # 100 % = 60 px, capped
    level = "" if share >= 1 else " mid" if share >= Decimal("0.6") else " low"
    return f'<td class="pct"><span class="bar{level}" style="width:{width}px"></span>{text}</td>'


def _section_html(report: Report) -> list[str]:
    parts = [f"<h2>{html.escape(report.kind)}</h2>"]
    meta = ", ".join(
        f"{html.escape(str(k))}: {html.escape(_cell(v))}" for k, v in report.meta.items() if v
    )
    parts.append(f'<p class="meta">{meta}</p>')
    for section in report.sections:
        parts.append(f"<h3>{html.escape(section.title or section.name)}</h3>")
        if not section.rows:
            parts.append("<p>(none)</p>")
            continue
        head = "".join(f"<th>{html.escape(c)}</th>" for c in section.columns)
        body = "".join(
            "<tr>"
            + "".join(_cell_html(section.display, c, row.get(c)) for c in section.columns)
            + "</tr>"
            for row in section.rows
        )
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    parts += [f'<p class="note">note: {html.escape(n)}</p>' for n in report.notes]
    return parts


def render(title: str, reports: Sequence[Report]) -> str:
    """One page with every report; every value is escaped."""
    body = [f"<h1>{html.escape(title)}</h1>"]
    for report in reports:
        body += _section_html(report)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
