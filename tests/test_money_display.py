"""Money in terminal tables shows the currency's minor units; CSV and JSON stay exact."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from hub.reports.money import minor_units, shown
from hub.reports.output import Report, Section, amount, priced, write


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (Decimal("116213.6300"), "CNY", "116,213.63"),
        (Decimal("116213.6350"), "USD", "116,213.64"),  # half up
        (Decimal("5000.0000"), "JPY", "5,000"),
        (Decimal("4999.5000"), "JPY", "5,000"),
        (Decimal("1.2345"), "KWD", "1.235"),
        (Decimal("-0.0050"), "CNY", "-0.01"),
        (Decimal("0"), None, "0.00"),
        ("12.5", "EUR", "12.50"),
        ("not evaluated", "CNY", "not evaluated"),
        (None, "CNY", ""),
    ],
)
def test_shown_in_minor_units(value: object, currency: str | None, text: str) -> None:
    assert shown(value, currency) == text


def test_minor_units_table() -> None:
    assert (minor_units("JPY"), minor_units("CNY"), minor_units("USD"), minor_units("BHD")) == (
        0,
        2,
        2,
        3,
    )
    assert minor_units("jpy") == 0 and minor_units(None) == 2


def report() -> Report:
    rows = [
        {"who": "a", "payable": Decimal("116213.6300"), "currency": "CNY"},
        {"who": "b", "payable": Decimal("5000.0000"), "currency": "JPY"},
    ]
    lines = [
        {"step": "amount", "value": Decimal("22926.4400"), "currency": "CNY"},
        {"step": "attainment", "value": Decimal("1.1122"), "currency": None},
    ]
    return Report(
        "test",
        {"currency": "CNY"},
        [
            Section("payables", ["who", "payable", "currency"], rows, display={"payable": amount}),
            Section("lines", ["step", "value"], lines, display={"value": priced}),
        ],
    )


def test_terminal_tables_use_minor_units(capsys: pytest.CaptureFixture[str]) -> None:
    write(report(), "table", None)
    out = capsys.readouterr().out
    assert "116,213.63" in out and "5,000 " in out and "22,926.44" in out
    assert "1.1122" in out  # a ratio is not money
    assert "116213.6300" not in out and "5,000.00" not in out and "22926.4400" not in out


def test_json_and_csv_keep_the_exact_value(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    write(report(), "json", None)
    data = json.loads(capsys.readouterr().out)
    assert data["payables"][0]["payable"] == "116213.6300"
    target = tmp_path / "r.csv"
    write(report(), "csv", str(target))
    assert "116213.6300" in target.read_text(encoding="utf-8")
