"""Money in rules: exact Decimals, conversion to the base currency, rounding.

The rounding rule, stated once: totals in another currency are converted
per (subject, currency) and rounded to the cent; every earning line is
computed exactly and rounded once, at the end, to the cent (half up);
attainment is rounded to four decimals (0.01 %) when it is measured, and
that rounded value is what every later stage uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from hub.rules.results import Trace, num

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
ZERO = Decimal(0)


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_ratio(value: Decimal) -> Decimal:
    return value.quantize(RATIO, rounding=ROUND_HALF_UP)


def money(value: Decimal | None, currency: str) -> str:
    """`600,000.00 CNY` for people."""
    if value is None:
        return f"— {currency}"
    return f"{value:,.2f} {currency}"


def percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.2f}%"


@dataclass(frozen=True)
class Converter:
    """Converts amounts to the base currency at the configured rates."""

    base: str
    rates: Mapping[str, Decimal]
    """Value of one unit of each currency in the base currency."""

    def rate(self, currency: str) -> Decimal | None:
        if currency == self.base:
            return Decimal(1)
        return self.rates.get(currency)

    def to_base(
        self, totals: Mapping[str, Decimal], trace: Trace | None = None
    ) -> tuple[Decimal | None, str | None]:
        """Sum per-currency totals in the base currency: (total, None) or
        (None, cause) when a currency has no rate."""
        total = ZERO
        for currency in sorted(totals):
            amount = totals[currency]
            rate = self.rate(currency)
            if rate is None:
                return None, (
                    f"no exchange rate for {currency} (add it to [currency_rates] in hub.toml)"
                )
            if currency == self.base:
                converted = amount
                if trace is not None:
                    trace.add(f"total in {currency}", amount)
            else:
                converted = round_money(amount * rate)
                if trace is not None:
                    trace.add(
                        f"total in {currency}, converted",
                        converted,
                        f"{num(amount)} {currency} × {num(rate)} = {num(converted)} {self.base}",
                    )
            total += converted
        return total, None
