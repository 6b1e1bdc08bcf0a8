"""`hub report scorecard | incentives | compliance | statement`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from hub.cli.common import COUNT, VERSION, config_from, store_from
from hub.cli.rules import period_option
from hub.errors import ConfigError
from hub.exporting import output_file
from hub.reports import compliance, html, incentives, scorecard, statement
from hub.reports.output import FORMATS, Report, write
from hub.reports.source import ReportSource


def _common(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--period", "-p", "period_text", required=True, help="e.g. 2026-Q3."),
        click.option(
            "--version",
            "version",
            type=VERSION,
            help="Version of the period's results (default: the frozen one if closed, else "
            "the latest).",
        ),
        click.option(
            "--format",
            "fmt",
            type=click.Choice([*FORMATS, "html"]),
            default="table",
            show_default=True,
        ),
        click.option(
            "--output", "-o", type=click.Path(dir_okay=False), help="File for csv/json/html."
        ),
        click.option(
            "--unmasked",
            is_flag=True,
            help="Show people's names unmasked (evidence stays as stored: masked).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _render(
    ctx: click.Context,
    period_text: str,
    version: int | None,
    fmt: str,
    output: str | None,
    unmasked: bool,
    build: Callable[[ReportSource], Report],
) -> None:
    label = period_option(period_text).label
    store = store_from(config_from(ctx))
    if store.current_revision() is None or not store.is_current():
        raise ConfigError(
            f"store {store.display_url} has no rule results: run `hub rules run --period {label}`"
        )
    with store.read() as conn:
        report = build(ReportSource(conn, label, version, unmasked=unmasked))
    if fmt == "html":  # one self-contained page, e.g. to attach to an e-mail
        page = html.render(f"{report.kind} {label}", [report])
        if output:
            with output_file(output) as out:
                out.write(page)
        else:
            click.echo(page, nl=False)
        return
    write(report, fmt, output)


@click.group()
def report() -> None:
    """Reports on rule results: scorecard, incentives, compliance, statement.

    Personal data is masked unless --unmasked is given.
    """


@report.command("scorecard")
@_common
@click.pass_context
def report_scorecard(ctx: click.Context, **kw: Any) -> None:
    """Attainment per KPI and the weighted score of each manager."""
    _render(ctx, build=scorecard.build, **kw)


@report.command("incentives")
@_common
@click.pass_context
def report_incentives(ctx: click.Context, **kw: Any) -> None:
    """Earned to date, paid to date and payable per manager and rule; awards."""
    _render(ctx, build=incentives.build, **kw)


@report.command("compliance")
@_common
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["violation", "warning", "not_evaluated", "pass"]),
    help="Only these statuses (repeatable; default: all but pass).",
)
@click.option("--all", "everything", is_flag=True, help="Include passes.")
@click.option("--rule", "rules", multiple=True, help="Only this rule (repeatable).")
@click.option("--limit", "-n", type=COUNT, help="At most this many findings.")
@click.pass_context
def report_compliance(
    ctx: click.Context,
    statuses: tuple[str, ...],
    everything: bool,
    rules: tuple[str, ...],
    limit: int | None,
    **kw: Any,
) -> None:
    """Compliance findings with evidence and suggested actions, and a summary per rule."""
    wanted = list(statuses) or (
        ["violation", "warning", "not_evaluated", "pass"] if everything else None
    )
    _render(
        ctx,
        build=lambda source: compliance.build(
            source, statuses=wanted, rules=list(rules) or None, limit=limit
        ),
        **kw,
    )


@report.command("statement")
@_common
@click.option(
    "--manager",
    "-m",
    required=True,
    help="The manager: source id (M1005), employee number, e-mail or hub id.",
)
@click.pass_context
def report_statement(ctx: click.Context, manager: str, **kw: Any) -> None:
    """One manager's incentive statement: every number and how it was reached."""
    _render(
        ctx,
        build=lambda source: statement.build(source, source.find_manager(manager)),
        **kw,
    )
