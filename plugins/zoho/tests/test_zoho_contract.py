"""The Zoho adapter keeps the hub's adapter contract, against the fake org."""

from __future__ import annotations

from typing import Any

import pytest
from hub_zoho.fake import FakeZoho

from hub.testing import AdapterContract


class TestZohoContract(AdapterContract):
    adapter_name = "zoho"

    @pytest.fixture
    def settings(self, fake: FakeZoho, settings: dict[str, Any]) -> dict[str, Any]:
        self.fake = fake
        return settings

    def change_source(self, settings: dict[str, Any]) -> dict[str, set[str]]:
        org = self.fake.org
        account = org.ids("Accounts")[0]
        org.update("Accounts", account, Account_Name="Renamed Trading Co")
        call = org.create(
            "Calls",
            Subject="New call",
            Call_Type="Outbound",
            Call_Start_Time=org.now(),
            Call_Duration="02:30",
            What_Id={"name": "x", "id": account},
            **{"$se_module": "Accounts"},
        )
        contact, gone = org.ids("Contacts")[:2]
        org.update("Contacts", contact, Title="Head of Purchasing")
        org.delete("Contacts", gone)
        task = org.ids("Tasks")[0]
        org.delete("Tasks", task)
        user = next(iter(org.users))
        org.update_user(user, full_name="Grace B. Hopper")
        target = org.ids("Sales_Targets")[0]
        org.update("Sales_Targets", target, Target=99000)
        return {
            "customers": {account},
            "contacts": {contact, gone},
            "activities": {call, task},
            "managers": {user},
            "goals": {target},
        }
