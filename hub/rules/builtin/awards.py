"""`awards`: non-monetary recognition, recorded as awards (not earnings).

- `top`: the top N managers by scorecard score. Ties at the last place are
  all included (competition ranking: 1, 2, 2, 4 …), so nobody loses a
  recognition to a sort order.
- `satisfaction`: managers whose mean feedback score reaches a threshold on
  enough responses.

An award may carry a reporting value (what the recognition is worth), which
is shown but never paid.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select

from hub.rules.builtin.common import PlanKind, managers
from hub.rules.builtin.scorecard import SCORECARD
from hub.rules.config import RuleRef
from hub.rules.context import RuleContext
from hub.rules.money import percent, round_ratio
from hub.rules.results import Award, Trace, num
from hub.rules.spec import Kind, RuleParams, RuleSpec, Stage


class TopAward(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=1, description="how many places are recognised")
    title: str = "Top performer"
    min_score: Decimal | None = Field(default=None, ge=0, description="and at least this score")
    value: Decimal | None = Field(default=None, ge=0, description="reporting value")


class SatisfactionAward(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_average: Decimal = Field(ge=0)
    min_responses: int = Field(default=3, ge=1)
    title: str = "Customer satisfaction award"
    value: Decimal | None = Field(default=None, ge=0)


class AwardsParams(RuleParams):
    plan_period: PlanKind | None = None
    teams: list[str] | None = None
    scorecard: RuleRef | None = Field(default=None, description="scorecard rule (for `top`)")
    top: TopAward | None = None
    satisfaction: SatisfactionAward | None = None

    @model_validator(mode="after")
    def _check(self) -> AwardsParams:
        if self.top is None and self.satisfaction is None:
            raise ValueError("configure `top`, `satisfaction` or both")
        if self.top is not None and self.scorecard is None:
            self.scorecard = "scorecard"
        return self


def evaluate(ctx: RuleContext, params: AwardsParams) -> Iterator[Award]:
    plan = ctx.plan_period(params.plan_period)
    scope = managers(ctx, params.teams)
    if params.top is not None and params.scorecard:
        yield from _top(ctx, params.top, params.scorecard, plan.label, scope)
    if params.satisfaction is not None:
        yield from _satisfaction(ctx, params.satisfaction, plan, scope)


def _top(
    ctx: RuleContext, top: TopAward, rule: str, period: str, scope: dict[str, object]
) -> Iterator[Award]:
    cards = [
        m
        for m in ctx.measures(rule=rule, metric=SCORECARD)
        if m.period == period and m.manager_id in scope and m.attainment is not None
    ]
    if top.min_score is not None:
        cards = [m for m in cards if m.attainment is not None and m.attainment >= top.min_score]
    cards.sort(key=lambda m: (-(m.attainment or 0), m.manager_id))
    rank = 0
    for position, card in enumerate(cards, start=1):
        if rank == 0 or card.attainment != cards[position - 2].attainment:
            rank = position
        if rank > top.count:
            break
        trace = Trace()
        trace.add("scorecard score", card.attainment, period)
        trace.add("rank", rank, f"of {len(cards)} scored managers; top {top.count} recognised")
        assert card.manager_id is not None
        yield Award(
            manager_id=card.manager_id,
            award="top_scorecard",
            title=top.title,
            reason=f"rank {rank} by scorecard ({percent(card.attainment)}) in {period}",
            rank=rank,
            value=top.value,
            currency=ctx.base_currency if top.value is not None else None,
            trace=trace,
        )


def _satisfaction(
    ctx: RuleContext, award: SatisfactionAward, plan: object, scope: dict[str, object]
) -> Iterator[Award]:
    q = ctx.query
    a = q.table("activities")
    start, end = ctx.window(plan)  # type: ignore[arg-type]
    from_, key = q.credited("manager")
    statement = (
        select(key, func.sum(a.c.score), func.count(a.c.score))
        .select_from(from_)
        .where(
            a.c.kind == "feedback",
            q.live(a),
            a.c.score.is_not(None),
            q.in_window(a.c.occurred_at, start, end),
        )
        .group_by(key)
    )
    for manager_id, total, count in q.rows(statement):
        if manager_id not in scope or count < award.min_responses:
            continue
        mean = round_ratio(total / Decimal(count))
        if mean < award.min_average:
            continue
        trace = Trace()
        trace.add("feedback scores", count, f"at least {award.min_responses} needed")
        trace.add("mean score", mean, f"{num(total)} ÷ {count}; threshold {num(award.min_average)}")
        yield Award(
            manager_id=manager_id,
            award="satisfaction",
            title=award.title,
            reason=f"mean satisfaction {num(mean)} on {count} responses in {plan}",
            value=award.value,
            currency=ctx.base_currency if award.value is not None else None,
            trace=trace,
        )


SPEC = RuleSpec(
    id="awards",
    version="1",
    kind=Kind.incentive,
    stage=Stage.reward,
    params=AwardsParams,
    reads=("activities", "customers", "managers", "measures"),
    evaluate=evaluate,
    summary="recognition awards: top N by scorecard, satisfaction above a threshold",
)
