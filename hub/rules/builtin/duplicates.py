"""`duplicates`: customers that are the same company or person (撞单).

Match keys are normalised in SQL in one pass over the customers, across
every source, and equal keys are grouped:

- phone: separators dropped, a +86 / 0086 prefix removed;
- credit_code: the unified social credit code, upper case, no spaces;
- email: lower case;
- name: lower case without spaces, brackets, dots and dashes;
- contact_mobile, contact_email: the mobiles and e-mails of the customer's
  live contacts, normalised as phone and email (two customers whose buyer
  is the same person). Not on by default: one bookkeeper often serves
  several small companies.

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

Key = Literal["phone", "credit_code", "email", "name", "contact_mobile", "contact_email"]
MAX_LISTED = 10
CONTACT_KEYS = {"contact_mobile": "mobile", "contact_email": "email"}
"""Keys read from the customer's contacts: key -> contact field."""


class DuplicatesParams(ComplianceParams):
    keys: list[Key] = Field(default_factory=lambda: ["phone", "credit_code", "name"], min_length=1)


def _strip(column: ColumnElement[Any], characters: str) -> ColumnElement[Any]:
    for ch in characters:
        column = func.replace(column, ch, "")
    return column


def normalised(key: str, c: Any) -> ColumnElement[Any]:
    """The key's normalised value, in SQL (`c`: the customers, or the contacts for
    the contact keys)."""
    if key in ("phone", "contact_mobile"):
        x = _strip(func.trim(c.c.phone if key == "phone" else c.c.mobile), " -+().\u3000")
        x = case(
            (and_(func.length(x) == 15, func.substr(x, 1, 4) == "0086"), func.substr(x, 5)),
            (and_(func.length(x) == 13, func.substr(x, 1, 2) == "86"), func.substr(x, 3)),
            else_=x,
        )
    elif key == "credit_code":
        x = func.upper(_strip(func.trim(c.c.credit_code), " -"))
    elif key in ("email", "contact_email"):
        x = func.lower(func.trim(c.c.email))
    else:
        x = func.lower(_strip(func.trim(c.c.name), " \u3000()（）.,，·-_"))
    return func.nullif(x, "")


def evaluate(ctx: RuleContext, params: DuplicatesParams) -> Iterator[Finding]:
    q = ctx.query
    c = q.table("customers")
    keys = list(params.keys)
    own = [k for k in keys if k not in CONTACT_KEYS]
    # one pass: the database normalises every key, grouping equal keys is a dict away
    rows = list(
        q.rows(
            select(c.c.id, c.c.source, c.c.source_id, c.c.phone, *(normalised(k, c) for k in own))
            .where(q.live(c))
            .order_by(c.c.source, c.c.source_id)
        )
    )
    position = {row.id: i for i, row in enumerate(rows)}
    values = _values(q, keys, own, rows, position)
    undecided: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for a, b, score in q.undecided("customers"):
        if a in position and b in position:
            undecided[position[a]].append((position[b], score))
            undecided[position[b]].append((position[a], score))
    groups: list[dict[str, list[int]]] = [defaultdict(list) for _ in keys]
    for i in range(len(rows)):
        for j, by_value in enumerate(groups):
            for value in values[j][i]:
                by_value[value].append(i)
    for i, row in enumerate(rows):
        found: list[dict[str, Any]] = []
        for j, key in enumerate(keys):
            members = sorted({m for v in values[j][i] for m in groups[j][v]})
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
        elif not any(values[j][i] for j in range(len(keys))):
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


def _values(
    q: Any, keys: list[str], own: list[str], rows: list[Any], position: dict[str, int]
) -> list[list[tuple[str, ...]]]:
    """Key -> customer position -> its normalised values: at most one of its own
    fields, any number from its contacts (one query per contact key)."""
    out: list[list[tuple[str, ...]]] = []
    for key in keys:
        if key not in CONTACT_KEYS:
            j = 4 + own.index(key)
            out.append([(row[j],) if row[j] is not None else () for row in rows])
            continue
        t = q.table("contacts")
        found: list[set[str]] = [set() for _ in rows]
        value = normalised(key, t)
        statement = select(t.c.customer_id, value).where(
            q.live(t), t.c.customer_id.is_not(None), value.is_not(None)
        )
        for customer_id, normal in q.rows(statement):
            if customer_id in position:
                found[position[customer_id]].add(normal)
        out.append([tuple(sorted(v)) for v in found])
    return out


SPEC = RuleSpec(
    id="duplicates",
    version="2",
    kind=Kind.compliance,
    stage=Stage.compliance,
    params=DuplicatesParams,
    reads=("customers", "contacts"),
    evaluate=evaluate,
    summary="duplicate customers by normalised phone, credit code, e-mail, name or their "
    "contacts' mobiles and e-mails",
)
