"""Findings as CSV, one row per finding with its evidence, safe to open in a spreadsheet.

Quotes come from notes that anyone could have written; a cell that starts with ``=``, ``+``, ``-``, ``@`` (or a
tab or carriage return) would run as a formula in Excel, LibreOffice or Google Sheets (CSV injection). Such cells
are written with a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

COLUMNS = ["account", "finding", "code", "severity", "summary", "interaction", "date", "quote", "playbook"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _rows(report: dict[str, Any]) -> Iterator[list[object]]:
    for account in report["accounts"]:
        name = account["account"]
        engagement = account["engagement"]
        for e in engagement.get("evidence", [])[:1] or [{}]:
            yield [
                name,
                "engagement",
                engagement["label"],
                "",
                engagement.get("why", ""),
                e.get("interaction"),
                e.get("date"),
                e.get("quote"),
                engagement.get("playbook"),
            ]
        for p in account["unaddressed_problems"]:
            for e in p["evidence"]:
                yield [
                    name,
                    "unaddressed problem",
                    p.get("kind", ""),
                    p.get("severity", ""),
                    p["summary"],
                    e.get("interaction"),
                    e.get("date"),
                    e.get("quote"),
                    p.get("playbook"),
                ]
        for r in account["risks"]:
            for e in r["evidence"] or [{}]:
                yield [
                    name,
                    "risk",
                    r["code"],
                    r["severity"],
                    r["why"],
                    e.get("interaction"),
                    e.get("date"),
                    e.get("quote"),
                    r.get("playbook"),
                ]
        for m in account["meetings"]:
            for e in m["evidence"] or [{}]:
                yield [
                    name,
                    "meeting",
                    m["verdict"],
                    "",
                    f"{m['series']}: {m['why']}",
                    e.get("interaction"),
                    e.get("date"),
                    e.get("quote"),
                    m.get("playbook"),
                ]


def findings_csv(report: dict[str, Any]) -> str:
    """The report (as in contract/report.schema.json) as CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in _rows(report):
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()
