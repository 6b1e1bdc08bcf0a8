"""Registers the Zoho CRM adapter and the `hub fake-zoho` command (entry point `hub.zoho`)."""

from collections.abc import Iterator

import click

from hub import hookimpl
from hub.adapters.contract import AdapterSpec
from hub_zoho.adapter import ZohoAdapter
from hub_zoho.settings import ZohoSettings


@hookimpl
def hub_register_adapters() -> Iterator[AdapterSpec]:
    yield AdapterSpec(
        name="zoho",
        adapter=ZohoAdapter,
        config=ZohoSettings,
        summary="Zoho CRM, every data centre: users, accounts/contacts, activities, deals, goals",
    )


@hookimpl
def hub_register_commands() -> Iterator[click.Command]:
    from hub_zoho.cli import fake_zoho

    yield fake_zoho
