"""Registers the Fxiaoke adapter and the `hub fake-fxiaoke` command."""

from collections.abc import Iterator

import click

from hub import hookimpl
from hub.adapters.contract import AdapterSpec
from hub_fxiaoke.adapter import FxiaokeAdapter
from hub_fxiaoke.settings import FxiaokeSettings


@hookimpl
def hub_register_adapters() -> Iterator[AdapterSpec]:
    yield AdapterSpec(
        name="fxiaoke",
        adapter=FxiaokeAdapter,
        config=FxiaokeSettings,
        summary="Fxiaoke (纷享销客) OpenAPI: employees, accounts, follow-ups, visits, "
        "orders, payments, goals",
    )


@hookimpl
def hub_register_commands() -> Iterator[click.Command]:
    from hub_fxiaoke.server import fake_fxiaoke

    yield fake_fxiaoke
