"""A throwaway hub project over generated data, as an admin would set one up.

The project has its own `data/` folder: the managers and customers files are
hard links to the generated ones (never modified), the activities file is a
private copy, because the re-sync cases touch it and replace it with the
1%-changed version.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CONFIG = """\
store = "{store}"
timezone = "Asia/Shanghai"
base_currency = "CNY"

[currency_rates]
USD = "7.10"

[connections.files]
adapter = "csv"
folder = "data"
managers = "managers.csv"
customers = "customers.csv"
activities = "activities.csv"
"""
COLUMNAR = os.environ.get("HUB_BENCH_CSV_COLUMNAR") == "1"
"""Set HUB_BENCH_CSV_COLUMNAR=1 to run the CSV connection with `columnar = true`."""


def write_project(root: Path, generated: Path, store_url: str) -> Path:
    """Create `root` with hub.toml and data/; return the activities file's path."""
    if root.exists():
        shutil.rmtree(root)
    data = root / "data"
    data.mkdir(parents=True)
    config = CONFIG.format(store=store_url)
    if COLUMNAR:
        config = config.replace('adapter = "csv"\n', 'adapter = "csv"\ncolumnar = true\n')
    (root / "hub.toml").write_text(config, encoding="utf-8")
    for name in ("managers.csv", "customers.csv"):
        _link_or_copy(generated / name, data / name)
    activities = data / "activities.csv"
    shutil.copyfile(generated / "activities.csv", activities)
    return activities


def replace_file(target: Path, source: Path) -> None:
    """Swap `target` for a copy of `source` in one step, as an export job would."""
    partial = target.with_suffix(".partial")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
