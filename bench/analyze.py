"""Analysis latency of one account as it grows (offline engine), facts extracted once and cached.

    python bench/analyze.py [--sizes 10,100,1000,5000]

For each size, an account is filled with that many interactions (the bundled
sample's notes, re-dated and re-numbered so every one is a distinct record), then
analysed twice: the first run extracts and caches facts, the second judges from
the cache. Printed side by side: seconds, milliseconds per interaction, and the
cached run's time per interaction relative to the smallest account (1.00 = linear).
Needs no ../shared.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coach.analysis.service import Analyzer
from coach.config import Settings
from coach.ingest.jsonl import read_jsonl
from coach.ingest.pipeline import IngestPipeline
from coach.workspace import Workspace


def records(n: int) -> list[dict]:
    sample = [
        json.loads(line)
        for line in (resources.files("coach") / "sample" / "interactions.jsonl").read_text().splitlines()
    ]
    start = date(2026, 11, 20) - timedelta(days=n // 3 + 1)
    out = []
    for i in range(n):
        base = sample[i % len(sample)]
        out.append(
            dict(
                base,
                id=f"bench-{n}-{i}",
                account=f"Bench account {n}",
                date=(start + timedelta(days=i // 3)).isoformat(),
                text=f"{base['text']}\n(ref {i})",
            )
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10,100,1000,5000")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    ws = Workspace(Settings(data_dir=Path(tempfile.mkdtemp(prefix="coach-analyze-"))))
    pipeline = IngestPipeline(ws)
    analyzer = Analyzer(ws)
    rows = []
    for n in sizes:
        data = "\n".join(json.dumps(r) for r in records(n)).encode()
        pipeline.ingest(read_jsonl(data, f"bench-{n}.jsonl", pipeline.defaults()))
        account = f"Bench account {n}"
        t0 = time.perf_counter()
        report = analyzer.report(date(2026, 11, 20), [account]).to_json()
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        analyzer.report(date(2026, 11, 20), [account]).to_json()
        cached = time.perf_counter() - t0
        a = report["accounts"][0]
        rows.append((n, first, cached, len(a["unaddressed_problems"]), len(a["risks"])))
        print(f"  {n} interactions done ({first:.1f} s, then {cached:.2f} s)", file=sys.stderr)
    base = rows[0][2] / rows[0][0]
    print(
        f"\n{'interactions':>12} {'extract+judge s':>15} {'cached s':>9} {'ms/interaction':>15} {'vs smallest':>12} {'open problems':>14}"
    )
    for n, first, cached, problems, _risks in rows:
        print(
            f"{n:>12} {first:>15.2f} {cached:>9.3f} {1000 * cached / n:>15.2f} {(cached / n) / base:>11.2f}x {problems:>14}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
