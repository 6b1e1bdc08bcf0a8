"""Test support: mounting the fake Zoho on respx, and settings that point at it.

org = FakeOrg()
org.populate({"Accounts": 50, "Calls": 80})
fake = FakeZoho(org)
with mount(fake):
    ...  # httpx requests to any Zoho host now reach the fake
"""

from __future__ import annotations

from typing import Any

import respx

from hub_zoho.fake import FakeZoho

SMALL_ORG = {
    "Accounts": 12,
    "Contacts": 10,
    "Calls": 14,
    "Tasks": 8,
    "Events": 6,
    "Notes": 5,
    "Deals": 10,
    "Sales_Targets": 6,
}

FAST_RETRY = {"attempts": 8, "initial_wait": 0.001, "max_wait": 0.01}
"""Backoff for tests: as many attempts as in production, without the waiting."""


def mount(fake: FakeZoho) -> respx.MockRouter:
    """A respx router sending every request to the fake (unknown hosts fail to connect)."""
    router = respx.mock(assert_all_called=False)
    router.route().mock(side_effect=fake.handle)
    return router


def zoho_settings(fake: FakeZoho, **overrides: Any) -> dict[str, Any]:
    """hub.toml settings for the fake: goals from its Sales_Targets module, fast retries.
    An override of None leaves the setting out (`goals=None`: no goals stream)."""
    values: dict[str, Any] = {
        "retry": FAST_RETRY,
        "goals": {"module": "Sales_Targets", "currency": "Currency"},
    }
    merged = fake.settings(**(values | overrides))
    return {key: value for key, value in merged.items() if value is not None}
