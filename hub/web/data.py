"""What the dashboard's pages show, read through the reports and the rules' query API.

Every function takes a `Scope` (who is looking) and returns plain dicts for the
templates and the JSON endpoints. Rule results come from the same report
builders as `hub report` (`hub.reports.*`), so a page and a report never
disagree; what the reports do not cover (monthly actuals, customers, the
timeline, sync health) is read here with set-based SQL, a page at a time.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, union

from hub.config import HubConfig
from hub.errors import ConfigError
from hub.identity.tables import identity_members
from hub.identity.views import unified_view
from hub.masking import mask_email, mask_name, mask_phone, mask_text
from hub.periods import Period, parse_period
from hub.reports import compliance, scorecard, statement
from hub.reports.source import ReportSource
from hub.rules import ledger
from hub.rules.definitions import Definitions
from hub.rules.money import Converter
from hub.rules.query import Query
from hub.rules.tables import rule_measures, rule_runs
from hub.store import search
from hub.store.tables import entity_tables, run_streams, runs
from hub.sync import rejects as rejects_table
from hub.sync import runs as run_history
from hub.web.users import User

managers_t = entity_tables["managers"]
customers_t = entity_tables["customers"]
activities_t = entity_tables["activities"]
goals_t = entity_tables["goals"]

PAGE_SIZE = 50
FINDINGS_LIMIT = 200
SEVERITIES = ("critical", "high", "medium", "low", "info")
STATUSES = ("violation", "warning", "not_evaluated", "pass")


class NotFound(Exception):
    """A period, manager or record that does not exist: a friendly 404."""


class BadInput(Exception):
    """A parameter that cannot be understood: a friendly 400."""


class Forbidden(Exception):
    """The viewer's role does not reach this row: 403."""


@dataclass(frozen=True)
class Scope:
    """Who is looking: what rows they reach and whether names are masked."""

    user: User

    @property
    def unmasked(self) -> bool:
        """Admins see names as `--unmasked` reports do; phones and e-mails stay masked."""
        return self.user.role == "admin"

    def manager_ids(self) -> Any:
        """A select of the manager ids this viewer reaches (None: all): the
        unified managers of the lead's team (their team as survived, e.g. HR's)
        or the manager themself, with every source record of each."""
        if self.user.role == "admin":
            return None
        if self.user.role == "lead":
            v = unified_view("managers")
            reached = select(v.c.id.label("id")).where(v.c.team == self.user.team)
        else:
            reached = select(managers_t.c.id.label("id")).where(
                managers_t.c.id == (self.user.manager_id or "")
            )
        return with_members(reached)

    def reaches(self, manager_id: str | None, team: str | None) -> bool:
        if self.user.role == "admin":
            return True
        if self.user.role == "lead":
            return team is not None and team == self.user.team
        return manager_id is not None and manager_id == self.user.manager_id


def with_members(reached: Any) -> Any:
    """A select of manager ids (labelled `id`) with every record of the same unified
    manager: its anchor (the id a unified run keeps results under) and its members."""
    m = identity_members
    anchors = select(func.coalesce(m.c.unified_id, m.c.hub_id).label("id")).where(
        m.c.entity == "managers", m.c.hub_id.in_(reached)
    )
    members = select(m.c.hub_id.label("id")).where(
        m.c.entity == "managers", m.c.unified_id.in_(anchors)
    )
    ids = union(reached, anchors, members).subquery("reached_managers")
    return select(ids.c.id)


# -- periods ------------------------------------------------------------------------------


def periods(conn: Connection) -> list[str]:
    """Periods with rule results, newest first."""
    rows = conn.execute(
        select(rule_runs.c.period, func.max(rule_runs.c.period_end))
        .group_by(rule_runs.c.period)
        .order_by(func.max(rule_runs.c.period_end).desc(), rule_runs.c.period)
    ).all()
    return [r[0] for r in rows]


def choose_period(conn: Connection, text: str | None) -> tuple[str | None, list[str]]:
    known = periods(conn)
    if not text:
        quarters = [p for p in known if "Q" in p]
        return (quarters or known or [None])[0], known
    try:
        label = parse_period(text).label
    except (ConfigError, ValueError):
        raise BadInput(f"period {text!r}: write it like 2026-Q3, 2026-07 or 2026") from None
    if label not in known:
        listed = ", ".join(known[:8]) or "none yet"
        raise NotFound(f"no rule results for {label} (periods with results: {listed})")
    return label, known


def source_for(conn: Connection, period: str, scope: Scope) -> ReportSource:
    return ReportSource(conn, period, None, unmasked=scope.unmasked)


