"""The portfolio at scale: 1,000 and 10,000 accounts, against reading the same accounts' reports, in one run.

    python bench/portfolio.py [--accounts 1000,10000] [--repeat 2] [--store DIR]

Accounts replay the dev set's accounts (../shared/eval/dev: every note, person, series and length, on their own
dates), renamed; each has ARR, renewal date, tier and NPS on two dates. Records go straight into the relational
store (neither the portfolio nor a report reads Chroma). Facts are cached once beforehand, as a store that has
been read finds them: the offline engine reads each of the dev set's notes once and every clone of it reuses
those facts (the same text, people and directory; only the id differs), which is what the store would cache
after ~41 minutes of extraction here. The 1,000 accounts are one team's (a grant), the 10,000 every account.

Timed for each size, in the same run, alternating which goes first, with nothing of the other's result alive
(a collection first), best of ``--repeat``:
- reports: ``Analyzer.report(as_of, names)`` over those accounts (what `coach analyze` does);
- portfolio: ``PortfolioService.build`` over the same accounts (scope, measures, the same judging, the
  placement and the decisions).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from bench._shared import DEV
from coach.analysis.report import Report
from coach.analysis.service import Analyzer
from coach.auth import Users
from coach.config import Settings
from coach.ingest.common import SourceDefaults, check_record
from coach.ingest.jsonl import record_from_object
from coach.measures.book import Entry, MeasureBook
from coach.portfolio import Portfolio, PortfolioService
from coach.signals.facts import InteractionFacts
from coach.signals.offline import InteractionView, OfflineExtractor
from coach.signals.text import Directory
from coach.store.repository import Repository
from coach.store.schema import AccountGrantRow, AccountRow, TeamRow
from coach.workspace import Workspace

AS_OF = date(2026, 11, 20)
TEAM = "Bench 1k"


class CloneFacts:
    """The offline extractor, reading each distinct note (text, people, kind, series, length) once: a clone of a
    dev note gets the facts of its original, with its own id."""

    def __init__(self, offline: OfflineExtractor) -> None:
        self.offline, self.engine, self.version = offline, offline.engine, offline.version
        self.memo: dict[Any, InteractionFacts] = {}
        self.read = 0

    def extract(self, view: InteractionView, directory: Directory) -> InteractionFacts:
        key = (view.text, view.kind, view.series, view.duration_minutes, view.rep, tuple(view.participants))
        if key not in self.memo:
            self.memo[key] = self.offline.extract(view, directory)
            self.read += 1
        return self.memo[key].model_copy(update={"interaction_id": view.id})


def build_store(ws: Workspace, accounts: int) -> int:
    records = [
        json.loads(line) for line in (DEV / "interactions.jsonl").read_text().splitlines() if line.strip()
    ]
    by_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in sorted(records, key=lambda r: r["date"]):
        by_account[r["account"]].append(r)
    templates = list(by_account.values())
    count = 0
    for start in range(0, accounts, 500):
        with ws.db.session(write=True) as session:
            repo = Repository(session)
            for n in range(start, min(accounts, start + 500)):
                for i, source in enumerate(templates[n % len(templates)]):
                    obj = dict(source, id=f"pf-{n}-{i}", account=f"{source['account']} {n:05d}")
                    record = check_record(record_from_object(obj, "bench"), SourceDefaults())
                    repo.save(
                        record, record.interaction_id(), record.content_hash(), 0, set(), datetime.now(UTC)
                    )
                    count += 1
            session.commit()
        print(f"  {min(accounts, start + 500):,} of {accounts:,} accounts stored", file=sys.stderr)
    return count


def add_measures(ws: Workspace, team_size: int) -> None:
    with ws.db.session() as session:
        ids = list(session.scalars(select(AccountRow.id).order_by(AccountRow.id)))
    entries = []
    for n, account_id in enumerate(ids):
        arr = 50_000 + (n * 7919) % 900_000
        for day, growth in ((date(2025, 12, 1), 1.0), (date(2026, 11, 1), 0.9 + (n % 5) * 0.05)):
            entries += [
                Entry(account_id, "arr", day, round(arr * growth, 0), "bench"),
                Entry(account_id, "renewal_date", day, date(2027, 1 + n % 12, 1).isoformat(), "bench"),
                Entry(account_id, "tier", day, "ABC"[n % 3], "bench"),
                Entry(account_id, "nps", day, float(n % 120 - 40), "bench"),
            ]
    book = MeasureBook(ws.db)
    for start in range(0, len(entries), 20_000):
        book.put(entries[start : start + 20_000], None)
    Users(ws.db).add_team(TEAM)
    with ws.db.session(write=True) as session:
        team = session.scalar(select(TeamRow.id).where(TeamRow.name == TEAM))
        session.add_all(
            AccountGrantRow(account_id=i, team_id=team, granted_at=datetime.now(UTC)) for i in ids[:team_size]
        )
        session.commit()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", default="1000,10000", help="sizes, comma-separated; the largest is stored")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--store", type=Path, default=None)
    args = ap.parse_args()
    if not (DEV / "interactions.jsonl").exists():
        print(f"skipped: {DEV} is absent (set COACH_SHARED_DIR to the shared folder)")
        return 0
    sizes = sorted(int(s) for s in args.accounts.split(","))
    store = args.store or Path(tempfile.mkdtemp(prefix="coach-portfolio-"))
    ws = Workspace(Settings(data_dir=store, _env_file=None))
    with ws.db.session() as session:
        stored = len(list(session.scalars(select(AccountRow.id))))
    if not stored:
        t0 = time.perf_counter()
        n = build_store(ws, sizes[-1])
        add_measures(ws, sizes[0])
        print(
            f"stored {n:,} interactions in {sizes[-1]:,} accounts, with measures ({time.perf_counter() - t0:.0f} s)"
        )
    extractor = CloneFacts(OfflineExtractor(ws.embedder))
    analyzer = Analyzer(ws, extractor=extractor)
    t0 = time.perf_counter()
    analyzer.report(AS_OF)
    print(
        f"facts cached: {extractor.read} distinct notes read, the rest reused ({time.perf_counter() - t0:.0f} s)"
    )
    service = PortfolioService(ws, analyzer)
    with ws.db.session() as session:
        names = list(session.scalars(select(AccountRow.name).order_by(AccountRow.id)))
    rows = []
    for size in sizes:
        scope = service.scope(None, TEAM) if size == sizes[0] else service.scope(None)
        chosen = sorted(scope.ids) if scope.ids is not None else None
        with ws.db.session() as session:
            wanted = names[:size] if chosen is None else [session.get(AccountRow, i).name for i in chosen]  # type: ignore[union-attr]
        runs: dict[str, Callable[[], Report | Portfolio]] = {
            "reports": lambda wanted=wanted: analyzer.report(AS_OF, wanted),  # type: ignore[misc]
            "portfolio": lambda scope=scope: service.build(scope, AS_OF),  # type: ignore[misc]
        }
        best = dict.fromkeys(runs, float("inf"))
        counts: dict[str, int] = {}
        decisions: Counter[str] = Counter()
        for attempt in range(args.repeat):
            for kind in list(runs) if attempt % 2 == 0 else list(reversed(runs)):
                gc.collect()  # alternating which goes first, nothing of the other's result alive while timed
                t0 = time.perf_counter()
                result = runs[kind]()
                best[kind] = min(best[kind], time.perf_counter() - t0)
                counts[kind] = len(result.accounts)
                if isinstance(result, Portfolio):
                    decisions = Counter(d.kind for d in result.decisions)
                del result
        assert counts["reports"] == counts["portfolio"] == size, (counts, size)
        rows.append((size, best["reports"], best["portfolio"], decisions))
    print(
        f"\nportfolio against the same accounts' reports, as of {AS_OF}, best of {args.repeat}, offline engine"
    )
    print(
        f"{'accounts':>9} {'reports':>10} {'portfolio':>10} {'ratio':>7} {'ms/account':>11} {'decisions':>10}"
    )
    for size, rep, pf, found in rows:
        total = sum(found.values())
        print(f"{size:>9,} {rep:>9.2f}s {pf:>9.2f}s {pf / rep:>6.2f}x {1000 * pf / size:>11.2f} {total:>10,}")
    print("decisions at the largest size: " + ", ".join(f"{k} {v:,}" for k, v in sorted(rows[-1][3].items())))
    ws.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
