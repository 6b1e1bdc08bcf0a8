"""Storing what rules return: stamped, masked, rounded, in bulk.

The writer is where the promises about results are kept whatever a rule
does: personal data in messages, evidence and traces is masked; money is
rounded once to the cent; attainment to 0.01 %; every row carries the rule,
its version and the run. Rows go out in batches, so memory stays flat however
many findings a rule yields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, FromClause, Table, bindparam, insert
from sqlalchemy.dialects import postgresql, sqlite

from hub.masking import mask_text, mask_value
from hub.rules import finding_owners
from hub.rules.config import ConfiguredRule
from hub.rules.money import round_money, round_ratio
from hub.rules.results import Award, Earning, Finding, Measurement, Result, Severity, Status
from hub.rules.tables import rule_awards, rule_earnings, rule_findings, rule_measures
from hub.store.types import dumps

BATCH = 5000
_SHORT = 1_000_000
_encode = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=lambda v: json.loads(dumps(v))
).encode
"""`hub.store.types.dumps` with one encoder for the whole run (building one per
call costs more than encoding a small record); odd values fall back to it."""
_PROBE = "Ab Cd 13800000000 a.b@example.com 110101199001011234 x"
_FOUR = Decimal("0.0001")


def _four(value: Decimal | None) -> Decimal | None:
    return None if value is None else _decimal(value).quantize(_FOUR, rounding=ROUND_HALF_UP)


def _decimal(value: Any) -> Decimal:
    if not isinstance(value, Decimal | int):
        raise TypeError(f"expected a Decimal, got {type(value).__name__} {value!r}")
    return Decimal(value)


def _rate_text(rate: Decimal | str | None) -> str | None:
    if rate is None:
        return None
    if isinstance(rate, Decimal):
        # shown, not computed with: eight decimals say enough (0.04333333)
        return format(rate.quantize(Decimal("1e-8"), rounding=ROUND_HALF_UP).normalize(), "f")
    return str(rate)[:40]


class Masker:
    """`hub.masking` with a memory: results repeat the same keys and values
    (tiers, owners, dates, templated messages) thousands of times, so each
    distinct (key, text) is masked once per run. The output is exactly what
    `mask_value` and `mask_text` give."""

    def __init__(self) -> None:
        self.value = lru_cache(maxsize=200_000)(mask_value)
        self.text = lru_cache(maxsize=200_000)(mask_text)
        self._plain_keys: dict[str, bool] = {}

    def record(self, data: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in data.items():
            kind = type(value)
            if value is None or kind is bool or (kind is int and -_SHORT < value < _SHORT):
                out[key] = value  # nothing personal fits in a short number
            elif kind is str and type(key) is str and self._plain(key):
                out[key] = self.text(value)
            else:
                out[str(key)] = self._any(str(key), value)
        return out

    def _any(self, key: str, value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            # for ordinary keys mask_value is mask_text: share one memory across keys
            return self.text(value) if self._plain(key) else self.value(key, value)
        if isinstance(value, int | float):
            # a phone number stored as a number is still a phone number
            text = str(value)
            masked = self.value(key, text) if len(text) >= 7 else text
            return value if masked == text else masked
        if isinstance(value, Mapping):
            return self.record(value)
        if isinstance(value, list | tuple):
            return [self._any(key, v) for v in value]
        return mask_value(key, value)

    def _plain(self, key: str) -> bool:
        """True if `mask_value` gives `key` no treatment of its own (phone,
        e-mail, person, ID or secret keys), found once per key by asking it."""
        found = self._plain_keys.get(key)
        if found is None:
            found = self._plain_keys[key] = mask_value(key, _PROBE) == mask_text(_PROBE)
        return found

    def trace(self, trace: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{k: self.text(str(v)) for k, v in step.items()} for step in trace]


def _compiled_insert(table: Table, dialect: str, columns: list[str]) -> str:
    """INSERT with positional parameters for the driver's executemany."""
    target = (
        sqlite.dialect(paramstyle="qmark")
        if dialect == "sqlite"
        else postgresql.dialect(paramstyle="format")
    )
    statement = insert(table).values({c: bindparam(c) for c in columns})
    compiled = statement.compile(dialect=target)
    assert list(compiled.positiontup or ()) == columns
    return str(compiled)


_FINDING_COLUMNS = [
    "run_id",
    "rule",
    "rule_id",
    "rule_version",
    "subject_type",
    "subject_id",
    "subject_ref",
    "status",
    "severity",
    "message",
    "evidence",
    "suggested_action",
    "manager_id",
]


