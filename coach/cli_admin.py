"""``coach users``, ``coach teams``, ``coach tokens`` and ``coach serve``: people, access and the web app."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

from coach.errors import CoachError

if TYPE_CHECKING:  # imported by the commands that use them: `coach --help` starts fast
    from coach.auth import Users
    from coach.config import Settings

T = TypeVar("T")
out = Console()
err = Console(stderr=True)
users_app = typer.Typer(help="People who sign in: reps, managers and admins.", no_args_is_help=True)
teams_app = typer.Typer(
    help="Teams: an account is granted to teams (`coach accounts grant`); their members see it.",
    no_args_is_help=True,
)
tokens_app = typer.Typer(
    help="API tokens for the Slack bot and other clients (stored hashed).", no_args_is_help=True
)
DEMO_EMAIL, DEMO_PASSWORD, DEMO_TEAM = "demo@example.com", "coach-demo", "Demo team"
DEMO_MANAGER = "manager@example.com"  # manages the demo team: the team page and its weekly digest


def _users() -> Users:
    from coach.auth import Users
    from coach.config import get_settings
    from coach.workspace import Workspace

    return Users(Workspace(get_settings()).db)


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except CoachError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="Their e-mail; they sign in with it.")],
    name: Annotated[str, typer.Option(help="Full name, as it appears in notes.")] = "",
    role: Annotated[str, typer.Option(help="One of rep, manager, admin.")] = "rep",
    team: Annotated[str | None, typer.Option(help="Add them to this team (created if new).")] = None,
    manages: Annotated[
        bool, typer.Option(help="They manage --team (managers see the teams they manage).")
    ] = False,
    password: Annotated[
        str | None, typer.Option(help="Default: asked for, hidden. COACH_NEW_PASSWORD works too.")
    ] = None,
) -> None:
    """Add a user who can sign in to the web app."""
    secret = (
        password
        or os.environ.get("COACH_NEW_PASSWORD")
        or typer.prompt("password (8+ characters)", hide_input=True, confirmation_prompt=True)
    )
    users = _users()
    user = _run(lambda: users.add(email, name or email.split("@")[0], role, secret))
    if team:
        if team not in [t for t, _, _ in users.teams()]:
            _run(lambda: users.add_team(team))
        _run(lambda: users.add_member(team, email, manages=manages))
    out.print(f"added {user.email} ({user.role}){f', team {team}' if team else ''}")


@users_app.command("password")
def users_password(email: str, password: Annotated[str | None, typer.Option()] = None) -> None:
    """Set a user's password."""
    secret = (
        password
        or os.environ.get("COACH_NEW_PASSWORD")
        or typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    )
    users = _users()
    _run(lambda: users.set_password(email, secret))
    _audit(users, "user", f"password set for {email}; their sessions ended")
    out.print(f"password set for {email}; they are signed out everywhere")


@users_app.command("list")
def users_list() -> None:
    """Everyone who can sign in, with role, teams and state."""
    from rich.table import Table

    rows = _users().all()
    if not rows:
        out.print("No users yet: `coach users add EMAIL --name NAME --team TEAM`.")
        return
    table = Table("e-mail", "name", "role", "teams", "manages", "state")
    for u in rows:
        table.add_row(
            u.email,
            u.name,
            u.role,
            ", ".join(u.teams),
            ", ".join(u.manages),
            "active" if u.active else "disabled",
        )
    out.print(table)


@users_app.command("disable")
def users_disable(email: str) -> None:
    """Disable a user: signed out everywhere, tokens and Slack stop at once, nothing of theirs is deleted."""
    users = _users()
    user = _run(lambda: users.set_active(email, False))
    _audit(users, "user", f"disabled {user.email}")
    out.print(f"{user.email} is disabled: signed out everywhere; their tokens and Slack link no longer work")


