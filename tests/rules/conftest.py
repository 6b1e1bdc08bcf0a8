"""Fixtures for the rules tests: a testbed on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.rules.testing import RuleTestbed


@pytest.fixture
def bed(tmp_path: Path, store_url: str) -> RuleTestbed:
    """A project whose store holds what each test adds (SQLite and PostgreSQL)."""
    return RuleTestbed(tmp_path / "project", store_url)
