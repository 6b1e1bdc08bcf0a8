"""Follow-up tasks for sources without an API: one CSV file of actions.

`hub actions apply` appends a row per action to `actions_file` (UTF-8 with a
BOM, so Excel and WPS open it right), fsyncs it, and looks keys up in it before
writing an action again. The key is the last column: a row torn by a crash
never holds a whole key, so it never counts as written. Cells that a
spreadsheet would run as a formula are prefixed with `'`.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from hub.actions.contract import ActionOutcome, ActionRequest
from hub.exporting import spreadsheet_cell

COLUMNS = [
    "written_at",
    "customer",
    "owner",
    "due_date",
    "priority",
    "subject",
    "description",
    "key",
]


class CsvActionWriter:
    batch_size = 500

    def __init__(self, path: Path) -> None:
        self.path = path

    def check(self) -> str | None:
        folder = self.path.parent
        if not folder.is_dir():
            return f"the folder of actions_file {self.path} does not exist"
        if self.path.exists() and not self.path.is_file():
            return f"actions_file {self.path} is not a regular file"
        return None

    def find(self, keys: Sequence[str]) -> Mapping[str, str]:
        if not self.path.exists():
            return {}
        wanted = set(keys)
        found: dict[str, str] = {}
        for number, row in enumerate(self._rows(), start=1):
            if len(row) == len(COLUMNS) and row[-1] in wanted:
                found[row[-1]] = f"{self.path.name}#{number}"
        return found

    def _rows(self) -> list[list[str]]:
        """The data rows (after the header), as a CSV reader sees them."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8-sig", newline="") as f:
            return [row for row in csv.reader(f)][1:]

    def write(self, requests: Sequence[ActionRequest]) -> Sequence[ActionOutcome]:
        new = not self.path.exists() or self.path.stat().st_size == 0
        number = len(self._rows())
        with self.path.open("a", encoding="utf-8-sig" if new else "utf-8", newline="") as f:
            writer = csv.writer(f)
            if new:
                writer.writerow(COLUMNS)
            stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            outcomes = []
            for r in requests:
                writer.writerow(
                    [
                        stamp,
                        spreadsheet_cell(r.customer_source_id),
                        spreadsheet_cell(r.owner_source_id or ""),
                        r.due_date.isoformat(),
                        r.priority,
                        spreadsheet_cell(r.subject),
                        spreadsheet_cell(r.description),
                        r.key,
                    ]
                )
                number += 1
                outcomes.append(
                    ActionOutcome(r.key, "created", vendor_id=f"{self.path.name}#{number}")
                )
            f.flush()
            os.fsync(f.fileno())
        return outcomes