@users_app.command("enable")
def users_enable(email: str) -> None:
    """Enable a disabled user again (they sign in anew)."""
    users = _users()
    user = _run(lambda: users.set_active(email, True))
    _audit(users, "user", f"enabled {user.email}")
    out.print(f"{user.email} is enabled")


@users_app.command("sign-out")
def users_sign_out(email: str) -> None:
    """Sign a user out of every browser (their next request asks them to sign in)."""
    users = _users()
    count = _run(lambda: users.sign_out_everywhere(email))
    _audit(users, "session", f"signed {email} out everywhere ({count} session(s))")
    out.print(f"{email} signed out of {count} session(s)")


def _audit(users: Users, action: str, detail: str, account: str | None = None) -> None:
    from coach.audit import Audit

    Audit(users.db).record(None, "cli", action, account, detail)


@teams_app.command("add")
def teams_add(name: str) -> None:
    """Create a team."""
    _run(lambda: _users().add_team(name))
    out.print(f"team {name!r} created; add people with `coach teams add-member {name!r} EMAIL`")


@teams_app.command("add-member")
def teams_add_member(
    team: str, email: str, manager: Annotated[bool, typer.Option(help="They manage the team.")] = False
) -> None:
    """Put a user in a team (as a member or its manager)."""
    _run(lambda: _users().add_member(team, email, manages=manager))
    out.print(f"{email} {'manages' if manager else 'is in'} {team}")


@teams_app.command("remove-member")
def teams_remove_member(team: str, email: str) -> None:
    """Take a user out of a team: the team's accounts leave their view on their next request."""
    users = _users()
    _run(lambda: users.remove_member(team, email))
    _audit(users, "user", f"removed {email} from team {team}")
    out.print(f"{email} is no longer in {team}")


@teams_app.command("list")
def teams_list() -> None:
    """Teams with their members and managers."""
    from rich.table import Table

    rows = _users().teams()
    if not rows:
        out.print("No teams yet: `coach teams add NAME`.")
        return
    table = Table("team", "members", "managers")
    for team, members, managers in rows:
        table.add_row(team, ", ".join(members), ", ".join(managers))
    out.print(table)


@tokens_app.command("create")
def tokens_create(
    email: str,
    name: Annotated[str, typer.Option(help="What it is for, e.g. slack-bot.")] = "api",
    delegate: Annotated[
        bool,
        typer.Option(help="May act for any user named in X-Coach-On-Behalf-Of (the Slack bot; admins only)."),
    ] = False,
) -> None:
    """Create an API token for a user; it is shown once."""
    users = _users()
    token, info = _run(lambda: users.create_token(email, name, delegate=delegate))
    _audit(
        users,
        "token",
        f"created token {info.id} ({info.name}{', delegate' if delegate else ''}) for {info.user}",
    )
    out.print(f"token {info.id} for {info.user} ({info.name}); keep it secret, it is not shown again:")
    out.print(token, markup=False, highlight=False)


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(help="The number `coach tokens list` shows.")],
) -> None:
    """Revoke a token: it stops working at once."""
    users = _users()
    info = _run(lambda: users.revoke_token(token_id))
    _audit(users, "token", f"revoked token {info.id} ({info.name}) of {info.user}")
    out.print(f"token {info.id} ({info.prefix}…, {info.user}) revoked")


@tokens_app.command("list")
def tokens_list() -> None:
    """Tokens with their owner, prefix and state (the tokens themselves are not stored)."""
    from rich.table import Table

    rows = _users().tokens()
    if not rows:
        out.print("No tokens: `coach tokens create EMAIL --name slack-bot`.")
        return
    table = Table("id", "user", "name", "prefix", "created", "last used", "state")
    for t in rows:
        table.add_row(
            str(t.id),
            t.user,
            t.name,
            t.prefix + "…",
            t.created_at.date().isoformat(),
            t.last_used_at.date().isoformat() if t.last_used_at else "",
            "revoked" if t.revoked_at else "active",
        )
    out.print(table)


