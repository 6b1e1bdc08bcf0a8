"""What every report reads: which version of a period, and who is who.

The version shown is the one asked for, else the frozen one of a closed
period, else the latest. People are shown by their source id (M1005) and a
name that is masked unless the report was asked for `--unmasked`. When the
rules ran on unified managers, a person is the unified record: the survived
name and team (HR's, where `[identity.managers]` says so), and a person
found in several sources is shown by their employee number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from hub.errors import ConfigError
from hub.identity.lookup import find_manager
from hub.identity.tables import identity_members
from hub.identity.views import unified_view
from hub.masking import mask_name
from hub.rules import ledger
from hub.store.tables import entity_tables


@dataclass
class Person:
    ref: str
    name: str
    team: str | None
    active: bool


class ReportSource:
    def __init__(
        self, conn: Connection, period: str, version: int | None, *, unmasked: bool
    ) -> None:
        self.conn = conn
        self.unmasked = unmasked
        self.run = ledger.run_for(conn, period, version)
        if self.run is None:
            which = f"version {version} of {period}" if version else f"no results for {period}"
            raise ConfigError(
                f"{which}: run `hub rules run --period {period}` first"
                if not version
                else f"{which} does not exist (see `hub period status`)"
            )
        self.latest = ledger.latest_run(conn, period)
        self.closed = ledger.last_close(conn, period)
        self._people: dict[str, Person] | None = None

    @property
    def frozen(self) -> bool:
        return self.closed is not None and self.closed.run_id == self.run.id

    def meta(self) -> dict[str, Any]:
        run = self.run
        return {
            "period": run.period,
            "version": run.version,
            "as_of": run.evaluated_at,
            "closed": self.closed is not None,
            "frozen": self.frozen,
            "currency": run.base_currency,
            "masked": not self.unmasked,
        }

    def notes(self) -> list[str]:
        out = []
        if self.closed is not None and self.latest.version > self.closed.version:
            out.append(
                f"{self.run.period} is closed at version {self.closed.version}; version "
                f"{self.latest.version} is newer (see its corrections with --version "
                f"{self.latest.version})"
            )
        if not self.unmasked:
            out.append("personal data is masked; --unmasked shows it")
        return out

    @property
    def unified(self) -> bool:
        """Whether the run's rules saw unified managers (not `--by-connection`)."""
        return ledger.saw_unified(self.run)

    def people(self) -> dict[str, Person]:
        """Hub id -> person. Unified runs lay each unified record over its
        anchor's id (the id results use); the other members keep their own. A
        person found in several sources is shown by their employee number (a
        CRM's id, such as Fxiaoke's FSUID_…, means nothing to the others)."""
        if self._people is None:
            m = entity_tables["managers"]
            columns = ("id", "source_id", "employee_number", "name", "team", "active")
            people = {
                row.id: self._person(row, row.source_id)
                for row in self.conn.execute(select(*(m.c[c] for c in columns)))
            }
            if self.unified:
                mm = identity_members
                shared = set(
                    self.conn.execute(
                        select(mm.c.unified_id)
                        .where(mm.c.entity == "managers", mm.c.unified_id.is_not(None))
                        .group_by(mm.c.unified_id)
                        .having(func.count() > 1)
                    ).scalars()
                )
                v = unified_view("managers")
                for row in self.conn.execute(select(*(v.c[c] for c in columns))):
                    ref = row.source_id
                    if row.id in shared and row.employee_number:
                        ref = row.employee_number
                    people[row.id] = self._person(row, ref)
            self._people = people
        return self._people

    def _person(self, row: Any, ref: str) -> Person:
        name = row.name if self.unmasked else mask_name(row.name)
        return Person(ref=ref, name=name, team=row.team, active=row.active)

    def person(self, manager_id: str | None) -> Person:
        found = self.people().get(manager_id or "")
        return found or Person(ref=manager_id or "—", name="", team=None, active=False)

    def find_manager(self, text: str) -> str:
        """A manager by hub id, source id, employee number or e-mail (the unified
        manager when the run saw unified entities)."""
        return find_manager(self.conn, text, unified=self.unified)
