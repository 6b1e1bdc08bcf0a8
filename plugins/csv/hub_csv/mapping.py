"""From a CSV row to a canonical record, or to a reject that says why.

The column plan is worked out once per file: which column feeds which
canonical field and with which parser. Per row, each cell goes through its
parser; every problem in the row is collected, so the reject names all the
columns at fault at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from hub.adapters import parsing
from hub.adapters.contract import Reject
from hub.errors import SourceDataError
from hub.model import ENTITIES, ActivityKind, CustomerKind, Record, base_type
from hub.periods import parse_period
from hub_csv.headers import (
    ACTIVITY_KIND_INDEX,
    CUSTOMER_KIND_INDEX,
    METRIC_INDEX,
    expected_headers,
    normalise,
    recognise,
)
from hub_csv.settings import DateOrder, FileSettings

Parser = Callable[[str], Any]

_REQUIRED = {
    "managers": ["name"],
    "customers": ["name"],
    "contacts": ["name"],
    "activities": ["kind", "occurred_at"],
    "goals": ["metric", "target"],
}
_DEFAULT_KEYS = {"goals": ["manager_source_id", "team", "metric", "period"]}
_TAG_SPLIT = str.maketrans({c: "," for c in ";；，、|"})


@dataclass
class Column:
    index: int
    header: str
    field: str  # canonical field, "period", or "extra.<name>"
    parse: Parser | None


def _enum_parser(index: dict[str, str], allowed: type, what: str) -> Parser:
    seen: dict[str, str] = {}  # a column holds a handful of distinct spellings

    def parse(value: str) -> str | None:
        if value in seen:
            return seen[value]
        v = parsing.text(value)
        if v is None:
            return None
        found = index.get(normalise(v))
        if found is None:
            options = ", ".join(m.value for m in allowed)  # type: ignore[attr-defined]
            raise ValueError(f"unknown {what} {v!r} (one of {options}, or a Chinese name)")
        if len(seen) < 1000:
            seen[value] = found
        return found

    return parse


def _metric(value: str) -> str | None:
    v = parsing.text(value)
    if v is None:
        return None
    return METRIC_INDEX.get(normalise(v), v)


SIGNED_AMOUNTS: frozenset[str] = frozenset()
"""Money fields whose negative values mean something by themselves. None of
the canonical ones do (an order or payment amount, a goal target): a refund
or clawback column is named in the file's `negative` setting."""
MONEY_FIELDS = frozenset({"amount", "target"})


def _amount_parser(decimal_comma: bool, negative: bool) -> Parser:
    def parse(value: str) -> tuple[Decimal, str | None] | None:
        number, currency = parsing.number_and_currency(value, decimal_comma=decimal_comma)
        if number is None:
            return None
        _refuse_negative(number, value, negative)
        return number, currency

    return parse


def _number_parser(decimal_comma: bool, negative: bool) -> Parser:
    def parse(value: str) -> Decimal | None:
        number = parsing.decimal(value, decimal_comma=decimal_comma)
        if number is not None:
            _refuse_negative(number, value, negative)
        return number

    return parse


def _refuse_negative(number: Decimal, value: str, allowed: bool) -> None:
    if number < 0 and not allowed:
        raise ValueError(
            f"a negative amount {value.strip()!r} (allow it for refund or clawback "
            "columns with the file's `negative` setting)"
        )


def _tags(value: str) -> list[str] | None:
    v = parsing.text(value)
    if v is None:
        return None
    return [t.strip() for t in v.translate(_TAG_SPLIT).split(",") if t.strip()]


