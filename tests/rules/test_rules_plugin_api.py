"""The rule plugin API: registration through the hook, what the engine enforces."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field
from sqlalchemy import func, select

from hub import hookimpl
from hub.cli import run
from hub.errors import ConfigError
from hub.plugins import DuplicateName, load_registry
from hub.rules import (
    Earning,
    Finding,
    Kind,
    RuleContext,
    RuleParams,
    RuleSpec,
    Stage,
    Status,
)
from hub.rules.errors import RuleFailed
from hub.rules.testing import RuleTestbed, activity, customer, manager


class VisitParams(RuleParams):
    min_visits: int = Field(default=1, ge=1)


def visits(ctx: RuleContext, params: VisitParams) -> Iterator[Finding]:
    q = ctx.query
    c, a = q.table("customers"), q.table("activities")
    start, end = ctx.window(ctx.period)
    counted = (
        select(a.c.customer_id, func.count().label("n"))
        .where(a.c.kind == "visit", q.live(a), q.in_window(a.c.occurred_at, start, end))
        .group_by(a.c.customer_id)
        .subquery()
    )
    rows = q.rows(
        select(c.c.id, c.c.source_id, c.c.phone, func.coalesce(counted.c.n, 0).label("n"))
        .select_from(c.outerjoin(counted, counted.c.customer_id == c.c.id))
        .where(q.live(c))
    )
    for row in rows:
        ok = row.n >= params.min_visits
        yield Finding(
            "customer",
            row.id,
            Status.passed if ok else Status.violation,
            f"{row.n} visits; call {row.phone} to book one",  # a careless author
            subject_ref=row.source_id,
            evidence={"visits": row.n, "phone": row.phone, "note": f"mobile {row.phone}"},
        )


class Acme:
    @hookimpl
    def hub_register_rules(self) -> Iterator[RuleSpec]:
        yield RuleSpec(
            id="acme.visits",
            version="2",
            kind=Kind.compliance,
            stage=Stage.compliance,
            params=VisitParams,
            reads=("customers", "activities"),
            evaluate=visits,
            summary="customers visited at least N times a period",
        )


def test_a_plugin_rule_is_registered_configured_run_and_masked(tmp_path: Path) -> None:
    registry = load_registry()
    registry.register(Acme(), name="acme")
    bed = RuleTestbed(tmp_path, registry=registry)
    bed.add(
        manager("M1"),
        customer("C1", "M1", phone="13812345678"),
        customer("C2", "M1", phone="13900001111"),
        activity("V1", "visit", "C1", "M1", "2026-08-01 10:00"),
    )
    bed.configure({"visits": {"rule": "acme.visits", "min_visits": 1}})
    bed.run("2026-Q3")
    found = {f["subject"]: f for f in bed.findings("visits")}
    assert found["C1"]["status"] == "pass"
    assert found["C2"]["status"] == "violation"
    assert (found["C2"]["rule_id"], found["C2"]["rule_version"]) == ("acme.visits", "2")
    # the engine masks what a rule forgets to
    assert found["C2"]["message"] == "0 visits; call 139****1111 to book one"
    assert found["C2"]["evidence"] == {
        "visits": 0,
        "phone": "139****1111",
        "note": "mobile 139****1111",
    }
    assert "13900001111" not in json.dumps(bed.findings(), default=str)
    assert registry.infos()[0].name == "acme"
    assert registry.infos()[0].rules == ["acme.visits"]


def test_duplicate_rule_ids_name_both_plugins() -> None:
    registry = load_registry()
    registry.register(Acme(), name="acme")
    registry.register(Acme(), name="acme_fork")
    with pytest.raises(
        DuplicateName, match=r"'acme\.visits' is registered by two plugins: 'acme' and 'acme_fork'"
    ):
        registry.rules  # noqa: B018


def test_a_rule_may_only_read_what_it_declares(tmp_path: Path) -> None:
    class Sneaky:
        @hookimpl
        def hub_register_rules(self) -> Iterator[RuleSpec]:
            def evaluate(ctx: RuleContext, params: Any) -> Iterator[Finding]:
                ctx.query.table("managers")
                yield from ()

            yield RuleSpec(
                id="sneaky",
                version="1",
                kind=Kind.compliance,
                stage=Stage.compliance,
                reads=("customers",),
                evaluate=evaluate,
            )

    registry = load_registry()
    registry.register(Sneaky(), name="sneaky")
    bed = RuleTestbed(tmp_path, registry=registry)
    bed.configure({"sneaky": {}})
    with pytest.raises(ConfigError, match="reads 'managers' without declaring it"):
        bed.run("2026-Q3")


def test_a_rule_yielding_something_else_fails_the_run(tmp_path: Path) -> None:
    class Wrong:
        @hookimpl
        def hub_register_rules(self) -> Iterator[RuleSpec]:
            def evaluate(ctx: RuleContext, params: Any) -> Iterator[Any]:
                yield Earning("m", "c", "2026-Q3", "CNY", amount=1.5)  # a float, not a Decimal

            yield RuleSpec(
                id="wrong", version="1", kind=Kind.incentive, stage=Stage.reward, evaluate=evaluate
            )

    registry = load_registry()
    registry.register(Wrong(), name="wrong")
    bed = RuleTestbed(tmp_path, registry=registry)
    bed.configure({"wrong": {}})
    with pytest.raises(RuleFailed, match="expected a Decimal, got float"):
        bed.run("2026-Q3")
    assert bed.runs() == []


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"id": "Bad Id"}, "use lowercase letters"),
        ({"kind": Kind.compliance, "stage": Stage.reward}, "compliance rules run in"),
        ({"reads": ("orders",)}, "reads unknown ['orders']"),
        ({"version": " "}, "version is empty"),
        ({"params": dict}, "params must be a pydantic model class"),
    ],
)
def test_rule_specs_are_checked_when_made(kwargs: dict[str, Any], error: str) -> None:
    spec = {
        "id": "ok",
        "version": "1",
        "kind": Kind.incentive,
        "stage": Stage.reward,
        "evaluate": lambda ctx, params: (),
    }
    with pytest.raises(ValueError, match=error.replace("[", r"\[").replace("]", r"\]")):
        RuleSpec(**(spec | kwargs))


def test_hub_plugins_and_hub_rules_list_the_built_in_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["plugins", "--json"]) == 0
    plugins = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert plugins["rules"]["distribution"] == "hub"
    assert {"commission", "contact_sla", "measures"} <= set(plugins["rules"]["rules"])

    bed = RuleTestbed(tmp_path)
    bed.configure(
        {"sales": {"rule": "commission", "semantics": "marginal", "tiers": [{"rate": "0.1"}]}}
    )
    assert run(["--config", str(bed.config_path), "rules", "--json"]) == 0
    rules = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rules["commission"]["configured"] == [{"name": "sales", "enabled": True}]
    assert rules["commission"]["stage"] == "reward"
    params = {p["name"]: p for p in rules["commission"]["parameters"]}
    assert params["semantics"]["required"] is True
    assert params["semantics"]["type"] == "marginal | retroactive | linear"
    assert params["boundary"]["default"] == "next"
    assert rules["contact_sla"]["kind"] == "compliance"
    assert run(["--config", str(bed.config_path), "rules"]) == 0
    table = capsys.readouterr().out
    assert "commission" in table and "semantics: marginal | retroactive" in table


def test_only_reward_and_settle_rules_can_produce_money(tmp_path: Path) -> None:
    class Sly:
        @hookimpl
        def hub_register_rules(self) -> Iterator[RuleSpec]:
            def evaluate(ctx: RuleContext, params: Any) -> Iterator[Any]:
                yield Earning("m", "bonus", "2026-Q3", "CNY", amount=Decimal(100))

            yield RuleSpec(
                id="sly",
                version="1",
                kind=Kind.compliance,
                stage=Stage.compliance,
                evaluate=evaluate,
            )

    registry = load_registry()
    registry.register(Sly(), name="sly")
    bed = RuleTestbed(tmp_path, registry=registry)
    bed.configure({"sly": {}})
    with pytest.raises(RuleFailed, match="yielded Earning; a compliance rule yields Finding"):
        bed.run("2026-Q3")
    assert bed.runs() == []
