"""Fixtures: a small fake Zoho org behind respx, and settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hub_zoho.fake import FakeOrg, FakeZoho
from hub_zoho.testing import SMALL_ORG, mount, zoho_settings

from hub import secrets


@pytest.fixture
def org() -> FakeOrg:
    org = FakeOrg()
    org.populate(SMALL_ORG, seed=3)
    return org


@pytest.fixture
def fake(org: FakeOrg) -> Iterator[FakeZoho]:
    fake = FakeZoho(org)
    with mount(fake):
        yield fake
    secrets.clear()


@pytest.fixture
def settings(fake: FakeZoho) -> dict[str, Any]:
    return zoho_settings(fake)
