"""Fixtures shared by the core tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub import secrets
from hub.example import write_example
from hub.testing import Project


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    yield
    secrets.clear()


def example_project(root: Path, store_url: str | None = None) -> Project:
    """The `hub init --example` project, optionally on another store."""
    write_example(root)
    project = Project(root, store_url=store_url)
    config = project.config_path.read_text(encoding="utf-8")
    config = config.replace('store = "sqlite:///hub.db"', f'store = "{project.store_url}"')
    project.config_path.write_text(config, encoding="utf-8")
    return project


@pytest.fixture
def example(tmp_path: Path) -> Project:
    return example_project(tmp_path / "example")
