"""The adapter contract suite: what every adapter must do, as pytest tests.

Subclass `AdapterContract` in a test module of your plugin, set
`adapter_name`, and provide a `settings` fixture (the connection's settings
as they would appear in hub.toml, pointing at a working source or a fake)
and `change_source` (change the source between two reads)::

    class TestMyAdapter(AdapterContract):
        adapter_name = "my_crm"

        @pytest.fixture
        def settings(self, fake_crm):
            return {"base_url": fake_crm.url, "token": "t0k3n"}

        def change_source(self, settings):
            ...  # edit, create, delete records in the source
            return {"customers": {"c1", "c9"}}  # ids the next read must yield

The suite checks: the plugin is registered through the `hub` entry-point
group; settings validate and unknown keys are refused; secrets are
`SecretStr`; `check` answers; streams declare an entity and a real cursor;
a full read yields valid records with unique keys and a JSON state free of
secrets; a read from saved state with no change yields nothing new; a read
after a change yields the changes; an interrupted read resumes from its last
checkpoint with nothing lost; and two syncs into a real store are
idempotent.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel, SecretStr, ValidationError

from hub.adapters.contract import Adapter, AdapterSpec, ConnectionContext, ReadContext, Stream
from hub.errors import ExitCode
from hub.model import ENTITIES
from hub.plugins import Registry, load_registry
from hub.testing.harness import Project, ReadResult, read_all

_SECRET_NAME = re.compile(r"secret|password|token|api_?key|private_?key|permanent_?code", re.I)


def _secret_values(model: BaseModel) -> list[str]:
    found = []
    for value in model.__dict__.values():
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
        elif isinstance(value, BaseModel):
            found.extend(_secret_values(value))
    return [v for v in found if len(v) >= 4]


class AdapterContract:
    adapter_name: ClassVar[str]
    connection: ClassVar[str] = "contract"
    timezone: ClassVar[str] = "Asia/Shanghai"
    base_currency: ClassVar[str] = "CNY"
    batch_size: ClassVar[int] = 2
    """Small, so a full read has several checkpoints to resume from."""
    empty_streams: ClassVar[set[str]] = set()
    """Streams allowed to yield no records from the test source."""
    overlap: ClassVar[dt.timedelta] = dt.timedelta(minutes=5)

    # -- what the subclass provides --------------------------------------------------

    @pytest.fixture
    def settings(self) -> dict[str, Any]:
        raise NotImplementedError("provide a `settings` fixture")

    def change_source(self, settings: dict[str, Any]) -> dict[str, set[str]]:
        """Change the source; return stream name -> source ids the next read must yield."""
        raise NotImplementedError("implement change_source")

    # -- plumbing --------------------------------------------------------------------

    @pytest.fixture
    def registry(self) -> Registry:
        """The plugins the suite runs with: the installed ones (override to
        register an adapter under test by hand)."""
        return load_registry()

    @pytest.fixture
    def spec(self, registry: Registry) -> AdapterSpec:
        assert self.adapter_name in registry.adapters, (
            f"adapter {self.adapter_name!r} is not registered through the `hub` entry-point "
            f"group (found: {sorted(registry.adapters)}); is the plugin installed?"
        )
        return registry.adapter(self.adapter_name)

    @pytest.fixture
    def adapter(self, spec: AdapterSpec, settings: dict[str, Any], tmp_path: Path) -> Adapter:
        config = spec.config.model_validate(settings)
        context = ConnectionContext(
            connection=self.connection,
            timezone=ZoneInfo(self.timezone),
            base_currency=self.base_currency,
            config_dir=tmp_path,
            logger=logging.getLogger(f"hub.contract.{self.adapter_name}"),
        )
        adapter = spec.adapter(config, context)
        yield adapter
        adapter.close()

    def context(self, started_at: dt.datetime | None = None) -> ReadContext:
        return ReadContext(
            started_at=started_at or dt.datetime.now(dt.UTC),
            overlap=self.overlap,
            batch_size=self.batch_size,
        )

    def read(self, adapter: Adapter, stream: Stream, state: Any = None, **kw: Any) -> ReadResult:
        return read_all(adapter, stream, state, self.context(), **kw)

    def in_overlap(self, record: Any, started_at: dt.datetime) -> bool:
        """Records changed within the overlap window may be read again."""
        return record.updated_at is not None and record.updated_at >= started_at - 2 * self.overlap

    # -- the contract -------------------------------------------------------------------

    def test_registered_through_entry_point(self, spec: AdapterSpec) -> None:
        assert spec.name == self.adapter_name

    def test_settings_validate(self, spec: AdapterSpec, settings: dict[str, Any]) -> None:
        spec.config.model_validate(settings)

    def test_unknown_setting_is_refused(self, spec: AdapterSpec, settings: dict[str, Any]) -> None:
        with pytest.raises(ValidationError):
            spec.config.model_validate({**settings, "no_such_setting": "x"})

    def test_secrets_are_secretstr(self, spec: AdapterSpec) -> None:
        for name, field in spec.config.model_fields.items():
            if _SECRET_NAME.search(name):
                assert "SecretStr" in str(field.annotation), (
                    f"{spec.config.__name__}.{name} looks like a secret but is not SecretStr"
                )

    def test_check_answers(self, adapter: Adapter) -> None:
        result = adapter.check()
        assert result.ok, result.message
        assert result.message

    def test_streams_declare_entity_and_cursor(self, adapter: Adapter) -> None:
        streams = adapter.streams()
        assert streams, "an adapter must offer at least one stream"
        names = [s.name for s in streams]
        assert len(names) == len(set(names)), f"duplicate stream names: {names}"
        for stream in streams:
            assert stream.entity in ENTITIES
            if stream.cursor_field is not None:
                assert stream.cursor_field in ENTITIES[stream.entity].model_fields, (
                    f"{stream.name}: cursor {stream.cursor_field!r} is not a canonical field"
                )

    def test_full_read_yields_valid_unique_records(
        self, adapter: Adapter, settings: dict[str, Any], spec: AdapterSpec
    ) -> None:
        secrets = _secret_values(spec.config.model_validate(settings))
        for stream in adapter.streams():
            result = self.read(adapter, stream)
            model = ENTITIES[stream.entity]
            if stream.name not in self.empty_streams:
                assert result.records, f"{stream.name}: a full read yielded no records"
            ids = [r.source_id for r in result.records]
            assert len(ids) == len(set(ids)), f"{stream.name}: duplicate source ids in one read"
            for record in result.records:
                assert type(record) is model
                assert record.source == self.connection
                model.model_validate(record.model_dump())  # round-trips through validation
            assert result.state is not None, f"{stream.name}: no checkpoint after a full read"
            state_text = json.dumps(result.state)
            for secret in secrets:
                assert secret not in state_text, f"{stream.name}: a secret is in the state"
            for reject in result.rejects:
                assert reject.reason

    def test_read_from_state_without_changes_yields_nothing_new(self, adapter: Adapter) -> None:
        for stream in adapter.streams():
            if not stream.incremental:
                continue
            first = self.read(adapter, stream)
            started = dt.datetime.now(dt.UTC)
            again = read_all(adapter, stream, first.state, self.context(started))
            fresh = [r for r in again.records if not self.in_overlap(r, started)]
            assert not fresh, (
                f"{stream.name}: re-reading unchanged data from saved state yielded "
                f"{len(fresh)} records (e.g. {fresh[0].source_id})"
            )

    def test_read_after_change_yields_the_changes(
        self, adapter: Adapter, settings: dict[str, Any]
    ) -> None:
        streams = [s for s in adapter.streams() if s.incremental]
        states = {s.name: self.read(adapter, s).state for s in streams}
        expected = self.change_source(settings)
        assert expected, "change_source must say which ids the next read yields"
        for stream in streams:
            if stream.name not in expected:
                continue
            started = dt.datetime.now(dt.UTC)
            result = read_all(adapter, stream, states[stream.name], self.context(started))
            seen = result.ids() | {d.source_id for d in result.deletes}
            missing = expected[stream.name] - seen
            assert not missing, f"{stream.name}: changes not read: {sorted(missing)[:5]}"
            if not any(b.snapshot_begins for b in result.batches):
                extra = [
                    r.source_id
                    for r in result.records
                    if r.source_id not in expected[stream.name] and not self.in_overlap(r, started)
                ]
                assert not extra, f"{stream.name}: unchanged records read again: {extra[:5]}"

    def test_interrupted_read_resumes_without_loss(self, adapter: Adapter) -> None:
        for stream in adapter.streams():
            full = self.read(adapter, stream)
            checkpoints = [b for b in full.batches if b.state is not None]
            if len(checkpoints) < 2:
                continue  # a single checkpoint: nothing to interrupt
            part = self.read(adapter, stream, stop_after=1)
            rest = self.read(adapter, stream, part.state)
            assert part.ids() | rest.ids() == full.ids(), (
                f"{stream.name}: resuming from the first checkpoint lost or invented records"
            )

    def test_two_syncs_into_a_store_are_idempotent(
        self, settings: dict[str, Any], tmp_path: Path, registry: Registry
    ) -> None:
        project = Project(tmp_path / "project", registry=registry)
        project.configure(
            {self.connection: {"adapter": self.adapter_name, **settings}},
            timezone=self.timezone,
            base_currency=self.base_currency,
        )
        first = project.sync()
        assert first.exit_code in (ExitCode.OK, ExitCode.REJECTS), first.results
        second = project.sync()
        assert second.exit_code in (ExitCode.OK, ExitCode.REJECTS), second.results
        for result in second.results:
            assert (result.inserted, result.updated) == (0, 0), (
                f"{result.stream}: the second sync wrote {result.inserted + result.updated} rows"
            )
