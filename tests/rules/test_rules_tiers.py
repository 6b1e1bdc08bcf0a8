"""Rate tables, bands and curves: the worked examples, to the cent, in Decimal."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from pydantic import ValidationError

from hub.rules.results import Trace
from hub.rules.tiers import (
    Boundary,
    CurvePoint,
    RateTable,
    Semantics,
    apply_tiers,
    interpolate,
)

TABLE = [(D("300000"), D("0.03")), (D("500000"), D("0.05")), (None, D("0.07"))]


def pay(semantics: str, base: str, boundary: str = "next", table=TABLE) -> D:
    amount, _, _ = apply_tiers(table, Semantics(semantics), Boundary(boundary), D(base), Trace())
    return amount


def test_the_worked_example_marginal_and_retroactive() -> None:
    # tiers 3% to 300k, 5% to 500k, 7% above; sales 600k
    assert pay("marginal", "600000") == D("26000.00")  # 9,000 + 10,000 + 7,000
    assert pay("retroactive", "600000") == D("42000.00")  # 600k × 7%


def test_marginal_pays_each_slice_at_its_rate_and_says_so() -> None:
    trace = Trace()
    _amount, tier, rate = apply_tiers(TABLE, Semantics.marginal, Boundary.next, D("600000"), trace)
    assert [step["value"] for step in trace] == ["9000", "10000", "7000"]
    assert tier.startswith("tier 3")
    assert rate == D("26000") / D("600000")  # the blended rate a clawback reverses


def test_linear_interpolates_the_rate_within_a_tier() -> None:
    # 400k sits halfway through 300k..500k: 5% + (7% − 5%) × ½ = 6% on the whole base
    assert pay("linear", "400000") == D("24000.00")
    # the open top tier is flat
    assert pay("linear", "600000") == D("42000.00")
    # linear is continuous at a bound, whichever boundary rule
    assert pay("linear", "300000", "next") == pay("linear", "300000", "this") == D("15000")


def test_boundary_rule_decides_a_base_exactly_on_a_bound() -> None:
    # [low, high): 300k belongs to the 5% tier; (low, high]: it stays at 3%
    assert pay("retroactive", "300000", "next") == D("15000.00")
    assert pay("retroactive", "300000", "this") == D("9000.00")
    # marginal is the same either way
    assert pay("marginal", "300000", "next") == pay("marginal", "300000", "this") == D("9000")


def test_small_and_zero_bases() -> None:
    assert pay("marginal", "0") == 0
    assert pay("retroactive", "299999.99") == D("8999.9997")
    assert pay("marginal", "-5") == 0


def test_accelerator_bands_on_attainment() -> None:
    # quota 500k, target incentive 100k, 130% attainment, bands 1.0× to 100%, 1.5× to 130%,
    # 2.0× above, applied marginally: 100k + 30% × 100k × 1.5 = 145k
    bands = [(D("1.0"), D("1.0")), (D("1.3"), D("1.5")), (None, D("2.0"))]
    factor, _, _ = apply_tiers(bands, Semantics.marginal, Boundary.next, D("1.3"), Trace())
    assert D(100_000) * factor == D("145000.00")


def test_decelerator_band_below_half() -> None:
    # below 50% attainment pays 0.5×: 40% attainment earns 20k of a 100k target incentive
    bands = [(D("0.5"), D("0.5")), (D("1.0"), D("1.0")), (None, D("1.5"))]
    factor, _, _ = apply_tiers(bands, Semantics.marginal, Boundary.next, D("0.4"), Trace())
    assert D(100_000) * factor == D("20000.00")


def test_curve_is_piecewise_linear_and_flat_outside() -> None:
    curve = [
        CurvePoint(score=D("0.6"), factor=D("0.5")),
        CurvePoint(score=D("1.0"), factor=D("1.0")),
        CurvePoint(score=D("1.5"), factor=D("1.8")),
    ]
    assert interpolate(curve, D("0.8")) == D("0.75")
    assert interpolate(curve, D("1.25")) == D("1.4")
    assert interpolate(curve, D("0.1")) == D("0.5")
    assert interpolate(curve, D("3")) == D("1.8")


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([{"upto": "100", "rate": "0.1"}], "last tier must be open-ended"),
        ([{"rate": "0.1"}, {"rate": "0.2"}], "tier 1 needs an `upto`"),
        (
            [{"upto": "500", "rate": "0.1"}, {"upto": "300", "rate": "0.2"}, {"rate": "0.3"}],
            "tier 2: `upto` must be above",
        ),
        ([], "at least 1 item"),
    ],
)
def test_rate_tables_refuse_ambiguity(tiers: list[dict[str, str]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RateTable.model_validate({"semantics": "marginal", "tiers": tiers})


def test_semantics_has_no_default_and_refuses_vendor_words() -> None:
    with pytest.raises(ValidationError, match="semantics"):
        RateTable.model_validate({"tiers": [{"rate": "0.1"}]})
    with pytest.raises(ValidationError, match="semantics"):
        RateTable.model_validate({"semantics": "step", "tiers": [{"rate": "0.1"}]})
