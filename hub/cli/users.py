"""`hub users add|list|remove|set-role|set-password`: who may use the dashboard."""

from __future__ import annotations

import sys

import click

from hub.cli.common import config_from, print_json, print_table, store_from
from hub.errors import ConfigError
from hub.store.database import Store
from hub.web.tables import ROLES

_ROLE = click.Choice(ROLES)


def _store(ctx: click.Context) -> Store:
    store = store_from(config_from(ctx))
    store.upgrade()
    return store


def _read_password(from_stdin: bool) -> str:
    """From stdin (one line, for scripts) or a hidden prompt on a terminal; never an argument,
    which would end up in the shell history and the process list."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ConfigError("no terminal to ask for the password: use --password-stdin")
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


@click.group()
def users() -> None:
    """Dashboard users and their roles: admin (everything), lead (their team),
    manager (their own rows)."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=_ROLE, required=True)
@click.option("--manager", "-m", help="Manager record this user is (source id, e-mail, …).")
@click.option("--team", help="Team a lead leads (default: the team of --manager).")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.option("--no-password", is_flag=True, help="Log in only through the trusted proxy header.")
@click.pass_context
def users_add(
    ctx: click.Context,
    username: str,
    role: str,
    manager: str | None,
    team: str | None,
    password_stdin: bool,
    no_password: bool,
) -> None:
    """Add a user."""
    from hub.web import users as accounts

    store = _store(ctx)  # a broken config fails before anyone types a password
    password = None if no_password else _read_password(password_stdin)
    with store.begin() as conn:
        user = accounts.add(conn, username, role, password=password, manager=manager, team=team)
    click.echo(f"added {user.username} ({user.role})")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def users_list(ctx: click.Context, as_json: bool) -> None:
    """Users, their roles, teams and managers."""
    from hub.store.tables import entity_tables
    from hub.web import users as accounts

    store = store_from(config_from(ctx))
    found = []
    if store.current_revision() is not None and store.is_current():
        with store.read() as conn:
            m = entity_tables["managers"]
            refs = dict(conn.execute(m.select().with_only_columns(m.c.id, m.c.source_id)).all())
            found = [
                {
                    "username": u.username,
                    "role": u.role,
                    "team": u.team,
                    "manager": refs.get(u.manager_id, u.manager_id) if u.manager_id else None,
                }
                for u in accounts.listing(conn)
            ]
    if as_json:
        print_json(found)
        return
    print_table(
        None,
        ["user", "role", "team", "manager"],
        [(u["username"], u["role"], u["team"] or "", u["manager"] or "") for u in found],
    )


@users.command("remove")
@click.argument("username")
@click.pass_context
def users_remove(ctx: click.Context, username: str) -> None:
    """Remove a user (their sessions end at the next request)."""
    from hub.web import users as accounts

    with _store(ctx).begin() as conn:
        accounts.remove(conn, username)
    click.echo(f"removed {username}")


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=_ROLE)
@click.option("--manager", "-m", help="Manager record this user is.")
@click.option("--team", help="Team a lead leads.")
@click.pass_context
def users_set_role(
    ctx: click.Context, username: str, role: str, manager: str | None, team: str | None
) -> None:
    """Change a user's role (and team or manager)."""
    from hub.web import users as accounts

    with _store(ctx).begin() as conn:
        user = accounts.set_role(conn, username, role, manager=manager, team=team)
    click.echo(f"{user.username} is now {user.role}" + (f" of {user.team}" if user.team else ""))


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.pass_context
def users_set_password(ctx: click.Context, username: str, password_stdin: bool) -> None:
    """Set a user's password."""
    from hub.web import users as accounts

    store = _store(ctx)  # a broken config fails before anyone types a password
    password = _read_password(password_stdin)
    with store.begin() as conn:
        accounts.set_password(conn, username, password)
    click.echo(f"password of {username} changed")
