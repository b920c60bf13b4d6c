"""``seagreen orgs …``, ``seagreen users …``, ``seagreen apikeys …``: identity from the command line.

Everything done here is recorded in the audit log with the operating-system user as the actor.
"""

from __future__ import annotations

import getpass
import json
import sys
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from seagreen.audit.domain import Actor
from seagreen.identity import service
from seagreen.identity.domain import ApiKey, Organisation, OrgKind, Role, User
from seagreen.kit.clock import LOCAL_TZ
from seagreen.kit.commandline import DbOption, JsonOption, console, runtime

orgs_app = typer.Typer(help="Organisations (机构).", no_args_is_help=True)
users_app = typer.Typer(help="Users (用户) and their roles.", no_args_is_help=True)
apikeys_app = typer.Typer(help="API keys (接口密钥) for partners' systems.", no_args_is_help=True)

RoleOption = Annotated[list[Role], typer.Option("--role", help="A role; repeat for several.")]


def _actor() -> Actor:
    return Actor.cli(getpass.getuser())


def _print_json(rows: list[dict[str, Any]]) -> None:
    console.print_json(json.dumps(rows, ensure_ascii=False, default=str))


def _org_dict(org: Organisation) -> dict[str, Any]:
    return {
        "code": org.code,
        "kind": str(org.kind),
        "name_zh": org.name_zh,
        "name_en": org.name_en,
        "parent": org.parent_code,
        "active": org.active,
        "created_at": org.created_at.isoformat(),
    }


def _user_dict(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "org": user.org_code,
        "roles": sorted(user.roles),
        "active": user.active,
        "created_at": user.created_at.isoformat(),
    }


def _key_dict(api_key: ApiKey) -> dict[str, Any]:
    return {
        "prefix": api_key.prefix,
        "name": api_key.name,
        "org": api_key.org_code,
        "roles": sorted(api_key.roles),
        "scopes": sorted(api_key.scopes),
        "created_at": api_key.created_at.isoformat(),
        "revoked_at": api_key.revoked_at.isoformat() if api_key.revoked_at else None,
        "last_used_at": api_key.last_used_at.isoformat() if api_key.last_used_at else None,
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, str) and len(value) > 19 and value[10] == "T":
        return datetime.fromisoformat(value).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> Table:
    """A table whose first column (the code, username or prefix) is never cut."""
    table = Table()
    for index, column in enumerate(columns):
        table.add_column(column, no_wrap=index == 0, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row[column]) for column in columns))
    return table


@orgs_app.command("add")
def orgs_add(
    code: str,
    kind: Annotated[OrgKind, typer.Option(help="What the organisation is to the platform.")],
    name_zh: Annotated[str, typer.Option("--name-zh", help="Chinese name.")],
    name_en: Annotated[str, typer.Option("--name-en", help="English name.")] = "",
    parent: Annotated[str | None, typer.Option(help="The bank of a bank branch (its code).")] = None,
    db: DbOption = None,
) -> None:
    """Register an organisation."""
    with runtime(db) as rt, rt.transaction() as session:
        org = service.create_org(
            session,
            code=code,
            kind=kind,
            name_zh=name_zh,
            name_en=name_en,
            parent_code=parent,
            actor=_actor(),
        )
    console.print(f"organisation [bold]{org.code}[/] ({org.kind}) registered")


@orgs_app.command("list")
def orgs_list(
    kind: Annotated[OrgKind | None, typer.Option(help="Only this kind.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List organisations."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        rows = [_org_dict(org) for org in service.list_orgs(session, kind)]
    if as_json:
        _print_json(rows)
    else:
        console.print(_table(rows, ("code", "kind", "name_zh", "name_en", "parent", "active", "created_at")))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("add")
def users_add(
    username: str,
    org: Annotated[str, typer.Option(help="The organisation's code.")],
    role: RoleOption,
    display_name: Annotated[str, typer.Option("--display-name", help="Name shown in the pages.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="Create the user without a password (cannot sign in yet).")
    ] = False,
    db: DbOption = None,
) -> None:
    """Create a user of an organisation with one or more roles (asks for the password)."""
    password = None if no_password else _read_password(password_stdin)
    with runtime(db) as rt, rt.transaction() as session:
        user = service.create_user(
            session,
            username=username,
            display_name=display_name,
            org_code=org,
            roles=role,
            password=password,
            actor=_actor(),
        )
    console.print(
        f"user [bold]{user.username}[/] of {user.org_code} created: {', '.join(sorted(user.roles))}"
    )


@users_app.command("list")
def users_list(
    org: Annotated[str | None, typer.Option(help="Only users of this organisation.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List users."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        rows = [_user_dict(user) for user in service.list_users(session, org)]
    if as_json:
        _print_json(rows)
    else:
        console.print(_table(rows, ("username", "display_name", "org", "roles", "active", "created_at")))


@users_app.command("deactivate")
def users_deactivate(
    username: str,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")] = "",
    db: DbOption = None,
) -> None:
    """Stop a user from signing in (their browser sessions end at once)."""
    with runtime(db) as rt, rt.transaction() as session:
        user = service.deactivate_user(session, username, actor=_actor(), reason=reason)
    console.print(f"user [bold]{user.username}[/] deactivated")


@users_app.command("set-password")
def users_set_password(
    username: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Give a user a new password (also lifts a login lockout)."""
    password = _read_password(password_stdin)
    with runtime(db) as rt, rt.transaction() as session:
        service.set_password(session, username, password, actor=_actor())
    console.print(f"password of [bold]{username}[/] set")


@apikeys_app.command("create")
def apikeys_create(
    org: Annotated[str, typer.Option(help="The organisation's code.")],
    role: RoleOption,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="Narrow the key; repeat for several.")
    ] = None,
    name: Annotated[str, typer.Option(help="What the key is for.")] = "",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Issue an API key and print it once: SeaGreen keeps only its hash."""
    with runtime(db) as rt, rt.transaction() as session:
        issued = service.create_api_key(
            session, org_code=org, roles=role, scopes=scope or ["*"], name=name, actor=_actor()
        )
    if as_json:
        console.print_json(json.dumps({**_key_dict(issued.api_key), "key": issued.key}, ensure_ascii=False))
        return
    console.print(
        f"API key for [bold]{issued.api_key.org_code}[/] ({', '.join(sorted(issued.api_key.roles))}):"
    )
    console.print(issued.key, markup=False, highlight=False, soft_wrap=True)
    console.print("[yellow]Store it now: it cannot be shown again.[/]")


@apikeys_app.command("list")
def apikeys_list(
    org: Annotated[str | None, typer.Option(help="Only keys of this organisation.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List API keys (prefixes only; the keys themselves are not stored)."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        rows = [_key_dict(api_key) for api_key in service.list_api_keys(session, org)]
    if as_json:
        _print_json(rows)
    else:
        console.print(
            _table(
                rows, ("prefix", "name", "org", "roles", "scopes", "created_at", "revoked_at", "last_used_at")
            )
        )


@apikeys_app.command("revoke")
def apikeys_revoke(
    prefix: str,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")] = "",
    db: DbOption = None,
) -> None:
    """Revoke an API key by its prefix; it is refused from the next request on."""
    with runtime(db) as rt, rt.transaction() as session:
        api_key = service.revoke_api_key(session, prefix, actor=_actor(), reason=reason)
    console.print(f"API key [bold]sg_{api_key.prefix}[/] revoked")