# -- team overview ------------------------------------------------------------------------


def overview(conn: Connection, period: str, scope: Scope) -> dict[str, Any]:
    source = source_for(conn, period, scope)
    report = scorecard.build(source)
    cards_section = report.sections[0]
    metrics = [c for c in cards_section.columns if c not in _CARD_FIXED]
    cards = [c for c in cards_section.rows if scope.reaches(c["manager_id"], c["team"])]
    for rank, card in enumerate(cards, start=1):
        card["rank"] = rank if card["score"] is not None else None
    teams: dict[str, list[Decimal]] = defaultdict(list)
    for card in cards:
        if card["score"] is not None:
            teams[card["team"] or "—"].append(Decimal(card["score"]))
    team_rows = sorted(
        (
            {"team": t, "managers": len(v), "score": sum(v) / len(v), "behind": _behind(v)}
            for t, v in teams.items()
        ),
        key=lambda r: -r["score"],
    )
    return {
        "meta": report.meta,
        "notes": report.notes,
        "metrics": metrics,
        "cards": cards,
        "teams": team_rows,
        "trend": trend(conn, period, scope),
    }


_CARD_FIXED = ("manager", "name", "team", "score", "status", "cause")


def _behind(scores: list[Decimal]) -> int:
    return sum(1 for s in scores if s < 1)


def trend(conn: Connection, period: str, scope: Scope, count: int = 6) -> dict[str, Any]:
    """Average scorecard score per team over the last periods of the same kind."""
    kind = parse_period(period).kind
    same = [p for p in periods(conn) if parse_period(p).kind == kind]
    same = sorted(same[same.index(period) :][:count], key=lambda p: parse_period(p).start)
    m = rule_measures
    series: dict[str, dict[str, Decimal]] = defaultdict(dict)
    ids = scope.manager_ids()
    for label in same:
        run = ledger.run_for(conn, label)
        if run is None:
            continue
        # the team as the run saw it: the unified record's (e.g. HR's) unless --by-connection
        who = unified_view("managers") if ledger.saw_unified(run) else managers_t
        statement_ = (
            select(who.c.team, m.c.attainment)
            .join(who, who.c.id == m.c.manager_id)
            .where(m.c.run_id == run.id, m.c.metric == "scorecard", m.c.attainment.is_not(None))
        )
        if ids is not None:
            statement_ = statement_.where(m.c.manager_id.in_(ids))
        scores: dict[str, list[Decimal]] = defaultdict(list)
        for team, attainment in conn.execute(statement_):
            scores[team or "—"].append(Decimal(attainment))
        for team, values in scores.items():
            series[team][label] = (sum(values) / len(values)).quantize(Decimal("0.0001"))
    return {"periods": same, "teams": {t: [v.get(p) for p in same] for t, v in series.items()}}


# -- one manager --------------------------------------------------------------------------


def find_manager(conn: Connection, ref: str) -> Any:
    """A manager by hub id or source id (the one the pages link with)."""
    rows = conn.execute(
        select(managers_t).where(or_(managers_t.c.id == ref, managers_t.c.source_id == ref))
    ).all()
    if not rows:
        raise NotFound(f"no manager {ref!r} in the store")
    if len(rows) > 1:
        exact = [r for r in rows if r.id == ref]
        if not exact:
            raise BadInput(f"manager {ref!r} is in {len(rows)} sources: use the hub id")
        return exact[0]
    return rows[0]


def manager_page(
    conn: Connection, config: HubConfig, period: str, ref: str, scope: Scope
) -> dict[str, Any]:
    row = find_manager(conn, ref)
    if not scope.reaches(row.id, row.team):
        raise Forbidden(ref)
    source = source_for(conn, period, scope)
    report = statement.build(source, row.id)
    sections = {s.name: s.rows for s in report.sections}
    goals = [g for g in sections["goals"] if g["metric"] != "scorecard"]
    card = next((g for g in sections["goals"] if g["metric"] == "scorecard"), None)
    found = compliance.build(
        source,
        statuses=["violation", "warning", "not_evaluated"],
        # theirs: about subjects they owned when the rules ran
        managers=with_members(select(managers_t.c.id.label("id")).where(managers_t.c.id == row.id)),
        limit=100,
    )
    return {
        "manager": _manager_view(row, scope),
        "meta": report.meta,
        "notes": report.notes,
        "score": card,
        "goals": goals,
        "monthly": monthly(conn, config, period, row.id),
        "tiers": customers_by_tier(conn, row.id),
        "timeline": timeline(conn, row.id, scope, source.run.evaluated_at),
        "findings": found.sections[0].rows,
        "statement": statement_view(sections),
    }


