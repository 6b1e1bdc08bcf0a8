"""`duplicates`: customers that are the same company or person (撞单).

Match keys are normalised in SQL in one pass over the customers, across
every source, and equal keys are grouped:

- phone: separators dropped, a +86 / 0086 prefix removed;
- credit_code: the unified social credit code, upper case, no spaces;
- email: lower case;
- name: lower case without spaces, brackets, dots and dashes.

Every customer in a group of two or more is a violation naming the others;
a customer with none of the configured keys cannot be compared.

On unified customers (the default) the records identity merged are one
customer already, so what remains is what identity could not merge, plus
the pairs it left for a person to decide (`hub identity review`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import ColumnElement, and_, case, func, select

from hub.rules.builtin.common import ComplianceParams, ref
from hub.rules.context import RuleContext
from hub.rules.results import Finding, Status
from hub.rules.spec import Kind, RuleSpec, Stage

Key = Literal["phone", "credit_code", "email", "name"]
MAX_LISTED = 10


class DuplicatesParams(ComplianceParams):
    keys: list[Key] = Field(default_factory=lambda: ["phone", "credit_code", "name"], min_length=1)


def _strip(column: ColumnElement[Any], characters: str) -> ColumnElement[Any]:
    for ch in characters:
        column = func.replace(column, ch, "")
    return column


def normalised(key: str, c: Any) -> ColumnElement[Any]:
    if key == "phone":
        x = _strip(func.trim(c.c.phone), " -+().\u3000")
        x = case(
            (and_(func.length(x) == 15, func.substr(x, 1, 4) == "0086"), func.substr(x, 5)),
            (and_(func.length(x) == 13, func.substr(x, 1, 2) == "86"), func.substr(x, 3)),
            else_=x,
        )
    elif key == "credit_code":
        x = func.upper(_strip(func.trim(c.c.credit_code), " -"))
    elif key == "email":
        x = func.lower(func.trim(c.c.email))
    else:
        x = func.lower(_strip(func.trim(c.c.name), " \u3000()（）.,，·-_"))
    return func.nullif(x, "")


def evaluate(ctx: RuleContext, params: DuplicatesParams) -> Iterator[Finding]:
    q = ctx.query
    c = q.table("customers")
    keys = list(params.keys)
    # one pass: the database normalises every key, grouping equal keys is a dict away
    rows = list(
        q.rows(
            select(c.c.id, c.c.source, c.c.source_id, c.c.phone, *(normalised(k, c) for k in keys))
            .where(q.live(c))
            .order_by(c.c.source, c.c.source_id)
        )
    )
    position = {row.id: i for i, row in enumerate(rows)}
    undecided: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for a, b, score in q.undecided("customers"):
        if a in position and b in position:
            undecided[position[a]].append((position[b], score))
            undecided[position[b]].append((position[a], score))
    groups: list[dict[str, list[int]]] = [defaultdict(list) for _ in keys]
    for i, row in enumerate(rows):
        for j, by_value in enumerate(groups):
            value = row[4 + j]
            if value is not None:
                by_value[value].append(i)
    for i, row in enumerate(rows):
        found: list[dict[str, Any]] = []
        for j, key in enumerate(keys):
            value = row[4 + j]
            members = groups[j].get(value, ()) if value is not None else ()
            if len(members) < 2:
                continue
            others = [ref(rows[m]) for m in members if m != i]
            match: dict[str, Any] = {"match": key, "same_as": others[:MAX_LISTED]}
            if len(others) > MAX_LISTED:
                match["and_more"] = len(others) - MAX_LISTED
            if key == "phone":
                match["phone"] = row.phone
            found.append(match)
        if undecided.get(i):
            pairs = sorted(undecided[i], key=lambda p: -p[1])[:MAX_LISTED]
            found.append(
                {
                    "match": "identity review",
                    "same_as": [ref(rows[m]) for m, _ in pairs],
                    "scores": [round(s, 3) for _, s in pairs],
                }
            )
        if found:
            names = ", ".join(dict.fromkeys(m["match"] for m in found if m["match"] in keys))
            others = list(dict.fromkeys(o for m in found for o in m["same_as"]))
            listed = ", ".join(others[:3]) + (" …" if len(others) > 3 else "")
            message = f"same {names} as {listed}" if names else f"maybe the same as {listed}"
            unsure = names == ""
            yield Finding(
                "customer",
                row.id,
                Status.violation,
                message + (" (identity could not decide: hub identity review)" if unsure else ""),
                ref(row),
                evidence={"matches": found},
                suggested_action="decide with hub identity link or unlink"
                if unsure
                else "merge the duplicates in the CRM, keeping one owner",
            )
        elif all(row[4 + j] is None for j in range(len(keys))):
            yield Finding(
                "customer",
                row.id,
                Status.not_evaluated,
                f"none of the match keys ({', '.join(keys)}) is filled in",
                ref(row),
                evidence={"keys": keys},
                suggested_action="fill in the phone or credit code",
            )
        else:
            yield Finding("customer", row.id, Status.passed, "no duplicate found", ref(row))


SPEC = RuleSpec(
    id="duplicates",
    version="2",
    kind=Kind.compliance,
    stage=Stage.compliance,
    params=DuplicatesParams,
    reads=("customers",),
    evaluate=evaluate,
    summary="duplicate customers by normalised phone, credit code, e-mail or name",
)
