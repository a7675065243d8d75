"""Findings as CSV, one row per finding with its evidence, safe to open in a spreadsheet.

Quotes come from notes that anyone could have written; a cell that starts with ``=``, ``+``, ``-``, ``@`` (or a
tab or carriage return) would run as a formula in Excel, LibreOffice or Google Sheets (CSV injection). Such cells
are written with a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

from coach.analysis.report import AccountReport, Evidence, Report

COLUMNS = ["account", "finding", "code", "severity", "summary", "interaction", "date", "quote", "playbook"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _rows(report: Report) -> Iterator[list[object]]:
    for account in report.accounts:
        cite = _citer(account)
        e = account.engagement
        yield [account.account, "engagement", e.label, "", e.why, *cite(_deciding(account)), e.playbook]
        for p in account.unaddressed_problems:
            for ev in p.evidence:
                yield [account.account, "unaddressed problem", p.kind, "", p.summary, *cite(ev), p.playbook]
        for r in account.risks:
            for cited in _or_none(r.evidence):
                yield [account.account, "risk", r.code, r.severity, r.why, *cite(cited), r.playbook]
        for m in account.meetings:
            for cited in _or_none(m.evidence):
                yield [
                    account.account,
                    "meeting",
                    m.verdict,
                    "",
                    f"{m.series}: {m.why}",
                    *cite(cited),
                    m.playbook,
                ]


def _deciding(account: AccountReport) -> Evidence | None:
    """The sentence the engagement row cites: the latest strategic one, else the latest that was read at all (a
    tactical account's row is dated and quoted too)."""
    read = [i for i in account.interactions if i.evidence]
    strategic = [i for i in read if i.engagement == "strategic"]
    latest = (strategic or read)[-1:]
    return latest[0].evidence if latest else None


def _citer(account: AccountReport) -> Callable[[Evidence | None], list[object]]:
    """Evidence as (interaction, date, quote) cells; the date is the cited interaction's."""
    dates = {i.id: i.date.isoformat() for i in account.interactions}

    def cite(ev: Evidence | None) -> list[object]:
        return [ev.interaction, dates.get(ev.interaction, ""), ev.quote] if ev else ["", "", ""]

    return cite


def _or_none(evidence: list[Evidence]) -> list[Evidence | None]:
    """The evidence, or one empty citation: a finding with no quote still gets its row."""
    return list(evidence) or [None]


def findings_csv(report: Report) -> str:
    """The report as CSV text: one row per finding and piece of evidence."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in _rows(report):
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()
