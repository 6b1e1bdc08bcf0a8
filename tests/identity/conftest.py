"""Two CSV connections (an HR roster and a CRM export) in a throwaway project."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from hub.identity.resolve import match_all
from hub.testing import Project

MANAGER_COLUMNS = ["id", "name", "email", "phone", "employee_number", "team", "region"]
CUSTOMER_COLUMNS = ["id", "name", "kind", "owner", "phone", "email", "credit_code", "region"]
CONTACT_COLUMNS = ["id", "name", "customer", "mobile", "phone", "email"]
COLUMNS = {"managers": MANAGER_COLUMNS, "customers": CUSTOMER_COLUMNS, "contacts": CONTACT_COLUMNS}


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


class Sources:
    """Writes each connection's files and syncs them."""

    def __init__(self, project: Project, identity: dict[str, Any] | None = None) -> None:
        self.project = project
        self.identity = identity or {}
        self.data: dict[str, dict[str, list[dict[str, Any]]]] = {}

    def set(self, connection: str, entity: str, rows: list[dict[str, Any]]) -> None:
        self.data.setdefault(connection, {})[entity] = rows

    def sync(self) -> Any:
        connections = {}
        for name, entities in self.data.items():
            folder = self.project.root / name
            folder.mkdir(exist_ok=True)
            settings: dict[str, Any] = {"adapter": "csv", "folder": str(folder)}
            for entity, rows in entities.items():
                write_csv(folder / f"{entity}.csv", COLUMNS[entity], rows)
                settings[entity] = f"{entity}.csv"
            connections[name] = settings
        extra = {"identity": self.identity} if self.identity else {}
        self.project.configure(connections, **extra)
        report = self.project.sync()
        assert int(report.exit_code) == 0, report
        match_all(self.project.store, self.project.config)  # what `hub sync` runs after the streams
        return report


@pytest.fixture
def sources(tmp_path: Path, store_url: str) -> Callable[..., Sources]:
    def make(identity: dict[str, Any] | None = None) -> Sources:
        return Sources(Project(tmp_path / "project", store_url=store_url), identity)

    return make
