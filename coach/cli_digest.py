"""``coach digest preview`` and ``coach digest send``: the managers' weekly coaching digests."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from coach.errors import CoachError

if TYPE_CHECKING:
    from coach.digest import DigestBuilder

out = Console()
err = Console(stderr=True)
digest_app = typer.Typer(
    help="Weekly coaching digests for managers (e-mail and Slack).", no_args_is_help=True
)


def _builder(engine: str | None) -> DigestBuilder:
    from coach.config import get_settings
    from coach.digest import digest_builder
    from coach.workspace import Workspace

    try:
        return digest_builder(Workspace(get_settings()), engine)
    except CoachError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None


@digest_app.command()
def preview(
    manager: Annotated[str, typer.Option(help="The manager's e-mail.")],
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W47. Default: last week.")] = None,
    format_: Annotated[str, typer.Option("--format", help="html, md or text.")] = "md",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to a file (an HTML page opens in a browser)."),
    ] = None,
    engine: Annotated[
        str | None, typer.Option(help="offline (default) or llm (the model writes the opening paragraph).")
    ] = None,
) -> None:
    """Show the digest a manager would get, without sending it."""
    from coach.digest.render import render_digest

    if format_ not in ("html", "md", "text"):
        err.print("[bold red]error:[/] --format must be html, md or text")
        raise typer.Exit(2)
    try:
        with err.status("building the digest…"):
            digest = _builder(engine).build(manager, week)
    except CoachError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
    if not digest.teams:
        err.print(
            f"{digest.manager} manages no team: `coach teams add-member TEAM {digest.manager_email} --manager`"
        )
    text = render_digest(digest, format_)
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


@digest_app.command()
def send(
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W47. Default: last week.")] = None,
    team: Annotated[str | None, typer.Option(help="Only the managers of this team.")] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Every manager (the default when --team is not given).")
    ] = False,
    via: Annotated[
        str, typer.Option(help="email, slack or email,slack; channels without settings are skipped.")
    ] = "email,slack",
    engine: Annotated[str | None, typer.Option(help="offline (default) or llm.")] = None,
) -> None:
    """Send each manager their digest, once per week and channel; failures are retried by the next run.

    Weekly from cron, e.g. Mondays at 07:00:  0 7 * * 1  cd /srv/coach && .venv/bin/coach digest send
    """
    from coach.digest.deliver import CHANNELS, DigestSender, EmailChannel, SlackChannel

    wanted = [c.strip() for c in via.split(",") if c.strip()]
    if not wanted or any(c not in CHANNELS for c in wanted):
        err.print("[bold red]error:[/] --via takes email, slack or both")
        raise typer.Exit(2)
    if team and all_:
        err.print("[bold red]error:[/] give --team or --all, not both")
        raise typer.Exit(2)
    builder = _builder(engine)
    settings = builder.ws.settings
    channels = [EmailChannel(settings) if c == "email" else SlackChannel(settings) for c in wanted]
    try:
        report = DigestSender(builder, channels).run(week, team)
    except CoachError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
    for line in report.sent:
        out.print(f"[green]sent[/] {line}", highlight=False)
    for line in report.skipped:
        out.print(f"[yellow]skipped[/] {line}", highlight=False)
    for line in report.failed:
        out.print(f"[red]failed[/] {line} (will be retried by the next run)", highlight=False)
    if not (report.sent or report.skipped or report.failed):
        out.print(
            "No managers: `coach teams add-member TEAM EMAIL --manager` makes someone a team's manager."
        )
    if report.failed:
        raise typer.Exit(1)
