"""The rules engine: `hub rules run --period P [--as-of T]`.

It orders the configured rules by stage (measure → reward → settle, then
compliance on the same snapshot), runs each for the period, stores what they
return, and settles: payable = earned to date − paid to date, per rule,
manager and plan period.

A run is one transaction. Every rule reads the same snapshot of the store
(see `ledger.locked`), and either the whole
run is stored as a new version of the period or — if any rule fails —
nothing is. A run of a closed period never touches what was closed: it is a
new version whose payables are the corrections.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from hub import __version__, secrets
from hub.config import HubConfig
from hub.errors import ConfigError, HubError
from hub.identity.views import unified_views
from hub.masking import mask_text
from hub.periods import Period
from hub.plugins import Registry
from hub.rules import finding_counts, ledger
from hub.rules.config import ConfiguredRule, Definitions, load_rules
from hub.rules.context import RuleContext
from hub.rules.errors import RuleFailed
from hub.rules.money import Converter, round_money
from hub.rules.query import Query
from hub.rules.results import OK, Award, Earning, Finding, Measurement
from hub.rules.spec import STAGE_ORDER, Stage
from hub.rules.tables import rule_payables, rule_runs
from hub.rules.writer import ResultWriter
from hub.store.database import Store
from hub.store.tables import entity_tables

log = logging.getLogger("hub.rules")

_RESULTS: dict[Stage, tuple[type, ...]] = {
    Stage.measure: (Measurement,),
    Stage.reward: (Earning, Award),
    Stage.settle: (Earning,),
    Stage.compliance: (Finding,),
}
"""What each stage may yield: money only from reward and settle rules."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class RuleSummary:
    name: str
    rule_id: str
    version: str
    stage: str
    counts: Counter[str] = field(default_factory=Counter)
    totals: dict[str, Decimal] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.name,
            "rule_id": self.rule_id,
            "version": self.version,
            "stage": self.stage,
            "counts": dict(self.counts),
            "totals": {c: str(v) for c, v in self.totals.items()},
            "seconds": round(self.seconds, 3),
        }


@dataclass
class RunReport:
    run_id: int
    period: str
    version: int
    as_of: dt.datetime
    evaluated_at: dt.datetime
    frozen_version: int | None
    rules: list[RuleSummary]
    corrections: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "period": self.period,
            "version": self.version,
            "as_of": self.as_of.isoformat(),
            "evaluated_at": self.evaluated_at.isoformat(),
            "closed_version": self.frozen_version,
            "rules": [r.as_dict() for r in self.rules],
            "corrections": self.corrections,
            "notes": self.notes,
        }


