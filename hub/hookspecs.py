"""The hooks a hub plugin can implement.

Registration hooks *yield* typed objects (one per thing the plugin offers);
the hub checks names for duplicates and reports both plugins when two claim
the same name. Lifecycle hooks are called around every sync; an exception in
one is logged and does not stop the sync.

A plugin is a module (or object) with functions marked `@hub.hookimpl`,
registered through the `hub` entry-point group::

    [project.entry-points.hub]
    my_adapter = "my_package.plugin"
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from hub.adapters.contract import AdapterSpec, Reject
    from hub.rules.spec import RuleSpec
    from hub.sync.results import RunInfo, StreamResult

hookspec = pluggy.HookspecMarker("hub")
hookimpl = pluggy.HookimplMarker("hub")


@hookspec
def hub_register_adapters() -> Iterable[AdapterSpec]:
    """Yield an `AdapterSpec` for each adapter the plugin provides."""


@hookspec
def hub_register_rules() -> Iterable[RuleSpec]:
    """Yield a `hub.rules.RuleSpec` for each incentive or compliance rule the plugin provides."""


@hookspec
def hub_register_commands() -> Iterable[click.Command]:
    """Yield click commands to add to the `hub` CLI."""


@hookspec
def hub_sync_started(run: RunInfo) -> None:
    """A sync run has taken its leases and is about to read."""


@hookspec
def hub_stream_finished(run: RunInfo, result: StreamResult) -> None:
    """One (connection, stream) is done: `result.status` says how it ended."""


@hookspec
def hub_record_rejected(run: RunInfo, connection: str, stream: str, reject: Reject) -> None:
    """A record went to the rejects table; `reject.raw` is already masked."""


@hookspec
def hub_sync_finished(run: RunInfo, results: list[StreamResult]) -> None:
    """The run is over (successfully or with rejects or failed streams)."""


@hookspec
def hub_sync_failed(run: RunInfo, error: BaseException) -> None:
    """The run stopped on an error that ended it as a whole."""
