"""What the CLI commands share: config, store, output."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hub.config import HubConfig, load_config
from hub.connections import validate_connections
from hub.plugins import get_registry
from hub.store.database import Store

COUNT = click.IntRange(1, 1_000_000_000)
"""How many rows to show: positive, and small enough for every store's LIMIT."""
VERSION = click.IntRange(1, 2**31 - 1)
"""A version number as the store keeps it (a 32-bit integer)."""

console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def config_from(ctx: click.Context, connections: bool = True) -> HubConfig:
    """hub.toml, validated as strictly as `hub sync` validates it (connection
    settings included, unless `connections=False`), for every command alike."""
    config = load_config(ctx.obj.get("config_path"))
    if connections:
        validate_connections(config, get_registry())
    return config


def store_from(config: HubConfig) -> Store:
    return Store(config.store_url())


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_default))


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else escape(str(v)) for v in row))
    console.print(table)


def when(value: dt.datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")
