"""The adapter contract: what a source plugin implements.

The verbs are the ones Airbyte and Singer converged on: a config model,
`check`, `streams` (discover) and `read(stream, state)`, plus an optional
`write`. An adapter never touches the store; it yields `Batch`es and the sync
engine commits each one (records, rejects, tombstones, checkpoint) in a single
transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

import pyarrow as pa
from pydantic import BaseModel

from hub.actions.contract import ActionWriter
from hub.model import ENTITIES, Record


@dataclass(frozen=True)
class Stream:
    """One readable stream of a connection; it feeds one canonical entity."""

    name: str
    entity: str
    cursor_field: str | None = "updated_at"
    """Canonical field the incremental cursor follows (None: no cursor)."""
    incremental: bool = True
    """Reads from saved state return only what changed since."""
    deletes: bool = False
    """The source reports deletions (tombstones) on incremental reads."""
    writable: bool = False
    """`Adapter.write` accepts this entity."""
    description: str = ""

    def __post_init__(self) -> None:
        if self.entity not in ENTITIES:
            raise ValueError(f"stream {self.name!r}: unknown entity {self.entity!r}")


class Tombstone(NamedTuple):
    """A source id the source reports as deleted."""

    source_id: str
    deleted_at: dt.datetime | None = None


@dataclass
class Reject:
    """A source record that could not become a canonical record."""

    reason: str
    raw: Mapping[str, Any]
    """The record as the source gave it; the engine masks it before storing."""
    source_id: str | None = None
    location: str | None = None
    """Where to find it: "customers.csv:17", "Accounts/4150868000000224005"."""


@dataclass
class Batch:
    """What `Adapter.read` yields: a unit the engine commits atomically."""

    records: Sequence[Record] | pa.Table | pa.RecordBatch = ()
    """Model objects (the row path), or an Arrow table or record batch of
    `hub.columns.arrow_schema(entity)` (the columnar path, see docs/batches.md).
    The engine hands the store a conformed `pa.Table` either way."""
    rejects: Sequence[Reject] = ()
    deletes: Sequence[Tombstone] = ()
    state: dict[str, Any] | None = None
    """The checkpoint valid once this batch is stored (None: unchanged).
    Must be JSON-serialisable and hold no secrets."""
    snapshot_begins: bool = False
    """This batch starts a complete read of the stream."""
    snapshot_complete: bool = False
    """The complete read is over: every live record was yielded since the
    batch that began it, so records not seen again are tombstoned."""
    progress: tuple[int, int | None] | None = None
    """(done, total) in the adapter's own unit, for progress display."""
    digests: Mapping[str, str] = field(default_factory=dict)
    """Optional: source id -> a digest of the source row each record came
    from, stored with the record (see `ReadContext.stored_digests`)."""
    unchanged: Sequence[tuple[str, str]] = ()
    """(source id, digest) of rows whose digest matched the stored one: not
    mapped again, but seen (a complete read keeps them alive)."""


@dataclass
class CheckResult:
    """The one answer `check` gives."""

    ok: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    exit_code: int = 4
    """What `hub check` exits with when not ok: 4 (source or credentials) by
    default, 2 when the fix is in hub.toml."""


class WriteOutcome(NamedTuple):
    source_id: str
    status: Literal["created", "updated", "failed"]
    reason: str | None = None


@dataclass(frozen=True)
class ConnectionContext:
    """What an adapter knows about where it runs."""

    connection: str
    timezone: ZoneInfo
    base_currency: str
    config_dir: Path
    logger: logging.Logger

    def resolve_path(self, path: str | Path) -> Path:
        """Paths in hub.toml are relative to the file itself."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.config_dir / p


@dataclass(frozen=True)
class ReadContext:
    """Per-read facts from the engine."""

    started_at: dt.datetime
    """When this sync run started (UTC)."""
    overlap: dt.timedelta = dt.timedelta(minutes=5)
    full_refresh: bool = False
    batch_size: int = 5000
    stored_digests: Callable[[Sequence[str]], Mapping[str, str]] = field(
        default=lambda source_ids: {}, repr=False
    )
    """Source id -> digest of the live stored records among the given ids.
    An adapter that can digest a source row cheaply skips mapping rows whose
    digest is unchanged (yielding them as `Batch.unchanged`), so re-reading a
    large file with few changes costs little more than reading it."""

    @property
    def cursor_ceiling(self) -> dt.datetime:
        """The highest cursor a checkpoint may hold: rows changed while the
        run is under way must be read again next time."""
        return self.started_at - self.overlap

    def hold_cursor(self, value: dt.datetime | None) -> dt.datetime | None:
        """Clamp a cursor to `cursor_ceiling`."""
        if value is None:
            return None
        return min(value, self.cursor_ceiling)


class Adapter(ABC):
    """One configured connection to a source system."""

    concurrent_streams: bool = False
    """True if `read` may run for several streams of this connection at the
    same time (each in its own thread). The adapter then keeps the vendor's
    limits across them itself, e.g. one request budget for the whole org.
    The engine still commits one batch at a time."""

    def __init__(self, config: BaseModel, context: ConnectionContext) -> None:
        self.config = config
        self.context = context

    @abstractmethod
    def check(self) -> CheckResult:
        """Test credentials and reachability; never raises for expected failures."""

    @abstractmethod
    def streams(self) -> list[Stream]:
        """The streams this connection can read."""

    @abstractmethod
    def read(
        self, stream: Stream, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        """Yield batches from `state` on (None: from the beginning).

        Raise `hub.errors.SourceError` for auth/network failures,
        `QuotaExhausted` when the vendor quota is used up (the engine keeps
        the last checkpoint) and `SourceDataError` when the source as a whole
        cannot be read. One bad record is a `Reject`, not an exception.
        """

    def action_writer(self) -> ActionWriter | None:
        """The writer of follow-up tasks into the source (`hub actions`), or None
        when this connection takes none. Optional: see `hub.actions.contract` and
        docs/actions.md. Creating it must not touch the network."""
        return None

    def write(self, entity: str, records: Iterable[Record]) -> Iterator[WriteOutcome]:
        """Write canonical records to the source (only for writable streams)."""
        raise NotImplementedError(f"{type(self).__name__} cannot write {entity}")

    def close(self) -> None:  # noqa: B027 (optional: most adapters hold nothing)
        """Release connections and files."""


@dataclass(frozen=True)
class AdapterSpec:
    """How a plugin registers an adapter (yielded from `hub_register_adapters`)."""

    name: str
    """The name used as `adapter = "..."` in hub.toml."""
    adapter: Callable[[Any, ConnectionContext], Adapter]
    config: type[BaseModel]
    """Pydantic model of the connection settings. Secrets are `SecretStr`."""
    summary: str = ""
