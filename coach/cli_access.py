"""``coach accounts`` (list, grant, revoke, grants, requests, answer) and ``coach org domains``: who holds which
account, and who "we" are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

from coach.errors import CoachError

if TYPE_CHECKING:  # imported by the commands that use them: `coach --help` starts fast
    from coach.store.database import Database

T = TypeVar("T")
out = Console()
err = Console(stderr=True)
accounts_app = typer.Typer(
    help="Accounts, and who holds them: an account is granted to teams (or users); others ask for access.",
    invoke_without_command=True,
)
org_app = typer.Typer(help="What the organisation declares about itself.", no_args_is_help=True)
domains_app = typer.Typer(
    help="Our e-mail domains: people at them are ours in every account's analysis.", no_args_is_help=True
)
org_app.add_typer(domains_app, name="domains")
TeamOpt = Annotated[str | None, typer.Option("--team", help="The team (as `coach teams list` shows it).")]
UserOpt = Annotated[str | None, typer.Option("--user", help="One user's e-mail, instead of a team.")]


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except CoachError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None


def _db() -> Database:
    from coach.config import get_settings
    from coach.workspace import Workspace

    return Workspace(get_settings()).db


@accounts_app.callback()
def accounts(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the accounts in the store with their number of interactions and date range (or a subcommand)."""
    if ctx.invoked_subcommand is None:
        list_accounts(as_json)


def list_accounts(as_json: bool = False) -> None:
    """`coach accounts`: the accounts in the store with their number of interactions and date range."""
    from rich.table import Table

    from coach.config import get_settings
    from coach.store.repository import Repository
    from coach.workspace import Workspace

    ws = Workspace(get_settings())
    with ws.db.session() as session:
        rows = Repository(session).account_summaries()
    if as_json:
        out.print_json(
            data=[
                {"account": r.name, "interactions": r.interactions, "first": _d(r.first), "last": _d(r.last)}
                for r in rows
            ]
        )
        return
    if not rows:
        out.print(
            "No accounts yet. Import some notes: [bold]coach ingest notes.jsonl[/] or "
            "[bold]echo 'call notes' | coach ingest --account 'Acme' -[/]"
        )
        return
    table = Table("account", "interactions", "first", "last", title=f"{len(rows)} accounts")
    for r in rows:
        table.add_row(r.name, str(r.interactions), _d(r.first), _d(r.last))
    out.print(table)


def _d(value: datetime | None) -> str:
    return value.date().isoformat() if value else ""


@accounts_app.command("grant")
def grant(account: str, team: TeamOpt = None, user: UserOpt = None) -> None:
    """Give an account to a team (its members and managers see it and log into it), or to one user."""
    from coach.audit import Audit
    from coach.tenancy import Grants

    db = _db()
    info = _run(lambda: Grants(db).grant(None, account, team, user))
    Audit(db).record(None, "cli", "grant", info.account, f"granted to {info.holder}")
    out.print(f"{info.account} is now granted to {info.holder}")


@accounts_app.command("revoke")
def revoke(account: str, team: TeamOpt = None, user: UserOpt = None) -> None:
    """Take an account away from a team or a user (on their next request)."""
    from coach.audit import Audit
    from coach.tenancy import Grants

    db = _db()
    left = _run(lambda: Grants(db).revoke(None, account, team, user))
    holder = f"team {team}" if team else f"user {user}"
    Audit(db).record(None, "cli", "grant", account, f"revoked from {holder}")
    out.print(f"{account} is no longer granted to {holder}" + ("" if left else " (now only admins see it)"))


@accounts_app.command("grants")
def grants(account: str) -> None:
    """Who holds an account."""
    from rich.table import Table

    from coach.tenancy import Grants

    rows = _run(lambda: Grants(_db()).of(None, account))
    if not rows:
        out.print(f"{account} is granted to nobody: only admins see it (`coach accounts grant` gives it).")
        return
    table = Table("holder", "granted by", "when (UTC)")
    for g in rows:
        table.add_row(g.holder, g.granted_by or "operator", g.granted_at.strftime("%Y-%m-%d %H:%M"))
    out.print(table)


@accounts_app.command("requests")
def requests() -> None:
    """Pending access requests (someone's note named an account another team holds)."""
    from rich.table import Table

    from coach.tenancy import Grants

    rows = Grants(_db()).requests(None)
    if not rows:
        out.print("No pending access requests.")
        return
    table = Table("id", "account", "who", "asked (UTC)")
    for r in rows:
        table.add_row(str(r.id), r.account, f"{r.name} <{r.user}>", r.requested_at.strftime("%Y-%m-%d %H:%M"))
    out.print(table)
    out.print("Answer one with `coach accounts answer ID --grant` (or --decline).")


@accounts_app.command("answer")
def answer(
    request_id: Annotated[int, typer.Argument(help="The id `coach accounts requests` shows.")],
    grant_it: Annotated[bool, typer.Option("--grant/--decline", help="Grant the user access, or decline.")],
) -> None:
    """Grant (to the user who asked) or decline an access request."""
    from coach.audit import Audit
    from coach.tenancy import Grants

    db = _db()
    found = _run(lambda: Grants(db).resolve(None, request_id, grant_it))
    Audit(db).record(None, "cli", "grant", found.account, f"access request of {found.user}: {found.status}")
    out.print(f"{found.user}'s request for {found.account}: {found.status}")


@domains_app.command("add")
def domains_add(domain: str) -> None:
    """Declare an e-mail domain as ours."""
    from coach.ourside import OrgDomains

    added = _run(lambda: OrgDomains(_db()).add(domain))
    out.print(f"{added} is one of our domains")


@domains_app.command("remove")
def domains_remove(domain: str) -> None:
    """Stop counting a domain as ours."""
    from coach.ourside import OrgDomains

    removed = _run(lambda: OrgDomains(_db()).remove(domain))
    out.print(f"{removed} is no longer one of our domains")


@domains_app.command("list")
def domains_list() -> None:
    """Our declared domains (and those from COACH_INTERNAL_DOMAINS)."""
    from coach.config import get_settings
    from coach.ourside import OrgDomains

    stored = OrgDomains(_db()).list()
    settings = sorted(get_settings().internal_domains)
    if not stored and not settings:
        out.print("No domains declared: `coach org domains add acme.com` (or COACH_INTERNAL_DOMAINS).")
        return
    for domain in stored:
        out.print(domain)
    for domain in settings:
        out.print(f"{domain}  (COACH_INTERNAL_DOMAINS)")
