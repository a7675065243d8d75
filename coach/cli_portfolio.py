"""``coach portfolio``, ``coach measures`` and ``coach ingest --measures``: where the effort goes against where
the value is, and the account measures it is weighed against."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from coach.errors import CoachError

if TYPE_CHECKING:  # the store, models and settings load when a command runs, never for --help
    from coach.auth import User
    from coach.measures.book import MeasureImport
    from coach.workspace import Workspace

out = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _workspace() -> Workspace:
    from coach.config import get_settings
    from coach.workspace import Workspace

    return Workspace(get_settings())


def _day(value: str | None) -> date:
    from coach.ingest.common import RecordError, parse_date

    try:
        return parse_date(value).date() if value else datetime.now().date()
    except RecordError as exc:
        _fail(str(exc))


def _user(ws: Workspace, email: str | None) -> User | None:
    from coach.auth import Users

    if not email:
        return None
    found = Users(ws.db).by_email(email)
    if found is None:
        _fail(f"no user {email}; `coach users list` shows them")
    return found


def portfolio(
    team: Annotated[str | None, typer.Option(help="Only the accounts granted to this team.")] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Weigh the effort up to this date (YYYY-MM-DD). Default: today."),
    ] = None,
    format_: Annotated[
        str, typer.Option("--format", help="md (for people), json or csv (one row per account).")
    ] = "md",
    user: Annotated[
        str | None,
        typer.Option(help="As this manager (e-mail): the teams they manage, and only what they may see."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of the terminal.")
    ] = None,
    engine: Annotated[str | None, typer.Option(help="offline (default) or llm.")] = None,
) -> None:
    """Where the team's effort goes against where the value is: each account placed by effort (the last 90 days'
    interactions, meeting hours, our people, strategic share, and its trend) against value (ARR, renewal, tier and
    the relationship measures) and engagement; the investment decisions being avoided (habit, under-served,
    sacred cow) named, each with its numbers, quotes and the playbook's next step."""
    from coach.audit import Audit
    from coach.engines import analyzer, for_workspace
    from coach.portfolio import PortfolioService
    from coach.portfolio.render import render_csv, render_markdown

    if format_ not in ("md", "json", "csv"):
        _fail("--format must be md, json or csv")
    day = _day(as_of)
    ws = _workspace()
    who = _user(ws, user)
    try:
        service = PortfolioService(ws, analyzer(ws, for_workspace(ws, engine)))
        scope = service.scope(who, team)
        with err.status("weighing effort against value…") as status:
            result = service.build(scope, day, on_account=lambda n: status.update(f"reading {n[:40]}…"))
    except CoachError as exc:
        _fail(str(exc), code=1)
    Audit(ws.db).record_each(
        who,
        "cli",
        "read" if format_ == "md" else "export",
        [a.account for a in result.accounts],
        f"coach portfolio --format {format_} ({result.scope})",
    )
    if format_ == "json":
        text = json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=1) + "\n"
    else:
        text = render_csv(result) if format_ == "csv" else render_markdown(result)
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}: {len(result.accounts)} accounts, {len(result.decisions)} decisions")
    else:
        sys.stdout.write(text)


