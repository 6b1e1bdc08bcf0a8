"""`hub rules`, `hub period` and `hub report` on the example project, end to end."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.cli import run
from hub.example import write_example
from hub.masking import has_unmasked_phone
from hub.store.tables import entity_tables
from hub.testing import Project


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The `hub init --example` project, synced and with Q3 rules run once."""
    root = tmp_path_factory.mktemp("example")
    write_example(root)
    project = Project(root)
    project.sync()
    assert run(["--config", str(project.config_path), "rules", "run", "--period", "2026-Q3"]) == 0
    return project


def hub(project: Project, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(["--config", str(project.config_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_rules_run_reports_every_configured_rule(
    example: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = hub(example, capsys, "rules", "run", "--period", "2026-Q3", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["version"] == 2
    names = [r["rule"] for r in report["rules"]]
    assert names[:2] == ["measures", "scorecard"]  # the measure stage first
    assert {"commission", "contact_sla", "pii_notes", "clawback"} <= set(names)
    by_name = {r["rule"]: r for r in report["rules"]}
    assert by_name["pii_notes"]["counts"]["violation"] > 0  # the phone written into call notes
    assert by_name["customer_owner"]["counts"]["violation"] > 0  # no owner / inactive owner
    assert by_name["duplicates"]["counts"]["violation"] >= 2  # the customer entered twice
    assert by_name["logging_lag"]["counts"]["violation"] > 0  # logged 20 days late
    assert D(by_name["commission"]["totals"]["CNY"]) > 0


def test_the_quarter_end_order_at_2330_shanghai_counts_in_q3(
    example: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    a = entity_tables["activities"]
    with example.store.read() as conn:
        manager = conn.execute(
            select(a.c.manager_source_id).where(a.c.source_id == "A199005")
        ).scalar_one()

    def q3_sales(*extra: str) -> D:
        code, out, _ = hub(
            example, capsys, "report", "scorecard", "-p", "2026-Q3", "--format", "json", *extra
        )
        assert code == 0
        goals = json.loads(out)["goals"]
        return D(
            next(
                g["actual"]
                for g in goals
                if g["manager"] == manager and g["metric"] == "sales_amount"
            )
        )

    with_order = q3_sales()
    hub(example, capsys, "rules", "run", "-p", "2026-Q3", "--as-of", "2026-09-30T23:00")
    version = json.loads(hub(example, capsys, "period", "status", "--json")[1])[0]["latest_version"]
    before_order = q3_sales("--version", str(version))
    assert with_order - before_order == D("88000")


def test_reports_mask_personal_data_unless_unmasked(
    example: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = {}
    for kind in ("scorecard", "incentives", "compliance"):
        for fmt in ("table", "csv", "json"):
            code, out, _ = hub(example, capsys, "report", kind, "-p", "2026-Q3", "--format", fmt)
            assert code == 0, (kind, fmt)
            outputs[(kind, fmt)] = out
    m = entity_tables["managers"]
    with example.store.read() as conn:
        names = [n for (n,) in conn.execute(select(m.c.name))]
    for (kind, fmt), out in outputs.items():
        assert not has_unmasked_phone(out), (kind, fmt)
        assert not any(name in out for name in names if len(name) > 1), (kind, fmt)
    compliance = json.loads(outputs[("compliance", "json")])
    pii = [f for f in compliance["findings"] if f["rule"] == "pii_notes"]
    assert pii and all("****" in e["text"] for f in pii for e in f["evidence"]["examples"])
    _, unmasked, _ = hub(example, capsys, "report", "scorecard", "-p", "2026-Q3", "--unmasked")
    assert any(name in unmasked for name in names)
    assert not has_unmasked_phone(unmasked)


def test_scorecard_csv_loads_as_a_table(
    example: Project, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "scorecard.csv"
    code, _, _ = hub(
        example,
        capsys,
        "report",
        "scorecard",
        "-p",
        "2026-Q3",
        "--format",
        "csv",
        "-o",
        str(target),
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert {"manager", "name", "team", "score", "sales_amount", "status"} <= set(rows[0])
    scored = [r for r in rows if r["status"] == "ok"]
    assert scored and all(D(r["score"]) >= 0 for r in scored)
    assert all("*" in r["name"] for r in rows)


def test_compliance_report_filters(example: Project, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = hub(
        example, capsys, "report", "compliance", "-p", "2026-Q3", "--format", "json",
        "--rule", "contact_sla", "--status", "pass", "--limit", "5",
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert len(data["findings"]) == 5
    assert {f["status"] for f in data["findings"]} == {"pass"}
    assert [s["rule"] for s in data["summary"]] == ["contact_sla"]
    assert "only the first 5 findings are listed (--limit)" in data["notes"]


def test_statement_explains_every_number(
    example: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = hub(example, capsys, "report", "incentives", "-p", "2026-Q3", "--format", "json")
    payables = json.loads(out)["payables"]
    earner = next(p for p in payables if p["rule"] == "commission" and D(p["payable"]) > 0)
    code, out, _ = hub(
        example, capsys, "report", "statement", "-p", "2026-Q3", "-m", earner["manager"],
        "--format", "json",
    )  # fmt: skip
    assert code == 0
    statement = json.loads(out)
    assert statement["manager"] == earner["manager"]
    steps = [(line["item"], line["step"]) for line in statement["lines"]]
    assert ("commission/commission", "tier 1 (0 to 300,000): slice × rate") in steps
    assert ("commission 2026-Q3", "earned to date − paid to date") in steps
    commission = next(e for e in statement["earnings"] if e["item"] == "commission/commission")
    assert commission["amount"] == earner["payable"]
    code, out, _ = hub(example, capsys, "report", "statement", "-p", "2026-Q3", "-m", "M9999")
    assert code == 2


def test_close_then_reports_show_the_frozen_version(
    example: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    # two managers have no feedback, so their scorecard bonus is not evaluated: no close
    code, _, err = hub(example, capsys, "period", "close", "2026-Q3")
    assert code == 1
    assert "could not be evaluated" in err and "--force" in err
    code, out, _ = hub(example, capsys, "period", "close", "2026-Q3", "--force")
    assert code == 0 and "2026-Q3 closed at version" in out
    code, out, _ = hub(example, capsys, "period", "close", "2026-Q3")
    assert code == 0 and "already closed" in out
    status = json.loads(hub(example, capsys, "period", "status", "--json")[1])
    frozen = status[0]["frozen_version"]
    assert status[0]["closed"] is True
    hub(example, capsys, "rules", "run", "-p", "2026-Q3")
    code, out, err = hub(
        example, capsys, "report", "incentives", "-p", "2026-Q3", "--format", "json"
    )
    data = json.loads(out)
    assert data["version"] == frozen and data["frozen"] is True
    assert any("is newer" in n for n in data["notes"])