def serve(
    host: Annotated[
        str, typer.Option(help="Interface to listen on (0.0.0.0 for the network).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Load the bundled sample and a demo user first (development only).")
    ] = False,
    workers: Annotated[
        int, typer.Option(help="Worker processes (needs a shared database for more than one).")
    ] = 1,
    digests: Annotated[
        str | None,
        typer.Option(
            help='Also send the weekly digests at this local time, e.g. "mon 07:00" (or use cron: coach digest send).'
        ),
    ] = None,
) -> None:
    """Start the web app and the JSON API (docs at /docs)."""
    import uvicorn

    from coach.config import get_settings

    settings = get_settings()
    if demo:
        if settings.environment == "production":
            err.print(
                "[bold red]error:[/] --demo is for development; it creates a user with a known password"
            )
            raise typer.Exit(2)
        _demo(settings)
    try:
        settings.session_secret()
    except ValueError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    if workers > 1 and not settings.chroma_url:
        err.print(
            "[bold red]error:[/] several workers need a Chroma server: the embedded index belongs to one "
            "process. Start one (`chroma run --path DIR --port 8001`) and set COACH_CHROMA_URL; "
            "PostgreSQL (COACH_DATABASE_URL) is recommended too (README: deployment)."
        )
        raise typer.Exit(2)
    if digests:
        from coach.digest import digest_builder
        from coach.digest.deliver import DigestSender, EmailChannel, SlackChannel
        from coach.digest.schedule import start
        from coach.workspace import Workspace

        ws = Workspace(settings)
        sender = DigestSender(digest_builder(ws), [EmailChannel(settings), SlackChannel(settings)])
        _run(lambda: start(digests, lambda: sender.run()))
        out.print(f"weekly digests: every {digests} (local time)")
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    out.print(
        f"\n[bold]coach is running:[/] http://{shown}:{port}/   (API docs: http://{shown}:{port}/docs)",
        soft_wrap=True,
    )
    if demo:
        out.print(
            f"sign in as the rep [bold]{DEMO_EMAIL}[/] or the manager [bold]{DEMO_MANAGER}[/], "
            f"password [bold]{DEMO_PASSWORD}[/]",
            soft_wrap=True,
        )
        out.print(
            "try first: the rep's accounts that need attention, an account's what to do next and its prep "
            "brief; the manager's Team page and its weekly digest",
            soft_wrap=True,
        )
    out.print("stop with Ctrl+C\n")
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=forwarded_allow_ips(settings),
    )


def forwarded_allow_ips(settings: Settings) -> str:
    """Forwarded headers are believed only from COACH_TRUSTED_PROXIES (uvicorn alone would trust loopback)."""
    return ",".join(settings.trusted_proxies)


def _demo(settings) -> None:  # type: ignore[no-untyped-def]
    """The sample accounts, logged by a demo rep in a demo team that a demo manager manages (idempotent)."""
    from sqlalchemy import select, update

    from coach.auth import Users
    from coach.ingest.bundled import load_sample
    from coach.ingest.pipeline import IngestPipeline
    from coach.store.schema import InteractionRow
    from coach.tenancy import grant_to_teams_of
    from coach.workspace import Workspace

    ws = Workspace(settings)
    users = Users(ws.db)
    user = users.by_email(DEMO_EMAIL)
    if user is None:
        user = users.add(DEMO_EMAIL, "Demo Rep", "rep", DEMO_PASSWORD)
    if DEMO_TEAM not in [t for t, _, _ in users.teams()]:
        users.add_team(DEMO_TEAM)
    users.add_member(DEMO_TEAM, DEMO_EMAIL)
    if users.by_email(DEMO_MANAGER) is None:
        users.add(DEMO_MANAGER, "Demo Manager", "manager", DEMO_PASSWORD)
    users.add_member(DEMO_TEAM, DEMO_MANAGER, manages=True)
    with err.status("loading the bundled sample…"):
        report = load_sample(IngestPipeline(ws))
    with ws.db.session(write=True) as session:
        session.execute(
            update(InteractionRow)
            .where(
                InteractionRow.id.in_(report.stored + report.unchanged), InteractionRow.logged_by.is_(None)
            )
            .values(logged_by=user.id)
        )
        accounts = session.scalars(
            select(InteractionRow.account_id)
            .where(InteractionRow.id.in_(report.stored + report.unchanged))
            .distinct()
        )
        for account_id in list(accounts):
            grant_to_teams_of(session, account_id, user.id, None)  # the demo team holds the sample accounts
        session.commit()
    ws.close()