class RowMapper:
    """Turns the rows of one file into records of one entity."""

    def __init__(
        self,
        *,
        path: Path,
        connection: str,
        entity: str,
        header: list[str],
        settings: FileSettings,
        timezone: ZoneInfo,
        date_order: DateOrder,
        currency: str,
    ) -> None:
        self.path = path
        self.connection = connection
        self.entity = entity
        self.model: type[Record] = ENTITIES[entity]
        self.timezone = timezone
        self.date_order = date_order
        self.currency = currency
        self.settings = settings
        self.columns: list[Column] = []
        self.labels: dict[str, str] = {}
        overrides = {normalise(k): v for k, v in settings.columns.items()}
        known_fields = set(self.model.model_fields) | {"period"}
        for index, name in enumerate(header):
            target = overrides.get(normalise(name))
            if target == "-":
                continue
            if target is None:
                target = recognise(entity, name)
            if (
                target is not None
                and not target.startswith("extra.")
                and target not in known_fields
            ):
                raise SourceDataError(
                    f"{path}: columns: {name!r} is mapped to {target!r}, "
                    f"which is not a field of {entity}"
                )
            if target is None or target in self.labels:
                target = f"extra.{name or f'column_{index + 1}'}"
            self.labels.setdefault(target, name)
            parse = None if target.startswith("extra.") else self._parser(target, name)
            self.columns.append(Column(index, name, target, parse))
        self.width = len(header)
        # (cell index, field or extra name, parser): what `map` walks per row
        self._plan = [
            (c.index, c.field[6:] if c.parse is None else c.field, c.parse) for c in self.columns
        ]
        self.has_id = "source_id" in self.labels
        self._id_index = next((c.index for c in self.columns if c.field == "source_id"), None)
        self.key = self._key_fields()
        self._check_required()
        self._check_named_columns()

    # -- plan ------------------------------------------------------------------

    def _named(self, names: list[str], field: str, header: str | None) -> bool:
        """Whether a per-column setting names this column (by header or field)."""
        wanted = {normalise(n) for n in names}
        return normalise(field) in wanted or (header is not None and normalise(header) in wanted)

    def _parser(self, field: str, header: str | None = None) -> Parser | None:
        tz, order = self.timezone, self.date_order
        comma = self._named(self.settings.decimal_comma, field, header)
        if field in MONEY_FIELDS:
            negative = field in SIGNED_AMOUNTS or self._named(self.settings.negative, field, header)
            if field == "amount":
                return _amount_parser(comma, negative)
            return _number_parser(comma, negative)
        if field == "period":
            return lambda v: parse_period(v) if parsing.text(v) else None
        if field == "kind" and self.entity == "activities":
            return _enum_parser(ACTIVITY_KIND_INDEX, ActivityKind, "activity kind")
        if field == "kind" and self.entity == "customers":
            return _enum_parser(CUSTOMER_KIND_INDEX, CustomerKind, "customer kind")
        if field == "metric":
            return _metric
        if field == "tags":
            return _tags
        if field == "duration_seconds":
            return parsing.duration_seconds
        info = self.model.model_fields[field]
        base = base_type(info.annotation)
        if base is dt.datetime or getattr(base, "__name__", "") == "AwareDatetime":
            return lambda v: parsing.datetime(v, tz, order)
        if base is dt.date:
            return lambda v: parsing.date(v, order)
        if base is bool:
            return parsing.boolean
        if base is int:
            return parsing.integer
        if base is Decimal:
            return _number_parser(comma, negative=True)
        return parsing.text

    def _key_fields(self) -> list[str] | None:
        if self.has_id:
            return None
        if self.settings.key:
            fields = []
            for name in self.settings.key:
                match = next(
                    (c.field for c in self.columns if normalise(c.header) == normalise(name)),
                    None,
                )
                if match is None:
                    raise SourceDataError(f"{self.path}: key column {name!r} is not in the header")
                fields.append(match)
            return fields
        default = _DEFAULT_KEYS.get(self.entity)
        if default:
            return [f for f in default if f in self.labels]
        return []  # a hash of the whole row

    def _check_required(self) -> None:
        required = list(_REQUIRED[self.entity])
        if self.entity == "goals" and "period" not in self.labels:
            required += ["period_start", "period_end"]
        for field in required:
            if field not in self.labels and field not in self.settings.defaults:
                names = ", ".join(expected_headers(self.entity, field)[:6])
                raise SourceDataError(
                    f"{self.path}: no column for {field} (a header like: {names}); "
                    f"or map one under columns in the connection's {self.entity} settings"
                )

    def _check_named_columns(self) -> None:
        known = {normalise(c.header) for c in self.columns} | {normalise(f) for f in self.labels}
        for setting in ("decimal_comma", "negative"):
            for name in getattr(self.settings, setting):
                if normalise(name) not in known:
                    raise SourceDataError(
                        f"{self.path}: {setting}: {name!r} is not a column of this file"
                    )

    def label(self, field: str) -> str:
        header = self.labels.get(field)
        return f"column {header} ({field})" if header and header != field else f"column {field}"

    # -- rows --------------------------------------------------------------------

    def map(self, values: list[str], line: int, problem: str | None = None) -> Record | Reject:
        """`problem` is the reader's reason why the row cannot be read as it is."""
        location = f"{self.path.name}:{line}"
        if problem:
            return Reject(
                reason=f"{location}: {problem}",
                raw=self.raw(values),
                location=location,
            )
        if len(values) > self.width and any(v.strip() for v in values[self.width :]):
            return Reject(
                reason=f"{location}: {len(values)} cells but the header has {self.width} "
                "(an unquoted delimiter in a value?)",
                raw=self.raw(values),
                location=location,
            )
        data: dict[str, Any] = {}
        extra: dict[str, str] = {}
        problems: list[str] = []
        width = len(values)
        for index, field, parse in self._plan:
            cell = values[index] if index < width else ""
            if not cell or cell.isspace():
                continue  # an empty cell: nothing to parse
            if parse is None:
                extra[field] = cell.strip()
                continue
            try:
                value = parse(cell)
            except ValueError as exc:
                problems.append(f"{self.label(field)}: {exc}")
                continue
            if value is not None:
                data[field] = value
        for field, default in self.settings.defaults.items():
            if data.get(field) is None and field not in ("source_id",):
                try:
                    parse = self._parser(field) if field in self.model.model_fields else None
                    value = parse(default) if parse else default
                except ValueError as exc:
                    problems.append(f"default for {field}: {exc}")
                    continue
                data[field] = value
        source_id = self._source_id(data, values)
        if problems:
            return Reject(
                reason=f"{location}: " + "; ".join(problems),
                raw=self.raw(values),
                source_id=source_id,
                location=location,
            )
        if source_id is None:
            return Reject(
                reason=f"{location}: {self.label('source_id')}: empty (every row needs an id)",
                raw=self.raw(values),
                location=location,
            )
        problems = self._finish(data)
        if problems:
            return Reject(
                reason=f"{location}: " + "; ".join(problems),
                raw=self.raw(values),
                source_id=source_id,
                location=location,
            )
        data["source"] = self.connection
        data["source_id"] = source_id
        data["extra"] = extra
        try:
            return self.model.model_validate(data)
        except ValidationError as exc:
            return Reject(
                reason=f"{location}: {self._describe(exc)}",
                raw=self.raw(values),
                source_id=source_id,
                location=location,
            )

    def source_id_of(self, values: list[str]) -> str | None:
        """The row's id as `map` would read it, without mapping the row."""
        index = self._id_index
        if index is None or index >= len(values):
            return None
        return parsing.text(values[index])

    def raw(self, values: list[str]) -> dict[str, str]:
        """The row as the file has it, keyed by header (only built for rejects)."""
        headers = {c.index: c.header for c in self.columns}
        return {headers.get(i) or f"column_{i + 1}": v for i, v in enumerate(values)}

    def _source_id(self, data: dict[str, Any], values: list[str]) -> str | None:
        if self.key is None:
            value = data.get("source_id")
            return str(value) if value is not None else None
        if self.key:
            parts = [data.get(f) for f in self.key]
            if all(p is None for p in parts):
                return None
            return "|".join("" if p is None else str(p) for p in parts)
        digest = hashlib.blake2b("\x1f".join(values).encode(), digest_size=10).hexdigest()
        return f"row:{digest}"

    def _finish(self, data: dict[str, Any]) -> list[str]:
        """Split parsed compound values into fields; return what does not fit."""
        problems = []
        amount = data.pop("amount", None)
        if amount is not None:
            number, marked = amount
            data["amount"] = number
            stated = data.get("currency")
            if stated is None:
                data["currency"] = marked or self.currency
            elif marked is not None and marked != stated.upper():
                problems.append(
                    f"{self.label('amount')}: says {marked} but "
                    f"{self.label('currency')} says {stated}"
                )
        if isinstance(data.get("currency"), str):
            data["currency"] = data["currency"].upper()
        period = data.pop("period", None)
        if period is not None:
            data.setdefault("period_start", period.start)
            data.setdefault("period_end", period.end)
            data.setdefault("period_label", period.label)
        elif self.entity == "goals" and "period_start" in data and "period_end" in data:
            data.setdefault(
                "period_label", f"{data['period_start']:%Y-%m-%d}..{data['period_end']:%Y-%m-%d}"
            )
        return problems

    def _describe(self, exc: ValidationError) -> str:
        parts = []
        for error in exc.errors(include_input=False, include_url=False):
            loc = [str(p) for p in error["loc"]]
            field = loc[0] if loc else ""
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "missing":
                message = "empty"
            if field and field in self.model.model_fields:
                parts.append(f"{self.label(field)}: {message}")
            else:
                parts.append(message)
        return "; ".join(parts)
