"""A tiny adapter whose source is a JSON file the test edits: for engine tests
that need an incremental source, vendor-like failures or a secret."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr

from hub import hookimpl
from hub.adapters.contract import (
    Adapter,
    AdapterSpec,
    Batch,
    CheckResult,
    ReadContext,
    Reject,
    Stream,
)
from hub.errors import AuthError, QuotaExhausted
from hub.model import Customer


class ScriptedSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_file: str
    token: SecretStr | None = None


class ScriptedAdapter(Adapter):
    """customers from `source_file`: {"customers": [{id, name, updated}], "fail": ...}.

    Incremental on `updated` (an ISO time); a read without state is a snapshot.
    `fail` makes the read fail after the first batch: "auth", "quota" or "crash"."""

    config: ScriptedSettings

    def source(self) -> dict[str, Any]:
        return json.loads(Path(self.config.source_file).read_text(encoding="utf-8"))

    def check(self) -> CheckResult:
        return CheckResult(True, "scripted source is readable")

    def streams(self) -> list[Stream]:
        return [Stream("customers", "customers")]

    def read(
        self, stream: Stream, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        data = self.source()
        since = state.get("cursor") if state else None
        rows = sorted(data["customers"], key=lambda r: (r["updated"], r["id"]))
        if since:
            rows = [r for r in rows if r["updated"] >= since]
        snapshot = state is None
        token = self.config.token.get_secret_value() if self.config.token else ""
        for i in range(0, max(len(rows), 1), 2):
            chunk = rows[i : i + 2]
            records, rejects = [], []
            for r in chunk:
                if r.get("bad"):
                    rejects.append(
                        Reject(f"id {r['id']}: bad record", {**r, "token": token}, r["id"])
                    )
                    continue
                records.append(
                    Customer(
                        source=self.context.connection,
                        source_id=r["id"],
                        name=r["name"],
                        updated_at=dt.datetime.fromisoformat(r["updated"]),
                    )
                )
            cursor = max([since or "", *(r["updated"] for r in chunk)])
            last = i + 2 >= len(rows)
            yield Batch(
                records=records,
                rejects=rejects,
                state={"cursor": cursor} if cursor else {},
                snapshot_begins=snapshot and i == 0,
                snapshot_complete=snapshot and last,
            )
            fail = data.get("fail")
            if fail == "auth":
                raise AuthError(f"token {token} was refused by the source")
            if fail == "quota":
                raise QuotaExhausted("daily quota used up; resumes tomorrow")
            if fail == "crash":
                raise RuntimeError(f"adapter bug while holding {token}")


class ScriptedPlugin:
    @hookimpl
    def hub_register_adapters(self) -> Iterator[AdapterSpec]:
        yield AdapterSpec("scripted", ScriptedAdapter, ScriptedSettings, "test adapter")


def write_source(path: Path, customers: list[dict[str, Any]], **extra: Any) -> None:
    path.write_text(json.dumps({"customers": customers, **extra}), encoding="utf-8")
