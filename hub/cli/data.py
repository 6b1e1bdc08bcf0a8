"""`hub export`: canonical records out of the store, as CSV or JSON."""

from __future__ import annotations

import csv
import json
import sys
from contextlib import ExitStack
from typing import IO, Any

import click
from sqlalchemy import select

from hub.cli.common import config_from, store_from
from hub.connections import open_adapter
from hub.errors import ConfigError
from hub.exporting import output_file, spreadsheet_cell
from hub.identity.tables import RESOLVED, identity_members
from hub.masking import mask_canonical
from hub.model import ENTITIES, Record
from hub.plugins import get_registry
from hub.store.records import iter_records
from hub.store.types import dumps


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return dumps(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@click.command()
@click.argument("entity", type=click.Choice(list(ENTITIES)))
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="File to write (default: stdout)."
)
@click.option("--source", help="Only records from this connection.")
@click.option("--include-deleted", is_flag=True, help="Include tombstoned records.")
@click.option("--unmasked", is_flag=True, help="Do not mask phone numbers, e-mails and notes.")
@click.option("--to", "to_connection", help="Write through this connection's adapter instead.")
@click.pass_context
def export(
    ctx: click.Context,
    entity: str,
    fmt: str,
    output: str | None,
    source: str | None,
    include_deleted: bool,
    unmasked: bool,
    to_connection: str | None,
) -> None:
    """Export canonical ENTITY records (personal data masked unless --unmasked).

    JSON output is an array of objects; CSV has one column per canonical
    field, with `extra` and `tags` as JSON text, and a `'` before any cell a
    spreadsheet would run as a formula. --to writes through a connection's
    adapter, masked in the same way unless --unmasked.
    """
    config = config_from(ctx)
    store = store_from(config)
    if store.current_revision() is None:
        raise ConfigError(f"store {store.display_url} is empty: run `hub sync` first")
    with store.read() as conn:
        records = iter_records(conn, entity, include_deleted=include_deleted, connection=source)
        if to_connection:
            adapter = open_adapter(config, get_registry(), to_connection)
            if not unmasked:
                records = (_masked(entity, r) for r in records)
            try:
                outcomes = list(adapter.write(entity, records))
            finally:
                adapter.close()
            failed = [o for o in outcomes if o.status == "failed"]
            click.echo(
                f"{len(outcomes) - len(failed)} written to {to_connection}, {len(failed)} failed"
            )
            for o in failed[:20]:
                click.echo(f"  {o.source_id}: {o.reason}", err=True)
            ctx.exit(1 if failed else 0)
        fields = list(ENTITIES[entity].model_fields)
        with ExitStack() as stack:
            out: IO[str] = stack.enter_context(output_file(output)) if output else sys.stdout
            rows = (r.model_dump(mode="python") for r in records)
            if not unmasked:
                rows = (mask_canonical(entity, row) for row in rows)
            if entity in RESOLVED:
                fields.insert(1, "unified_id")
                rows = _with_unified_id(conn, entity, rows)
            count = _write_csv(out, fields, rows) if fmt == "csv" else _write_json(out, rows)
    click.echo(f"exported {count} {entity}", err=True)


def _with_unified_id(conn: Any, entity: str, rows: Any) -> Any:
    """Each manager or customer with the unified entity it belongs to (its
    own hub id while it is not matched yet)."""
    m = identity_members
    unified = dict(
        conn.execute(select(m.c.hub_id, m.c.unified_id).where(m.c.entity == entity)).all()
    )
    for row in rows:
        yield {"unified_id": unified.get(row["id"], row["id"]), **row}


def _masked(entity: str, record: Record) -> Record:
    """The record as it may leave the hub: personal data masked (the same
    masking as the CSV and JSON exports)."""
    data = record.model_dump(mode="python")
    masked = mask_canonical(entity, data)
    return record.model_copy(update={k: v for k, v in masked.items() if v != data[k]})


def _write_csv(out: IO[str], fields: list[str], rows: Any) -> int:
    writer = csv.writer(out)
    writer.writerow(fields)
    count = 0
    for row in rows:
        writer.writerow([spreadsheet_cell(_cell(row.get(f))) for f in fields])
        count += 1
    return count


def _write_json(out: IO[str], rows: Any) -> int:
    count = 0
    out.write("[")
    for row in rows:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(row, ensure_ascii=False, default=_cell))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
