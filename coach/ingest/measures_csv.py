"""CRM exports of account measures as ``.csv``: one row per account (and date), columns mapped to measures.

Read as activity exports are (``coach.ingest.crm_csv``): common column names are recognised on their own, and
``--map measure=Column`` or a mapping file overrides them. A row needs an account; its date is the day its values
were known (a date column, else the import's ``--date``, else today). A cell that cannot be read is left out with
its reason and the row's other values are kept; an empty cell, "n/a" or "-" is missing, which is not an error.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date

from coach.errors import InvalidInput
from coach.ingest.common import RecordError, parse_date
from coach.ingest.crm_csv import csv_reader, decode_csv, map_columns, numbered_rows
from coach.measures import CODES, MeasureRow, check_as_of, parse_value
from coach.records import Rejection

FIELDS: tuple[str, ...] = ("account", "date", *CODES)
_GUESSES: dict[str, tuple[str, ...]] = {
    "account": (
        "account",
        "account name",
        "company",
        "company name",
        "organization",
        "organisation",
        "customer",
    ),
    "date": (
        "date",
        "as of",
        "snapshot date",
        "report date",
        "measured on",
        "last modified",
        "modified date",
    ),
    "arr": ("arr", "annual recurring revenue", "contract value", "annual contract value", "acv"),
    "renewal_date": ("renewal date", "renewal", "next renewal", "contract end date", "contract end"),
    "tier": ("tier", "account tier", "customer tier"),
    "csat": ("csat", "csat score", "customer satisfaction", "satisfaction"),
    "nps": ("nps", "nps score", "net promoter score"),
    "retention": ("retention", "retention rate", "gross retention", "net retention", "net revenue retention"),
    "repeat_purchase": ("repeat purchase", "repeat purchase rate", "repeat rate"),
    "lifetime_value": ("lifetime value", "customer lifetime value", "ltv", "clv"),
}


def resolve_measure_columns(header: list[str], explicit: dict[str, str]) -> dict[str, str]:
    """Which column holds what: the mapping given, then the usual names. An account column and one measure at
    least are needed."""
    columns = map_columns(header, explicit, _GUESSES)
    if "account" not in columns:
        raise RecordError(f"no account column among {', '.join(header)}: map one with --map account=COLUMN")
    if not set(columns) & set(CODES):
        raise RecordError(
            f"no measure column among {', '.join(header)}: map one, e.g. --map arr=COLUMN "
            f"(measures: {', '.join(CODES)})"
        )
    return columns


def read_measures_csv(
    data: bytes, name: str, mapping: dict[str, str], today: date, default_date: date | None = None
) -> Iterator[MeasureRow | Rejection]:
    """The rows of a measures export, or the reason each could not be read (the file's, when nothing could)."""
    try:
        reader = csv_reader(decode_csv(data, name))
        header = next(reader, None)
        if not header:
            raise RecordError("the CSV file is empty")
        columns = resolve_measure_columns(header, mapping)
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
            yield _row(row, index, origin, today, default_date or today)
        except (RecordError, InvalidInput) as exc:
            yield Rejection(origin, str(exc))


def columns_of(data: bytes, name: str, mapping: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Which column holds what, and the header's columns the import does not read (said, so that a misspelt
    measure column is noticed); nothing when the header cannot be read (the import says why)."""
    try:
        header = next(csv_reader(decode_csv(data, name)), None) or []
        columns = resolve_measure_columns(header, mapping)
    except (RecordError, csv.Error):
        return {}, []
    used = set(columns.values())
    return columns, [h for h in header if h not in used and h.strip()]


def _row(row: list[str], index: dict[str, int], origin: str, today: date, default_date: date) -> MeasureRow:
    account = " ".join(row[index["account"]].split())
    if not account:
        raise RecordError("no account name in this row")
    day = row[index["date"]].strip() if "date" in index else ""
    as_of = check_as_of(parse_date(day).date() if day else default_date, today)
    values: dict[str, float | str] = {}
    problems: list[str] = []
    for code in CODES:
        if code not in index:
            continue
        try:
            value = parse_value(code, row[index[code]])
        except InvalidInput as exc:
            problems.append(f"{exc}; left out, the row's other values are kept")
            continue
        if value is not None:
            values[code] = value
    return MeasureRow(origin=origin, account=account, as_of=as_of, values=values, problems=problems)


__all__ = ["FIELDS", "columns_of", "read_measures_csv", "resolve_measure_columns"]
