"""Digest building at scale: 50 managers x 8 reps x 25 accounts, offline engine.

    python bench/digest.py [--managers 50] [--reps 8] [--accounts 25] [--per-account 3] [--store DIR]

Accounts are generated from the dev set's patterns (../shared/eval/dev): each one
replays ``--per-account`` consecutive interactions of one dev account (its notes,
people and series), renamed and re-dated into the twelve weeks before the digest
week, logged by its rep. Records go straight into the relational store (digests do
not read Chroma, so nothing is embedded for search), and every account's facts are
extracted once first (the warm-up, timed separately, as the weekly job finds them
cached from the week's reports). Printed: per-digest p50/p95 of building (judging,
charts), the total (with rendering each digest as its e-mail), each against the first
digest (the baseline in the same run), and the e-mail's own time and size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._shared import DEV
from coach.analysis.service import Analyzer
from coach.auth import Users
from coach.config import Settings
from coach.digest import DigestBuilder
from coach.digest.deliver import email_message
from coach.ingest.common import SourceDefaults, check_record
from coach.ingest.jsonl import record_from_object
from coach.store.repository import Repository
from coach.tenancy import grant_to_teams_of
from coach.workspace import Workspace

WEEK = "2026-W47"
END = date(2026, 11, 22)


def build_store(ws: Workspace, managers: int, reps: int, accounts: int, per: int) -> int:
    records = [
        json.loads(line) for line in (DEV / "interactions.jsonl").read_text().splitlines() if line.strip()
    ]
    by_account: dict[str, list[dict]] = defaultdict(list)
    for r in sorted(records, key=lambda r: r["date"]):
        by_account[r["account"]].append(r)
    templates = list(by_account.values())
    users = Users(ws.db)
    count = 0
    for m in range(managers):
        team = f"Team {m:02d}"
        users.add_team(team)
        users.add(f"manager{m:02d}@bench.example", f"Manager {m:02d}", "manager", "bench-password")
        users.add_member(team, f"manager{m:02d}@bench.example", manages=True)
        for r in range(reps):
            email = f"rep{m:02d}-{r}@bench.example"
            rep = users.add(email, f"Rep {m:02d}-{r}", "rep", "bench-password")
            users.add_member(team, email)
            with ws.db.session(write=True) as session:
                repo = Repository(session)
                for a in range(accounts):
                    template = templates[(m * reps * accounts + r * accounts + a) % len(templates)]
                    start = (a * 2) % max(1, len(template) - per + 1)
                    for i, source in enumerate(template[start : start + per]):
                        day = (
                            END
                            - timedelta(days=7 * (11 - (i * 11) // max(1, per - 1)))
                            + timedelta(days=a % 5)
                        )
                        obj = dict(
                            source,
                            id=f"b-{m}-{r}-{a}-{i}",
                            account=f"{source['account']} {m:02d}-{r}-{a:02d}",
                            date=day.isoformat(),
                            rep=rep.name,
                        )
                        record = check_record(record_from_object(obj, "bench"), SourceDefaults())
                        row = repo.save(
                            record,
                            record.interaction_id(),
                            record.content_hash(),
                            0,
                            set(),
                            datetime.now(UTC),
                            logged_by=rep.id,
                        )
                        if i == 0:  # the rep's team holds the account, as when a rep logs a new account
                            grant_to_teams_of(session, row.account_id, rep.id, None)
                        count += 1
                session.commit()
        print(f"  team {m + 1} of {managers} stored", file=sys.stderr)
    return count


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--managers", type=int, default=50)
    ap.add_argument("--reps", type=int, default=8)
    ap.add_argument("--accounts", type=int, default=25)
    ap.add_argument("--per-account", type=int, default=3)
    ap.add_argument("--store", type=Path, default=None)
    args = ap.parse_args()
    if not (DEV / "interactions.jsonl").exists():
        print(f"skipped: {DEV} is absent (set COACH_SHARED_DIR to the shared folder)")
        return 0
    store = args.store or Path(tempfile.mkdtemp(prefix="coach-digest-"))
    ws = Workspace(Settings(data_dir=store, _env_file=None))
    t0 = time.perf_counter()
    if not Users(ws.db).all():
        n = build_store(ws, args.managers, args.reps, args.accounts, args.per_account)
        print(
            f"stored {n:,} interactions in {args.managers * args.reps * args.accounts:,} accounts "
            f"({time.perf_counter() - t0:.0f} s)"
        )
    t0 = time.perf_counter()
    Analyzer(ws).report(END).to_json()
    print(f"warm-up: facts of every interaction extracted and cached ({time.perf_counter() - t0:.0f} s)")
    builder = DigestBuilder(ws)
    times, sizes, mails, mail_bytes = [], [], [], []
    t_all = time.perf_counter()
    for manager in builder.managers():
        t0 = time.perf_counter()
        digest = builder.build(manager.email, WEEK)
        times.append(time.perf_counter() - t0)
        sizes.append(sum(len(r.accounts) for r in digest.reps))
        t0 = time.perf_counter()
        mail_bytes.append(len(email_message(digest, ws.settings).as_bytes()))
        mails.append(time.perf_counter() - t0)
    total = time.perf_counter() - t_all
    if not any(sizes):
        print("error: the digests covered no accounts (are the accounts granted to the teams?)")
        return 1
    p = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else [times[0]] * 99
    first = times[0]
    print(f"\n{len(times)} digests ({statistics.mean(sizes):.0f} accounts each), offline engine")
    print(f"{'':<22} {'seconds':>9} {'vs first digest':>16}")
    print(f"{'first digest':<22} {first:>9.2f} {1.0:>15.2f}x")
    print(f"{'per digest p50':<22} {p[49]:>9.2f} {p[49] / first:>15.2f}x")
    print(f"{'per digest p95':<22} {p[94]:>9.2f} {p[94] / first:>15.2f}x")
    print(f"{'total':<22} {total:>9.1f} {total / first:>15.1f}x")
    print(
        f"e-mail (templates, MIME, charts inline): p50 {statistics.median(mails) * 1000:.0f} ms per digest, "
        f"{statistics.median(mail_bytes) / 1024:.0f} kB (included in the total)"
    )
    ws.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
