"""The query API rules read the store through.

Rules never loop over raw rows: they ask for aggregates computed in SQL (per
customer, per manager, per team) and turn those into results. The building
blocks here return SQLAlchemy expressions a rule can compose further, and a
few ready-made aggregates (last contact per customer, money per key and
currency, built-in measures, goals in a period).

The query is bound to one connection inside the run's transaction, so every
rule of a run reads the same snapshot. It only opens the entity tables the
rule declared in `RuleSpec.reads`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Row,
    Select,
    Table,
    and_,
    case,
    extract,
    func,
    or_,
    select,
)
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

from hub.errors import ConfigError
from hub.model import ActivityKind
from hub.periods import Period
from hub.rules.definitions import Definitions
from hub.rules.money import Converter
from hub.rules.results import Trace
from hub.store.tables import entity_tables


@dataclass
class MoneyTotal:
    """Per-currency sums for one key, with what could not be summed."""

    by_currency: dict[str, Decimal] = field(default_factory=dict)
    count: int = 0
    missing_amount: int = 0
    example_missing: str | None = None
    undated: int = 0
    """Orders without a date: they may belong to this window, or not."""
    example_undated: str | None = None


class Query:
    def __init__(
        self,
        conn: Connection,
        *,
        reads: Iterable[str],
        definitions: Definitions,
        converter: Converter,
        zone: Any,
        rule: str = "",
        memo: dict[Any, Any] | None = None,
        tables: dict[str, FromClause] | None = None,
    ) -> None:
        self.conn = conn
        self.tables: dict[str, Any] = dict(entity_tables) if tables is None else tables
        """The entity tables, or their unified views (`hub.identity.views`)."""
        self.unified = tables is not None
        """Rules see unified managers and customers (not `--by-connection`)."""
        self.reads = frozenset(reads)
        self.definitions = definitions
        self.converter = converter
        self.zone = zone
        self.rule = rule
        self.memo = {} if memo is None else memo

    def remember(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """Compute once per run: every rule of a run reads the same snapshot,
        so an aggregate (a measure over a window) is the same for all of them.
        Treat what comes back as read-only."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    # -- access ------------------------------------------------------------------

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    def table(self, entity: str) -> Table:
        """The entity's table, if the rule declared it reads it."""
        if entity not in self.reads:
            raise ConfigError(
                f"rule {self.rule!r} reads {entity!r} without declaring it in RuleSpec.reads"
            )
        return self.tables[entity]

    def undecided(self, entity: str) -> list[tuple[str, str, float]]:
        """(unified id, unified id, match probability) of the pairs identity
        left for a person to decide (`hub identity review`); none per connection."""
        if not self.unified:
            return []
        from hub.identity.tables import identity_members as m
        from hub.identity.tables import identity_review as r

        ma, mb = m.alias("review_a"), m.alias("review_b")
        statement = (
            select(
                func.coalesce(ma.c.unified_id, r.c.a_id),
                func.coalesce(mb.c.unified_id, r.c.b_id),
                r.c.score,
            )
            .select_from(
                r.outerjoin(ma, (ma.c.entity == entity) & (ma.c.hub_id == r.c.a_id)).outerjoin(
                    mb, (mb.c.entity == entity) & (mb.c.hub_id == r.c.b_id)
                )
            )
            .where(r.c.entity == entity)
            .order_by(r.c.a_id, r.c.b_id)
        )
        return [(a, b, s) for a, b, s in self.conn.execute(statement) if a != b]

    def rows(self, statement: Select[Any]) -> Iterator[Row[Any]]:
        """Run a select and iterate its rows."""
        yield from self.conn.execute(statement)

    def window(self, period: Period, at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """A business period as UTC instants [start, end), cut off at `at`."""
        start, end = period.bounds(self.zone)
        return start, min(end, at)

    # -- building blocks ----------------------------------------------------------

    @staticmethod
    def live(table: Table) -> ColumnElement[bool]:
        """Not tombstoned."""
        return table.c.deleted_at.is_(None)

    def not_cancelled(self, activities: Table) -> ColumnElement[bool]:
        return or_(
            activities.c.status.is_(None),
            func.lower(func.trim(activities.c.status)).not_in(self.definitions.cancelled()),
        )

    def cancelled(self, activities: Table) -> ColumnElement[bool]:
        return func.lower(func.trim(activities.c.status)).in_(self.definitions.cancelled())

    def contact_kinds(self) -> list[str]:
        return [str(k) for k in self.definitions.contact_kinds]

    def scanned(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """The column, kept away from indexes on SQLite (`+column`).

        Without statistics SQLite answers "every activity before T, grouped by
        customer" through an index, one random row read at a time: several
        times slower than reading the table in order. Wrap the WHERE and GROUP
        BY terms of aggregates over most of a table with this, but select the
        plain column (so a join on the result can still use an automatic
        index). PostgreSQL plans well without it: there it is the column."""
        if self.dialect != "sqlite":
            return column
        return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)

    def hours_between(
        self, later: ColumnElement[Any], earlier: ColumnElement[Any]
    ) -> ColumnElement[float]:
        """Elapsed hours from `earlier` to `later`, computed by the database."""
        if self.dialect == "sqlite":
            return (func.julianday(later) - func.julianday(earlier)) * 24.0
        return extract("epoch", later - earlier) / 3600.0

    def credited(self, group: str = "manager") -> tuple[FromClause, ColumnElement[Any]]:
        """Activities joined so each one is credited: to its manager, or else
        to the customer's owner; for `group="team"` to that manager's team."""
        a = self.table("activities")
        customers = self.tables["customers"]
        # COALESCE stops at the first value: the owner is only looked up for
        # the few activities that name no manager
        owner = select(customers.c.owner_id).where(customers.c.id == a.c.customer_id)
        manager = func.coalesce(a.c.manager_id, owner.scalar_subquery())
        joined: FromClause = a
        if group == "team":
            managers = self.tables["managers"]
            joined = joined.join(managers, managers.c.id == manager)
            return joined, managers.c.team
        return joined, manager

    def owner_key(self, group: str = "manager") -> tuple[FromClause, ColumnElement[Any]]:
        """Customers keyed by their owner (or the owner's team)."""
        c = self.table("customers")
        if group == "team":
            managers = self.tables["managers"]
            return c.join(managers, managers.c.id == c.c.owner_id), managers.c.team
        return c, c.c.owner_id

    def in_window(
        self, column: ColumnElement[Any], start: dt.datetime, end: dt.datetime
    ) -> ColumnElement[bool]:
        return and_(column >= start, column < end)

    # -- ready-made aggregates ---------------------------------------------------------

    def last_activity(self, kinds: Sequence[str | ActivityKind], before: dt.datetime) -> Any:
        """Subquery (customer_id, last_at): latest live, not cancelled activity of these kinds."""
        a = self.table("activities")
        customer = self.scanned(a.c.customer_id)
        return (
            select(a.c.customer_id, func.max(a.c.occurred_at).label("last_at"))
            .where(
                a.c.kind.in_([str(k) for k in kinds]),
                self.live(a),
                self.not_cancelled(a),
                customer.is_not(None),
                self.scanned(a.c.occurred_at) < before,
            )
            .group_by(customer)
            .subquery("last_activity")
        )

    def per_customer(
        self,
        columns: dict[str, ColumnElement[Any]],
        where: Sequence[ColumnElement[bool]],
        also_by: Sequence[ColumnElement[Any]] = (),
    ) -> Any:
        """Subquery of aggregates over each customer's live activities
        (`customer_id`, then `columns`), in one pass over the table. Use
        `scanned()` on wide time conditions in `where`."""
        a = self.table("activities")
        customer = self.scanned(a.c.customer_id)
        return (
            select(a.c.customer_id, *also_by, *(c.label(n) for n, c in columns.items()))
            .where(customer.is_not(None), self.live(a), *where)
            .group_by(customer, *also_by)
            .subquery()
        )

    def money_by(
        self,
        from_: FromClause,
        key: ColumnElement[Any],
        where: Sequence[ColumnElement[bool]],
    ) -> dict[Any, MoneyTotal]:
        """Sum activity amounts per key and currency (exact, in SQL)."""
        a = self.table("activities")
        statement = (
            select(
                key.label("key"),
                a.c.currency,
                func.sum(a.c.amount),
                func.count(),
                func.count(a.c.amount),
                func.min(case((a.c.amount.is_(None), a.c.source_id))),
                func.count(a.c.occurred_at),
                func.min(case((a.c.occurred_at.is_(None), a.c.source_id))),
            )
            .select_from(from_)
            .where(*where)
            .group_by(key, a.c.currency)
        )
        out: dict[Any, MoneyTotal] = {}
        for (
            k,
            currency,
            total,
            count,
            with_amount,
            missing_example,
            dated,
            undated_example,
        ) in self.conn.execute(statement):
            entry = out.setdefault(k, MoneyTotal())
            entry.count += dated
            if count > dated:
                entry.undated += count - dated
                entry.example_undated = entry.example_undated or undated_example
                continue  # undated orders are named, never summed into a window
            if with_amount:
                entry.by_currency[currency] = entry.by_currency.get(currency, Decimal(0)) + total
            if count > with_amount:
                entry.missing_amount += count - with_amount
                entry.example_missing = entry.example_missing or missing_example
        return out

    def orders_where(
        self, start: dt.datetime, end: dt.datetime, kind: str = "order"
    ) -> list[ColumnElement[bool]]:
        """Live, not cancelled orders (or payments) that occurred in [start, end), and
        the undated ones, which may belong to any window (`money_by` counts them apart)."""
        a = self.table("activities")
        return [
            a.c.kind == kind,
            self.live(a),
            self.not_cancelled(a),
            or_(self.in_window(a.c.occurred_at, start, end), a.c.occurred_at.is_(None)),
        ]

    def to_base(
        self, total: MoneyTotal, what: str, trace: Trace
    ) -> tuple[Decimal | None, str | None]:
        """A MoneyTotal in the base currency, refusing to guess missing amounts."""
        trace.add(f"{what} counted", total.count)
        if total.undated:
            example = f" (e.g. {total.example_undated})" if total.example_undated else ""
            return None, (
                f"{total.undated} {what} without a date{example}: which period they belong "
                "to is unknown"
            )
        if total.missing_amount:
            example = f" (e.g. {total.example_missing})" if total.example_missing else ""
            return None, f"{total.missing_amount} {what} without an amount{example}"
        return self.converter.to_base(total.by_currency, trace)

    def goals(self, period: Period) -> list[Row[Any]]:
        """Live goals whose period contains `period`."""
        g = self.table("goals")
        return list(
            self.conn.execute(
                select(g)
                .where(
                    self.live(g),
                    g.c.period_start <= period.start,
                    g.c.period_end >= period.end,
                )
                .order_by(g.c.metric, g.c.source, g.c.source_id)
            )
        )

    def count_by(
        self, from_: FromClause, key: ColumnElement[Any], where: Sequence[ColumnElement[bool]]
    ) -> dict[Any, int]:
        statement = select(key, func.count()).select_from(from_).where(*where).group_by(key)
        return {key: count for key, count in self.conn.execute(statement)}
