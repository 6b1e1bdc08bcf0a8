"""The Arrow schema follows the models, and the column-wise checks of an
Arrow batch accept and refuse exactly what the models do."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from pydantic import ValidationError

from hub.columns import (
    LOCATION,
    MODEL_VALIDATORS,
    ColumnError,
    arrow_schema,
    conform,
    store_assigned,
    to_records,
    to_table,
)
from hub.model import ENTITIES, Activity, Contact, Customer, Goal, Manager
from hub.store.tables import entity_tables
from hub.store.types import ExactDecimal, UTCDateTime

# what each store column type must be in a batch
_ARROW_FOR_STORE = {
    UTCDateTime: pa.timestamp("us", "UTC"),
    ExactDecimal: pa.decimal128(18, 4),
}


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_schema_has_every_model_field_but_the_store_assigned_ones(entity: str) -> None:
    model = ENTITIES[entity]
    schema = arrow_schema(entity)
    expected = [n for n in model.model_fields if n not in store_assigned(entity)]
    assert schema.names == expected
    table = entity_tables[entity]
    for field in schema:
        info = model.model_fields[field.name]
        optional = "None" in str(info.annotation) or "Optional" in str(info.annotation)
        assert field.nullable == optional, field.name
        column_type = type(table.c[field.name].type)
        if column_type in _ARROW_FOR_STORE:
            assert field.type == _ARROW_FOR_STORE[column_type], field.name
        elif field.name == "extra":
            assert field.type == pa.string()
        elif field.name == "tags":
            assert field.type == pa.list_(pa.string())
        else:
            python = table.c[field.name].type.python_type
            arrow = {str: pa.string(), bool: pa.bool_(), int: pa.int64(), dt.date: pa.date32()}
            assert field.type == arrow[python], field.name


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_every_model_validator_is_repeated_column_wise(entity: str) -> None:
    validators = set(ENTITIES[entity].__pydantic_decorators__.model_validators)
    assert validators == MODEL_VALIDATORS.get(entity, set()), (
        f"{entity}: a model validator changed; repeat it in hub.columns._model_checks"
    )


def _samples() -> dict[str, list[Any]]:
    at = dt.datetime(2026, 3, 5, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return {
        "managers": [Manager(source="c", source_id="m1", name="王", hired_at=dt.date(2020, 1, 2))],
        "customers": [
            Customer(source="c", source_id="c1", name="甲", tags=["a", "b"], extra={"微信": "x"}),
            Customer(source="c", source_id="c2", name="乙", marketing_consent=False),
        ],
        "contacts": [
            Contact(source="c", source_id="k1", name="李", customer_source_id="c1", is_primary=True)
        ],
        "activities": [
            Activity(
                source="c",
                source_id="a1",
                kind="order",
                occurred_at=at,
                amount=Decimal("1234.5"),
                currency="CNY",
                duration_seconds=312,
            )
        ],
        "goals": [
            Goal(
                source="c",
                source_id="g1",
                team="east",
                metric="sales_amount",
                period_start=dt.date(2026, 7, 1),
                period_end=dt.date(2026, 9, 30),
                period_label="2026-Q3",
                target=Decimal("100000.0001"),
            )
        ],
    }


def test_every_entity_has_a_sample() -> None:
    assert set(_samples()) == set(ENTITIES), "add a sample record of the new entity"


def test_records_round_trip_through_columns() -> None:
    for entity, records in _samples().items():
        table = to_table(entity, records)
        assert table.schema == arrow_schema(entity)
        assert to_records(entity, table) == records
        good, rejects = conform(entity, table, "c")
        assert (good.num_rows, rejects) == (len(records), [])


# -- a seeded generator of dirty values, checked both ways ---------------------

_STRINGS = [
    "x", " padded ", "", "   ", "\u3000全角\u3000", "a" * 256, "CNY", "cny", "US", "USD ",
    "sales_amount", "Bad-Metric", "9lives", "call", " visit ", "séance", "company", "person",
    "ORDER", "2026-Q3",
]  # fmt: skip
_DECIMALS = [
    "0", "1.5", "-2.25", "1.23456", "1.50000", "99999999999999.9999", "100000000000000",
    "0.0001", "0.00001", "-0.0000",
]  # fmt: skip
_TIMES = [
    dt.datetime(2026, 3, 5, 2, 0, tzinfo=dt.UTC),
    dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
]


def _value(rng: random.Random, arrow_type: pa.DataType) -> Any:
    if rng.random() < 0.15:
        return None
    if pa.types.is_string(arrow_type):
        return rng.choice(_STRINGS)
    if pa.types.is_decimal(arrow_type):
        return Decimal(rng.choice(_DECIMALS))
    if pa.types.is_timestamp(arrow_type):
        return rng.choice(_TIMES) + dt.timedelta(seconds=rng.randint(-(10**8), 10**8))
    if pa.types.is_date(arrow_type):
        return dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(-400, 400))
    if pa.types.is_boolean(arrow_type):
        return rng.random() < 0.5
    if pa.types.is_integer(arrow_type):
        return rng.choice([0, 1, 312, -1, 2**31 - 1, 2**31])
    if pa.types.is_list(arrow_type):
        return rng.sample(["a", " b ", "", "丙"], rng.randint(0, 3))
    raise AssertionError(arrow_type)


def _input_type(field: pa.Field) -> pa.DataType:
    """What an adapter might hand over: wider decimals, other time zones."""
    if pa.types.is_decimal(field.type):
        return pa.decimal128(38, 6)
    if pa.types.is_timestamp(field.type):
        return pa.timestamp("us", "Asia/Shanghai")
    return field.type


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_column_checks_agree_with_the_model_on_random_dirty_rows(entity: str) -> None:
    rng = random.Random(11)
    model = ENTITIES[entity]
    schema = arrow_schema(entity)
    n = 5000
    # each row starts from a valid record; half the rows get a few dirty
    # values, the other half many
    clean = to_table(entity, _samples()[entity][:1]).to_pylist()[0]
    dirt = [0.03 if i % 2 else 0.4 for i in range(n)]
    columns: dict[str, list[Any]] = {}
    for field in schema:
        if field.name == "source":
            columns["source"] = ["conn"] * n
        elif field.name == "source_id":
            columns["source_id"] = [rng.choice([f"id{i}", f" id{i} ", f"id{i}", "", "x" * 256]) for i in range(n)]  # fmt: skip
        elif field.name == "extra":
            columns["extra"] = [json.dumps({"k": i}) for i in range(n)]
        else:
            columns[field.name] = [
                _value(rng, field.type) if rng.random() < dirt[i] else clean[field.name]
                for i in range(n)
            ]
    table = pa.table(
        {f.name: pa.array(columns[f.name], _input_type(f)) for f in schema}
        | {LOCATION: [f"row {i}" for i in range(n)]}
    )
    good, rejects = conform(entity, table, "conn")

    accepted, refused = [], set()
    for i in range(n):
        row = {k: columns[k][i] for k in columns}
        row["extra"] = json.loads(row["extra"])
        try:
            accepted.append(model.model_validate(row))
        except ValidationError:
            refused.add(f"row {i}")
    assert {r.location for r in rejects} == refused
    assert len(accepted) > n / 10 and len(refused) > n / 10, "too few of one kind"
    assert [r.model_dump() for r in to_records(entity, good)] == [r.model_dump() for r in accepted]
    for reject in rejects:
        assert reject.reason.startswith(f"{entity} ")
        assert "field " in reject.reason or "needs" in reject.reason or "before" in reject.reason


def test_a_batch_that_does_not_fit_the_schema_raises() -> None:
    at = pa.array([dt.datetime(2026, 1, 1)], pa.timestamp("us"))
    with pytest.raises(ColumnError, match="unknown column 'colour'"):
        conform("activities", pa.table({"source_id": ["a"], "colour": ["red"]}), "c")
    with pytest.raises(ColumnError, match="required column 'occurred_at' is missing"):
        conform("activities", pa.table({"source_id": ["a"], "kind": ["call"]}), "c")
    with pytest.raises(ColumnError, match="'occurred_at' must be a timezone-aware timestamp"):
        conform("activities", pa.table({"source_id": ["a"], "kind": ["call"], "occurred_at": at}), "c")  # fmt: skip
    with pytest.raises(ColumnError, match="source must be the connection 'c'"):
        conform("managers", pa.table({"source": ["other"], "source_id": ["m"], "name": ["x"]}), "c")  # fmt: skip


def test_missing_optional_columns_get_nulls_and_defaults() -> None:
    good, rejects = conform("customers", pa.table({"source_id": ["c1"], "name": [" 甲 "]}), "c")
    assert rejects == []
    (record,) = to_records("customers", good)
    assert record == Customer(source="c", source_id="c1", name="甲")
