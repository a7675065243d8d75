"""The bad-inputs corpus: hand-written malformed files (tests/data/bad/) and generated ones (invalid UTF-8, NUL
bytes, 5 MB texts, deep and huge JSON, binaries, Unicode tricks, formula cells, impossible dates). Each case is
ingested in one batch beside good records; it must get a clear rejection or be stored safely, and the good
records must all go in."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coach.ingest import expand_paths, read_file
from coach.ingest.pipeline import IngestPipeline
from coach.store.repository import Repository
from coach.workspace import Workspace

WRITTEN = Path(__file__).resolve().parent.parent / "data" / "bad"
GOOD_TEXT = (
    "Call with Rosa. Rosa complained that the {n} depot tablets reboot daily. I said I'd check with support."
)
FIVE_MB = 5 * 1024 * 1024
FALLBACK_ACCOUNT = "Pasted Account"  # as `coach ingest --account`: for files that name none


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def _note(
    account: str = "Larchmont Transit",
    text: str = "Rosa asked for weekly exports of the depot data.",
    **extra: Any,
) -> dict[str, Any]:
    return {"account": account, "kind": "note", "date": "2026-10-14", "text": text, **extra}


@dataclass
class Case:
    name: str
    filename: str
    content: bytes | None  # None: the hand-written file of that name in tests/data/bad/
    expect: str  # "rejected" (with a clear reason), "stored" (safely) or "partial" (some records of the file)
    reason: str = ""  # a piece of the rejection message the user sees
    check: Callable[[Workspace], str | None] | None = (
        None  # what "stored safely" means: None, or what is wrong
    )


def _stored(ws: Workspace, account: str) -> list[str]:
    with ws.db.session() as session:
        repo = Repository(session)
        row = repo.account(account)
        return [] if row is None else [r.raw_text for r in repo.interactions(account_ids=[row.id])]


def _accounts(ws: Workspace) -> set[str]:
    with ws.db.session() as session:
        return {s.name for s in Repository(session).account_summaries()}


def _no_nul(ws: Workspace) -> str | None:
    texts = _stored(ws, "Nul Bytes Ltd")
    if not texts:
        return "not stored"
    return "a NUL byte was stored" if any("\x00" in t or "\x07" in t for t in texts) else None


def _clean_name(expected: str, tricky: str) -> Callable[[Workspace], str | None]:
    def check(ws: Workspace) -> str | None:
        names = _accounts(ws)
        if tricky in names:
            return f"stored under the raw name {tricky!r}"
        return None if expected in names else f"{expected!r} not among {sorted(names)}"

    return check


def _script_kept_as_text(ws: Workspace) -> str | None:
    texts = _stored(ws, "Script Kiddie Co")
    return None if texts and "<script>" in texts[0] else "the note was not stored as written"


def _formula_escaped(ws: Workspace) -> str | None:
    import csv
    import io
    from datetime import date

    from coach.analysis.service import Analyzer
    from coach.analysis.spreadsheet import findings_csv

    names = [n for n in _accounts(ws) if n[:1] in "=+-@"]
    if not names:
        return "the formula-named account was not stored"
    report = Analyzer(ws).report(date(2026, 11, 20), names)
    for row in csv.reader(io.StringIO(findings_csv(report))):
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@"):
                return f"unescaped cell {cell[:40]!r}"
    return None


def cases() -> list[Case]:
    big = "The export timed out again. " * (FIVE_MB // 28 + 1)
    deep = b"[" * 100_000 + b"]" * 100_000
    huge_transcript = json.dumps(
        {
            "meeting_transcripts": [
                {"speaker": "Rosa", "content": "The tablets reboot. " * 50} for _ in range(6000)
            ]
        }
    ).encode()
    return [
        Case(
            "invalid UTF-8 in one line of a .jsonl",
            "utf8.jsonl",
            _line(_note(text="Rosa asked for a depot filter."))
            + b"\n"
            + b'{"account": "X", "text": "caf\xe9 \xff"}\n',
            "partial",
            "not valid UTF-8",
        ),
        Case(
            "a pasted text that is not UTF-8",
            "latin1.txt",
            "Réunion à Zürich: Rosa a demandé…".encode("cp1252"),
            "rejected",
            "not valid UTF-8",
        ),
        Case(
            "UTF-16 without a BOM",
            "utf16.txt",
            "Rosa asked for exports".encode("utf-16-le"),
            "rejected",
            "binary",
        ),
        Case(
            "NUL and bell bytes inside a note",
            "nul.jsonl",
            _line(_note("Nul Bytes Ltd", "Rosa asked\x00 for the\x07 export."))
            + b"\n"
            + b'{"account": "Nul Bytes Ltd", "date": "2026-10-15", "text": "raw \x00 NUL in a line: Rosa complained."}\n',
            "stored",
            check=_no_nul,
        ),
        Case("a 5 MB note in a .jsonl", "big.jsonl", _line(_note(text=big)), "rejected", "over the limit"),
        Case("a 5 MB pasted text", "big.txt", big.encode(), "rejected", "over the limit"),
        Case("JSON nested 100,000 deep", "deep.jsonl", deep, "rejected", "nested too deeply"),
        Case("a 6 MB transcript", "huge.json", huge_transcript, "rejected", "over the limit"),
        Case(
            "a JSON line that is not an object",
            "array.jsonl",
            b'["account", "text"]\n7\nnull\n',
            "rejected",
            "expected a JSON object",
        ),
        Case("truncated JSON", "truncated.jsonl", _line(_note())[:40], "rejected", "not valid JSON"),
        Case(
            "a PNG renamed .csv",
            "image.csv",
            b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40,
            "rejected",
            "binary file",
        ),
        Case("an empty file", "empty.jsonl", b"  \n\n", "rejected", "empty"),
        Case("an e-mail without headers", "no-headers.eml", None, "rejected", ""),
        Case("an e-mail with broken MIME", "broken-mime.eml", None, "rejected", ""),
        Case("an mbox with a broken separator", "broken.mbox", None, "partial", ""),
        Case("a CSV with ragged rows and an unclosed quote", "ragged.csv", None, "partial", ""),
        Case("a CSV without a text column", "no-text-column.csv", None, "rejected", "text"),
        Case("a VTT with impossible timestamps", "bad-timestamps.vtt", None, "rejected", "no captions"),
        Case("a .vtt that is not WebVTT", "not-vtt.vtt", None, "rejected", ""),
        Case(
            "a date in the year 2999",
            "future.jsonl",
            _line(dict(_note(), date="2999-01-01")),
            "rejected",
            "outside",
        ),
        Case(
            "a date next month",
            "next-month.jsonl",
            _line(dict(_note(), date="2027-12-24")),
            "rejected",
            "in the future",
        ),
        Case("a date in 1850", "past.jsonl", _line(dict(_note(), date="1850-06-01")), "rejected", "outside"),
        Case(
            "HTML and script in a note",
            "script.jsonl",
            _line(
                _note(
                    "Script Kiddie Co",
                    "<script>alert('x')</script><img src=x onerror=alert(1)> Rosa asked "
                    "for <b>bold</b> exports.",
                )
            ),
            "stored",
            check=_script_kept_as_text,
        ),
        Case(
            "cells starting with = + - @",
            "formula.jsonl",
            b"\n".join(
                _line(o)
                for o in [
                    _note(
                        '=HYPERLINK("http://evil.example","open")',
                        "=1+2 Rosa complained that the export breaks.",
                    ),
                    _note("+Larch", "+1 555 0100 Rosa asked for a call back."),
                    _note("@SUM(1)", "-2+3 Rosa asked for the totals."),
                ]
            ),
            "stored",
            check=_formula_escaped,
        ),
        Case(
            "a right-to-left override in an account name",
            "rtl.jsonl",
            _line(_note("Harbour\u202e Freight")),
            "stored",
            check=_clean_name("Harbour Freight", "Harbour\u202e Freight"),
        ),
        Case(
            "zero-width characters in an account name",
            "zw.jsonl",
            _line(_note("Larch\u200bmont\u200d Transit")),
            "stored",
            check=_clean_name("Larchmont Transit", "Larch\u200bmont\u200d Transit"),
        ),
        Case(
            "a homoglyph account name (Cyrillic a)",
            "homoglyph.jsonl",
            _line(_note("L\u0430rchmont Transit")),
            "rejected",
            "mixes Cyrillic and Latin",
        ),
        Case(
            "an account name that is only invisible characters",
            "invisible.jsonl",
            _line(_note("\u200b\u200e")),
            "rejected",
            "no visible characters",
        ),
    ]


@dataclass
class BadOutcome:
    case: str
    expect: str
    outcome: str
    reasons: list[str] = field(default_factory=list)
    good_kept: bool = True
    ok: bool = True
    problem: str = ""


def run_case(case: Case, ws: Workspace, workdir: Path, number: int) -> BadOutcome:
    folder = workdir / f"case-{number:02d}"
    folder.mkdir(parents=True)
    good = [
        {
            "id": f"good-{number}-{i}",
            "account": "Good Records Inc",
            "kind": "call",
            "date": "2026-10-01",
            "text": GOOD_TEXT.format(n=f"{number}-{i}"),
        }
        for i in range(2)
    ]
    (folder / "a-good.jsonl").write_bytes(b"\n".join(_line(g) for g in good[:1]))
    (folder / "z-good.jsonl").write_bytes(b"\n".join(_line(g) for g in good[1:]))
    target = folder / case.filename
    if case.content is None:
        shutil.copy(WRITTEN / case.filename, target)
    else:
        target.write_bytes(case.content)
    pipeline = IngestPipeline(ws)
    files, _ = expand_paths([folder])
    added, rejected = [], []
    for path in files:
        report = pipeline.ingest(read_file(path, pipeline.defaults(account=FALLBACK_ACCOUNT)))
        if path == target:
            added = report.added + report.updated + report.unchanged
            rejected = [r.reason for r in report.rejected]
    kept = _good_kept(ws, good)
    outcome = "partial" if added and rejected else "stored" if added else "rejected"
    result = BadOutcome(case.name, case.expect, outcome, rejected, kept)
    problems = []
    if not kept:
        problems.append("a good record in the same batch was lost")
    if outcome != case.expect:
        problems.append(f"expected {case.expect}, got {outcome}")
    if case.expect in ("rejected", "partial") and case.reason and not any(case.reason in r for r in rejected):
        problems.append(f"no rejection says {case.reason!r}: {rejected}")
    if any(len(r) < 12 for r in rejected):
        problems.append(f"an unclear rejection: {rejected}")
    if case.check is not None and outcome in ("stored", "partial"):
        problem = case.check(ws)
        if problem:
            problems.append(problem)
    result.ok, result.problem = not problems, "; ".join(problems)
    return result


def _good_kept(ws: Workspace, good: list[dict[str, Any]]) -> bool:
    texts = set(_stored(ws, "Good Records Inc"))
    return all(g["text"] in texts for g in good)


def run_all(ws: Workspace, workdir: Path | None = None) -> list[BadOutcome]:
    folder = Path(tempfile.mkdtemp(dir=workdir))
    return [run_case(case, ws, folder, n) for n, case in enumerate(cases())]
