"""Load on loopback: 50 clients for 60 s on SQLite + embedded Chroma (1 worker) and on PostgreSQL + a Chroma
server (4 workers), 50,000 interactions preloaded; then how ingest and queries grow up to 100,000 interactions.

    python bench/load.py [--interactions 50000] [--clients 50] [--seconds 60] [--setups sqlite,server]
                         [--growth 10000,25000,50000,100000] [--skip-growth]

Load. Each setup gets a fresh store: ``--interactions`` notes over 1,000 accounts, logged by 50 reps (one per
team, 20 accounts each). The notes are written from a pool of sentences, so the preload embeds each distinct
chunk once (an embedding cache in front of the real model); the server embeds every note posted during the
test for real. Then ``coach serve`` runs in a child process and each client signs in as one rep and, for
``--seconds``, loops over: post a new note to one of its accounts (30%), read one of its accounts' reports (50%),
search (20%). The reports' facts are extracted on first read, as in production; a rep's first report of an
account is slower. The same clients then run a second minute with the same choices (same seeds): the reports'
facts are cached by then, only the notes posted meanwhile are new, which is the steady state of a working day. Printed per setup: throughput, p50/p95/p99 per operation, errors, and the ratio of each p50
to GET /healthz measured by the same 50 clients in the same run (routing, auth-free middleware, one database
round trip); then a final count check: every note the server acknowledged is in the store, once.

Growth. Interactions are added in steps into one SQLite + embedded Chroma store (same pool, cached
embeddings): records/s of each step (storage and indexing, not the model) and, at each size, p50 of an account
report (warm), a search and the account list; the embedding model's own rate on distinct notes is printed
beside it, which is what a real import of new text pays on top.

The server setup needs PostgreSQL and a Chroma server: COACH_TEST_POSTGRES_URL / COACH_TEST_CHROMA_URL (what
`bash .ci/services .venv` prints); without them it is skipped, saying so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach.auth import Users  # noqa: E402
from coach.config import Settings  # noqa: E402
from coach.embedding import default_embedder  # noqa: E402
from coach.ingest.jsonl import read_jsonl  # noqa: E402
from coach.ingest.pipeline import IngestPipeline  # noqa: E402
from coach.store.repository import Repository  # noqa: E402
from coach.workspace import Workspace  # noqa: E402

REPS = 50
ACCOUNTS = 1000
PEOPLE = ["Rosa Vidal", "Kai Berg", "Noor Haddad", "Lena Park", "Omar Diaz", "Ines Moreau", "Tom Reyes"]
PROBLEMS = [
    "the depot tablets reboot during shifts",
    "invoices arrive three weeks late",
    "the route export times out",
    "alerts go to the wrong team",
    "the mobile app logs planners out",
    "the scanner freezes at the dock",
    "customs forms are rejected",
    "the dashboard totals do not match finance",
    "single sign-on fails",
    "the API rate limit blocks the nightly sync",
]
REPLIES = [
    "I said I'd check with product.",
    "We agreed a fix by the end of the month, owned by support.",
    "Nobody picked it up.",
    "I promised an update on Friday.",
    "Support closed the ticket as fixed.",
]
EXTRAS = [
    "They want to widen the rollout to two more regions next year.",
    "The CFO asked about the renewal price.",
    "A competitor ran a demo for their planners last week.",
    "We walked through the ticket backlog.",
    "Their operations director wants a quarterly business review.",
    "We reviewed the uptime report.",
]
QUERIES = [
    "who complained about invoices",
    "renewal price",
    "competitor demo",
    "tablets reboot",
    "quarterly review",
    "single sign-on",
    "route export",
    "nightly sync blocked",
]


def note_text(i: int) -> str:
    """Notes from a pool of sentences: about 2,100 distinct texts however many notes."""
    who = PEOPLE[i % len(PEOPLE)]
    return (
        f"Call with {who}. {who.split()[0]} complained that {PROBLEMS[(i // 7) % len(PROBLEMS)]}. "
        f"{REPLIES[(i // 3) % len(REPLIES)]} {EXTRAS[(i // 11) % len(EXTRAS)]}"
    )


class CachedEmbedder:
    """The real model, asked once per distinct text (the preload's notes repeat; the test's posts do not)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.cache: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = sorted({t for t in texts if t not in self.cache})
        if missing:
            for text, vector in zip(missing, self.real.embed(missing), strict=True):
                self.cache[text] = vector
        return np.stack([self.cache[t] for t in texts]) if texts else self.real.embed([])

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def records(first: int, last: int) -> list[dict[str, Any]]:
    start = date(2026, 11, 20) - timedelta(days=400)
    return [
        {
            "id": f"load-{i}",
            "account": f"Load account {i % ACCOUNTS:04d}",
            "kind": ("call", "note", "meeting")[i % 3],
            "date": (start + timedelta(days=(i // ACCOUNTS) % 400)).isoformat(),
            "rep": f"Rep {i % ACCOUNTS % REPS:02d}",
            "text": note_text(i),
        }
        for i in range(first, last)
    ]


def fill(settings: Settings, embedder: Any, n: int, quiet: bool = False) -> tuple[dict[int, str], float]:
    """``n`` interactions; account a is logged by rep a % 50 (each rep in their own team). Returns the reps'
    tokens and the seconds it took."""
    ws = Workspace(settings, embedder=embedder)
    users = Users(ws.db)
    reps = {}
    for r in range(REPS):
        email = f"rep{r:02d}@vendor.example"
        user = users.by_email(email) or users.add(email, f"Rep {r:02d}", "rep", "load-password")
        team = f"Team {r:02d}"
        if team not in [t for t, _, _ in users.teams()]:
            users.add_team(team)
            users.add_member(team, email)
        reps[r] = user.id
    pipeline = IngestPipeline(ws)
    t0 = time.perf_counter()
    with ws.db.session() as session:
        have = Repository(session).count_interactions()
    for first in range(have, n, 2000):
        data = "\n".join(json.dumps(r) for r in records(first, min(n, first + 2000))).encode()
        pipeline.ingest(
            read_jsonl(data, "load.jsonl", pipeline.defaults()),
            logged_by=lambda record: reps[int(record.account[-4:]) % REPS],
        )
        if not quiet:
            print(
                f"  preloaded {min(n, first + 2000):,} of {n:,} ({time.perf_counter() - t0:.0f} s)",
                file=sys.stderr,
            )
    seconds = time.perf_counter() - t0
    tokens = {r: users.create_token(f"rep{r:02d}@vendor.example", "load")[0] for r in range(REPS)}
    ws.close()
    return tokens, seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    with log.open("wb") as sink:  # a file, not a pipe: a pipe nobody reads stalls the server once it fills
        proc = subprocess.Popen(
            [sys.executable, "-m", "coach.cli", "serve", "--port", str(port), "--workers", str(workers)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not come up")


async def load(base: str, tokens: dict[int, str], clients: int, seconds: float, mix: bool) -> dict[str, Any]:
    """``clients`` loops for ``seconds``: the 30/50/20 mix, or GET /healthz only (the baseline)."""
    latencies: dict[str, list[float]] = {"note": [], "report": [], "search": [], "healthz": []}
    errors: dict[str, int] = {k: 0 for k in latencies}
    examples: list[str] = []
    acked: list[str] = []
    stop = time.perf_counter() + seconds

    async def client(http: httpx.AsyncClient, n: int) -> None:
        rep = n % REPS
        rng = random.Random(n)
        headers = {"Authorization": f"Bearer {tokens[rep]}"}
        mine = [f"Load account {a:04d}" for a in range(rep, ACCOUNTS, REPS)][
            :4
        ]  # the accounts a rep works on
        while time.perf_counter() < stop:
            roll = rng.random()
            kind = "healthz" if not mix else "note" if roll < 0.3 else "report" if roll < 0.8 else "search"
            t0 = time.perf_counter()
            try:
                if kind == "note":
                    body = {
                        "account": rng.choice(mine),
                        "kind": "call",
                        "date": "2026-11-20",
                        "text": f"Call with Rosa. {PROBLEMS[rng.randrange(len(PROBLEMS))].capitalize()}, she "
                        f"said; I promised an answer by Friday. (load {uuid.uuid4().hex[:10]})",
                    }
                    response = await http.post("/v1/interactions", json=body, headers=headers)
                    ok = response.status_code == 201
                    if ok:
                        acked.append(response.json()["interaction"]["id"])
                elif kind == "report":
                    response = await http.get(
                        f"/v1/accounts/{rng.choice(mine)}/report",
                        params={"as_of": "2026-11-20"},
                        headers=headers,
                    )
                    ok = response.status_code == 200
                elif kind == "search":
                    response = await http.get(
                        "/v1/search", params={"q": rng.choice(QUERIES), "k": 10}, headers=headers
                    )
                    ok = response.status_code == 200
                else:
                    response = await http.get("/healthz")
                    ok = response.status_code == 200
                if not ok and len(examples) < 5:
                    examples.append(f"{kind} -> {response.status_code}: {response.text[:200]}")
            except httpx.HTTPError as exc:
                ok = False
                if len(examples) < 5:
                    examples.append(f"{kind} -> {type(exc).__name__}: {exc}")
            latencies[kind].append(time.perf_counter() - t0)
            errors[kind] += 0 if ok else 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=300, limits=limits) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(http, n) for n in range(clients)))
        elapsed = time.perf_counter() - t0
    return {
        "elapsed": elapsed,
        "latencies": latencies,
        "errors": errors,
        "acked": acked,
        "examples": examples,
    }


def pct(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000


def run_setup(
    name: str, settings: Settings, env: dict[str, str], workers: int, args: argparse.Namespace, embedder: Any
) -> None:
    print(
        f"\n== {name}: {workers} worker(s), {args.interactions:,} interactions preloaded, {args.clients} clients, "
        f"{args.seconds:.0f} s",
        flush=True,
    )
    tokens, took = fill(settings, embedder, args.interactions)
    print(
        f"preload: {args.interactions:,} interactions in {took:.0f} s ({args.interactions / took:.0f}/s; "
        f"{len(embedder.cache):,} distinct chunks embedded)"
    )
    port = free_port()
    log = settings.data_dir / "server.log"
    settings.ensure_data_dir()
    proc = serve(env, port, workers, log)
    try:
        base = f"http://127.0.0.1:{port}"
        baseline = asyncio.run(load(base, tokens, args.clients, min(15.0, args.seconds), mix=False))
        mixed = asyncio.run(load(base, tokens, args.clients, args.seconds, mix=True))
        again = asyncio.run(load(base, tokens, args.clients, args.seconds, mix=True))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    health = baseline["latencies"]["healthz"]
    base_p50 = pct(health, 50)
    print(
        f"baseline GET /healthz: {len(health) / baseline['elapsed']:.0f} req/s, p50 {base_p50:.1f} ms, "
        f"errors {baseline['errors']['healthz']}"
    )
    table("mixed, first minute (each account's facts extracted on its first report)", mixed, base_p50)
    table("mixed, second minute (the same clients again: facts cached, new notes extracted)", again, base_p50)
    logged = [
        line for line in log.read_text(errors="replace").splitlines() if "Error" in line or "error" in line
    ]
    print(f"server log: {len(logged)} error line(s)" + (f"; last: {logged[-1][:200]}" if logged else ""))
    acked = mixed["acked"] + again["acked"]
    ws = Workspace(settings, embedder=embedder)
    with ws.db.session() as session:
        repo = Repository(session)
        stored = repo.count_interactions()
        missing = [i for i in acked if repo.interaction(i) is None]
    ws.close()
    expected = args.interactions + len(set(acked))
    print(
        f"count check: {len(acked):,} notes acknowledged ({len(set(acked)):,} distinct), "
        f"store holds {stored:,} = {args.interactions:,} + {stored - args.interactions:,}; "
        f"missing {len(missing)}; {'OK' if stored == expected and not missing else 'MISMATCH'}"
    )


def table(title: str, run: dict[str, Any], base_p50: float) -> None:
    total = sum(len(v) for v in run["latencies"].values())
    print(
        f"{title}: {total:,} requests in {run['elapsed']:.1f} s = {total / run['elapsed']:.1f} req/s, "
        f"errors {sum(run['errors'].values())}"
    )
    print(
        f"  {'operation':10} {'share':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'p50 / healthz p50':>18}"
    )
    for kind in ("note", "report", "search"):
        values = run["latencies"][kind]
        if not values:
            continue
        print(
            f"  {kind:10} {len(values) / total:6.0%} {len(values) / run['elapsed']:7.1f} {pct(values, 50):8.0f} "
            f"{pct(values, 95):8.0f} {pct(values, 99):8.0f} {run['errors'][kind]:7} "
            f"{pct(values, 50) / base_p50:17.0f}x"
        )
    for example in run["examples"]:
        print(f"  error: {example}")


def growth(steps: list[int], embedder: Any, work: Path) -> None:
    print(f"\n== growth: SQLite + embedded Chroma, one store grown to {steps[-1]:,} interactions")
    distinct = [f"{note_text(i)} Distinct {i}." for i in range(300)]
    t0 = time.perf_counter()
    embedder.real.embed(distinct)
    model_rate = len(distinct) / (time.perf_counter() - t0)
    settings = Settings(data_dir=work / "growth", _env_file=None)
    from coach.analysis.service import Analyzer
    from coach.search import Searcher

    print(
        f"{'size':>8} {'added':>8} {'records/s':>10} {'report p50 ms':>14} {'search p50 ms':>14} {'accounts ms':>12}"
    )
    have = 0
    for size in steps:
        t0 = time.perf_counter()
        fill(settings, embedder, size, quiet=True)
        rate = (size - have) / (time.perf_counter() - t0)
        have = size
        ws = Workspace(settings, embedder=embedder)
        analyzer = Analyzer(ws)
        names = [f"Load account {a:04d}" for a in range(0, 20)]
        for name in names:  # warm: facts extracted once, as a rep's second look
            analyzer.account(name, date(2026, 11, 20))
        reports = []
        for name in names:
            t1 = time.perf_counter()
            analyzer.account(name, date(2026, 11, 20))
            reports.append(time.perf_counter() - t1)
        searcher = Searcher(ws)
        searches = []
        for q in QUERIES * 3:
            t1 = time.perf_counter()
            searcher.search(q, k=10)
            searches.append(time.perf_counter() - t1)
        t1 = time.perf_counter()
        with ws.db.session() as session:
            Repository(session).account_summaries()
        listing = time.perf_counter() - t1
        ws.close()
        print(
            f"{size:8,} {size - (steps[steps.index(size) - 1] if steps.index(size) else 0):8,} {rate:10.0f} "
            f"{pct(reports, 50):14.0f} {pct(searches, 50):14.0f} {listing * 1000:12.0f}",
            flush=True,
        )
    print(
        f"the embedding model alone on distinct notes: {model_rate:.0f} notes/s (what new text adds to an import)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--interactions", type=int, default=50_000, help="preloaded per setup (default 50,000)"
    )
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each mixed run (default 60)")
    parser.add_argument(
        "--setups",
        default="sqlite,server",
        help="comma-separated: sqlite (1 worker), server (PostgreSQL + Chroma server, 4 workers); "
        "'none' for the growth part only",
    )
    parser.add_argument("--growth", default="10000,25000,50000,100000", help="store sizes of the growth part")
    parser.add_argument("--skip-growth", action="store_true", help="only the load part")
    args = parser.parse_args()
    real = default_embedder(32)
    work = Path(tempfile.mkdtemp(prefix="coach-load-"))
    setups = args.setups.split(",")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
    if "sqlite" in setups:
        folder = work / "sqlite"
        settings = Settings(data_dir=folder, _env_file=None)
        env = dict(base_env, COACH_DATA_DIR=str(folder))
        run_setup("SQLite + embedded Chroma", settings, env, 1, args, CachedEmbedder(real))
    if "server" in setups:
        pg, chroma = os.environ.get("COACH_TEST_POSTGRES_URL"), os.environ.get("COACH_TEST_CHROMA_URL")
        if not pg or not chroma:
            print(
                "\n== PostgreSQL + Chroma server: SKIPPED (set COACH_TEST_POSTGRES_URL and COACH_TEST_CHROMA_URL; "
                "`bash .ci/services .venv` prints them)"
            )
        else:
            import psycopg

            name = f"coach_load_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(
                pg.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
            ) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            url = pg.rsplit("/", 1)[0] + "/" + name
            folder = work / "server"
            settings = Settings(
                data_dir=folder, _env_file=None, database_url=url, chroma_url=chroma, collection=name
            )
            env = dict(
                base_env,
                COACH_DATA_DIR=str(folder),
                COACH_DATABASE_URL=url,
                COACH_CHROMA_URL=chroma,
                COACH_COLLECTION=name,
                COACH_SECRET_KEY="load-bench-secret",
            )
            run_setup("PostgreSQL + Chroma server", settings, env, 4, args, CachedEmbedder(real))
    if not args.skip_growth:
        growth([int(s) for s in args.growth.split(",")], CachedEmbedder(real), work)


if __name__ == "__main__":
    main()
