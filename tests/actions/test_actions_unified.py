"""With identity resolution, a finding becomes one task, in the CRM where the unified
customer lives (the action's `connections` order), for that record's owner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hub_zoho.testing import mount, zoho_settings

from hub.cli import run as hub
from hub.testing import Project
from tests.actions.zoho_org import PERIOD, overdue_org


def test_a_unified_customer_gets_one_task_in_the_preferred_crm(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, accounts, owners = overdue_org(2)
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text(
        "id,name,tier,created\nC1,客户00有限公司,A,2026-01-05\nC2,别的公司,A,2026-01-05\n",
        encoding="utf-8",
    )
    project = Project(tmp_path, store_url=store_url)
    project.configure(
        {
            "zoho": {
                "adapter": "zoho",
                **zoho_settings(
                    fake,
                    goals=None,
                    activities=["Calls", "Tasks"],
                    fields={"customers": {"Customer_Tier": "tier"}},
                ),
            },
            "files": {"adapter": "csv", "folder": "data", "customers": "customers.csv"},
        },
        timezone="Asia/Shanghai",
        rules={"contact_sla": {"days_by_tier": {"A": 14}}},
        actions={"follow_up": {"rule": "contact_sla", "connections": ["zoho"]}},
    )
    args = ["--config", str(project.config_path)]
    with mount(fake):
        assert hub([*args, "sync"]) == 0
    assert (
        hub([*args, "identity", "link", "files:customers:C1", f"zoho:customers:{accounts[0]}"]) == 0
    )
    assert hub([*args, "rules", "run", "--period", PERIOD]) == 0
    capsys.readouterr()
    assert hub([*args, "actions", "plan", "--json"]) == 0
    planned = json.loads(capsys.readouterr().out)["actions"]
    to_zoho = [a for a in planned if a["connection"] == "zoho"]
    # C1 and accounts[0] are one customer: one task, on the Zoho record, for its Zoho owner
    assert sorted(a["customer"] for a in to_zoho) == sorted(accounts)
    first = next(a for a in to_zoho if a["customer"] == accounts[0])
    assert first["owner"] == owners[accounts[0]]
    # C2 lives only in the flat file, which takes no actions: planned as skipped, with why
    skipped = [a for a in planned if a["change"] == "skip"]
    assert len(skipped) == 1 and "zoho" in skipped[0]["note"]
    with mount(fake):
        assert hub([*args, "actions", "apply"]) == 0
    tasks = [w["record"]["What_Id"]["id"] for w in fake.written if w["module"] == "Tasks"]
    assert sorted(tasks) == sorted(accounts)
