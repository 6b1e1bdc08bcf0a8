"""Column types that keep the model's promises on every backend.

- `UTCDateTime`: aware datetimes in, aware UTC datetimes out. PostgreSQL
  stores `timestamptz`; SQLite stores fixed-width UTC text
  (`YYYY-MM-DD HH:MM:SS.ffffff`) so string order is time order.
- `ExactDecimal`: money, scores and targets stay exact. PostgreSQL stores
  NUMERIC(19, 4); SQLite, which has no exact decimal, stores an integer
  count of 1/10,000 units. SUM/MIN/MAX built with SQLAlchemy keep the type
  and come back as `Decimal` on both; raw SQL on SQLite sees the scaled
  integers.

Each type exposes `writer(dialect_name)`: the plain function the bulk writer
applies per value, the same conversion the type applies to bound parameters.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, DateTime, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

SCALE = 4
_FACTOR = Decimal(10) ** SCALE
_QUANTUM = Decimal(1).scaleb(-SCALE)

Writer = Callable[[Any], Any] | None


class UTCDateTime(TypeDecorator[dt.datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    @staticmethod
    def writer(dialect_name: str) -> Writer:
        if dialect_name == "sqlite":
            return _sqlite_datetime
        return None


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    # "YYYY-MM-DD HH:MM:SS.ffffff+00:00" without the offset: cheaper than replace()
    return value.isoformat(" ", "microseconds")[:26]


class ExactDecimal(TypeDecorator[Decimal]):
    impl = Numeric(18, SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return _scaled(value)
        return Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / _FACTOR).quantize(_QUANTUM)
        return Decimal(value)

    @staticmethod
    def writer(dialect_name: str) -> Writer:
        return _scaled_or_none if dialect_name == "sqlite" else None

    @property
    def python_type(self) -> type:
        return Decimal


def _scaled(value: Decimal | int) -> int:
    scaled = Decimal(value) * _FACTOR
    integral = scaled.to_integral_value()
    if scaled != integral:
        raise ValueError(f"{value} has more than {SCALE} decimal places")
    return int(integral)


def _scaled_or_none(value: Decimal | None) -> int | None:
    return None if value is None else _scaled(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


_encoder = json.JSONEncoder(ensure_ascii=False, default=_json_default, separators=(",", ":"))


def dumps(value: Any) -> str:
    """JSON as the store writes it: UTF-8 kept readable, Decimals as strings."""
    if not value and isinstance(value, dict | list):
        return "{}" if isinstance(value, dict) else "[]"
    return _encoder.encode(value)


def json_type() -> TypeEngine[Any]:
    return JSON().with_variant(JSONB(), "postgresql")


def json_writer(value: Any) -> str | None:
    return None if value is None else dumps(value)


def date_writer(dialect_name: str) -> Writer:
    if dialect_name == "sqlite":
        return lambda value: None if value is None else value.isoformat()
    return None


__all__ = ["Date", "ExactDecimal", "UTCDateTime", "dumps", "json_type", "json_writer"]
