"""Dashboard users: adding, listing, removing, changing roles; checking passwords.

Passwords are hashed with argon2id (argon2-cffi's defaults); the hash is the
only thing stored. A manager user is tied to the manager record they are
(found by source id, employee number, e-mail or hub id), a lead to a team.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, insert, select, update

from hub.errors import ConfigError
from hub.identity.lookup import find_manager
from hub.identity.views import unified_view
from hub.web.tables import ROLES, web_users

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password anyone has")
MIN_PASSWORD = 8


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    manager_id: str | None
    team: str | None
    language: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _user(row: Any) -> User:
    return User(row.id, row.username, row.role, row.manager_id, row.team, row.language)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"password: at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def resolve_manager(conn: Connection, text: str) -> str:
    """The hub id of a manager named by hub id, source id, employee number or e-mail:
    the unified manager's when they are one person in several sources."""
    return find_manager(conn, text)


def _check_role(role: str, manager_id: str | None, team: str | None) -> None:
    if role not in ROLES:
        raise ConfigError(f"--role {role}: one of {', '.join(ROLES)}")
    if role == "manager" and not manager_id:
        raise ConfigError("--role manager needs --manager (who this user is)")
    if role == "lead" and not team:
        raise ConfigError("--role lead needs --team (the team they lead)")


def add(
    conn: Connection,
    username: str,
    role: str,
    *,
    password: str | None,
    manager: str | None = None,
    team: str | None = None,
    now: dt.datetime | None = None,
) -> User:
    username = username.strip()
    if not username or len(username) > 128:
        raise ConfigError("user name: 1 to 128 characters")
    manager_id = resolve_manager(conn, manager) if manager else None
    if role == "lead" and not team and manager_id:
        team = _team_of(conn, manager_id)
    _check_role(role, manager_id, team)
    if get(conn, username) is not None:
        raise ConfigError(f"user {username!r} exists already (hub users set-role to change it)")
    now = now or dt.datetime.now(dt.UTC)
    conn.execute(
        insert(web_users).values(
            username=username,
            password_hash=hash_password(password) if password else None,
            role=role,
            manager_id=manager_id,
            team=team,
            created_at=now,
            updated_at=now,
        )
    )
    user = get(conn, username)
    assert user is not None
    return user


def _team_of(conn: Connection, manager_id: str) -> str | None:
    """The manager's team as survived on the unified record (e.g. HR's)."""
    v = unified_view("managers")
    return conn.execute(select(v.c.team).where(v.c.id == manager_id)).scalar()


def get(conn: Connection, username: str) -> User | None:
    row = conn.execute(select(web_users).where(web_users.c.username == username)).first()
    return _user(row) if row else None


def listing(conn: Connection) -> list[User]:
    return [_user(r) for r in conn.execute(select(web_users).order_by(web_users.c.username))]


def remove(conn: Connection, username: str) -> None:
    if not conn.execute(delete(web_users).where(web_users.c.username == username)).rowcount:
        raise ConfigError(f"no user {username!r}")


def set_role(
    conn: Connection,
    username: str,
    role: str,
    *,
    manager: str | None = None,
    team: str | None = None,
) -> User:
    user = get(conn, username)
    if user is None:
        raise ConfigError(f"no user {username!r}")
    manager_id = resolve_manager(conn, manager) if manager else user.manager_id
    team = team or (user.team if role == "lead" else None)
    if role == "lead" and not team and manager_id:
        team = _team_of(conn, manager_id)
    _check_role(role, manager_id, team)
    conn.execute(
        update(web_users)
        .where(web_users.c.username == username)
        .values(
            role=role,
            manager_id=manager_id if role != "admin" else None,
            team=team if role == "lead" else None,
            updated_at=dt.datetime.now(dt.UTC),
        )
    )
    found = get(conn, username)
    assert found is not None
    return found


def set_password(conn: Connection, username: str, password: str) -> None:
    if not conn.execute(
        update(web_users)
        .where(web_users.c.username == username)
        .values(password_hash=hash_password(password), updated_at=dt.datetime.now(dt.UTC))
    ).rowcount:
        raise ConfigError(f"no user {username!r}")


def set_language(conn: Connection, user_id: int, language: str) -> None:
    conn.execute(update(web_users).where(web_users.c.id == user_id).values(language=language))


def authenticate(conn: Connection, username: str, password: str) -> User | None:
    """The user if the password is right. An unknown user costs the same time
    as a wrong password, so user names cannot be probed by timing."""
    row = conn.execute(select(web_users).where(web_users.c.username == username)).first()
    stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not row.password_hash:
        return None
    return _user(row)