def measures(
    account: Annotated[str, typer.Argument(help="The account (as `coach accounts` lists it).")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Read 'current' on this date (YYYY-MM-DD). Default: today.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """An account's measures (ARR, renewal, tier, CSAT, NPS, retention, repeat purchase, lifetime value) with their
    history; a measure never recorded shows as not recorded. Import them with `coach ingest --measures FILE.csv`."""
    from coach.audit import Audit
    from coach.measures.book import MeasureBook
    from coach.store.repository import Repository

    day = _day(as_of)
    ws = _workspace()
    with ws.db.session() as session:
        row = Repository(session).account(account)
        if row is None:
            _fail(f"no account named {account!r}; `coach accounts` lists them", code=1)
        account_id, name = row.id, row.name
    found = MeasureBook(ws.db).of(account_id, name, day)
    Audit(ws.db).record(None, "cli", "read", name, "coach measures")
    if as_json:
        sys.stdout.write(json.dumps(found.model_dump(mode="json"), ensure_ascii=False, indent=1) + "\n")
        return
    table = Table("measure", f"on {day.isoformat()}", "history (oldest first)", title=name)
    for m in found.measures:
        current = (
            f"{_shown(m.current.value)} ({m.current.as_of.isoformat()})" if m.current else "not recorded"
        )
        history = ", ".join(f"{p.as_of.isoformat()}: {_shown(p.value)}" for p in m.history) or "–"
        table.add_row(m.label, current, history)
    out.print(table)


def _shown(value: float | str) -> str:
    return f"{value:,.10g}" if isinstance(value, float) else value


def ingest_measures(
    paths: list[str], pairs: list[str], mapping: Path | None, default_date: str | None, user: str | None
) -> None:
    """`coach ingest --measures FILE.csv`: account measures from CRM exports; unknown accounts are listed, never
    created; a bad cell or row is refused with its reason and the rest kept."""
    from coach.audit import Audit
    from coach.ingest.common import RecordError
    from coach.ingest.crm_csv import load_mapping, parse_mapping
    from coach.ingest.measures_csv import FIELDS, columns_of, read_measures_csv
    from coach.measures.book import MeasureBook, MeasureImport

    try:
        columns = {**(load_mapping(mapping, FIELDS) if mapping else {}), **parse_mapping(pairs, FIELDS)}
    except RecordError as exc:
        _fail(str(exc))
    today = datetime.now().date()
    day = _day(default_date) if default_date else None
    ws = _workspace()
    who = _user(ws, user)
    book = MeasureBook(ws.db)
    total = MeasureImport()
    undated: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.suffix.lower() != ".csv":
            _fail(f"{raw}: measures are read from .csv exports")
        try:
            data = path.read_bytes()
        except OSError as exc:
            _fail(f"{raw}: {exc.strerror or exc}")
        found, unread = columns_of(data, raw, columns)
        if found and "date" not in found:
            undated.append(raw)
        if unread:
            total.notes.append(
                f"{raw}: columns not read: {', '.join(unread)} (map one with --map MEASURE=COLUMN)"
            )
        result = book.import_rows(
            read_measures_csv(data, raw, columns, today, day), who, who.id if who else None
        )
        _merge(total, result)
    if undated:
        total.notes.append(
            f"{', '.join(undated)}: no date column, so the values are dated {(day or today).isoformat()}"
        )
    _print_import(total)
    Audit(ws.db).record_each(
        None, "cli", "import", sorted(total.accounts), f"coach ingest --measures: {_counts(total)}"
    )
    if total.refused:
        raise typer.Exit(1)


def _merge(total: MeasureImport, part: MeasureImport) -> None:
    total.written.added += part.written.added
    total.written.changed += part.written.changed
    total.written.unchanged += part.written.unchanged
    total.accounts |= part.accounts
    total.rejected += part.rejected
    for name, origins in part.unknown.items():
        total.unknown.setdefault(name, []).extend(origins)
    total.suggestions.update(part.suggestions)
    total.duplicates += part.duplicates


def _counts(result: MeasureImport) -> str:
    w = result.written
    return (
        f"added {w.added}, changed {w.changed}, unchanged {w.unchanged} values for {len(result.accounts)} "
        f"accounts; refused {len(result.rejected)}, unknown accounts {len(result.unknown)}"
    )


def _print_import(result: MeasureImport) -> None:
    out.print(_counts(result), highlight=False)
    for rejection in result.rejected:
        out.print(
            f"  [red]refused[/] {rejection.origin}: {rejection.reason}", highlight=False, soft_wrap=True
        )
    for name, origins in result.unknown.items():
        close = result.suggestions.get(name) or []
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        out.print(
            f"  [red]unknown account[/] {name!r} ({', '.join(origins)}): not created; "
            f"`coach accounts` lists them.{hint}",
            highlight=False,
            soft_wrap=True,
        )
    for line in result.duplicates:
        out.print(f"  [yellow]duplicate[/] {line}", highlight=False, soft_wrap=True)
    for line in result.notes:
        out.print(f"  [dim]{line}[/]", highlight=False, soft_wrap=True)
