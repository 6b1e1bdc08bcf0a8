"""The flat-file example project `hub init --example DIR` writes.

A trading company: a domestic team selling in CNY and a foreign-trade team
selling in USD, 20 managers, a few hundred customers, a few thousand
activities in 2026 and quarterly goals. The files look like real exports and
are kept as such in `hub/demo/example/`: managers.csv has English headers;
customers.csv has Chinese headers and is GBK-encoded (as Excel in China saves
it); activities.csv has Chinese headers in UTF-8 with a BOM. A few rows are
broken on purpose (a manager without an id, a customer without a name, an
impossible date, an amount with a letter O, an unknown activity kind, an
order whose ¥ amount contradicts its USD currency, a target of 'TBD'), so the
first sync shows what a reject looks like. The files are copied byte for byte.

The demo across Fxiaoke, Zoho CRM and HR's roster is `hub demo` (`hub.demo`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

FILES = ("managers.csv", "customers.csv", "activities.csv", "goals.csv")


def write_example(target: Path) -> str:
    """Write hub.toml and data/*.csv into `target`; return a one-line summary."""
    source = resources.files("hub.demo").joinpath("example")
    data = target / "data"
    data.mkdir(parents=True, exist_ok=True)
    (target / "hub.toml").write_bytes(source.joinpath("hub.toml").read_bytes())
    counts = []
    for name in FILES:
        content = source.joinpath("data").joinpath(name).read_bytes()
        (data / name).write_bytes(content)
        rows = content.count(b"\n") - 1
        counts.append(f"{rows} rows in {name}")
    return ", ".join(counts)