class RuleEngine:
    def __init__(self, config: HubConfig, registry: Registry, store: Store) -> None:
        self.config = config
        self.registry = registry
        self.store = store

    # -- planning ------------------------------------------------------------------------

    def plan(self) -> tuple[Definitions, list[ConfiguredRule]]:
        """Validate `[rules]` and return the enabled rules in the order they run.
        Every configuration error surfaces here, before anything is read."""
        definitions, configured = load_rules(self.config, self.registry.rules)
        enabled = [r for r in configured if r.enabled]
        position = {r.name: STAGE_ORDER.index(r.spec.stage) for r in enabled}
        for rule in enabled:
            for param, target in rule.references().items():
                key = f"{self.config.path}: rules.{rule.name}.{param}"
                if target not in position:
                    raise ConfigError(f"{key}: no enabled rule named {target!r}")
                if position[target] >= position[rule.name]:
                    raise ConfigError(
                        f"{key}: {target!r} runs in the {STAGE_ORDER[position[target]]} stage, "
                        f"not before {rule.name!r} ({rule.spec.stage})"
                    )
        return definitions, sorted(enabled, key=lambda r: (position[r.name], r.name))

    # -- running -------------------------------------------------------------------------

    def run(
        self,
        period: Period,
        as_of: dt.datetime | None = None,
        *,
        now: dt.datetime | None = None,
        by_connection: bool = False,
    ) -> RunReport:
        """Run the enabled rules for a period. They see unified managers and
        customers (`hub.identity.views`) unless `by_connection`."""
        definitions, rules = self.plan()
        if not rules:
            raise ConfigError(
                f"{self.config.path}: no rules are configured and enabled: add a "
                "[rules.NAME] table (see `hub rules` for what is installed)"
            )
        zone = self.config.zone
        started = now or utcnow()
        if as_of is not None and as_of.tzinfo is None:
            raise ConfigError("--as-of: a time without a time zone (give a date, or an offset)")
        as_of = (as_of or started).astimezone(dt.UTC)
        start, end = period.bounds(zone)
        at = min(as_of, end)
        if at <= start:
            raise ConfigError(
                f"--as-of {as_of.astimezone(zone):%Y-%m-%d %H:%M} is before {period} begins"
            )
        converter = Converter(self.config.base_currency, dict(self.config.currency_rates))
        self.store.upgrade()
        with ledger.locked(self.store) as conn:
            version = ledger.next_version(conn, period.label)
            frozen = ledger.last_close(conn, period.label)
            run_id = conn.execute(
                insert(rule_runs).values(
                    period=period.label,
                    period_start=period.start,
                    period_end=period.end,
                    version=version,
                    as_of=as_of,
                    evaluated_at=at,
                    started_at=started,
                    finished_at=started,
                    timezone=self.config.timezone,
                    base_currency=converter.base,
                    rules={r.name: r.described() for r in rules},
                    settings={
                        "definitions": definitions.model_dump(mode="json"),
                        "currency_rates": {k: str(v) for k, v in converter.rates.items()},
                        "identity": "by_connection" if by_connection else "unified",
                    },
                    counts={},
                    hub_version=__version__,
                )
            ).inserted_primary_key[0]
            report = RunReport(
                run_id, period.label, version, as_of, at, frozen.version if frozen else None, []
            )
            measures: list[tuple[str, Measurement]] = []
            earnings: list[tuple[str, Earning]] = []
            plan_periods: dict[str, set[str]] = defaultdict(set)
            memo: dict[Any, Any] = {}
            tables = None if by_connection else unified_views()
            writer = ResultWriter(conn, run_id, tables)
            stage, seen_measures, seen_earnings = None, [], []
            for rule in rules:
                if rule.spec.stage != stage:  # a rule sees what earlier stages produced
                    stage, seen_measures, seen_earnings = (
                        rule.spec.stage,
                        list(measures),
                        list(earnings),
                    )
                ctx = RuleContext(
                    rule=rule.name,
                    period=period,
                    as_of=as_of,
                    at=at,
                    zone=zone,
                    converter=converter,
                    definitions=definitions,
                    query=Query(
                        conn,
                        reads=rule.spec.reads,
                        definitions=definitions,
                        converter=converter,
                        zone=zone,
                        rule=rule.name,
                        memo=memo,
                        tables=tables,
                    ),
                    reads=frozenset(rule.spec.reads),
                    ledger=ledger.Ledger(conn) if "ledger" in rule.spec.reads else None,
                    log=log.getChild(rule.name),
                    _measures=seen_measures,
                    _earnings=seen_earnings,
                )
                summary = RuleSummary(rule.name, rule.spec.id, rule.spec.version, rule.spec.stage)
                report.rules.append(summary)
                clock = time.perf_counter()
                for result in self._evaluate(rule, ctx):
                    self._store(writer, rule, result)
                    self._count(summary, result)
                    if isinstance(result, Measurement):
                        measures.append((rule.name, result))
                    elif isinstance(result, Earning):
                        earnings.append((rule.name, result))
                        plan_periods[rule.name].add(result.plan_period)
                plan_periods[rule.name] |= ctx.plan_periods_used
                summary.seconds = time.perf_counter() - clock
            writer.flush()
            finding_counts.record(conn, run_id)
            if not any(
                conn.execute(select(t.c.id).limit(1)).first() for t in entity_tables.values()
            ):
                report.notes.append("the store holds no records yet: run `hub sync` first")
            report.corrections = self._settle(conn, run_id, earnings, plan_periods, frozen)
            conn.execute(
                update(rule_runs)
                .where(rule_runs.c.id == run_id)
                .values(
                    finished_at=utcnow(),
                    counts={r.name: r.as_dict()["counts"] for r in report.rules},
                )
            )
        if frozen is not None:
            total = sum((Decimal(c["payable"]) for c in report.corrections), Decimal(0))
            report.notes.append(
                f"{period} is closed (frozen at version {frozen.version}); this run is version "
                f"{version} and changes nothing that was closed. {len(report.corrections)} "
                f"correction line(s), net {total:,.2f} {converter.base}: close {period} again to "
                "pay them, or they are trued up by the next run of the same plan period"
            )
        unevaluated = sum(r.counts.get("not_evaluated", 0) for r in report.rules)
        if unevaluated:
            report.notes.append(
                f"{unevaluated} result(s) could not be evaluated: see the reports for each cause"
            )
        return report

    def _evaluate(self, rule: ConfiguredRule, ctx: RuleContext) -> Any:
        label = f"rule {rule.name!r} ({rule.spec.id} {rule.spec.version})"
        try:
            yield from rule.spec.evaluate(ctx, rule.params) or ()
        except HubError:
            raise
        except Exception as exc:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            detail = mask_text(secrets.redact(str(exc).splitlines()[0] if str(exc) else ""))
            raise RuleFailed(
                f"{label} failed: {type(exc).__name__}: {detail} "
                f"(at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}); nothing was stored"
            ) from exc

    @staticmethod
    def _store(writer: ResultWriter, rule: ConfiguredRule, result: Any) -> None:
        """Check a result fits the rule's stage, then hand it to the writer."""
        label = f"rule {rule.name!r} ({rule.spec.id} {rule.spec.version})"
        allowed = _RESULTS[rule.spec.stage]
        if not isinstance(result, allowed):
            kinds = " or ".join(t.__name__ for t in allowed)
            raise RuleFailed(
                f"{label} yielded {type(result).__name__}; a {rule.spec.stage} rule yields "
                f"{kinds}; nothing was stored"
            )
        try:
            writer.add(rule, result)
        except (TypeError, ValueError) as exc:
            raise RuleFailed(
                f"{label} returned a bad result: {mask_text(str(exc))}; nothing was stored"
            ) from exc

    @staticmethod
    def _count(summary: RuleSummary, result: Any) -> None:
        if isinstance(result, Finding):
            summary.counts[str(result.status)] += 1
        elif isinstance(result, Measurement):
            summary.counts[result.status] += 1
        elif isinstance(result, Earning):
            summary.counts[result.status] += 1
            if result.status == OK and result.amount is not None:
                total = summary.totals.get(result.currency, Decimal(0))
                summary.totals[result.currency] = total + round_money(result.amount)
        elif isinstance(result, Award):
            summary.counts["award"] += 1

    def _settle(
        self,
        conn: Connection,
        run_id: int,
        earnings: list[tuple[str, Earning]],
        plan_periods: dict[str, set[str]],
        frozen: Any,
    ) -> list[dict[str, Any]]:
        """Payable = earned to date − paid to date, per (rule, manager, plan period, currency)."""
        earned: dict[tuple[str, str, str, str], Decimal] = defaultdict(Decimal)
        causes: dict[tuple[str, str, str, str], str] = {}
        for name, e in earnings:
            key = (name, e.manager_id, e.plan_period, e.currency)
            if e.status == OK and e.amount is not None:
                earned[key] += round_money(e.amount)
            else:
                causes.setdefault(key, e.cause or "not evaluated")
        rules = list(plan_periods)
        all_periods = {p for ps in plan_periods.values() for p in ps}
        paid = {
            key: value
            for key, value in ledger.paid_to_date(conn, rules, all_periods).items()
            if key[2] in plan_periods.get(key[0], ())
        }
        rows = []
        corrections = []
        for key in sorted(set(earned) | set(causes) | set(paid)):
            name, manager_id, plan_period, currency = key
            paid_so_far = paid.get(key, Decimal(0))
            if key in causes:
                to_date, payable, status = None, None, "not_evaluated"
            else:
                to_date = earned.get(key, Decimal(0))
                payable, status = to_date - paid_so_far, OK
            correction = frozen is not None and payable is not None and payable != 0
            rows.append(
                {
                    "run_id": run_id,
                    "rule": name,
                    "manager_id": manager_id,
                    "plan_period": plan_period,
                    "currency": currency,
                    "earned_to_date": to_date,
                    "paid_to_date": paid_so_far,
                    "payable": payable,
                    "status": status,
                    "cause": causes.get(key),
                    "correction": correction,
                    "corrects_run_id": frozen.run_id if correction else None,
                }
            )
            if correction:
                corrections.append(
                    {
                        "rule": name,
                        "manager_id": manager_id,
                        "plan_period": plan_period,
                        "currency": currency,
                        "earned_to_date": str(to_date),
                        "paid_to_date": str(paid_so_far),
                        "payable": str(payable),
                    }
                )
        if rows:
            conn.execute(insert(rule_payables), rows)
        return corrections
