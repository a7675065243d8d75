"""CRM exports as ``.csv``: one activity per row, columns mapped to interaction fields.

Common column names (Salesforce, HubSpot, Dynamics exports) are recognised on
their own; ``--map field=Column`` or a mapping file overrides them.
"""

from __future__ import annotations

import _csv
import csv
import io
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import cast

from coach.ingest.common import RecordError, SourceDefaults, check_record, parse_date
from coach.records import InteractionRecord, Kind, Participant, Rejection

FIELDS = (
    "id",
    "account",
    "kind",
    "date",
    "rep",
    "subject",
    "series",
    "duration_minutes",
    "text",
    "participants",
)
_GUESSES: dict[str, tuple[str, ...]] = {
    "id": ("id", "activity id", "record id", "task id", "event id"),
    "account": (
        "account",
        "account name",
        "company",
        "company name",
        "organization",
        "organisation",
        "customer",
    ),
    "kind": ("kind", "type", "activity type", "task subtype", "event subtype", "channel"),
    "date": ("date", "activity date", "date time", "start", "start date", "created date", "timestamp"),
    "rep": ("rep", "owner", "assigned", "assigned to", "activity owner", "owner name", "created by"),
    "subject": ("subject", "title"),
    "series": ("series", "meeting series"),
    "duration_minutes": ("duration", "duration minutes", "duration (minutes)", "duration_minutes", "minutes"),
    "text": ("text", "notes", "note", "comments", "full comments", "description", "body", "details"),
    "participants": ("participants", "attendees", "contacts", "name", "contact"),
}
_KIND_WORDS = {
    "call": "call",
    "phone": "call",
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "meeting": "meeting",
    "event": "meeting",
    "video": "meeting",
    "note": "note",
    "task": "note",
}


def load_mapping(path: Path, fields: tuple[str, ...] = FIELDS) -> dict[str, str]:
    """A mapping file: JSON or TOML, ``{"text": "Comments", "account": "Company"}``."""
    try:
        raw = tomllib.loads(path.read_text()) if path.suffix == ".toml" else json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise RecordError(f"mapping file {path}: {exc}") from None
    return parse_mapping([f"{k}={v}" for k, v in raw.items()], fields)


def parse_mapping(pairs: list[str], fields: tuple[str, ...] = FIELDS) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        field = field.strip()
        if not sep or field not in fields or not column.strip():
            raise RecordError(f"mapping {pair!r}: use FIELD=Column with FIELD one of {', '.join(fields)}")
        mapping[field] = column.strip()
    return mapping


def header_key(name: str) -> str:
    """A column name as columns are matched: case, spaces and underscores do not matter."""
    return " ".join(name.replace("_", " ").split()).casefold()


def map_columns(
    header: list[str], explicit: dict[str, str], guesses: dict[str, tuple[str, ...]]
) -> dict[str, str]:
    """Which column holds what: the mapping given (each column must be in the header), then the first of each
    field's usual names (by ``header_key``) that no other field took."""
    by_norm = {header_key(h): h for h in header}
    columns: dict[str, str] = {}
    for field, column in explicit.items():
        if header_key(column) not in by_norm:
            raise RecordError(
                f"mapped column {column!r} (for {field}) is not in the header: {', '.join(header)}"
            )
        columns[field] = by_norm[header_key(column)]
    for field, names in guesses.items():
        if field not in columns:
            found = next((by_norm[g] for g in names if g in by_norm), None)
            if found and found not in columns.values():
                columns[field] = found
    return columns


def resolve_columns(header: list[str], explicit: dict[str, str]) -> dict[str, str]:
    columns = map_columns(header, explicit, _GUESSES)
    if "text" not in columns:
        raise RecordError(f"no text column among {', '.join(header)}: map one with --map text=COLUMN")
    return columns


def decode_csv(data: bytes, name: str) -> str:
    """A CSV export's bytes as text: UTF-16 with its mark, or UTF-8 (with or without one)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RecordError(f"{name} is not valid UTF-8 (line {line}); export the CSV as UTF-8") from None


def csv_reader(text: str) -> _csv.Reader:
    """Rows of a CSV text, its delimiter (comma, semicolon, tab or bar) sniffed from the start."""
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO(text, newline=""), dialect)


def read_csv(data: bytes, name: str, defaults: SourceDefaults) -> Iterator[InteractionRecord | Rejection]:
    try:
        reader = csv_reader(decode_csv(data, name))
        header = next(reader, None)
        if not header:
            raise RecordError("the CSV file is empty")
        columns = resolve_columns(header, defaults.csv_mapping)
    except (RecordError, csv.Error) as exc:
        yield Rejection(name, str(exc))
        return
    index = {field: header.index(column) for field, column in columns.items()}
    for item in numbered_rows(reader, name, len(header)):
        if isinstance(item, Rejection):
            yield item
            continue
        origin, row = item
        try:
            yield check_record(_record(row, index, origin, defaults), defaults)
        except RecordError as exc:
            yield Rejection(origin, str(exc))


def numbered_rows(reader: _csv.Reader, name: str, width: int) -> Iterator[tuple[str, list[str]] | Rejection]:
    """The rows after the header, each with its origin (file:line); blank rows skipped, a row of the wrong width
    refused, and an unreadable row ends the file (its origin says where)."""
    line = reader.line_num
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Rejection(f"{name}:{start}", f"unreadable CSV row: {exc}")
            return
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        origin = f"{name}:{start}"
        if len(row) != width:
            yield Rejection(origin, f"the row has {len(row)} cells, the header {width}")
            continue
        yield origin, row


def _record(
    row: list[str], index: dict[str, int], origin: str, defaults: SourceDefaults
) -> InteractionRecord:
    def cell(field: str) -> str | None:
        value = row[index[field]].strip() if field in index else ""
        return value or None

    kind_word = (cell("kind") or "").casefold()
    kind = next((k for word, k in _KIND_WORDS.items() if word in kind_word), None) or defaults.kind or "note"
    duration = cell("duration_minutes")
    try:
        minutes = float(duration) if duration else None
    except ValueError:
        raise RecordError(f"duration {duration!r} is not a number of minutes") from None
    names = [n.strip() for n in (cell("participants") or "").replace(",", ";").split(";") if n.strip()]
    date = cell("date")
    return InteractionRecord(
        account=cell("account") or "",
        text=row[index["text"]],
        origin=origin,
        kind=cast(Kind, kind),
        occurred_at=parse_date(date) if date else None,
        source_id=cell("id"),
        rep=cell("rep"),
        subject=cell("subject"),
        series=cell("series"),
        duration_minutes=minutes,
        participants=[Participant(name=n, side="customer") for n in names],
    )
