"""Money as people read it: in the currency's minor units (ISO 4217).

`116213.6300 CNY` shows as `116,213.63`, `5000.0000 JPY` as `5,000`, `1.2345
KWD` as `1.235`. Only terminal tables and HTML use this; CSV and JSON keep
the exact stored value.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

MINOR_UNITS = {
    # no minor unit in use
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "PYG": 0,
    "UGX": 0,
    "XAF": 0,
    "XOF": 0,
    "IDR": 0,  # ISO says 2, but no sub-unit circulates and every price is whole rupiah
    # three decimals
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
}
"""Currencies whose minor unit is not the cent; every other one has two
decimals (CNY, USD, EUR, HKD, GBP, ...)."""


def minor_units(currency: str | None) -> int:
    return MINOR_UNITS.get((currency or "").upper(), 2)


def shown(value: Any, currency: str | None = None) -> str:
    """`116,213.63`: grouped, rounded half up to the currency's minor units."""
    if value is None:
        return ""
    if isinstance(value, str) and not _numeric(value):
        return value  # "not evaluated" and other words stay as they are
    number = Decimal(value)
    if not number.is_finite():
        return str(number)
    places = minor_units(currency)
    number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{number:,.{places}f}"


def _numeric(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True