class ResultWriter:
    def __init__(
        self, conn: Connection, run_id: int, tables: dict[str, FromClause] | None = None
    ) -> None:
        """`tables`: what the run reads (the unified views, or None for the
        entity tables), so a finding's manager is the one the run saw."""
        self.conn = conn
        self.run_id = run_id
        self.tables = tables
        self.mask = Masker()
        self._pending: dict[Table, list[dict[str, Any]]] = {}
        self._findings: list[tuple[Any, ...]] = []
        self._findings_sql = _compiled_insert(rule_findings, conn.dialect.name, _FINDING_COLUMNS)

    def add(self, rule: ConfiguredRule, result: Result) -> None:
        if isinstance(result, Finding):
            # the bulk of what rules write: straight to the driver, no per-row SQLAlchemy
            self._findings.append(self._finding(rule, result))
            if len(self._findings) >= BATCH:
                self._flush_findings()
            return
        stamp = {
            "run_id": self.run_id,
            "rule": rule.name,
            "rule_id": rule.spec.id,
            "rule_version": str(rule.spec.version),
        }
        if isinstance(result, Earning):
            table, row = rule_earnings, self._earning(result)
        elif isinstance(result, Measurement):
            table, row = rule_measures, self._measurement(result)
        elif isinstance(result, Award):
            table, row = rule_awards, self._award(result)
        else:
            raise TypeError(f"a rule yielded {type(result).__name__}, not a result")
        pending = self._pending.setdefault(table, [])
        pending.append(stamp | row)
        if len(pending) >= BATCH:
            self._flush(table)

    def flush(self) -> None:
        self._flush_findings()
        for table in list(self._pending):
            self._flush(table)

    def _flush(self, table: Table) -> None:
        rows = self._pending.pop(table, [])
        if rows:
            self.conn.execute(insert(table), rows)

    def _flush_findings(self) -> None:
        if self._findings:
            # subject type and id are at 4 and 5; the manager is looked up once per batch
            owners = finding_owners.resolve(
                self.conn, {(f[4], f[5]) for f in self._findings}, self.tables
            )
            rows = [(*f, owners.get((f[4], f[5]))) for f in self._findings]
            self.conn.exec_driver_sql(self._findings_sql, rows)
            self._findings = []

    # -- one row per kind -------------------------------------------------------------

    def _finding(self, rule: ConfiguredRule, f: Finding) -> tuple[Any, ...]:
        status = Status(f.status)
        severity = f.severity
        if severity is None:
            if status is Status.violation:
                severity = getattr(rule.params, "severity", Severity.medium)
            elif status is Status.warning:
                severity = Severity.low
            else:
                severity = Severity.info
        if not isinstance(f.subject_id, str) or not f.subject_id:
            raise TypeError(f"a finding needs a subject id, got {f.subject_id!r}")
        return (
            self.run_id,
            rule.name,
            rule.spec.id,
            str(rule.spec.version),
            f.subject_type,
            f.subject_id,
            f.subject_ref or f.subject_id,
            str(status),
            str(Severity(severity)),
            self.mask.text(f.message),
            _encode(self.mask.record(f.evidence)),
            self.mask.text(f.suggested_action) if f.suggested_action else None,
        )

    def _earning(self, e: Earning) -> dict[str, Any]:
        return {
            "manager_id": e.manager_id,
            "plan_period": e.plan_period,
            "component": e.component,
            "base": _four(e.base),
            "rate": _rate_text(e.rate),
            "tier": e.tier,
            "attainment": None if e.attainment is None else round_ratio(_decimal(e.attainment)),
            "amount": None if e.amount is None else round_money(_decimal(e.amount)),
            "currency": e.currency,
            "status": e.status,
            "cause": self.mask.text(e.cause) if e.cause else None,
            "ref": e.ref,
            "trace": self.mask.trace(e.trace),
        }

    def _measurement(self, m: Measurement) -> dict[str, Any]:
        return {
            "manager_id": m.manager_id,
            "team": m.team,
            "metric": m.metric,
            "period": m.period,
            "goal_id": m.goal_id,
            "actual": _four(m.actual),
            "target": _four(m.target),
            "attainment": None if m.attainment is None else round_ratio(_decimal(m.attainment)),
            "weight": _four(m.weight),
            "unit": m.unit,
            "status": m.status,
            "cause": self.mask.text(m.cause) if m.cause else None,
            "trace": self.mask.trace(m.trace),
        }

    def _award(self, a: Award) -> dict[str, Any]:
        return {
            "manager_id": a.manager_id,
            "award": a.award,
            "title": a.title,
            "reason": self.mask.text(a.reason),
            "rank": a.rank,
            "value": None if a.value is None else round_money(_decimal(a.value)),
            "currency": a.currency,
            "trace": self.mask.trace(a.trace),
        }
