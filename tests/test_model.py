"""The canonical model's invariants, and schemas/ kept in step with it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from hub.model import Activity, Customer, Goal, Manager, json_schemas

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def activity(**fields: object) -> Activity:
    base = {
        "source": "s",
        "source_id": "a1",
        "kind": "order",
        "occurred_at": dt.datetime(2026, 9, 30, 23, 30, tzinfo=SHANGHAI),
    }
    return Activity.model_validate({**base, **fields})


def test_datetimes_are_normalised_to_utc() -> None:
    a = activity()
    assert a.occurred_at == dt.datetime(2026, 9, 30, 15, 30, tzinfo=dt.UTC)
    assert a.occurred_at.tzinfo is dt.UTC


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        activity(occurred_at=dt.datetime(2026, 9, 30, 23, 30))


def test_money_is_exact_and_needs_a_currency() -> None:
    a = activity(amount="1234.50", currency="CNY")
    assert a.amount == Decimal("1234.50") and isinstance(a.amount, Decimal)
    with pytest.raises(ValidationError, match="amount needs a currency"):
        activity(amount="10")
    with pytest.raises(ValidationError, match="decimal places"):
        activity(amount="0.00001", currency="CNY")
    with pytest.raises(ValidationError, match="currency"):
        activity(amount="1", currency="yuan")


def test_goal_needs_a_manager_or_team_and_an_ordered_period() -> None:
    base = {
        "source": "s",
        "source_id": "g",
        "metric": "sales_amount",
        "period_label": "2026-Q3",
        "target": "500000",
    }
    Goal.model_validate(
        {**base, "team": "domestic", "period_start": "2026-07-01", "period_end": "2026-09-30"}
    )
    with pytest.raises(ValidationError, match="manager or a team"):
        Goal.model_validate({**base, "period_start": "2026-07-01", "period_end": "2026-09-30"})
    with pytest.raises(ValidationError, match="before period_start"):
        Goal.model_validate(
            {**base, "team": "t", "period_start": "2026-09-30", "period_end": "2026-07-01"}
        )


def test_unknown_fields_are_refused_so_adapters_put_them_in_extra() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        Customer.model_validate({"source": "s", "source_id": "c", "name": "甲", "wechat": "x"})
    c = Customer.model_validate(
        {"source": "s", "source_id": "c", "name": "甲", "extra": {"wechat": "x"}}
    )
    assert c.extra == {"wechat": "x"} and c.kind == "company"


def test_manager_defaults() -> None:
    m = Manager(source="s", source_id="m", name="张伟")
    assert m.active is True and m.id is None


def test_committed_schemas_match_the_models() -> None:
    folder = Path(__file__).parents[1] / "schemas"
    for name, text in json_schemas().items():
        path = folder / f"{name}.json"
        assert path.exists(), f"{path} is missing: run `hub schemas`"
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run `hub schemas`"
