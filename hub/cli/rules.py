"""`hub rules`, `hub rules run` and `hub period`: running rules and closing periods."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import click
from rich.markup import escape

from hub.cli.common import config_from, print_json, print_table, store_from, when
from hub.config import find_config
from hub.errors import ConfigError
from hub.periods import Period, parse_period
from hub.plugins import get_registry
from hub.reports import money
from hub.rules import ledger
from hub.rules.config import load_rules
from hub.rules.engine import RuleEngine, RunReport
from hub.rules.spec import STAGE_ORDER


def period_option(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError as exc:
        raise ConfigError(f"--period: {exc}") from None


def parse_as_of(text: str | None, zone: ZoneInfo) -> dt.datetime | None:
    """A date means the end of that day in the company time zone; a time
    without an offset is local; with an offset it is that instant."""
    if text is None:
        return None
    try:
        if len(text.strip()) == 10:
            day = dt.date.fromisoformat(text.strip())
            return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"--as-of: {text!r} is not a date or time (e.g. 2026-09-30 or 2026-09-30T18:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the rules as JSON.")
@click.pass_context
def rules(ctx: click.Context, as_json: bool) -> None:
    """Installed rules, their parameters, and how hub.toml configures them.

    `hub rules run --period 2026-Q3` runs the configured ones.
    """
    if ctx.invoked_subcommand is not None:
        return
    registry = get_registry()
    configured: dict[str, list[dict[str, Any]]] = {}
    if find_config(ctx.obj.get("config_path")).exists():
        _, instances = load_rules(config_from(ctx), registry.rules)
        for rule in instances:
            configured.setdefault(rule.spec.id, []).append(
                {"name": rule.name, "enabled": rule.enabled}
            )
    items = []
    for rule_id, (spec, plugin) in sorted(
        registry.rules.items(), key=lambda kv: (STAGE_ORDER.index(kv[1][0].stage), kv[0])
    ):
        items.append(
            {
                "id": rule_id,
                "version": spec.version,
                "kind": str(spec.kind),
                "stage": str(spec.stage),
                "plugin": plugin,
                "summary": spec.summary,
                "reads": list(spec.reads),
                "parameters": spec.parameters(),
                "configured": configured.get(rule_id, []),
            }
        )
    if as_json:
        print_json(items)
        return
    print_table(
        None,
        ["rule", "version", "stage", "plugin", "configured as", "parameters", "summary"],
        [
            (
                i["id"],
                i["version"],
                i["stage"],
                i["plugin"],
                ", ".join(c["name"] + ("" if c["enabled"] else " (off)") for c in i["configured"]),
                "\n".join(_param_text(p) for p in i["parameters"]),
                i["summary"],
            )
            for i in items
        ],
    )


def _param_text(p: dict[str, Any]) -> str:
    if p["required"]:
        return escape(f"{p['name']}: {p['type']} (required)")
    return escape(f"{p['name']}: {p['type']} = {json.dumps(p['default'], ensure_ascii=False)}")


@rules.command("run")
@click.option("--period", "-p", "period_text", required=True, help="e.g. 2026-Q3, 2026-07.")
@click.option(
    "--as-of",
    "as_of_text",
    help="Evaluate as of this date (end of day, company time zone) or time; default now.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
@click.option(
    "--by-connection",
    is_flag=True,
    help="Each connection's records on their own, not unified managers and customers.",
)
@click.pass_context
def rules_run(
    ctx: click.Context, period_text: str, as_of_text: str | None, as_json: bool, by_connection: bool
) -> None:
    """Run every configured rule for a period and store the results as a new version.

    Rules see unified managers and customers (`hub identity`); records synced
    since the last match are matched first.

    Exit codes: 0 stored, 1 a rule failed (nothing stored), 2 config error.
    """
    config = config_from(ctx)
    period = period_option(period_text)
    as_of = parse_as_of(as_of_text, config.zone)
    store = store_from(config)
    if not by_connection and config.identity.enabled:
        from hub.identity.resolve import match_all

        store.upgrade()
        match_all(store, config)
    engine = RuleEngine(config, get_registry(), store)
    report = engine.run(period, as_of, by_connection=by_connection)
    _print_run(report, as_json)


def _print_run(report: RunReport, as_json: bool) -> None:
    if as_json:
        print_json(report.as_dict())
        return
    rows = []
    for r in report.rules:
        counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(r.counts.items()))
        totals = ", ".join(f"{money.shown(v, c)} {c}" for c, v in r.totals.items())
        rows.append(
            (r.name, r.rule_id, r.version, r.stage, counts or "nothing", totals, f"{r.seconds:.2f}")
        )
    print_table(
        f"{report.period} version {report.version} (run {report.run_id}, as of "
        f"{when(report.evaluated_at)} UTC)",
        ["rule", "rule id", "version", "stage", "results", "earned", "seconds"],
        rows,
    )
    for note in report.notes:
        click.echo(f"note: {note}", err=True)


@click.group()
def period() -> None:
    """Closing periods: `hub period close 2026-Q3`, `hub period status`."""


@period.command("close")
@click.argument("period_text", metavar="PERIOD")
@click.option("--force", is_flag=True, help="Close even with earnings that are not evaluated.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def period_close(ctx: click.Context, period_text: str, force: bool, as_json: bool) -> None:
    """Freeze the latest version of PERIOD: its payables become what was paid.

    Nothing closed is ever changed. Running the rules again for a closed
    period makes a new version whose payables are corrections; closing again
    freezes that version too (an adjustment close).
    """
    config = config_from(ctx)
    label = period_option(period_text).label
    store = store_from(config)
    store.upgrade()
    with ledger.locked(store) as conn:
        result = ledger.close(conn, label, force=force, now=dt.datetime.now(dt.UTC))
    if as_json:
        print_json(result)
        return
    click.echo(result["message"])
    for currency, amount in result.get("payable", {}).items():
        click.echo(f"  payable with this close: {money.shown(amount, currency)} {currency}")


@period.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def period_status(ctx: click.Context, as_json: bool) -> None:
    """Periods with results: versions, and which one each close froze."""
    store = store_from(config_from(ctx))
    items: list[dict[str, Any]] = []
    if store.current_revision() is not None and store.is_current():
        with store.read() as conn:
            items = ledger.periods(conn)
    if as_json:
        print_json(items)
        return
    print_table(
        None,
        ["period", "latest version", "last run (UTC)", "closed", "frozen version", "closes"],
        [
            (
                i["period"],
                i["latest_version"],
                when(i["last_run_at"]),
                "yes" if i["closed"] else "no",
                i["frozen_version"] or "",
                ", ".join(f"#{c['sequence']} v{c['version']}" for c in i["closes"]),
            )
            for i in items
        ],
    )
    if not items:
        click.echo("no rule results yet: run `hub rules run --period PERIOD`", err=True)