def slack() -> None:
    """Run the Slack bot in Socket Mode (no public URL needed): needs COACH_SLACK_APP_TOKEN (xapp-...),
    COACH_SLACK_BOT_TOKEN, COACH_COACH_API_URL and COACH_COACH_API_TOKEN."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from coach.config import get_settings
    from coach.slackbot.app import build_app
    from coach.slackbot.client import CoachAPI

    settings = get_settings()
    missing = [
        name
        for name, value in (
            ("COACH_SLACK_APP_TOKEN", settings.slack_app_token),
            ("COACH_SLACK_BOT_TOKEN", settings.slack_bot_token),
            ("COACH_COACH_API_TOKEN", settings.coach_api_token),
        )
        if not value
    ]
    if missing:
        err.print(f"[bold red]error:[/] set {', '.join(missing)} (README: the Slack bot)")
        raise typer.Exit(2)
    app = build_app(settings, CoachAPI(settings.coach_api_url, settings.coach_api_token or ""))
    out.print(f"coach Slack bot connected in Socket Mode, calling {settings.coach_api_url}; stop with Ctrl+C")
    SocketModeHandler(app, settings.slack_app_token).start()  # type: ignore[no-untyped-call]  # slack-bolt's own


def audit(
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Only this person (e-mail, or cli:NAME).")
    ] = None,
    action: Annotated[
        str | None,
        typer.Option(
            help="read, brief, search, export, digest, log, import, denied, grant, link, token, session, user."
        ),
    ] = None,
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="Most events to show, newest first.")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Who read, briefed, searched, exported or wrote which account, what was refused, and every change of access."""
    import json
    from datetime import UTC, datetime

    from rich.table import Table

    from coach.audit import ACTIONS, Audit
    from coach.config import get_settings
    from coach.workspace import Workspace

    if action and action not in ACTIONS:
        err.print(f"[bold red]error:[/] --action must be one of {', '.join(ACTIONS)}")
        raise typer.Exit(2)
    start = None
    if since:
        try:
            start = datetime.fromisoformat(since).replace(tzinfo=UTC)
        except ValueError:
            err.print("[bold red]error:[/] --since must be a date, e.g. 2026-11-01")
            raise typer.Exit(2) from None
    events = Audit(Workspace(get_settings()).db).events(account, user, start, action, limit)
    if as_json:
        for e in events:
            print(
                json.dumps(
                    {
                        "at": e.at.isoformat(),
                        "actor": e.actor,
                        "channel": e.channel,
                        "action": e.action,
                        "account": e.account,
                        "detail": e.detail,
                        "slack_user": e.slack_user,
                    },
                    ensure_ascii=False,
                )
            )
        return
    if not events:
        out.print(
            "No audit events match. Events are recorded when someone opens an account, a brief, a search or "
            "an export in the web app, the API, the Slack bot or the CLI."
        )
        return
    table = Table("when (UTC)", "who", "channel", "action", "account", "detail")
    for e in events:
        who = f"{e.actor} (Slack {e.slack_user})" if e.slack_user else e.actor
        table.add_row(
            e.at.strftime("%Y-%m-%d %H:%M:%S"), who, e.channel, e.action, e.account or "", e.detail or ""
        )
    out.print(table)
