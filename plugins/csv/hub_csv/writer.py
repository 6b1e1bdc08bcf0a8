"""Writing canonical records to a CSV file Excel opens correctly.

UTF-8 files get a byte-order mark (Excel needs it to show Chinese text);
GB18030 is available for older Excel installations. Cells a spreadsheet
would run as a formula get a `'` prefix (`hub.exporting.spreadsheet_cell`). The file is written to a
temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from hub.adapters.contract import WriteOutcome
from hub.exporting import spreadsheet_cell
from hub.model import ENTITIES, Record
from hub.store.types import dumps


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return dumps(value) if value else ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(getattr(value, "value", value))


def write_csv(
    target: Path, entity: str, records: Iterable[Record], encoding: str = "auto"
) -> Iterator[WriteOutcome]:
    fields = [f for f in ENTITIES[entity].model_fields if f != "id"]
    file_encoding = {"auto": "utf-8-sig", "utf-8": "utf-8-sig", "gbk": "gb18030"}.get(
        encoding, encoding
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".partial")
    outcomes: list[WriteOutcome] = []
    with partial.open("w", encoding=file_encoding, errors="replace", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(fields)
        for record in records:
            try:
                writer.writerow([spreadsheet_cell(_cell(getattr(record, name))) for name in fields])
                outcomes.append(WriteOutcome(record.source_id, "created"))
            except (UnicodeEncodeError, ValueError) as exc:
                outcomes.append(WriteOutcome(record.source_id, "failed", str(exc)))
    os.replace(partial, target)
    yield from outcomes
