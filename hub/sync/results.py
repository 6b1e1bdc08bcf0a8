"""What a sync run reports: per-stream results, the run's options and its exit code."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from hub.errors import ExitCode

# Worst first: the run's exit code is the worst of its streams'.
SEVERITY = [
    ExitCode.INTERRUPTED,
    ExitCode.CONFIG,
    ExitCode.LOCKED,
    ExitCode.SOURCE,
    ExitCode.FAILED,
    ExitCode.QUOTA,
    ExitCode.REJECTS,
    ExitCode.OK,
]

STATUS = {
    ExitCode.OK: "ok",
    ExitCode.REJECTS: "rejects",
    ExitCode.QUOTA: "quota",
    ExitCode.FAILED: "failed",
    ExitCode.SOURCE: "source-error",
    ExitCode.LOCKED: "lease-lost",
    ExitCode.CONFIG: "config-error",
    ExitCode.INTERRUPTED: "interrupted",
}


def worst(codes: list[ExitCode]) -> ExitCode:
    for code in SEVERITY:
        if code in codes:
            return code
    return ExitCode.OK


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class SyncOptions:
    connections: tuple[str, ...] = ()
    """Connection names; empty means every enabled connection."""
    streams: tuple[str, ...] = ()
    """Stream or entity names; empty means every stream."""
    dry_run: bool = False
    full_refresh: bool = False
    only: tuple[tuple[str, str], ...] = ()
    """Exact (connection, stream) pairs (used by `hub rejects replay`)."""


@dataclass
class RunInfo:
    """What lifecycle hooks learn about the run."""

    run_id: int | None
    started_at: dt.datetime
    options: SyncOptions


@dataclass
class StreamResult:
    connection: str
    stream: str
    entity: str
    status: str = "pending"
    exit_code: ExitCode = ExitCode.OK
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    unresolved: int = 0
    batches: int = 0
    error: str | None = None

    def counts(self) -> dict[str, int]:
        return {
            k: getattr(self, k)
            for k in (
                "read",
                "inserted",
                "updated",
                "unchanged",
                "deleted",
                "rejected",
                "unresolved",
                "batches",
            )
        }

    def summary(self) -> str:
        parts = [
            f"{self.read} read",
            f"{self.inserted} new",
            f"{self.updated} updated",
            f"{self.unchanged} unchanged",
            f"{self.deleted} deleted",
            f"{self.rejected} rejected",
        ]
        if self.unresolved:
            parts.append(f"{self.unresolved} with unresolved references")
        text = ", ".join(parts)
        if self.error:
            text += f" — {self.status}: {self.error}"
        return text

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["exit_code"] = int(self.exit_code)
        return data


@dataclass
class SyncReport:
    run: RunInfo
    results: list[StreamResult] = field(default_factory=list)
    exit_code: ExitCode = ExitCode.OK
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return STATUS[self.exit_code]
