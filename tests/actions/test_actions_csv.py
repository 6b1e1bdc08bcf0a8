"""The CSV adapter writes follow-up tasks to an actions file, once per action."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select, update

from hub.actions.tables import action_outbox
from hub.cli import run as hub
from hub.config import load_config
from hub.store.database import Store

PERIOD = "2026-Q3"


@pytest.fixture
def example(tmp_path: Path) -> list[str]:
    root = tmp_path / "example"
    assert hub(["init", "--example", str(root)]) == 0
    config = root / "hub.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace(
        'goals = "goals.csv"\n', 'goals = "goals.csv"\nactions_file = "follow-ups.csv"\n', 1
    )
    text += '\n[actions.overdue]\nrule = "contact_sla"\nstatuses = ["violation", "warning"]\n'
    config.write_text(text, encoding="utf-8")
    args = ["--config", str(config)]
    hub([*args, "sync"])
    assert hub([*args, "rules", "run", "--period", PERIOD]) == 0
    return args


def _rows(args: list[str]) -> list[dict[str, str]]:
    path = Path(args[1]).parent / "data" / "follow-ups.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_apply_appends_each_action_once(example: list[str]) -> None:
    assert hub([*example, "actions", "plan"]) == 0
    assert not (Path(example[1]).parent / "data" / "follow-ups.csv").exists()
    assert hub([*example, "actions", "apply"]) == 0
    rows = _rows(example)
    assert rows and len({r["key"] for r in rows}) == len(rows)
    assert hub([*example, "actions", "apply"]) == 0
    assert len(_rows(example)) == len(rows)

    # an action in doubt (a crash after the file was written) is found, not written again
    store = Store(load_config(example[1]).store_url())
    with store.begin() as conn:
        conn.execute(update(action_outbox).values(in_doubt=True, state="planned"))
    assert hub([*example, "actions", "apply"]) == 0
    assert len(_rows(example)) == len(rows)
    with store.read() as conn:
        states = {r.state for r in conn.execute(select(action_outbox.c.state))}
    assert states == {"confirmed"}


def test_formula_cells_are_neutralised(example: list[str]) -> None:
    config = Path(example[1])
    text = config.read_text(encoding="utf-8").replace(
        'rule = "contact_sla"\n',
        'rule = "contact_sla"\nsubject = { zh = "=HYPERLINK(1)", en = "x" }\n',
    )
    config.write_text(text, encoding="utf-8")
    assert hub([*example, "actions", "apply"]) == 0
    assert {r["subject"] for r in _rows(example)} == {"'=HYPERLINK(1)"}
