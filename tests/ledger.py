"""One source, two adapters: `ledger-rows` yields model objects, `ledger-arrow`
yields Arrow tables of the same rows. Tests run both through the contract
suite and the engine and expect the same store."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from hub import hookimpl
from hub.adapters.contract import Adapter, AdapterSpec, Batch, CheckResult, ReadContext, Stream
from hub.columns import LOCATION
from hub.model import Activity


class LedgerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_file: str


def write_ledger(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text(json.dumps({"activities": rows}, ensure_ascii=False), encoding="utf-8")


def ledger_row(i: int, **over: Any) -> dict[str, Any]:
    """id, kind, at (ISO with offset), amount (text or None), currency, updated."""
    row = {
        "id": f"a{i:03d}",
        "kind": "order" if i % 3 == 0 else "call",
        "at": f"2026-03-{1 + i % 28:02d}T10:00:00+08:00",
        "amount": f"{i * 10}.50" if i % 3 == 0 else None,
        "currency": "CNY" if i % 3 == 0 else None,
        "note": f"跟进 {i}",
        "updated": f"2026-04-01T00:00:{i % 60:02d}+00:00",
    }
    return row | over


class _Ledger(Adapter):
    config: LedgerSettings

    def check(self) -> CheckResult:
        return CheckResult(Path(self.config.source_file).exists(), "ledger file")

    def streams(self) -> list[Stream]:
        return [Stream("activities", "activities")]

    def read(
        self, stream: Stream, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        data = json.loads(Path(self.config.source_file).read_text(encoding="utf-8"))
        rows = sorted(data["activities"], key=lambda r: (r["updated"], r["id"]))
        if state:
            position = (state["updated"], state["id"])
            rows = [r for r in rows if (r["updated"], r["id"]) > position]
        snapshot = state is None
        size = ctx.batch_size
        chunks = [rows[i : i + size] for i in range(0, len(rows), size)] or [[]]
        for n, chunk in enumerate(chunks):
            last = chunk[-1] if chunk else None
            yield Batch(
                records=self.convert(chunk),
                state={"updated": last["updated"], "id": last["id"]} if last else state or {},
                snapshot_begins=snapshot and n == 0,
                snapshot_complete=snapshot and n == len(chunks) - 1,
            )

    def convert(self, chunk: list[dict[str, Any]]) -> Any:
        raise NotImplementedError


class RowLedger(_Ledger):
    def convert(self, chunk: list[dict[str, Any]]) -> list[Activity]:
        return [
            Activity(
                source=self.context.connection,
                source_id=r["id"],
                kind=r["kind"],
                occurred_at=dt.datetime.fromisoformat(r["at"]),
                amount=Decimal(r["amount"]) if r["amount"] else None,
                currency=r["currency"],
                content=r["note"],
                updated_at=dt.datetime.fromisoformat(r["updated"]),
                extra={"row": r["id"]},
            )
            for r in chunk
        ]


class ArrowLedger(_Ledger):
    """Columns straight from the source; bad values are left to the engine's
    column-wise checks (an unknown kind becomes a reject)."""

    def convert(self, chunk: list[dict[str, Any]]) -> pa.Table:
        def times(key: str) -> pa.Array:
            values = [dt.datetime.fromisoformat(r[key]) for r in chunk]
            naive = any(v.tzinfo is None for v in values)  # a bug the engine must catch
            return pa.array(values, pa.timestamp("us", None if naive else "UTC"))

        amounts = [Decimal(r["amount"]) if r["amount"] else None for r in chunk]
        return pa.table(
            {
                "source_id": [r["id"] for r in chunk],
                "kind": pa.array([r["kind"] for r in chunk], pa.string()),
                "occurred_at": times("at"),
                "amount": pa.array(amounts, pa.decimal128(18, 2)),
                "currency": pa.array([r["currency"] for r in chunk], pa.string()),
                "content": pa.array([r["note"] for r in chunk], pa.string()),
                "updated_at": times("updated"),
                "extra": pa.array([json.dumps({"row": r["id"]}) for r in chunk], pa.string()),
                LOCATION: pa.array([f"ledger.json#{r['id']}" for r in chunk], pa.string()),
            }
        )


class LedgerPlugin:
    @hookimpl
    def hub_register_adapters(self) -> Iterator[AdapterSpec]:
        yield AdapterSpec("ledger-rows", RowLedger, LedgerSettings, "ledger as model objects")
        yield AdapterSpec("ledger-arrow", ArrowLedger, LedgerSettings, "ledger as Arrow tables")
