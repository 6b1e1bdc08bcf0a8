"""Adapters that allow it have their streams read at the same time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from hub import hookimpl
from hub.adapters.contract import Adapter, AdapterSpec, Batch, CheckResult, ReadContext, Stream
from hub.errors import ExitCode, QuotaExhausted
from hub.model import Customer, Manager
from hub.plugins import load_registry
from hub.testing import Project


class TwinSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: int = 30
    quota_after: int | None = None
    """Raise QuotaExhausted in `managers` after this many batches."""


class TwinAdapter(Adapter):
    """managers and customers, each a few batches long, read side by side."""

    concurrent_streams = True
    config: TwinSettings
    threads: ClassVar[set[str]] = set()
    both_reading = threading.Barrier(2, timeout=5)

    def check(self) -> CheckResult:
        return CheckResult(True, "twin")

    def streams(self) -> list[Stream]:
        return [
            Stream("managers", "managers", cursor_field=None),
            Stream("customers", "customers", cursor_field=None),
        ]

    def read(
        self, stream: Stream, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        TwinAdapter.threads.add(threading.current_thread().name)
        if self.config.quota_after is None:
            TwinAdapter.both_reading.wait()  # proves the two reads overlap
        done = (state or {}).get("done", 0)
        size = self.config.size
        for start in range(done, size, 10):
            if (
                stream.name == "managers"
                and self.config.quota_after is not None
                and start >= 10 * self.config.quota_after
            ):
                raise QuotaExhausted("daily quota used up")
            ids = range(start, min(start + 10, size))
            if stream.name == "managers":
                records = [
                    Manager(source=self.context.connection, source_id=f"m{i}", name=f"经理{i}")
                    for i in ids
                ]
            else:
                records = [
                    Customer(
                        source=self.context.connection,
                        source_id=f"c{i}",
                        name=f"客户{i}",
                        owner_source_id=f"m{i}",
                    )
                    for i in ids
                ]
            yield Batch(
                records=records,
                state={"done": start + len(ids)},
                snapshot_begins=start == 0 and not done,
                snapshot_complete=start + 10 >= size,
            )


class TwinPlugin:
    @hookimpl
    def hub_register_adapters(self) -> Iterator[AdapterSpec]:
        yield AdapterSpec("twin", TwinAdapter, TwinSettings)


def twin_project(root: Path, **settings: Any) -> Project:
    registry = load_registry()
    registry.register(TwinPlugin(), name="twin")
    project = Project(root, registry=registry)
    project.configure({"crm": {"adapter": "twin", **settings}})
    return project


def test_streams_are_read_at_the_same_time_and_land_completely(tmp_path: Path) -> None:
    TwinAdapter.threads = set()
    TwinAdapter.both_reading = threading.Barrier(2, timeout=5)
    project = twin_project(tmp_path)
    report = project.sync()
    assert report.exit_code == ExitCode.OK, report.results
    assert {r.stream: r.inserted for r in report.results} == {"managers": 30, "customers": 30}
    assert len(TwinAdapter.threads) == 2
    customers = project.rows("customers")
    assert all(c["owner_id"] for c in customers)  # resolved at the end of the connection
    assert project.sync().exit_code == ExitCode.OK


def test_a_quota_stop_in_one_stream_stops_its_siblings_and_keeps_what_landed(
    tmp_path: Path,
) -> None:
    project = twin_project(tmp_path, quota_after=1, size=200)
    report = project.sync()
    assert report.exit_code == ExitCode.QUOTA
    by_stream = {r.stream: r for r in report.results}
    assert by_stream["managers"].status == "quota" and by_stream["managers"].inserted == 10
    assert by_stream["customers"].status in ("stopped", "ok")
    landed = len(project.rows("customers"))
    assert landed == by_stream["customers"].inserted  # every committed batch is there, nothing else
    resumed = twin_project(tmp_path, size=200).sync()
    assert resumed.exit_code == ExitCode.OK
    assert len(project.rows("managers")) == 200 and len(project.rows("customers")) == 200
