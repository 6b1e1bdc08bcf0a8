"""Registers the CSV adapter with the hub (entry point `hub.csv`)."""

from collections.abc import Iterator

from hub import hookimpl
from hub.adapters.contract import AdapterSpec
from hub_csv.adapter import CsvAdapter
from hub_csv.settings import CsvSettings


@hookimpl
def hub_register_adapters() -> Iterator[AdapterSpec]:
    yield AdapterSpec(
        name="csv",
        adapter=CsvAdapter,
        config=CsvSettings,
        summary="flat files: one CSV per entity, UTF-8/GBK, Chinese or English headers",
    )
