"""A small Zoho org whose customers are overdue for contact, for the actions tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from hub_zoho.fake import FakeOrg, FakeZoho
from hub_zoho.testing import zoho_settings

from hub.testing import Project

PERIOD = "2026-Q4"
KEY_FIELD = "Hub_Action_Key"


def overdue_org(accounts: int = 6) -> tuple[FakeZoho, list[str], dict[str, str]]:
    """`accounts` tier-A accounts created 60 days ago and never contacted (contact SLA
    14 days), owned by two sales reps; Tasks has the unique key field."""
    org = FakeOrg()
    admin = org.add_user("Ada", "Admin", profile="Administrator", role="CEO")
    reps = [org.add_user("Li", "Na"), org.add_user("Wang", "Fang")]
    long_ago = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=60)
    ids, owners = [], {}
    for i in range(accounts):
        owner = reps[i % 2]
        rid = org.create(
            "Accounts",
            owner=owner,
            at=long_ago,
            Account_Name=f"客户{i:02d}有限公司",
            Customer_Tier="A",
            Phone=f"+86 138 0013 80{i:02d}",
        )
        ids.append(rid)
        owners[rid] = owner
    org.add_field("Tasks", KEY_FIELD, unique=True)
    del admin
    return FakeZoho(org), ids, owners


def configure(root: Path, fake: FakeZoho, store_url: str | None, **action: Any) -> Project:
    project = Project(root, store_url=store_url)
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
            }
        },
        timezone="Asia/Shanghai",
        base_currency="CNY",
        rules={"contact_sla": {"days_by_tier": {"A": 14, "B": 30, "C": 90}}},
        actions={
            "follow_up": {"rule": "contact_sla", "due_in_days": 2, "priority": "high", **action}
        },
    )
    return project
