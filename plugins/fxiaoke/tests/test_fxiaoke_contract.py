"""The Fxiaoke adapter keeps the hub's adapter contract, with either auth flow."""

from __future__ import annotations

from typing import Any

import pytest
from hub_fxiaoke.fake import FakeFxiaoke

from hub.testing import AdapterContract


class _Changes:
    fake: FakeFxiaoke

    def change_source(self, settings: dict[str, Any]) -> dict[str, set[str]]:
        fake = self.fake
        accounts = sorted(fake.objects["AccountObj"])
        fake.update("AccountObj", accounts[3], name="上海新名称贸易有限公司")
        fake.invalidate("AccountObj", accounts[4])
        new_account = fake.add("AccountObj", {"name": "成都新客户物流有限公司", "owner": ["1001"]})
        follow_up = fake.add(
            "ActiveRecordObj",
            {"owner": ["1001"], "active_record_content": "电话回访", "account_id": new_account},
        )
        order = sorted(fake.objects["SalesOrderObj"])[0]
        fake.update("SalesOrderObj", order, order_amount="99.90")
        goal = next(g for g, r in fake.objects["GoalValueObj"].items() if r["goal_type"] == "2")
        fake.update("GoalValueObj", goal, march_value="123456.78")
        year = fake.objects["GoalValueObj"][goal]["fiscal_year"]
        fake.update_employee("1002", name="改名后")
        manager = (
            fake.employees["1002"].open_user_id
            if settings["auth"] == "corp_access_token"
            else "1002"
        )
        return {
            "customers": {accounts[3], accounts[4], new_account},
            "ActiveRecordObj": {f"ActiveRecordObj:{follow_up}"},
            "SalesOrderObj": {f"SalesOrderObj:{order}"},
            "goals": {f"{goal}:{year}-03"},
            "managers": {manager},
        }


class TestFxiaokeContract(_Changes, AdapterContract):
    adapter_name = "fxiaoke"

    @pytest.fixture
    def settings(self, fake: FakeFxiaoke, settings: dict[str, Any]) -> dict[str, Any]:
        self.fake = fake
        return settings


class TestFxiaokeOAuthPersonnelContract(_Changes, AdapterContract):
    """The /oauth2.0/token flow, managers from PersonnelObj (incremental)."""

    adapter_name = "fxiaoke"

    @pytest.fixture
    def settings(self, fake: FakeFxiaoke, settings: dict[str, Any]) -> dict[str, Any]:
        self.fake = fake
        return {
            **fake.settings(settings["host"], "oauth"),
            "managers_from": "personnel",
            "goals": {"derive": ["quarter", "year"]},
        }
