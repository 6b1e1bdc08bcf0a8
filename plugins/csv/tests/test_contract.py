"""The CSV adapter keeps the adapter contract."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from hub.testing import AdapterContract

CUSTOMERS = [
    ["客户编号", "客户名称", "负责人", "手机", "客户等级", "创建时间"],
    ["C1", "上海甲贸易有限公司", "M1", "13812345678", "A", "2026/3/5"],
    ["C2", "北京乙科技有限公司", "M2", "13912345678", "B", "2026/3/6"],
    ["C3", "广州丙实业有限公司", "M1", "", "C", "2026-03-07 10:00"],
    ["C4", "深圳丁电子有限公司", "M2", "13712345678", "B", "2026/3/8"],
    ["C5", "杭州戊食品有限公司", "M1", "", "A", "2026/3/9"],
]
MANAGERS = [
    ["id", "name", "team", "active"],
    ["M1", "张伟", "domestic", "yes"],
    ["M2", "李娜", "domestic", "yes"],
    ["M3", "王强", "domestic", "no"],
]


def write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)


class TestCsvContract(AdapterContract):
    adapter_name = "csv"

    @pytest.fixture
    def settings(self, tmp_path: Path) -> dict[str, Any]:
        folder = tmp_path / "data"
        folder.mkdir()
        write(folder / "customers.csv", CUSTOMERS, "gb18030")
        write(folder / "managers.csv", MANAGERS)
        return {"folder": str(folder), "customers": "customers.csv", "managers": "managers.csv"}

    def change_source(self, settings: dict[str, Any]) -> dict[str, set[str]]:
        folder = Path(settings["folder"])
        rows = [list(r) for r in CUSTOMERS]
        rows[2][1] = "北京乙科技股份有限公司"  # C2 renamed
        rows.append(["C6", "成都己物流有限公司", "M2", "", "C", "2026/4/1"])
        write(folder / "customers.csv", rows, "gb18030")
        return {"customers": {"C2", "C6"}}
