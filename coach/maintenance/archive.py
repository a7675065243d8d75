"""``coach export`` / ``coach import``: the whole store as a portable archive, and back.

An archive is a folder of JSONL files, one per table (accounts, people, users, teams, memberships, API tokens,
interactions, participations, cached facts, account measures, digest deliveries, the audit trail), plus ``findings.jsonl`` (each
account's report on the export date) and ``manifest.json`` with every file's row count and SHA-256. Rows are
written in primary-key order with dates in UTC ISO 8601 and keys sorted, so the same store exports to the same
bytes whatever the backend (SQLite or PostgreSQL). Import goes into an empty store in one transaction, checks
every checksum first, keeps every id, then rebuilds the vector index from the stored text.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Date, DateTime, Integer, Table, func, insert, select, text

from coach.errors import InvalidInput
from coach.store.schema import Base
from coach.workspace import Workspace

FORMAT = "coach-archive/1"
# Parents before children; what import inserts in this order.
TABLES = [
    "accounts",
    "users",
    "teams",
    "memberships",
    "account_grants",
    "access_requests",
    "slack_links",
    "org_domains",
    "api_tokens",
    "account_measures",
    "people",
    "interactions",
    "participations",
    "interaction_facts",
    "digest_deliveries",
    "audit_events",
    "llm_answers",  # the model's answers: moving a store must not pay for them twice
]


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _line(row: dict[str, Any]) -> str:
    return json.dumps(
        {k: _encode(v) for k, v in row.items()}, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )


def _rows(ws: Workspace, table: Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns)
    with ws.db.engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=1000).execute(
            select(table).order_by(*order)
        )
        for row in result.mappings():
            yield dict(row)


def export_store(
    ws: Workspace, folder: Path, as_of: date | None = None, on_table: Callable[[str, int], None] | None = None
) -> dict[str, Any]:
    """Write the archive into ``folder`` (created; must be empty). Returns the manifest."""
    from coach.analysis.service import Analyzer

    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True)
        folder.chmod(0o700)  # the archive holds every note and the users: its owner's only
    if any(folder.iterdir()):
        raise InvalidInput(f"{folder} is not empty: export into a new folder")
    files: dict[str, dict[str, Any]] = {}
    for name in TABLES:
        count = _write(folder / f"{name}.jsonl", (_line(r) for r in _rows(ws, _table(name))))
        files[f"{name}.jsonl"] = {"rows": count, "sha256": _sha256(folder / f"{name}.jsonl")}
        if on_table:
            on_table(name, count)
    day = as_of or datetime.now(UTC).date()
    accounts = Analyzer(ws).report(day).to_json()["accounts"] if files["interactions.jsonl"]["rows"] else []
    findings = (json.dumps(a, ensure_ascii=False, sort_keys=True, separators=(",", ":")) for a in accounts)
    count = _write(folder / "findings.jsonl", findings)
    files["findings.jsonl"] = {
        "rows": count,
        "sha256": _sha256(folder / "findings.jsonl"),
        "as_of": day.isoformat(),
        "derived": True,
    }
    with ws.db.session() as session:
        revision = session.execute(text("select version_num from alembic_version")).scalar()
    manifest = {
        "format": FORMAT,
        "schema_revision": revision,
        "created_at": datetime.now(UTC).isoformat(),
        "backend": ws.db.engine.dialect.name,
        "files": files,
    }
    with _private(folder / "manifest.json") as handle:
        handle.write(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def _private(path: Path) -> TextIO:
    """A new file only its owner may read (0600, whatever the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8", newline="\n")


def _write(path: Path, lines: Iterator[str]) -> int:
    count = 0
    with _private(path) as handle:
        for line in lines:
            handle.write(line + "\n")
            count += 1
    return count


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(folder: Path) -> dict[str, Any]:
    """The manifest, once every file's checksum and row count match it; InvalidInput naming the first that does not."""
    path = folder / "manifest.json"
    if not path.is_file():
        raise InvalidInput(f"{folder} has no manifest.json: is it a `coach export` folder?")
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise InvalidInput(f"unknown archive format {manifest.get('format')!r} (this coach reads {FORMAT})")
    for name, info in manifest["files"].items():
        file = folder / name
        if not file.is_file():
            raise InvalidInput(f"{name} is missing from the archive")
        if _sha256(file) != info["sha256"]:
            raise InvalidInput(f"{name} does not match its checksum: the archive is damaged or was edited")
        with file.open(encoding="utf-8") as handle:
            rows = sum(1 for _ in handle)
        if rows != info["rows"]:
            raise InvalidInput(f"{name} has {rows} rows, the manifest says {info['rows']}")
    return manifest


def _decode(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    for column in table.columns:
        value = row.get(column.name)
        if isinstance(column.type, DateTime) and isinstance(value, str):
            row[column.name] = datetime.fromisoformat(value)
        elif isinstance(column.type, Date) and isinstance(value, str):
            row[column.name] = date.fromisoformat(value)
    return row


def import_store(
    ws: Workspace,
    folder: Path,
    on_table: Callable[[str, int], None] | None = None,
    on_item: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Load an archive into this (empty) store, then rebuild the index. Returns rows per table."""
    manifest = verify(folder)
    with ws.db.session() as session:
        revision = session.execute(text("select version_num from alembic_version")).scalar()
        held = {
            name: session.scalar(select(func.count()).select_from(_table(name)))
            for name in ("accounts", "interactions", "users", "teams")
        }
    if any(held.values()):
        listed = ", ".join(f"{n} {c}" for n, c in held.items() if c)
        raise InvalidInput(f"this store is not empty ({listed}): import into a new data folder or database")
    if manifest["schema_revision"] != revision:
        raise InvalidInput(
            f"the archive is of schema {manifest['schema_revision']}, this store of {revision}: "
            "use the coach version that wrote it, or upgrade both first"
        )
    counts: dict[str, int] = {}
    with ws.db.session(write=True) as session:
        for name in TABLES:
            table = _table(name)
            batch: list[dict[str, Any]] = []
            count = 0
            with (folder / f"{name}.jsonl").open(encoding="utf-8") as handle:
                for line in handle:
                    batch.append(_decode(table, json.loads(line)))
                    if len(batch) >= 1000:
                        session.execute(insert(table), batch)
                        count += len(batch)
                        batch = []
            if batch:
                session.execute(insert(table), batch)
                count += len(batch)
            counts[name] = count
            if on_table:
                on_table(name, count)
        if ws.db.engine.dialect.name == "postgresql":  # ids were given: move each sequence past them
            for name in TABLES:
                table = _table(name)
                keys = list(table.primary_key.columns)
                if len(keys) == 1 and isinstance(keys[0].type, Integer):
                    session.execute(
                        text(
                            f"select setval(pg_get_serial_sequence('{name}', '{keys[0].name}'), "
                            f"coalesce((select max({keys[0].name}) from {name}), 0) + 1, false)"
                        )
                    )
        session.commit()
    from coach.ingest.pipeline import IngestPipeline

    IngestPipeline(ws).reindex(full=True, on_item=on_item)
    return counts
