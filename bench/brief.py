"""Prep briefs: prompt tokens against pasting everything, and latency with the offline engine.

    python bench/brief.py [--repeat 5] [--year-accounts 250]

For every account of the dev set (../shared/eval/dev) a brief is built with the
offline engine. Printed side by side per account:

- tokens of the brief's prompt (``prompts/brief.j2``, fitted to the budget) and of
  the naive prompt: the same instructions with all of the account's interactions
  pasted in full, both counted with tiktoken for the configured model, and the ratio;
- whether every open problem and commitment of the account is still in the prompt.

Dev accounts are small (6 to 10 interactions), so a second table replays the dev
set's interactions as one account with a year of history (``--year-accounts``
interactions, re-dated and re-numbered) to show how both prompts grow.
Latency: p50/p95 per brief over the dev accounts, warm (facts cached) and the
first, cold brief of each account (facts extracted). Skips when ../shared is absent.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._shared import DEV
from coach.briefs import BriefRequest, BriefService
from coach.briefs.model import Passage, PrepBrief
from coach.briefs.service import render_prompt
from coach.config import Settings
from coach.ingest.jsonl import read_jsonl
from coach.ingest.pipeline import IngestPipeline
from coach.store.repository import Repository, as_utc
from coach.workspace import Workspace

AS_OF = date(2026, 11, 20)


def naive_prompt(account: str, on: date, ws: Workspace) -> str:
    """The same instructions with every interaction of the account pasted in full."""
    with ws.db.session() as session:
        repo = Repository(session)
        row = repo.account(account)
        rows = repo.interactions(account_ids=[row.id]) if row else []
        context = [
            Passage(source=r.id, date=as_utc(r.occurred_at).date(), kind=r.kind, text=r.raw_text, score=0.0)
            for r in rows
        ]
    from coach.briefs.model import Line

    return render_prompt(
        PrepBrief(
            account=account, date=on, engine="naive", has_history=True, purpose=Line(text=""), context=context
        )
    )


def kept(brief: PrepBrief, prompt: str) -> bool:
    return all(f"[{p.raised_in}, raised" in prompt for p in brief.open_problems) and all(
        c.text in prompt for c in brief.commitments
    )


def row(ws: Workspace, service: BriefService, account: str, on: date) -> tuple[int, int, bool, int, int]:
    brief = service.brief(BriefRequest(account, date=on))
    prompt = render_prompt(brief)
    ours, naive = ws.tokens.count(prompt), ws.tokens.count(naive_prompt(account, on, ws))
    return ours, naive, kept(brief, prompt), len(brief.open_problems), len(brief.commitments)


def year_of(records: list[dict], n: int) -> list[dict]:
    start = AS_OF - timedelta(days=365)
    return [
        dict(
            records[i % len(records)],
            id=f"year-{i}",
            account="Year-long account",
            date=(start + timedelta(days=i * 365 // n)).isoformat(),
            series=None,
        )
        for i in range(n)
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="warm briefs per account for the latency figures")
    ap.add_argument("--year-accounts", type=int, default=250, help="interactions in the year-long account")
    args = ap.parse_args()
    source = DEV / "interactions.jsonl"
    if not source.exists():
        print(f"skipped: {source} is absent (set COACH_SHARED_DIR to the shared folder)")
        return 0
    ws = Workspace(Settings(data_dir=Path(tempfile.mkdtemp(prefix="coach-brief-")), _env_file=None))
    pipeline = IngestPipeline(ws)
    pipeline.ingest(read_jsonl(source.read_bytes(), source.name, pipeline.defaults()))
    records = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
    accounts = sorted({r["account"] for r in records})
    service = BriefService(ws)

    cold, warm = [], []
    for account in accounts:
        t0 = time.perf_counter()
        service.brief(BriefRequest(account, date=AS_OF))
        cold.append(time.perf_counter() - t0)
    for _ in range(args.repeat):
        for account in accounts:
            t0 = time.perf_counter()
            service.brief(BriefRequest(account, date=AS_OF))
            warm.append(time.perf_counter() - t0)

    print(
        f"prompt tokens per brief ({ws.tokens.model}, budget {ws.settings.brief_prompt_tokens}); naive = the same "
        "instructions with all of the account's interactions pasted"
    )
    print(
        f"{'account':<34} {'interactions':>12} {'brief':>7} {'naive':>7} {'brief/naive':>12} {'problems':>9} "
        f"{'commitments':>12} {'all kept':>9}"
    )
    counts = {a: sum(1 for r in records if r["account"] == a) for a in accounts}
    for account in sorted(accounts, key=lambda a: -counts[a]):
        ours, naive, ok, problems, commitments = row(ws, service, account, AS_OF)
        print(
            f"{account:<34} {counts[account]:>12} {ours:>7} {naive:>7} {ours / naive:>11.2f}x {problems:>9} "
            f"{commitments:>12} {'yes' if ok else 'NO':>9}"
        )

    print("\nthe dev set's interactions replayed as one account with a year of history")
    print(
        f"{'interactions':>12} {'brief':>7} {'naive':>8} {'brief/naive':>12} {'problems':>9} {'commitments':>12} {'all kept':>9}"
    )
    for n in sorted({max(10, args.year_accounts // 5), args.year_accounts}):
        data = "\n".join(json.dumps(r) for r in year_of(records, n)).encode()
        pipeline.ingest(read_jsonl(data, "year.jsonl", pipeline.defaults()))
        ours, naive, ok, problems, commitments = row(ws, service, "Year-long account", AS_OF)
        print(
            f"{n:>12} {ours:>7} {naive:>8} {ours / naive:>11.2f}x {problems:>9} {commitments:>12} {'yes' if ok else 'NO':>9}"
        )

    def q(values: list[float], pct: int) -> float:
        return (
            statistics.quantiles(values, n=100, method="inclusive")[pct - 1] * 1000
            if len(values) > 1
            else values[0] * 1000
        )

    print(f"\nbrief latency, offline engine, {len(accounts)} dev accounts")
    print(f"{'':<26} {'p50 ms':>8} {'p95 ms':>8} {'briefs':>7}")
    print(f"{'warm (facts cached)':<26} {q(warm, 50):>8.0f} {q(warm, 95):>8.0f} {len(warm):>7}")
    print(f"{'cold (facts extracted)':<26} {q(cold, 50):>8.0f} {q(cold, 95):>8.0f} {len(cold):>7}")
    print(f"cold / warm p50: {q(cold, 50) / q(warm, 50):.1f}x")
    ws.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
