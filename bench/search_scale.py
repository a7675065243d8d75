"""Search latency as the store grows: 10k, 100k and 1M chunks, scoped (a rep's 20 accounts) and unscoped (an
admin's), SQLite and PostgreSQL, against the Python BM25 search it replaced, in the same run.

    python bench/search_scale.py [--sizes 10000,100000,1000000] [--store DIR] [--postgres URL] [--repeat 3]
    python bench/search_scale.py --scopes --sizes 1000000 [--store DIR] [--postgres URL]

Each size has its own store under DIR (and database coach_scale_<size> on the PostgreSQL server), grown on the
first run and reused after: growing 1M takes this machine about forty minutes, measuring all three about twenty.

The notes are synthetic but varied: each is one chunk of two to five sentences, one written from a B2B template
with a person, a product, a ticket or PO number, a percentage or a date in it, the others drawn from real
business e-mail (the Enron sentences) and real meetings (the AMI transcripts) in ../shared. Embedding a million
notes with the model would take this machine a day, so a note's vector is the mean of its sentences' vectors
(each sentence embedded by the model once, cached in bench/out) plus a little noise: vectors clustered like real
ones, not random. Queries are embedded by the model for real: names, numbers, products, quoted phrases and plain
questions. One embedded Chroma collection is the dense side for both relational stores.

Per size it prints p50/p95 in milliseconds of: the full-text index alone (SQL only), the dense side alone (query
embedding + Chroma query, shown apart; for a scoped search, also the read and comparison of the scope's vectors
kept beside its rows, which is what search does for a scope of up to 10,000 chunks), the whole search as served
(``Searcher.search``: both sides, fusion, floor, passages), and the search it replaced (dense + rank_bm25 over
chunks read back from Chroma). The old search is slow at the top size, so it runs on fewer queries there
(``--before-queries``). ``--scopes`` measures instead the dense side of scopes of 2,000 to 20,000 chunks: the
scope's stored vectors read and compared, against Chroma's filtered query (where the exact comparison stops
paying, which sets ``EXACT_SCOPE``).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._before import BeforeSearch
from bench._shared import OUT, QMSUM, SHARED, require_shared
from coach.config import Settings
from coach.ingest.pipeline import IngestPipeline
from coach.search import Searcher, parse
from coach.search.searcher import EXACT_SCOPE
from coach.store import chunk_vectors, fulltext
from coach.store.fulltext import Scope
from coach.store.schema import AccountRow, ChunkRow, InteractionRow
from coach.store.vectors import ChunkEntry, chunk_id
from coach.workspace import Workspace

PER_ACCOUNT = 100  # notes per account
SCOPE_ACCOUNTS = 20  # a rep's accounts
POOL_SIZE = 12_000
SYLLABLES = [
    "ka",
    "ren",
    "dor",
    "vel",
    "mi",
    "sto",
    "lun",
    "bra",
    "tek",
    "qui",
    "zan",
    "fo",
    "rel",
    "min",
    "adi",
    "gar",
    "osk",
    "pel",
    "tor",
    "ule",
    "vin",
    "yar",
    "hes",
    "cor",
    "lam",
]
TEMPLATES = [
    "{person} complained that the {product} sync failed again; ticket {ticket} is still open.",
    "Invoice {ticket} was re-sent with PO {po} on it after {person} asked twice.",
    "{person} asked for a {pct}% discount on the {product} renewal before {date}.",
    "A rival is running a pilot of {product} at their {site} site, {person} mentioned.",
    "We agreed to deliver the {product} rollout plan by {date}; owner: {person}.",
    "{person} is unhappy about the outages at {site}: three in a month, {pct}% of jobs late.",
    "The quarterly review with {person} covered usage of {product}, up {pct}% on last quarter.",
    "{person} wants an executive sponsor on our side before the {date} steering meeting.",
    "Support escalation {ticket}: the {product} app logs technicians out at {site}.",
    "{person} said the board cut the budget; the {product} expansion waits until {date}.",
]
QUERIES = [
    "who is unhappy about outages",
    "customer asked for a discount on the renewal",
    "competitor running a pilot",
    "invoice re-sent with the purchase order",
    "executive sponsor before the steering meeting",
    "budget cut delays the expansion",
    "app logs technicians out",
    "rollout plan owner and date",
    '"rollout plan"',
    '"quarterly review" usage',
    "please send me the presentation before the meeting",
    "can we schedule a call next week",
    "remote control design with a rubber case",
    "the battery and the buttons",
]


@dataclass
class Pool:
    sentences: list[str]
    vectors: np.ndarray
    template_vectors: np.ndarray


def sentence_pool(ws: Workspace) -> Pool:
    """Real sentences (Enron e-mail, AMI meetings) and the templates, embedded once and cached in bench/out."""
    rng = random.Random(7)
    enron = []
    for name in ("intent_pos", "intent_neg"):
        path = SHARED / "data" / "enron-intent" / name
        enron += [html.unescape(line.strip()) for line in path.read_text(errors="ignore").splitlines()]
    enron = [s for s in enron if 30 <= len(s) <= 220]
    meetings = []
    for path in sorted(QMSUM.glob("*.json")):
        for turn in json.loads(path.read_text())["meeting_transcripts"]:
            text = re.sub(r"\{[^}]*\}|\s+([.,?!])", r"\1", turn["content"]).strip()
            text = " ".join(text.split())
            if 50 <= len(text) <= 220:
                meetings.append(text)
    rng.shuffle(meetings)
    sentences = sorted(set(enron + meetings[: POOL_SIZE - len(enron)]))
    filled = [t.format(**_slots(random.Random(i), 0)) for i, t in enumerate(TEMPLATES)]
    key = hashlib.sha1("\n".join(sentences + filled).encode()).hexdigest()[:12]
    cache = OUT / f"scale-pool-{key}.npz"
    if cache.is_file():
        data = np.load(cache)
        return Pool(sentences, data["vectors"], data["templates"])
    print(f"embedding {len(sentences)} pool sentences once (cached in {cache})…", file=sys.stderr)
    vectors, templates = ws.embedder.embed(sentences), ws.embedder.embed(filled)
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez(cache, vectors=vectors, templates=templates)
    return Pool(sentences, vectors, templates)


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def _slots(rng: random.Random, account: int) -> dict[str, str]:
    day = datetime(2026, 1, 1) + timedelta(days=rng.randrange(365))
    return {
        "person": f"{_name(rng, 2)} {_name(rng, 3)}",
        "product": _name(random.Random(account), 2) + rng.choice(["Sync", "Track", "Flow", "Desk", "Hub"]),
        "ticket": str(rng.randrange(10_000, 999_999)),
        "po": f"{rng.randrange(1000, 9999)}-{rng.randrange(100, 999)}",
        "pct": str(rng.randrange(2, 60)),
        "date": day.strftime("%-d %B"),
        "site": _name(rng, 2),
    }


@dataclass
class Note:
    interaction_id: str
    account: int
    day: datetime
    kind: str
    text: str
    vector: np.ndarray


def notes(pool: Pool, start: int, stop: int) -> Iterator[Note]:
    """Note ``i`` is the same in every run (seeded by ``i``)."""
    for i in range(start, stop):
        rng = random.Random(i)
        account = i // PER_ACCOUNT
        template = rng.randrange(len(TEMPLATES))
        picks = rng.sample(range(len(pool.sentences)), rng.randint(1, 4))
        sentences = [TEMPLATES[template].format(**_slots(rng, account))] + [pool.sentences[p] for p in picks]
        rng.shuffle(sentences)
        vector = pool.template_vectors[template] + pool.vectors[picks].sum(axis=0)
        vector = vector / np.linalg.norm(vector) + np.random.default_rng(i).normal(0, 0.02, vector.shape)
        yield Note(
            f"scale-{i:07d}",
            account,
            datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i),
            ("call", "note", "meeting", "email")[i % 4],
            " ".join(sentences),
            (vector / np.linalg.norm(vector)).astype(np.float32),
        )


def grow(stores: list[Workspace], pool: Pool, start: int, stop: int) -> None:
    """Add notes ``start``..``stop`` to every relational store and (once) to the shared Chroma collection."""
    t0 = time.perf_counter()
    batch: list[Note] = []
    for note in notes(pool, start, stop):
        batch.append(note)
        if len(batch) == 5000:
            _write(stores, batch)
            batch = []
            print(f"  {note.interaction_id}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, end="\r")
    _write(stores, batch)
    print(f"grew to {stop:,} notes in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def _write(stores: list[Workspace], batch: list[Note]) -> None:
    if not batch:
        return
    now = datetime.now(UTC)
    for ws in stores:
        with ws.db.session(write=True) as session:
            known = set(
                session.scalars(
                    select(AccountRow.id).where(AccountRow.id.in_({n.account + 1 for n in batch}))
                )
            )
            new = sorted({n.account + 1 for n in batch} - known)
            if new:
                session.execute(
                    insert(AccountRow),
                    [
                        {"id": a, "name": f"Account {a:05d}", "key": f"account {a:05d}", "created_at": now}
                        for a in new
                    ],
                )
            session.execute(insert(InteractionRow), [_interaction(n, now) for n in batch])
            vectors = chunk_vectors.encode(np.stack([n.vector for n in batch]))
            fulltext.replace_chunks(session, [], [_entry(n) for n in batch], vectors)
            session.commit()
    stores[0].index.upsert([_entry(n) for n in batch], np.stack([n.vector for n in batch]))


def _interaction(note: Note, now: datetime) -> dict:
    return {
        "id": note.interaction_id,
        "account_id": note.account + 1,
        "kind": note.kind,
        "occurred_at": note.day,
        "date_given": True,
        "raw_text": note.text,
        "clean_text": note.text,
        "content_hash": hashlib.sha256(note.text.encode()).hexdigest(),
        "origin": "bench/search_scale.py",
        "extra": {},
        "chunk_count": 1,
        "created_at": now,
        "updated_at": now,
    }


def _entry(note: Note) -> ChunkEntry:
    ts = int(note.day.timestamp())
    return ChunkEntry(
        chunk_id(note.interaction_id, 0),
        note.interaction_id,
        note.account + 1,
        0,
        0,
        len(note.text),
        note.text,
        ts,
        note.kind,
    )


def timed(run: Callable[[], object], repeat: int) -> list[float]:
    run()  # warm
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def percentiles(times: list[float]) -> str:
    if not times:
        return f"{'-':>7} {'-':>7}"
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):>7.1f} {p95:>7.1f}"


def measure(
    size: int, stores: dict[str, Workspace], vectors: dict[str, np.ndarray], args: argparse.Namespace
) -> None:
    accounts = size // PER_ACCOUNT
    scope_ids = list(range(1, accounts + 1, max(1, accounts // SCOPE_ACCOUNTS)))[:SCOPE_ACCOUNTS]
    first = stores["SQLite"]
    queries = list(vectors)
    embed = first.embedder.embed
    for label, ids in (("unscoped", None), (f"scoped ({SCOPE_ACCOUNTS} accounts)", scope_ids)):
        rows: dict[str, list[float]] = {}
        for q in queries:
            parsed, scope = parse(q), Scope(account_ids=ids)
            rows.setdefault("dense: embed the query", []).extend(timed(lambda q=q: embed([q]), args.repeat))
            rows.setdefault("dense: Chroma query", []).extend(
                timed(lambda q=q, ids=ids: first.index.query(vectors[q], 100, ids), args.repeat)
            )
            for name, ws in stores.items():

                def lexical(ws=ws, parsed=parsed, scope=scope) -> None:
                    with ws.db.session() as session:
                        fulltext.search(session, parsed.text_query(), scope, 100)

                rows.setdefault(f"{name}: full-text index only", []).extend(timed(lexical, args.repeat))
                # a scope of at most EXACT_SCOPE chunks: its stored vectors are the dense side
                if ids is not None:

                    def stored(ws=ws, scope=scope, vector=vectors[q]) -> None:
                        with ws.db.session() as session:
                            found = chunk_vectors.in_scope(session, scope, EXACT_SCOPE)
                        assert found is not None and not chunk_vectors.compare(found, vector)[1]

                    rows.setdefault(f"{name}: dense, stored vectors in scope", []).extend(
                        timed(stored, args.repeat)
                    )
                searcher = Searcher(ws)
                rows.setdefault(f"{name}: search as served (fused)", []).extend(
                    timed(
                        lambda q=q, s=searcher, ids=ids: s.search(
                            q, k=10, account_ids=ids, vector=vectors[q]
                        ),
                        args.repeat,
                    )
                )
        before = BeforeSearch(first)
        subset = queries if size < 1_000_000 else queries[: args.before_queries]
        for q in subset:
            rows.setdefault("before: dense + Python BM25", []).extend(
                timed(lambda q=q, b=before, ids=ids: b.search(q, vectors[q], k=10, account_ids=ids), 1)
            )
        print(f"\n{size:,} chunks, {label}: p50 / p95 ms over {len(queries)} queries x {args.repeat}")
        for name, times in rows.items():
            print(f"  {name:<42} {percentiles(times)}")


def sweep(size: int, stores: dict[str, Workspace], vectors: dict[str, np.ndarray], repeat: int) -> None:
    """Where comparing a scope's stored vectors stops paying: scopes of 2,000 to 20,000 chunks of the store, the
    stored vectors' read and comparison against Chroma's filtered query of the same scope (search compares up to
    ``EXACT_SCOPE`` chunks itself and asks Chroma beyond)."""
    accounts = size // PER_ACCOUNT
    first = stores["SQLite"]
    print(f"\n{size:,} chunks, dense side by scope size: p50 / p95 ms over {len(vectors)} queries x {repeat}")
    for chunks in (c for c in (2_000, 5_000, 10_000, 20_000) if c < size):
        count = chunks // PER_ACCOUNT
        ids = list(range(1, accounts + 1, max(1, accounts // count)))[:count]
        scope = Scope(account_ids=ids)
        rows: dict[str, list[float]] = {}
        for vector in vectors.values():
            rows.setdefault("Chroma filtered query", []).extend(
                timed(lambda v=vector, ids=ids: first.index.query(v, 100, ids), repeat)
            )
            for name, ws in stores.items():

                def stored(ws=ws, vector=vector, scope=scope, chunks=chunks) -> None:
                    with ws.db.session() as session:
                        found = chunk_vectors.in_scope(session, scope, chunks)
                    assert found is not None and not chunk_vectors.compare(found, vector)[1]

                rows.setdefault(f"{name}: stored vectors", []).extend(timed(stored, repeat))
        print(
            f"  {chunks:>6,} chunks: " + "; ".join(f"{n} {percentiles(t).strip()}" for n, t in rows.items())
        )


def _present(ws: Workspace, size: int) -> list[str]:
    """Queries for names, numbers and a product that exist in the store at this size."""
    rng = random.Random(size)
    with ws.db.session() as session:
        picks = [rng.randrange(size) for _ in range(6)]
        texts = session.scalars(
            select(ChunkRow.text).where(ChunkRow.interaction_id.in_([f"scale-{i:07d}" for i in picks]))
        )
        found = []
        for text in texts:
            numbers = re.findall(r"\b\d{5,6}\b", text)
            names = re.findall(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b", text)
            products = re.findall(r"\b[A-Z][a-z]+(?:Sync|Track|Flow|Desk|Hub)\b", text)
            found += (
                [f"ticket {n}" for n in numbers[:1]] + [f"what did {n} say" for n in names[:1]] + products[:1]
            )
    return found[:8]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--sizes", default="10000,100000,1000000", help="chunk counts to measure at (a store each)"
    )
    ap.add_argument(
        "--store",
        type=Path,
        default=Path("/tmp/coach-scale"),
        help="folder of the stores, one per size (kept)",
    )
    ap.add_argument(
        "--postgres",
        default=None,
        help="a PostgreSQL server URL: a database coach_scale_<size> per size beside",
    )
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each query (after one warm-up)")
    ap.add_argument("--before-queries", type=int, default=6, help="queries of the old search at 1M chunks")
    ap.add_argument(
        "--grow-only", action="store_true", help="grow the stores to their sizes, measure nothing"
    )
    ap.add_argument(
        "--scopes",
        action="store_true",
        help="only the dense side by scope size (2,000 to 20,000 chunks), at each size",
    )
    args = ap.parse_args()
    require_shared()
    for size in (int(s) for s in args.sizes.split(",")):
        stores = open_stores(args.store / str(size), _database(args.postgres, size))
        first = stores["SQLite"]
        have = _count(first)
        if any(_count(ws) != have for ws in stores.values()):
            print("the stores hold different counts: start from empty ones", file=sys.stderr)
            return 2
        if have < size:
            grow(list(stores.values()), sentence_pool(first), have, size)
        for name, ws in stores.items():  # a store grown before migration 0012: repaired as a user's would be
            with ws.db.session() as session:
                lacking = chunk_vectors.count_missing(session)
            if lacking:
                t0 = time.perf_counter()
                copied = IngestPipeline(ws).fill_vectors()
                print(f"{name}: {copied:,} vectors copied from the index in {time.perf_counter() - t0:.0f} s")
        if args.scopes:
            sweep(size, stores, _query_vectors(first, size), args.repeat)
        elif not args.grow_only:
            measure(size, stores, _query_vectors(first, size), args)
        for ws in stores.values():
            ws.close()
    return 0


def open_stores(folder: Path, postgres: str | None) -> dict[str, Workspace]:
    """The SQLite store in ``folder`` and, given a URL, a PostgreSQL one sharing its Chroma collection (the dense
    side is the same for both), with planner statistics current as autovacuum keeps them on a live server."""
    sqlite = Workspace(Settings(data_dir=folder, _env_file=None))
    stores = {"SQLite": sqlite}
    if postgres:
        pg = Workspace(Settings(data_dir=folder, database_url=postgres, _env_file=None))
        pg.__dict__["index"] = sqlite.index
        with pg.db.engine.begin() as connection:
            connection.execute(text("ANALYZE chunks"))
        stores["PostgreSQL"] = pg
    return stores


def _database(server: str | None, size: int) -> str | None:
    """The URL of database coach_scale_<size> on ``server``, created when missing."""
    if not server:
        return None
    import psycopg

    name = f"coach_scale_{size}"
    with psycopg.connect(server.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    return server.rsplit("/", 1)[0] + "/" + name


def _query_vectors(ws: Workspace, size: int) -> dict[str, np.ndarray]:
    texts = QUERIES + _present(ws, size)
    return dict(zip(texts, ws.embedder.embed(texts), strict=True))


def _count(ws: Workspace) -> int:
    with ws.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(InteractionRow)) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
