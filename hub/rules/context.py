"""`RuleContext`: everything a rule gets besides its parameters.

- `period`: the period being evaluated; `at`: the evaluation instant, the
  end of the period or `--as-of` if earlier. Nothing after `at` counts.
- `query`: the store, through the query API (one consistent snapshot).
- `measures()`, `earnings()`: results of earlier stages of this run.
- `ledger`: what closed periods froze (earnings at the rate paid, paid to date).
- `plan_period(kind)`: the plan period containing the run period, e.g. the
  quarter of a monthly run, for components that accumulate over a quarter.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from hub.errors import ConfigError
from hub.periods import Period, period_of
from hub.rules.definitions import Definitions
from hub.rules.money import Converter
from hub.rules.query import Query
from hub.rules.results import Earning, Measurement

PLAN_KINDS = ("month", "quarter", "half", "year")


@dataclass
class RuleContext:
    rule: str
    """The configured name of the rule (`[rules.NAME]`)."""
    period: Period
    as_of: dt.datetime
    at: dt.datetime
    zone: ZoneInfo
    converter: Converter
    definitions: Definitions
    query: Query
    reads: frozenset[str]
    ledger: Any = None
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("hub.rules"))
    _measures: list[tuple[str, Measurement]] = field(default_factory=list)
    _earnings: list[tuple[str, Earning]] = field(default_factory=list)
    plan_periods_used: set[str] = field(default_factory=set)
    """Plan periods the rule asked for: the engine settles these even for a
    manager the rule yields nothing for this time (a full recovery)."""

    @property
    def base_currency(self) -> str:
        return self.converter.base

    def plan_period(self, kind: str | None) -> Period:
        """The period of this kind containing the run's period (None: the run's)."""
        if kind is None:
            self.plan_periods_used.add(self.period.label)
            return self.period
        plan = period_of(self.period.start, kind)
        if not (plan.start <= self.period.start and self.period.end <= plan.end):
            raise ConfigError(
                f"rules.{self.rule}.plan_period: a {kind} cannot contain the run period "
                f"{self.period} (run a shorter period, or choose a longer plan period)"
            )
        self.plan_periods_used.add(plan.label)
        return plan

    def window(self, period: Period) -> tuple[dt.datetime, dt.datetime]:
        return self.query.window(period, self.at)

    def measures(
        self, *, rule: str | None = None, metric: str | None = None
    ) -> Iterator[Measurement]:
        """Measurements from the measure stage (optionally of one rule or metric)."""
        self._require("measures")
        for name, m in self._measures:
            if (rule is None or name == rule) and (metric is None or m.metric == metric):
                yield m

    def earnings(self, *, rule: str | None = None) -> Iterator[tuple[str, Earning]]:
        """(rule name, earning) from the reward stage (and earlier settle rules)."""
        self._require("earnings")
        for name, e in self._earnings:
            if rule is None or name == rule:
                yield name, e

    def _require(self, what: str) -> None:
        if what not in self.reads:
            raise ConfigError(
                f"rule {self.rule!r} reads {what} without declaring it in RuleSpec.reads"
            )
