"""The ``coach`` command line."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from coach.errors import CoachError, NotFound

# `coach --help` (and every command) starts fast: the store, the models, the ingest readers and the web app are
# imported by the commands that use them, not here.
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from rich.progress import Progress

    from coach.analysis.report import Report
    from coach.config import Settings
    from coach.engines import Engines
    from coach.ingest.pipeline import IngestReport
    from coach.records import InteractionRecord, Rejection
    from coach.workspace import Workspace

app = typer.Typer(
    help="coach: flags tactical vs strategic engagement, unaddressed customer problems, account risks "
    "and meetings to fix, from your notes, calls and e-mails.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
out = Console()
err = Console(stderr=True)


def _workspace(settings: Settings | None = None) -> Workspace:
    from coach.config import get_settings
    from coach.workspace import Workspace

    return Workspace(settings or get_settings())


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


@app.command()
def ingest(
    paths: Annotated[
        list[str], typer.Argument(help="Files or folders to import, or - to read pasted text from stdin.")
    ],
    account: Annotated[
        str | None,
        typer.Option(
            help="Account for records that do not name one (needed for pasted text and transcripts)."
        ),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(help="meeting, call, email or note (default: from the source; note for pasted text)."),
    ] = None,
    date: Annotated[
        str | None, typer.Option(help="Date for records without one, e.g. 2026-05-21 (default: now).")
    ] = None,
    rep: Annotated[
        str | None, typer.Option(help="Our person who owns these records, for records that do not say.")
    ] = None,
    series: Annotated[
        str | None, typer.Option(help="Recurring meeting series these records belong to.")
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="CSV column mapping FIELD=Column, e.g. --map text=Comments (repeatable)."),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help='CSV column mapping file (.json or .toml): {"text": "Comments"}.')
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            help="E-mail of the coach user who logs these: their teams see the accounts in the web app and API."
        ),
    ] = None,
    user_from_rep: Annotated[
        bool,
        typer.Option(
            "--user-from-rep",
            help="Log each record as the coach user named in its rep field (by name or e-mail), if there is one.",
        ),
    ] = False,
    measures: Annotated[
        bool,
        typer.Option(
            "--measures",
            help="The CSV files hold account measures (ARR, renewal date, tier, CSAT, NPS, retention, repeat "
            "purchase, lifetime value), one row per account and date: --map arr=COLUMN maps a column.",
        ),
    ] = False,
) -> None:
    """Import interactions: .jsonl, .eml, .mbox, CRM .csv, transcripts (.json QMSum/AMI, .vtt, .txt), or pasted text.

    Re-importing the same records changes nothing. Bad records are listed with file, line and
    reason; the good ones in the same import still go in. With --measures: account measures from a CRM
    export; accounts must exist (unknown names are listed, not created), a later row for the same account
    and date wins (reported), and a bad value is refused with its reason while the rest are kept.
    """
    if measures:
        from coach.cli_portfolio import ingest_measures

        ingest_measures(paths, map_ or [], mapping, date, user)
        return

    from coach.ingest import expand_paths, read_file, read_text
    from coach.ingest.common import RecordError, date_only, decode_utf8, parse_date, parse_kind
    from coach.ingest.crm_csv import load_mapping, parse_mapping
    from coach.ingest.pipeline import IngestPipeline, IngestReport

    try:
        defaults_kw = {
            "account": account,
            "kind": parse_kind(kind) if kind else None,
            "date": date_only(parse_date(date))
            if date and len(date.strip()) <= 10
            else (parse_date(date) if date else None),
            "rep": rep,
            "series": series,
            "csv_mapping": {**(load_mapping(mapping) if mapping else {}), **parse_mapping(map_ or [])},
        }
    except RecordError as exc:
        _fail(str(exc))
    ws = _workspace()
    logged_by: int | Callable[[InteractionRecord], int | None] | None = None
    if user:
        from coach.auth import Users

        found = Users(ws.db).by_email(user)
        if found is None:
            _fail(f"no user {user}; `coach users add {user} --name NAME` creates one")
        logged_by = found.id
    elif user_from_rep:
        from coach.auth import Users

        known = {k: u.id for u in Users(ws.db).all() for k in (u.name.casefold(), u.email.casefold())}

        def logged_by_rep(record: InteractionRecord) -> int | None:
            return known.get((record.rep or "").strip().casefold())

        logged_by = logged_by_rep
    pipeline = IngestPipeline(ws)
    _heal_interrupted(ws)
    defaults = pipeline.defaults(**defaults_kw)
    report = IngestReport()
    if "-" in paths:
        if account is None:
            _fail("pasted text needs --account NAME (the customer account it is about)")
        data = sys.stdin.buffer.read()
        try:
            text = decode_utf8(data, "the pasted text")
        except RecordError as exc:
            _fail(str(exc))
        report.merge(pipeline.ingest(read_text(text, "<stdin>", defaults), logged_by=logged_by))
    files, skipped = expand_paths([Path(p) for p in paths if p != "-"])
    report.skipped += skipped
    if files:
        with _progress() as progress:
            task = progress.add_task("importing", total=len(files), records=0)
            seen = 0

            def tick() -> None:
                nonlocal seen
                seen += 1
                progress.update(task, records=seen)

            def items() -> Iterator[InteractionRecord | Rejection]:
                # One stream over all files, so batches (and the embedding model's length-sorted batches) span files.
                for path in files:
                    progress.update(task, description=path.name[:40])
                    yield from read_file(path, defaults)
                    progress.advance(task)

            report.merge(pipeline.ingest(items(), on_item=tick, logged_by=logged_by))
    _print_report(report)
    _audit_import(ws, report, "coach ingest" + (f" --user {user}" if user else ""))
    if report.rejected:
        raise typer.Exit(1)


def _progress() -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description:<40}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[records]} records"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _audit_import(ws: Workspace, report: IngestReport, command: str) -> None:
    from coach.audit import Audit, record_import

    counts = f"added {len(report.added)}, updated {len(report.updated)}, rejected {len(report.rejected)}"
    record_import(Audit(ws.db), report.accounts, counts, command)


def _print_report(report: IngestReport) -> None:
    out.print(
        f"[green]added {len(report.added)}[/], updated {len(report.updated)}, "
        f"unchanged {len(report.unchanged)}, [red]rejected {len(report.rejected)}[/]"
        + (f", skipped {len(report.skipped)} file(s) of unknown type" if report.skipped else "")
        + f"  ({report.chunks} chunks indexed)"
    )
    for rejection in report.rejected:
        out.print(
            f"  [red]rejected[/] {rejection.origin}: {rejection.reason}", highlight=False, soft_wrap=True
        )
    for path in report.skipped[:20]:
        out.print(f"  [dim]skipped {path}[/]", highlight=False)


@app.command()
def show(
    account: Annotated[str, typer.Argument(help="Account name (case does not matter).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show an account's timeline of interactions, oldest first."""
    from rich.table import Table

    from coach.store.repository import Repository

    ws = _workspace()
    with ws.db.session() as session:
        repo = Repository(session)
        row = repo.account(account)
        if row is None:
            _unknown_account(account, repo.account_names())
        interactions = repo.interactions(account_ids=[row.id])
        items: list[dict[str, Any]] = [
            {
                "id": i.id,
                "date": _d(i.occurred_at),
                "kind": i.kind,
                "title": i.subject or i.series or "",
                "rep": i.rep or "",
                "people": [p.person.name for p in i.participants],
                "excerpt": _short(i.clean_text, 110),
            }
            for i in interactions
        ]
    if as_json:
        out.print_json(data={"account": row.name, "interactions": items})
        return
    table = Table(title=row.name)
    table.add_column("date", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("id", no_wrap=True)
    table.add_column("what was said", ratio=1, min_width=30)
    for item in items:
        heading = " · ".join(x for x in (_short(item["title"], 40), item["rep"]) if x)
        table.add_row(
            item["date"],
            item["kind"],
            item["id"],
            f"[bold]{heading}[/]\n{item['excerpt']}" if heading else item["excerpt"],
        )
    out.print(table)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What you are looking for, in your own words.")],
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many results.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Search interactions by meaning; shows each matching excerpt with its interaction id."""
    from rich.markup import escape

    from coach.search import Searcher
    from coach.store.repository import Repository

    ws = _workspace()
    try:
        hits = Searcher(ws).search(query, k=k, account=account)
    except NotFound:
        with ws.db.session() as session:
            _unknown_account(account or "", Repository(session).account_names())
    if as_json:
        out.print_json(
            data=[
                {
                    "interaction": h.interaction_id,
                    "account": h.account,
                    "date": _d(h.occurred_at),
                    "kind": h.kind,
                    "span": [h.start, h.end],
                    "excerpt": h.excerpt,
                    "score": h.score,
                    "passage": {
                        "text": h.passage.text,
                        "span": [h.passage.start, h.passage.end],
                        "marks": [list(m) for m in h.passage.marks],
                    },
                }
                for h in hits
            ]
        )
        return
    if not hits:
        out.print(
            "No matches. Import interactions first (coach ingest), or widen the search (drop --account)."
        )
        return
    for n, hit in enumerate(hits, 1):
        out.print(
            f"[bold]{n}. {hit.account}[/] · {hit.kind} · {_d(hit.occurred_at)} · [cyan]{hit.interaction_id}[/]",
            highlight=False,
        )
        shown = "".join(
            f"[bold yellow]{escape(piece)}[/]" if marked else escape(piece)
            for piece, marked in hit.passage.segments()
        )
        out.print("   " + " ".join(shown.split()), highlight=False, soft_wrap=True)


@app.command()
def reindex(
    missing_only: Annotated[
        bool, typer.Option("--missing-only", help="Repair only what differs instead of rebuilding.")
    ] = False,
) -> None:
    """Rebuild the search indexes (chunk rows, full-text index, vectors) from the stored text."""
    from coach.ingest.pipeline import IngestPipeline
    from coach.store.repository import Repository

    ws = _workspace()
    with ws.db.session() as session:
        total = Repository(session).count_interactions()
    with _progress() as progress:
        task = progress.add_task("indexing", total=total, records=0)
        result = IngestPipeline(ws).reindex(full=not missing_only, on_item=lambda: progress.advance(task))
    out.print(
        f"indexed {result['interactions']} interactions ({result['chunks']} chunks)"
        + (
            f", removed chunks of {result['orphans_removed']} unknown interactions"
            if result["orphans_removed"]
            else ""
        )
    )


@app.command()
def analyze(
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files or folders to import first (idempotent); the report then covers their accounts."
        ),
    ] = None,
    account: Annotated[
        list[str] | None, typer.Option("--account", help="Only this account (repeatable).")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Judge as of this date (YYYY-MM-DD); later interactions do not count. Default: today.",
        ),
    ] = None,
    format_: Annotated[
        str,
        typer.Option(
            "--format",
            help="json (the report contract), md (for people) or csv (one row per finding, for a spreadsheet).",
        ),
    ] = "md",
    engine: Annotated[str | None, typer.Option(help="offline (default) or llm.")] = None,
) -> None:
    """Judge accounts: engagement, unaddressed problems, relationship risks and meeting verdicts, with evidence."""
    from coach.analysis.markdown import render_markdown
    from coach.engines import analyzer as engine_analyzer
    from coach.ingest import expand_paths, read_file
    from coach.ingest.common import RecordError, parse_date
    from coach.ingest.pipeline import IngestPipeline, IngestReport

    if format_ not in ("json", "md", "csv"):
        _fail("--format must be json, md or csv")
    try:
        day = parse_date(as_of).date() if as_of else datetime.now().date()
    except RecordError as exc:
        _fail(str(exc))
    ws = _workspace()
    names = list(account or [])
    if inputs:
        pipeline = IngestPipeline(ws)
        report = IngestReport()
        files, _ = expand_paths(list(inputs))
        for path in files:
            report.merge(pipeline.ingest(read_file(path, pipeline.defaults())))
        for rejection in report.rejected:
            err.print(f"[yellow]rejected[/] {rejection.origin}: {rejection.reason}", highlight=False)
        _audit_import(ws, report, "coach analyze FILES")
        if not names:
            names = sorted(report.accounts) or _accounts_of(ws, report.unchanged)
    analyzer = engine_analyzer(ws, _engines(ws, engine))
    try:
        with _progress() as progress:
            task = progress.add_task("analysing", total=None, records=0)
            result = analyzer.report(
                day, names or None, on_account=lambda n: progress.update(task, description=n[:40])
            )
    except NotFound as exc:
        _fail(str(exc), code=1)
    from coach.audit import Audit

    trail = Audit(ws.db)
    for item in result.accounts:
        trail.record(
            None,
            "cli",
            "read" if format_ == "md" else "export",
            item.account,
            f"coach analyze --format {format_}",
        )
    _print_usage(result)
    if format_ == "json":
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=1) + "\n")
    elif format_ == "csv":
        from coach.analysis.spreadsheet import findings_csv

        sys.stdout.write(findings_csv(result))
    else:
        out.print(render_markdown(result), markup=False, highlight=False, soft_wrap=True)


@app.command()
def brief(
    account: Annotated[
        str, typer.Argument(help="The account the meeting is with (as `coach accounts` lists it).")
    ],
    meeting: Annotated[
        str | None, typer.Option(help='Meeting title or recurring series, e.g. "Weekly sync".')
    ] = None,
    attendees: Annotated[
        str | None, typer.Option(help="Who will be there: names or e-mails, comma-separated.")
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(help="Date of the meeting (YYYY-MM-DD); history up to it counts. Default: today."),
    ] = None,
    format_: Annotated[
        str, typer.Option("--format", help="md (default), html (a standalone page) or json.")
    ] = "md",
    engine: Annotated[
        str | None,
        typer.Option(help="offline (default) or llm (the model words it; falls back to offline)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of the terminal.")
    ] = None,
) -> None:
    """Write a one-page prep brief for a meeting: purpose and agenda, attendees and what they raised, open
    problems and commitments, risks, what changed since the last meeting of the series, and three questions,
    every line citing an interaction or a playbook section."""
    from coach.briefs import BriefRequest, BriefService
    from coach.briefs.service import render_brief
    from coach.ingest.common import RecordError, parse_date

    if format_ not in ("md", "html", "json"):
        _fail("--format must be md, html or json")
    try:
        day = parse_date(date).date() if date else datetime.now().date()
    except RecordError as exc:
        _fail(str(exc))
    ws = _workspace()

    from coach.engines import analyzer as engine_analyzer

    engines = _engines(ws, engine)
    service = BriefService(ws, analyzer=engine_analyzer(ws, engines), writer=engines.brief_writer)
    people = [a.strip() for a in (attendees or "").split(",") if a.strip()]
    with err.status("writing the brief…"):
        result = service.brief(BriefRequest(account=account, meeting=meeting, attendees=people, date=day))
    if result.has_history:
        from coach.audit import Audit

        Audit(ws.db).record(None, "cli", "brief", result.account, f"coach brief --format {format_}")
    text = render_brief(result, format_)
    if output:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        err.print(f"wrote {output} ({result.engine}, {len(result.sources)} sources cited)")
    elif format_ == "md":
        out.print(text, markup=False, highlight=False, soft_wrap=True)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _heal_interrupted(ws: Workspace) -> None:
    """Before an import: if an earlier one was killed between the store and the index, repair the index first
    (two counts decide; the repair re-embeds only what is missing), so a restarted import ends in agreement."""
    from coach.maintenance.doctor import quick_check, repair

    if quick_check(ws):
        return
    with err.status("the index is behind the store (an interrupted import?): repairing…"):
        result = repair(ws)
    err.print(
        f"repaired the index: {result['interactions']} interaction(s) re-indexed, "
        f"{result['orphans_removed']} orphaned, {result['stale_facts_removed']} stale cached facts removed"
    )


@app.command()
def doctor(
    repair_: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Fix what is found: re-embed missing chunks, copy missing vectors, remove orphans.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The findings as JSON.")] = False,
) -> None:
    """Check that the relational store, its full-text index and the vector index agree (and, with --repair,
    make them agree)."""
    from coach.maintenance.doctor import check, repair

    ws = _workspace()
    with err.status("checking the store against the index…"):
        drift = check(ws)
    summary: dict[str, Any] = {
        "interactions": drift.interactions,
        "chunks_expected": drift.chunks_expected,
        "chunks_indexed": drift.chunks_indexed,
        "missing": len(drift.missing),
        "orphans": len(drift.orphans),
        "text_missing": len(drift.text_missing),
        "full_text_healthy": drift.full_text_healthy,
        "vectors_missing": drift.vectors_missing,
        "stale_facts": drift.stale_facts,
        "schema_revision": drift.schema_revision,
        "clean": drift.clean,
    }
    repaired = None
    if repair_ and not drift.clean:
        with _progress() as progress:
            todo = len(set(drift.missing) | set(drift.text_missing))
            copies = bool(drift.vectors_missing or drift.text_missing)
            task = progress.add_task(
                "repairing", total=todo or None, visible=bool(todo) or not copies, records=0
            )
            copying = progress.add_task(  # rows written again from the text get theirs too: not counted ahead
                "copying vectors from the index",
                total=None if drift.text_missing else drift.vectors_missing,
                visible=copies,
                records=0,
            )
            repaired = repair(
                ws,
                on_item=lambda: progress.advance(task),
                on_vectors=lambda n: progress.advance(copying, n),
            )
        after = check(ws)
        summary["after_repair"] = {
            "missing": len(after.missing),
            "orphans": len(after.orphans),
            "text_missing": len(after.text_missing),
            "full_text_healthy": after.full_text_healthy,
            "vectors_missing": after.vectors_missing,
            "stale_facts": after.stale_facts,
            "clean": after.clean,
        }
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")
    else:
        out.print(
            f"store: {drift.interactions} interactions, schema {drift.schema_revision}; index: "
            f"{drift.chunks_indexed} of {drift.chunks_expected} chunks"
        )
        if drift.clean:
            out.print("[green]the store and the index agree[/]")
        else:
            out.print(
                f"[yellow]drift[/]: {len(drift.missing)} interaction(s) missing chunks"
                + (f" (e.g. {', '.join(drift.missing[:3])})" if drift.missing else "")
                + f", {len(drift.orphans)} orphaned in the index, {drift.stale_facts} stale cached facts"
                + f", {len(drift.text_missing)} missing from the full-text index"
                + ("" if drift.full_text_healthy else ", the full-text index disagrees with its rows")
                + (
                    f", {drift.vectors_missing} chunk(s) without their vector"
                    if drift.vectors_missing
                    else ""
                )
            )
            if repaired is None:
                out.print("run [bold]coach doctor --repair[/] to fix it")
            else:
                out.print(
                    f"repaired: {repaired['interactions']} re-indexed, {repaired['vectors_copied']} vectors copied "
                    f"from the index, {repaired['orphans_removed']} orphans "
                    f"and {repaired['stale_facts_removed']} stale facts removed; now "
                    + ("[green]clean[/]" if summary["after_repair"]["clean"] else "[red]still drifting[/]")
                )
    if not drift.clean and (not repair_ or not summary.get("after_repair", {}).get("clean")):
        raise typer.Exit(1)


@app.command("export")
def export_(
    folder: Annotated[Path, typer.Argument(help="A new (or empty) folder for the archive.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Date of the findings written beside the data (default today)."),
    ] = None,
) -> None:
    """Write every account, interaction, person, user, team, token, cached fact, audit event and finding to a
    portable archive: JSONL per table plus manifest.json with row counts and SHA-256 checksums."""
    from coach.audit import Audit
    from coach.ingest.common import RecordError, parse_date
    from coach.maintenance.archive import export_store

    try:
        day = parse_date(as_of).date() if as_of else None
    except RecordError as exc:
        _fail(str(exc))
    ws = _workspace()
    with err.status("exporting…") as status:
        try:
            manifest = export_store(
                ws, folder, day, on_table=lambda n, c: status.update(f"exported {n} ({c:,})")
            )
        except CoachError as exc:
            _fail(str(exc))
    files = manifest["files"]
    Audit(ws.db).record(
        None, "cli", "export", None, f"coach export {folder}: {files['accounts.jsonl']['rows']} accounts"
    )
    out.print(
        f"wrote {folder}: " + ", ".join(f"{n.removesuffix('.jsonl')} {f['rows']:,}" for n, f in files.items())
    )
    out.print(
        f"Next: [bold]coach import {folder}[/] into an empty store (e.g. with COACH_DATABASE_URL pointing at PostgreSQL)"
    )


@app.command("import")
def import_(
    folder: Annotated[Path, typer.Argument(help="A folder written by `coach export`.")],
) -> None:
    """Load a `coach export` archive into this empty store (checksums verified first, ids kept), then rebuild
    the vector index from the stored text."""
    from coach.maintenance.archive import import_store

    ws = _workspace()
    with _progress() as progress:
        task = progress.add_task("importing rows", total=None, records=0)
        try:
            counts = import_store(
                ws,
                folder,
                on_table=lambda n, c: progress.update(task, description=f"{n} ({c:,})"),
                on_item=lambda: progress.advance(task),
            )
        except CoachError as exc:
            _fail(str(exc))
    summary = ", ".join(f"{n} {c:,}" for n, c in counts.items() if c)
    from coach.audit import Audit, record_import

    record_import(Audit(ws.db), set(), summary, f"coach import {folder}")
    out.print("imported " + summary + "; index rebuilt")


def _print_usage(report: Report) -> None:
    """With the llm engine: per account, the model calls and tokens it took (on stderr, beside the report)."""
    from rich.table import Table

    rows = [(a.account, a.llm_usage) for a in report.accounts if a.llm_usage is not None]
    if not rows:
        return
    table = Table(
        "account", "calls", "cached", "not recorded", "prompt tokens", "completion tokens", title="model use"
    )
    for name, u in [*rows, ("all", report.engine_detail.usage)]:
        table.add_row(
            name,
            *(
                f"{u.get(k, 0):,}"
                for k in ("calls", "cached", "missed", "prompt_tokens", "completion_tokens")
            ),
        )
    err.print(table)
    for fallback in report.engine_detail.fallbacks:
        err.print(
            f"[yellow]fell back[/] ({fallback.step}, {fallback.count}x): {fallback.reason}", highlight=False
        )


def _engines(ws: Workspace, engine: str | None) -> Engines:
    from coach.engines import for_workspace

    try:
        return for_workspace(ws, engine)
    except CoachError as exc:
        _fail(str(exc))


def _accounts_of(ws: Workspace, ids: list[str]) -> list[str]:
    from coach.store.repository import Repository

    with ws.db.session() as session:
        return sorted({r.account.name for r in Repository(session).interactions(ids=ids)})


@app.command()
def demo(
    engine: Annotated[
        str | None,
        typer.Option(
            help="offline (default) or llm: with no model configured, llm replays the sample's recorded answers."
        ),
    ] = None,
) -> None:
    """Load the bundled sample accounts and show what the coach sees: accounts, a timeline, a search, the flags."""
    from coach.config import get_settings
    from coach.ingest.pipeline import IngestPipeline

    settings = get_settings()
    if (engine or settings.engine) == "llm" and settings.llm_cassette is None and not settings.openai_api_key:
        from coach.ingest.bundled import sample_cassette

        settings = settings.model_copy(update={"llm_cassette": sample_cassette()})
        err.print("No model is configured: the LLM engine replays the sample's recorded answers.")
    ws = _workspace(settings)
    from coach.ingest.bundled import load_sample

    report = load_sample(IngestPipeline(ws))
    out.rule("[bold]1. the bundled sample, imported")
    _print_report(report)
    out.rule("[bold]2. accounts")
    from coach.cli_access import list_accounts

    list_accounts(as_json=False)
    first = _largest_account(ws)
    if first:
        out.rule(f"[bold]3. timeline: {first}")
        show(first, as_json=False)
    query = "customer frustrated by repeated outages"
    out.rule(f"[bold]4. search: {query!r}")
    search(query, account=None, k=3, as_json=False)
    out.rule("[bold]5. what the coach flags")
    from coach.analysis.markdown import render_summary
    from coach.engines import analyzer as engine_analyzer

    result = engine_analyzer(ws, _engines(ws, engine)).report(datetime.now().date())
    out.print(f"engine: {result.engine}")
    out.print(
        render_summary(result),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    out.print(
        f'\nNext: [bold]coach analyze --format md[/] (every flag with its evidence), [bold]coach brief "{first}"[/] (a meeting prep brief), [bold]coach search "..."[/], '
        "[bold]coach show ACCOUNT[/], [bold]coach ingest YOUR_NOTES[/] ([bold]coach --help[/] for all commands)."
    )


def _largest_account(ws: Workspace) -> str | None:
    from coach.store.repository import Repository

    with ws.db.session() as session:
        rows = Repository(session).account_summaries()
    return max(rows, key=lambda r: r.interactions).name if rows else None


def _unknown_account(name: str, known: list[str]) -> NoReturn:
    import difflib

    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else " `coach accounts` lists them."
    _fail(f"no account named {name!r}.{hint}", code=1)


def _short(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _d(value: datetime | None) -> str:
    return value.date().isoformat() if value else ""


from coach.cli_admin import audit, serve, slack, teams_app, tokens_app, users_app  # noqa: E402

app.add_typer(users_app, name="users")
app.add_typer(teams_app, name="teams")
app.add_typer(tokens_app, name="tokens")
from coach.cli_access import accounts_app, org_app  # noqa: E402

app.add_typer(accounts_app, name="accounts")
app.add_typer(org_app, name="org")
app.command()(serve)
app.command()(slack)
app.command()(audit)
from coach.cli_digest import digest_app  # noqa: E402

app.add_typer(digest_app, name="digest")

from coach.cli_portfolio import measures as measures_command  # noqa: E402
from coach.cli_portfolio import portfolio  # noqa: E402

app.command()(portfolio)
app.command("measures")(measures_command)

from coach.cli_cassette import cassette_app  # noqa: E402

app.add_typer(cassette_app, name="cassette")


def main() -> None:
    try:
        app()
    except CoachError as exc:
        _fail(str(exc))


if __name__ == "__main__":
    main()
