"""Rate tables, bands and curves, with their semantics spelled out.

Vendors use "step", "cumulative" and "tiered" for opposite things, so a rate
table here always names its semantics:

- `marginal`: each slice of the base is paid at its own tier's rate.
  Tiers 3 % to 300k, 5 % to 500k, 7 % above; base 600k →
  300k × 3 % + 200k × 5 % + 100k × 7 % = 26,000.
- `retroactive`: the rate of the tier the base reaches applies to the whole
  base. Same table, 600k → 600k × 7 % = 42,000.
- `linear`: the rate rises linearly across each tier, from the tier's rate
  at its lower bound to the next tier's rate at its upper bound, and applies
  to the whole base; the open top tier is flat. Same table, 400k →
  5 % + (7 % − 5 %) × 100k ÷ 200k = 6 % → 24,000.

Boundary rule: tiers are written with upper bounds (`upto`), the last tier
is open. With `boundary = "next"` (the default, as Oracle does it) a base
equal to a bound belongs to the next tier, i.e. tiers are [low, high); with
`boundary = "this"` it stays in the tier it closes, (low, high]. Marginal
and linear results are continuous, so the rule only changes retroactive ones.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.rules.results import Trace, num

ZERO = Decimal(0)


class Semantics(StrEnum):
    marginal = "marginal"
    retroactive = "retroactive"
    linear = "linear"


class Boundary(StrEnum):
    next = "next"
    this = "this"


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    upto: Decimal | None = Field(default=None, description="upper bound; omit on the last tier")
    rate: Decimal = Field(ge=0)


def check_tiers(bounds: list[Decimal | None]) -> None:
    if not bounds:
        raise ValueError("give at least one tier")
    if bounds[-1] is not None:
        raise ValueError("the last tier must be open-ended (no `upto`)")
    previous = ZERO
    for i, bound in enumerate(bounds[:-1], start=1):
        if bound is None:
            raise ValueError(f"tier {i} needs an `upto` (only the last tier is open)")
        if bound <= previous:
            raise ValueError(f"tier {i}: `upto` must be above the previous bound ({previous})")
        previous = bound


class RateTable(BaseModel):
    """Tiers with explicit semantics and boundary rule."""

    model_config = ConfigDict(extra="forbid")

    semantics: Semantics = Field(description="marginal | retroactive | linear (no default)")
    boundary: Boundary = Field(
        default=Boundary.next,
        description="next: a base equal to a bound takes the next tier's rate; this: it "
        "keeps the tier it closes",
    )
    tiers: list[Tier] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> RateTable:
        check_tiers([t.upto for t in self.tiers])
        return self

    def points(self) -> list[tuple[Decimal | None, Decimal]]:
        return [(t.upto, t.rate) for t in self.tiers]


def _tier_index(bounds: list[Decimal | None], value: Decimal, boundary: Boundary) -> int:
    for i, upto in enumerate(bounds):
        if upto is None:
            return i
        if value < upto or (boundary is Boundary.this and value == upto):
            return i
    return len(bounds) - 1


def _label(i: int, lower: Decimal, upto: Decimal | None, scale: Decimal) -> str:
    low = lower * scale
    if upto is None:
        return f"tier {i + 1} (from {num(low, True)})"
    return f"tier {i + 1} ({num(low, True)} to {num(upto * scale, True)})"


def apply_tiers(
    points: list[tuple[Decimal | None, Decimal]],
    semantics: Semantics,
    boundary: Boundary,
    base: Decimal,
    trace: Trace,
    *,
    scale: Decimal = Decimal(1),
    unit: str = "",
) -> tuple[Decimal, str, Decimal]:
    """Apply tiers to `base`; bounds are multiplied by `scale` (a target, for
    tiers on attainment). Returns (exact amount, tier reached, effective rate)."""
    if base < 0:
        trace.add("base below zero", base, "nothing is paid on a negative base")
        return ZERO, "none", ZERO
    bounds = [None if u is None else u * scale for u, _ in points]
    rates = [r for _, r in points]
    lowers = [ZERO, *[b for b in bounds[:-1] if b is not None]]
    suffix = f" {unit}" if unit else ""
    if semantics is Semantics.marginal:
        amount = ZERO
        reached = 0
        for i, (lower, upper, rate) in enumerate(zip(lowers, bounds, rates, strict=True)):
            top = base if upper is None else min(base, upper)
            slice_ = top - lower
            if slice_ <= 0:
                break
            reached = i
            part = slice_ * rate
            amount += part
            trace.add(
                f"{_label(i, lower, upper, Decimal(1))}: slice × rate",
                part,
                f"{num(slice_, True)}{suffix} × {num(rate)}",
            )
        effective = amount / base if base else rates[0]
        return amount, _label(reached, lowers[reached], bounds[reached], Decimal(1)), effective
    i = _tier_index(bounds, base, boundary)
    label = _label(i, lowers[i], bounds[i], Decimal(1))
    rate = rates[i]
    if semantics is Semantics.linear and bounds[i] is not None:
        lower, upper, next_rate = lowers[i], bounds[i], rates[i + 1]
        assert upper is not None
        rate = rates[i] + (next_rate - rates[i]) * (base - lower) / (upper - lower)
        trace.add(
            f"{label}: interpolated rate",
            rate,
            f"{num(rates[i])} + ({num(next_rate)} − {num(rates[i])}) × "
            f"({num(base, True)} − {num(lower, True)}) ÷ ({num(upper, True)} − {num(lower, True)})",
        )
    else:
        trace.add(f"{label}: rate for the whole base", rate, f"{semantics} ({boundary} boundary)")
    amount = base * rate
    trace.add("base × rate", amount, f"{num(base, True)}{suffix} × {num(rate)}")
    return amount, label, rate


class CurvePoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: Decimal
    factor: Decimal = Field(ge=0)


def interpolate(points: list[CurvePoint], x: Decimal) -> Decimal:
    """Piecewise-linear curve; flat before the first point and after the last."""
    if x <= points[0].score:
        return points[0].factor
    for left, right in itertools.pairwise(points):
        if x <= right.score:
            span = right.score - left.score
            return left.factor + (right.factor - left.factor) * (x - left.score) / span
    return points[-1].factor
