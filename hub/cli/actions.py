"""`hub actions plan|apply|list|cancel`: follow-up tasks written back into the CRMs."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select

from hub.actions.apply import ApplyReport, apply, desired
from hub.actions.plan import latest_period
from hub.actions.settings import ActionSettings, parse_actions
from hub.actions.tables import STATES, action_outbox
from hub.cli.common import config_from, print_json, print_table, store_from
from hub.config import HubConfig
from hub.errors import ConfigError
from hub.masking import mask_name, mask_text
from hub.plugins import get_registry
from hub.store.database import Store
from hub.store.tables import entity_tables


def _actions(config: HubConfig, names: tuple[str, ...]) -> dict[str, ActionSettings]:
    actions = parse_actions(config.actions, config.path)
    if not actions:
        raise ConfigError(f"{config.path}: no [actions.NAME] tables: see docs/actions.md")
    for name in names:
        if name not in actions:
            known = ", ".join(sorted(actions))
            raise ConfigError(f"{config.path}: no action {name!r} (configured: {known})")
    return {n: a for n, a in actions.items() if not names or n in names}


def _periods(store: Store, period: str | None) -> list[str]:
    if period:
        return [period]
    if store.current_revision() is None:
        raise ConfigError("the store is empty: run `hub sync` and `hub rules run` first")
    with store.read() as conn:
        latest = latest_period(conn)
    if latest is None:
        raise ConfigError("no rule results yet: run `hub rules run --period P` first")
    return [latest]


def _names(store: Store, ids: set[str]) -> dict[str, str]:
    c = entity_tables["customers"]
    with store.read() as conn:
        return {
            r.id: r.name
            for r in conn.execute(select(c.c.id, c.c.name).where(c.c.id.in_(sorted(ids))))
        }


def _shown(text: str, name: str | None, unmasked: bool) -> str:
    if unmasked:
        return text
    if name:
        text = text.replace(name, mask_name(name))
    return mask_text(text)


period_option = click.option("--period", "-p", help="e.g. 2026-Q3 (default: the latest rule run).")
action_option = click.option("--action", "-a", "names", multiple=True, help="Only this action.")
unmasked_option = click.option("--unmasked", is_flag=True, help="Show customer names in full.")


@click.group()
def actions() -> None:
    """Follow-up tasks from compliance findings, written into the CRM that owns the customer."""


@actions.command("plan")
@period_option
@action_option
@unmasked_option
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def actions_plan(
    ctx: click.Context, period: str | None, names: tuple[str, ...], unmasked: bool, as_json: bool
) -> None:
    """Show what `apply` would write. Writes nothing, to the store or to any CRM."""
    config = config_from(ctx)
    store = store_from(config)
    settings = _actions(config, names)
    periods = _periods(store, period)
    if store.current_revision() is None or not store.is_current():
        raise ConfigError(f"store {store.display_url} is not up to date: run `hub db upgrade`")
    planned, merge = desired(config, get_registry(), store, periods, settings)
    new = {p.key for p in merge.new}
    names_by_id = _names(store, {p.subject_id for p in planned})
    rows = [
        {
            "key": p.key,
            "action": p.action,
            "period": p.period,
            "change": ("skip" if p.skip_reason else "create") if p.key in new else "known",
            "connection": p.connection,
            "customer": p.customer_source_id or p.subject_ref,
            "owner": p.owner_source_id,
            "due_date": p.due_date,
            "priority": p.priority,
            "title": _shown(p.title, names_by_id.get(p.subject_id), unmasked),
            "note": p.skip_reason,
        }
        for p in planned
    ]
    if as_json:
        print_json({"actions": rows, "cancel": merge.cancel, "look_up": merge.check_first})
        return
    print_table(
        f"actions for {', '.join(periods)} (plan only: nothing is written)",
        ["action", "change", "connection", "customer", "owner", "due", "title", "note"],
        [
            [
                r["action"],
                r["change"],
                r["connection"],
                r["customer"],
                r["owner"],
                r["due_date"],
                r["title"],
                r["note"],
            ]
            for r in rows
        ],
    )
    creates = sum(r["change"] == "create" for r in rows)
    click.echo(
        f"{creates} to create, {len(merge.cancel)} to cancel, "
        f"{len(merge.check_first)} to look up first; `hub actions apply` sends them",
        err=True,
    )


@actions.command("apply")
@period_option
@action_option
@click.option("--connection", "-c", "connections", multiple=True, help="Only this connection.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def actions_apply(
    ctx: click.Context,
    period: str | None,
    names: tuple[str, ...],
    connections: tuple[str, ...],
    as_json: bool,
) -> None:
    """Record the plan in the outbox and send what is open, once per action.

    Exit codes: 0 done, 2 config, 3 a connection is locked, 4 source unreachable
    (actions in doubt are looked up next time), 5 some writes were refused
    (`hub actions list --state failed`), 6 a vendor quota ran out (resumes next time).
    """
    config = config_from(ctx)
    store = store_from(config)
    settings = _actions(config, names)
    periods = _periods(store, period)
    store.upgrade()
    for name in connections:
        config.connection(name)
    report = apply(config, get_registry(), store, periods, settings, connections)
    _print_apply(report, as_json)
    ctx.exit(int(report.exit_code))


def _print_apply(report: ApplyReport, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "new": report.new,
                "cancelled": report.cancelled,
                "connections": [
                    vars(c) | {"exit_code": int(c.exit_code)} for c in report.connections
                ],
                "exit_code": int(report.exit_code),
            }
        )
        return
    print_table(
        None,
        ["connection", "sent", "confirmed", "failed", "cancelled", "skipped", "error"],
        [
            [c.connection, c.sent, c.confirmed, c.failed, c.cancelled, c.skipped, c.error or ""]
            for c in report.connections
        ],
    )
    click.echo(f"{report.new} new in the outbox, {report.cancelled} cancelled", err=True)


@actions.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice(STATES), help="Only these.")
@period_option
@click.option("--limit", "-n", type=click.IntRange(1, 1_000_000), default=200, show_default=True)
@unmasked_option
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def actions_list(
    ctx: click.Context,
    states: tuple[str, ...],
    period: str | None,
    limit: int,
    unmasked: bool,
    as_json: bool,
) -> None:
    """The outbox: every action with its state, vendor id, attempts and last error."""
    config = config_from(ctx)
    store = store_from(config)
    if store.current_revision() is None or not store.is_current():
        raise ConfigError("the store has no actions yet: run `hub actions apply` first")
    t = action_outbox
    query = select(t).order_by(t.c.created_at, t.c.key).limit(limit)
    if states:
        query = query.where(t.c.state.in_(states))
    if period:
        query = query.where(t.c.period == period)
    with store.read() as conn:
        rows = conn.execute(query).all()
    names = _names(store, {r.subject_id for r in rows})
    items: list[dict[str, Any]] = [
        {
            "key": r.key,
            "action": r.action,
            "period": r.period,
            "state": r.state,
            "connection": r.connection,
            "customer": r.customer_source_id or r.subject_ref,
            "owner": r.owner_source_id,
            "vendor_id": r.vendor_id,
            "attempts": r.attempts,
            "in_doubt": r.in_doubt,
            "due_date": r.due_date,
            "title": _shown(r.title, names.get(r.subject_id), unmasked),
            "last_error": r.last_error,
            "updated_at": r.updated_at,
        }
        for r in rows
    ]
    if as_json:
        print_json(items)
        return
    print_table(
        None,
        ["key", "action", "state", "connection", "customer", "vendor id", "tries", "last error"],
        [
            [
                i["key"][:12],
                i["action"],
                i["state"] + (" (in doubt)" if i["in_doubt"] else ""),
                i["connection"],
                i["customer"],
                i["vendor_id"],
                i["attempts"],
                i["last_error"],
            ]
            for i in items
        ],
    )
    if not items:
        click.echo("no actions", err=True)


@actions.command("cancel")
@click.argument("key")
@click.pass_context
def actions_cancel(ctx: click.Context, key: str) -> None:
    """Cancel an action that was not sent yet (KEY or a unique prefix of it)."""
    config = config_from(ctx)
    store = store_from(config)
    if store.current_revision() is None or not store.is_current():
        raise ConfigError(f"no action {key!r}: the store has no actions yet")
    t = action_outbox
    with store.begin() as conn:
        found = conn.execute(select(t).where(t.c.key.startswith(key, autoescape=True))).all()
        if not found:
            raise ConfigError(f"no action {key!r} (see `hub actions list`)")
        if len(found) > 1:
            raise ConfigError(f"{key!r} matches {len(found)} actions: give more of the key")
        row = found[0]
        if row.state == "cancelled":
            click.echo(f"action {row.key} is already cancelled", err=True)
            return
        if row.state not in ("planned", "failed", "skipped") or row.in_doubt:
            raise ConfigError(
                f"action {row.key} is {row.state}{' (in doubt)' if row.in_doubt else ''}: "
                "it may already be in the CRM; only unsent actions can be cancelled"
            )
        conn.execute(
            t.update()
            .where(t.c.key == row.key)
            .values(state="cancelled", last_error="cancelled by hand")
        )
    click.echo(f"cancelled action {row.key}")
