"""The API under load on loopback: posting a note and reading an account report, 1 and 20 clients.

    python bench/api.py [--interactions 10000] [--requests 200] [--store bench/out/api-store]

The store is filled once with ``--interactions`` interactions (the bundled sample's
notes re-numbered over 100 accounts, logged by one user; reused on later runs), then
``coach``'s app is served by uvicorn (one worker) in a child process. For each
scenario, ``--requests`` requests are sent by 1 and by 20 concurrent clients (httpx,
asyncio); printed side by side: requests/s, p50/p95 latency, errors, and the ratio of
p50 to the baseline measured in the same run (``GET /healthz``: routing, middleware
and one database round trip). Needs no ../shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach.auth import Users  # noqa: E402
from coach.config import Settings  # noqa: E402
from coach.ingest.jsonl import read_jsonl  # noqa: E402
from coach.ingest.pipeline import IngestPipeline  # noqa: E402
from coach.store.repository import Repository  # noqa: E402
from coach.workspace import Workspace  # noqa: E402

ACCOUNTS = 100
EMAIL = "bench@vendor.example"


def fill(store: Path, n: int) -> str:
    """The store with ``n`` interactions and a user with a token; returns the token."""
    ws = Workspace(Settings(data_dir=store, _env_file=None))
    users = Users(ws.db)
    user = users.by_email(EMAIL) or users.add(EMAIL, "Bench Rep", "rep", "bench-password")
    with ws.db.session() as session:
        have = Repository(session).count_interactions()
    if have < n:
        sample = [
            json.loads(line)
            for line in (resources.files("coach") / "sample" / "interactions.jsonl").read_text().splitlines()
        ]
        start = date(2026, 11, 20) - timedelta(days=n // ACCOUNTS + 1)
        pipeline = IngestPipeline(ws)
        for first in range(have, n, 1000):
            batch = [
                dict(
                    sample[i % len(sample)],
                    id=f"load-{i}",
                    account=f"Load account {i % ACCOUNTS:03d}",
                    date=(start + timedelta(days=i // ACCOUNTS)).isoformat(),
                    text=f"{sample[i % len(sample)]['text']}\n(ref {i})",
                )
                for i in range(first, min(n, first + 1000))
            ]
            data = "\n".join(json.dumps(r) for r in batch).encode()
            pipeline.ingest(read_jsonl(data, "load.jsonl", pipeline.defaults()), logged_by=user.id)
            print(f"  stored {min(n, first + 1000):,} of {n:,}", file=sys.stderr)
    token, _ = users.create_token(EMAIL, "bench")
    ws.close()
    return token


def serve(store: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, COACH_DATA_DIR=str(store))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not come up")


async def run(
    base: str, token: str, kind: str, requests: int, clients: int
) -> tuple[float, list[float], int]:
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    errors = 0
    counter = iter(range(requests))

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        for i in counter:
            t0 = time.perf_counter()
            if kind == "note":
                note = {
                    "account": f"Load account {i % 7:03d}",
                    "kind": "call",
                    "date": "2026-11-20",
                    "text": f"Call {i} with the ops lead. She asked for the outage report by Friday; "
                    f"I said we would send it (bench {time.time_ns()}).",
                }
                response = await http.post("/v1/interactions", json=note, headers=headers)
                ok = response.status_code == 201
            elif kind == "report":
                response = await http.get(
                    f"/v1/accounts/Load account {i % 7:03d}/report",
                    params={"as_of": "2026-11-20"},
                    headers=headers,
                )
                ok = response.status_code == 200
            else:
                response = await http.get("/healthz")
                ok = response.status_code == 200
            latencies.append(time.perf_counter() - t0)
            errors += 0 if ok else 1

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        elapsed = time.perf_counter() - t0
    return elapsed, latencies, errors


def pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--interactions", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--store", type=Path, default=ROOT / "bench" / "out" / "api-store")
    args = ap.parse_args()
    t0 = time.perf_counter()
    token = fill(args.store, args.interactions)
    print(
        f"store ready: {args.interactions:,} interactions over {ACCOUNTS} accounts ({time.perf_counter() - t0:.0f} s)"
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = serve(args.store, port)
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(run(base, token, "report", 7, 1))  # facts of the accounts read below, extracted once
        rows = []
        for clients in (1, 20):
            baseline = asyncio.run(run(base, token, "healthz", args.requests, clients))
            for kind in ("note", "report"):
                rows.append(
                    (kind, clients, asyncio.run(run(base, token, kind, args.requests, clients)), baseline)
                )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(
        f"\n{'scenario':<22} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} "
        f"{'baseline p50 ms':>16} {'p50 vs baseline':>16}"
    )
    for kind, clients, (elapsed, lat, errors), (_, base_lat, _) in rows:
        name = "POST a note" if kind == "note" else "GET account report"
        print(
            f"{name:<22} {clients:>7} {len(lat) / elapsed:>8.1f} {pct(lat, 50):>8.1f} {pct(lat, 95):>8.1f} "
            f"{errors:>7} {pct(base_lat, 50):>16.1f} {pct(lat, 50) / pct(base_lat, 50):>15.1f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
