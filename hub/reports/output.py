"""Writing a report as a terminal table, CSV or JSON.

A report is a few sections, each a list of rows (dicts). The terminal shows
every section as a table; JSON carries every section; CSV carries the first
(main) section only, one row per line, so it loads into a spreadsheet as is;
HTML (`hub.reports.html`) is one self-contained page with every section.
Decimals stay exact in CSV and JSON (written as text); CSV cells that a
spreadsheet would run as a formula get a `'` prefix (see `hub.exporting`).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

import click
from rich.markup import escape

from hub.cli.common import print_table
from hub.exporting import output_file, spreadsheet_cell
from hub.reports import money

FORMATS = ("table", "csv", "json")


@dataclass
class Section:
    name: str
    columns: Sequence[str]
    rows: list[dict[str, Any]]
    title: str = ""
    display: dict[str, Callable[[Any], str]] = field(default_factory=dict)
    """Column -> how the terminal shows it (money, percent); CSV/JSON stay exact."""


def amount(value: Any, currency: str | None = None) -> str:
    """Money in the minor units of the row's currency (or the report's)."""
    return money.shown(value, currency)


def priced(value: Any, currency: str | None = None) -> str:
    """A column that holds money only in rows that name a currency."""
    return _cell(value) if currency is None else money.shown(value, currency)


def number(value: Any) -> str:
    """Counts without decimals, everything else to two."""
    if value is None:
        return ""
    value = Decimal(value)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def percent(value: Any) -> str:
    return "" if value is None else f"{Decimal(value) * 100:.2f}%"


@dataclass
class Report:
    kind: str
    meta: dict[str, Any]
    sections: list[Section]
    notes: list[str] = field(default_factory=list)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return (
            format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
        )
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | tuple):
        return "; ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(_plain(value), ensure_ascii=False)
    return str(value)


def write(report: Report, fmt: str, output: str | None) -> None:
    with ExitStack() as stack:
        out: IO[str] = stack.enter_context(output_file(output)) if output else sys.stdout
        if fmt == "json":
            data = {
                "report": report.kind,
                **_plain(report.meta),
                **{s.name: _plain(s.rows) for s in report.sections},
                "notes": report.notes,
            }
            out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        elif fmt == "csv":
            main = report.sections[0]
            writer = csv.writer(out)
            writer.writerow(main.columns)
            for row in main.rows:
                writer.writerow([spreadsheet_cell(_csv_cell(row.get(c))) for c in main.columns])
        else:
            _terminal(report)
    if fmt != "table":
        for note in report.notes:
            click.echo(f"note: {note}", err=True)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(_plain(value), ensure_ascii=False)
    return _plain(value)


def _shown(section: Section, column: str, row: dict[str, Any], meta: dict[str, Any]) -> str:
    show = section.display.get(column, _cell)
    if show is amount:
        return amount(row.get(column), row.get("currency") or meta.get("currency"))
    if show is priced:
        return priced(row.get(column), row.get("currency"))
    return show(row.get(column))


def _terminal(report: Report) -> None:
    header = "  ".join(f"{k}: {_cell(v)}" for k, v in report.meta.items() if v is not None)
    click.echo(header)
    for section in report.sections:
        print_table(
            section.title or section.name,
            list(section.columns),
            (
                [escape(_shown(section, c, row, report.meta)) for c in section.columns]
                for row in section.rows
            ),
        )
        if not section.rows:
            click.echo("  (none)")
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
