"""Inquiries on statement lines: a manager questions a line, an admin answers.

Submitted → In review → Resolved or Denied (with a reason); an admin may also
answer straight from Submitted. Every step adds an event (who, when, from,
to, note), so the trail is complete; nothing is ever deleted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, insert, select, update

from hub.web.data import BadInput, Forbidden, NotFound, Scope
from hub.web.tables import web_inquiries, web_inquiry_events

KINDS = ("missing_credit", "wrong_amount", "other")
SUBMITTED, IN_REVIEW, RESOLVED, DENIED = "Submitted", "In review", "Resolved", "Denied"
STATUSES = (SUBMITTED, IN_REVIEW, RESOLVED, DENIED)
MOVES = {SUBMITTED: (IN_REVIEW, RESOLVED, DENIED), IN_REVIEW: (RESOLVED, DENIED)}
"""Where an inquiry may go next; Resolved and Denied are final."""
MAX_COMMENT = 2000


def create(
    conn: Connection,
    scope: Scope,
    *,
    period: str,
    manager_id: str,
    line: str,
    kind: str,
    comment: str,
    lines: list[str],
) -> int:
    """`lines`: the items of the manager's statement; an inquiry names one of them."""
    if scope.user.role != "manager" or scope.user.manager_id != manager_id:
        raise Forbidden("only the manager themselves raises an inquiry on their statement")
    if kind not in KINDS:
        raise BadInput(f"kind {kind!r}: one of {', '.join(KINDS)}")
    if line not in lines:
        raise BadInput(f"line {line[:80]!r} is not on this statement")
    comment = comment.strip()
    if not comment:
        raise BadInput("comment: say what is wrong")
    if len(comment) > MAX_COMMENT:
        raise BadInput(f"comment: at most {MAX_COMMENT} characters")
    now = dt.datetime.now(dt.UTC)
    inquiry_id = conn.execute(
        insert(web_inquiries).values(
            period=period,
            manager_id=manager_id,
            line=line,
            kind=kind,
            comment=comment,
            status=SUBMITTED,
            created_by=scope.user.username,
            created_at=now,
            updated_at=now,
        )
    ).inserted_primary_key[0]
    _event(conn, inquiry_id, scope.user.username, None, SUBMITTED, comment, now)
    return int(inquiry_id)


def move(conn: Connection, scope: Scope, inquiry_id: int, to: str, reason: str) -> None:
    if scope.user.role != "admin":
        raise Forbidden("only admins answer inquiries")
    row = conn.execute(select(web_inquiries).where(web_inquiries.c.id == inquiry_id)).first()
    if row is None:
        raise NotFound(f"no inquiry {inquiry_id}")
    if to not in MOVES.get(row.status, ()):
        raise BadInput(f"inquiry {inquiry_id} is {row.status}: it cannot move to {to}")
    reason = reason.strip()
    if to in (RESOLVED, DENIED) and not reason:
        raise BadInput(f"{to}: give the reason")
    now = dt.datetime.now(dt.UTC)
    conn.execute(
        update(web_inquiries)
        .where(web_inquiries.c.id == inquiry_id)
        .values(status=to, reason=reason or row.reason, updated_at=now)
    )
    _event(conn, inquiry_id, scope.user.username, row.status, to, reason or None, now)


def _event(
    conn: Connection,
    inquiry_id: int,
    actor: str,
    before: str | None,
    after: str,
    note: str | None,
    at: dt.datetime,
) -> None:
    conn.execute(
        insert(web_inquiry_events).values(
            inquiry_id=inquiry_id,
            at=at,
            actor=actor,
            from_status=before,
            to_status=after,
            note=note,
        )
    )


def listing(
    conn: Connection, scope: Scope, *, manager_id: str | None = None, period: str | None = None
) -> list[dict[str, Any]]:
    """Inquiries the viewer reaches, newest first, each with its events."""
    i = web_inquiries
    query = select(i).order_by(i.c.id.desc()).limit(500)
    ids = scope.manager_ids()
    if ids is not None:
        query = query.where(i.c.manager_id.in_(ids))
    if manager_id:
        query = query.where(i.c.manager_id == manager_id)
    if period:
        query = query.where(i.c.period == period)
    rows = [dict(r._mapping) for r in conn.execute(query)]
    if not rows:
        return []
    events: dict[int, list[dict[str, Any]]] = {r["id"]: [] for r in rows}
    e = web_inquiry_events
    for ev in conn.execute(
        select(e).where(e.c.inquiry_id.in_(list(events))).order_by(e.c.at, e.c.id)
    ):
        events[ev.inquiry_id].append(dict(ev._mapping))
    for r in rows:
        r["events"] = events[r["id"]]
        r["moves"] = MOVES.get(r["status"], ())
    return rows