def _manager_view(row: Any, scope: Scope) -> dict[str, Any]:
    return {
        "id": row.id,
        "ref": row.source_id,
        "source": row.source,
        "name": row.name
        if scope.unmasked or scope.user.manager_id == row.id
        else mask_name(row.name),
        "team": row.team,
        "title": row.title,
        "email": mask_email(row.email) if row.email else None,
        "phone": mask_phone(row.phone) if row.phone else None,
    }


def statement_view(sections: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The statement's earnings, each with the trace lines behind it."""
    trace: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in sections["lines"]:
        trace[(line["section"], line["item"])].append(line)
    earnings = [{**e, "trace": trace.get(("earning", e["item"]), [])} for e in sections["earnings"]]
    measures = {item: lines for (section, item), lines in trace.items() if section == "measure"}
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for p in sections["payables"]:
        if p["payable"] is not None:
            totals[p["currency"]] += Decimal(p["payable"])
    return {
        "earnings": earnings,
        "payables": sections["payables"],
        "awards": sections["awards"],
        "measures": measures,
        "totals": dict(totals),
    }


def _definitions(config: HubConfig) -> Definitions:
    settings = {k: v for k, v in config.rules.items() if not isinstance(v, dict)}
    try:
        return Definitions.model_validate(settings)
    except Exception:
        return Definitions()


def monthly(conn: Connection, config: HubConfig, period: str, manager_id: str) -> dict[str, Any]:
    """Sales (orders in the base currency, as the rules count them) per month of
    the period, against the sales goal spread evenly over its months (or the
    monthly goal where there is one)."""
    p = parse_period(period)
    zone = config.zone
    converter = Converter(config.base_currency, dict(config.currency_rates))
    q = Query(
        conn,
        reads={"activities", "customers", "goals"},
        definitions=_definitions(config),
        converter=converter,
        zone=zone,
        rule="dashboard",
    )
    a = activities_t
    start, end = p.bounds(zone)
    owned = select(customers_t.c.id).where(customers_t.c.owner_id == manager_id)
    credited = or_(
        a.c.manager_id == manager_id, and_(a.c.manager_id.is_(None), a.c.customer_id.in_(owned))
    )
    by_month: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    months = p.months()
    for when, currency, amount in conn.execute(
        select(a.c.occurred_at, a.c.currency, a.c.amount).where(
            credited, *q.orders_where(start, end), a.c.amount.is_not(None)
        )
    ):
        local = when.astimezone(zone)
        by_month[f"{local.year:04d}-{local.month:02d}"][currency or converter.base] += amount
    goals = conn.execute(
        select(goals_t).where(
            goals_t.c.manager_id == manager_id,
            goals_t.c.metric == "sales_amount",
            goals_t.c.deleted_at.is_(None),
            goals_t.c.period_start <= p.end,
            goals_t.c.period_end >= p.start,
        )
    ).all()
    labels, actual, target = [], [], []
    for month in months:
        labels.append(month.label)
        total = Decimal(0)
        for currency, value in by_month[month.label].items():
            rate = converter.rate(currency)
            total += value * rate if rate is not None else 0
        actual.append(total.quantize(Decimal("0.01")))
        target.append(_month_target(goals, month))
    return {"months": labels, "actual": actual, "target": target, "currency": converter.base}


def _month_target(goals: list[Any], month: Period) -> Decimal | None:
    exact = [g for g in goals if g.period_start == month.start and g.period_end == month.end]
    if exact:
        return sum((Decimal(g.target) for g in exact), Decimal(0))
    longer = [g for g in goals if g.period_start <= month.start and g.period_end >= month.end]
    if not longer:
        return None
    total = Decimal(0)
    for g in longer:
        span = len(Period(g.period_start, g.period_end, g.period_label).months())
        total += Decimal(g.target) / span
    return total.quantize(Decimal("0.01"))


def customers_by_tier(conn: Connection, manager_id: str) -> list[dict[str, Any]]:
    c = customers_t
    rows = conn.execute(
        select(c.c.tier, func.count())
        .where(c.c.owner_id == manager_id, c.c.deleted_at.is_(None))
        .group_by(c.c.tier)
        .order_by(c.c.tier)
    ).all()
    return [{"tier": t or "—", "count": n} for t, n in rows]


def timeline(
    conn: Connection, manager_id: str, scope: Scope, until: dt.datetime, limit: int = 30
) -> dict[str, Any]:
    """The latest activities (subjects masked) and activities per week by kind (last 12 weeks)."""
    a, c = activities_t, customers_t
    recent = conn.execute(
        select(
            a.c.kind,
            a.c.occurred_at,
            a.c.subject,
            a.c.status,
            a.c.amount,
            a.c.currency,
            c.c.name,
            c.c.kind.label("customer_kind"),
        )
        .select_from(a.outerjoin(c, c.c.id == a.c.customer_id))
        .where(a.c.manager_id == manager_id, a.c.deleted_at.is_(None), a.c.occurred_at <= until)
        .order_by(a.c.occurred_at.desc())
        .limit(limit)
    ).all()
    items = [
        {
            "kind": r.kind,
            "when": r.occurred_at,
            "subject": mask_text(r.subject) if r.subject else "",
            "status": r.status,
            "amount": r.amount,
            "currency": r.currency,
            "customer": _customer_name(r.name, r.customer_kind, scope),
        }
        for r in recent
    ]
    since = until - dt.timedelta(weeks=12)
    weekly: dict[str, Counter[str]] = defaultdict(Counter)
    for kind, when in conn.execute(
        select(a.c.kind, a.c.occurred_at).where(
            a.c.manager_id == manager_id,
            a.c.deleted_at.is_(None),
            a.c.occurred_at >= since,
            a.c.occurred_at <= until,
        )
    ):
        monday = (when - dt.timedelta(days=when.weekday())).date().isoformat()
        weekly[monday][kind] += 1
    weeks = sorted(weekly)
    kinds = sorted({k for w in weekly.values() for k in w})
    return {
        "items": items,
        "weeks": weeks,
        "series": {k: [weekly[w].get(k, 0) for w in weeks] for k in kinds},
    }


def _customer_name(name: str | None, kind: str | None, scope: Scope) -> str:
    if not name:
        return ""
    return name if scope.unmasked or kind != "person" else mask_name(name)


# -- findings -----------------------------------------------------------------------------


def findings(
    conn: Connection,
    period: str,
    scope: Scope,
    *,
    rule: str | None,
    severity: str | None,
    status: str | None,
    team: str | None,
    manager: str | None,
    limit: int | None = FINDINGS_LIMIT,
) -> dict[str, Any]:
    if severity and severity not in SEVERITIES:
        raise BadInput(f"severity {severity!r}: one of {', '.join(SEVERITIES)}")
    if status and status not in STATUSES:
        raise BadInput(f"status {status!r}: one of {', '.join(STATUSES)}")
    source = source_for(conn, period, scope)
    known_rules = sorted(
        r for r, spec in (source.run.rules or {}).items() if _is_compliance(spec)
    ) or sorted((source.run.rules or {}).keys())
    if rule and rule not in (source.run.rules or {}):
        raise BadInput(f"rule {rule!r}: not among this period's rules ({', '.join(known_rules)})")
    # a finding is its manager's: who owned the subject when the rules ran
    managers = scope.manager_ids()
    narrowed = None
    if manager:
        row = find_manager(conn, manager)
        if not scope.reaches(row.id, row.team):
            raise Forbidden(manager)
        narrowed = [row.id]
    elif team:
        if scope.user.role != "admin" and team != scope.user.team:
            raise Forbidden(team)
        narrowed = [
            r[0] for r in conn.execute(select(managers_t.c.id).where(managers_t.c.team == team))
        ]
        if not narrowed:
            raise NotFound(f"no team {team!r} in the store")
    if narrowed is not None:
        managers = with_members(
            select(managers_t.c.id.label("id")).where(managers_t.c.id.in_(narrowed))
        )
    report = compliance.build(
        source,
        statuses=[status] if status else None,
        rules=[rule] if rule else None,
        severities=[severity] if severity else None,
        managers=managers,
        limit=limit,
    )
    teams = sorted(
        t
        for (t,) in conn.execute(
            select(managers_t.c.team).where(managers_t.c.team.is_not(None)).distinct()
        )
        if scope.user.role == "admin" or t == scope.user.team
    )
    return {
        "meta": report.meta,
        "notes": report.notes,
        "rows": report.sections[0].rows,
        "summary": report.sections[1].rows,
        "columns": list(report.sections[0].columns),
        "rules": known_rules,
        "teams": teams,
        "limited": limit is not None and len(report.sections[0].rows) >= limit,
    }


def _is_compliance(spec: Any) -> bool:
    return isinstance(spec, dict) and spec.get("stage") == "compliance"


# -- customers ----------------------------------------------------------------------------


def customers(
    conn: Connection,
    config: HubConfig,
    scope: Scope,
    *,
    q: str | None,
    tier: str | None,
    owner: str | None,
    page: int,
) -> dict[str, Any]:
    if page < 1 or page > 100_000:
        raise BadInput(f"page {page}: from 1")
    c, m = customers_t, managers_t
    where = [c.c.deleted_at.is_(None)]
    ids = scope.manager_ids()
    if ids is not None:
        where.append(c.c.owner_id.in_(ids))
    if q:
        text = q.strip()[:100]
        part = text.replace("%", "").replace("_", "")
        named = search.name_contains(conn.dialect.name, c.c.name, c.c.id, part)
        where.append(or_(named, c.c.source_id == text, c.c.credit_code == text))
    if tier:
        where.append(c.c.tier == tier)
    if owner:
        row = find_manager(conn, owner)
        if not scope.reaches(row.id, row.team):
            raise Forbidden(owner)
        where.append(c.c.owner_id == row.id)
    total = conn.execute(select(func.count()).select_from(c).where(*where)).scalar() or 0
    rows = conn.execute(
        select(
            c.c.id,
            c.c.source,
            c.c.source_id,
            c.c.name,
            c.c.kind,
            c.c.tier,
            c.c.region,
            c.c.phone,
            c.c.owner_id,
            m.c.name.label("owner_name"),
            m.c.source_id.label("owner_ref"),
        )
        .select_from(c.outerjoin(m, m.c.id == c.c.owner_id))
        .where(*where)
        .order_by(c.c.source, c.c.source_id)  # the unique index: no sort of the whole table
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    last = _last_contacts(conn, config, [r.id for r in rows])
    now = dt.datetime.now(dt.UTC)
    items = []
    for r in rows:
        when = last.get(r.id)
        items.append(
            {
                "id": r.id,
                "ref": r.source_id,
                "source": r.source,
                "name": _customer_name(r.name, r.kind, scope),
                "tier": r.tier,
                "region": r.region,
                "phone": mask_phone(r.phone) if r.phone else None,
                "owner_ref": r.owner_ref,
                "owner": (r.owner_name if scope.unmasked else mask_name(r.owner_name))
                if r.owner_name
                else None,
                "last_contact": when,
                "days_since": (now - when).days if when else None,
            }
        )
    tiers = [
        t
        for (t,) in conn.execute(
            select(c.c.tier)
            .where(c.c.tier.is_not(None), c.c.deleted_at.is_(None))
            .distinct()
            .order_by(c.c.tier)
        )
    ]
    return {
        "items": items,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "tiers": tiers,
    }


def _last_contacts(conn: Connection, config: HubConfig, ids: list[str]) -> dict[str, dt.datetime]:
    if not ids:
        return {}
    a = activities_t
    kinds = [str(k) for k in _definitions(config).contact_kinds]
    return {
        cid: when
        for cid, when in conn.execute(
            select(a.c.customer_id, func.max(a.c.occurred_at))
            .where(a.c.customer_id.in_(ids), a.c.kind.in_(kinds), a.c.deleted_at.is_(None))
            .group_by(a.c.customer_id)
        )
    }


# -- sync health --------------------------------------------------------------------------

_OK = ("ok", "rejects")
"""Stream statuses of a successful read (rejects kept aside do not fail a stream)."""


def sync_health(conn: Connection) -> dict[str, Any]:
    history = run_history.recent(conn, 15)
    s = run_streams
    fresh = []
    for connection, last_ok in conn.execute(
        select(s.c.connection, func.max(s.c.finished_at))
        .where(s.c.status.in_(_OK))
        .group_by(s.c.connection)
        .order_by(s.c.connection)
    ):
        fresh.append({"connection": connection, "last_success": last_ok})
    known = {f["connection"] for f in fresh}
    for (connection,) in conn.execute(select(s.c.connection).distinct()):
        if connection not in known:
            fresh.append({"connection": connection, "last_success": None})
    latest = conn.execute(select(func.max(runs.c.id))).scalar()
    last_status = (
        {
            (r.connection, r.stream): r.status
            for r in conn.execute(select(s).where(s.c.run_id == latest))
        }
        if latest
        else {}
    )
    now = dt.datetime.now(dt.UTC)
    for f in fresh:
        f["age_hours"] = (
            round((now - f["last_success"]).total_seconds() / 3600, 1)
            if f["last_success"]
            else None
        )
        f["failing"] = any(
            status not in _OK for (c, _), status in last_status.items() if c == f["connection"]
        )
    open_rejects = rejects_table.listing(conn, include_resolved=False, limit=100)
    counts = rejects_table.open_streams(conn)
    return {"runs": history, "freshness": fresh, "rejects": open_rejects, "reject_counts": counts}
