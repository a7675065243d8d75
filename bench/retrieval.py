"""Retrieval quality on QMSum's specific queries: recall@1 and recall@5 within each query's meeting.

    python bench/retrieval.py [--limit N] [--store DIR] [--tune]

A hit is a retrieved chunk that overlaps the turns QMSum marks as answering the query. Compared in the same run,
with the same embedding model and the same chunks:
  ours          this project's search as served: dense + the database's full-text index, fused, relevance floor
  ours, top 5   the same ranking without the floor (always five results)
  before        the search this replaced: dense + BM25 computed in Python (rank_bm25), reciprocal-rank fusion
  dense         embeddings only
  full-text     the database's full-text index only (SQLite FTS5 bm25, or PostgreSQL's, by the store's URL)
  bm25 (Python) rank_bm25 over the meeting's chunks
  naive         a fixed 1,000-character split, embeddings only
  chance        expected recall@5 of 5 random chunks of our split
``--tune`` grid-searches the fusion's weights and floor on the first 40 meetings (the tuning set) and prints the
best settings with their recall on those 40 and on all meetings.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._before import tokenize
from bench._shared import OUT, meeting_files, require_shared
from coach.config import Settings
from coach.ingest import read_file
from coach.ingest.pipeline import IngestPipeline
from coach.ingest.transcripts import qmsum_turns, render_turns
from coach.search import Searcher, parse
from coach.search.fusion import Candidate, Fusion, proximity
from coach.store import fulltext
from coach.store.fulltext import Scope
from coach.store.repository import Repository
from coach.store.schema import ChunkRow
from coach.workspace import Workspace

ACCOUNT = "AMI product design"
TUNING_MEETINGS = 40
RRF_K = 60


@dataclass
class Query:
    meeting: int  # position in the file list
    text: str
    vector: np.ndarray
    relevant: list[tuple[int, int]]
    similarity: np.ndarray  # cosine to each chunk of the meeting
    lexical: dict[int, float]  # chunk position -> full-text score
    candidates: list[Candidate]  # every chunk of the meeting, its signals filled (Candidate.seq = position)


@dataclass
class Meeting:
    interaction_id: str
    spans: list[tuple[int, int]]
    texts: list[str]
    vectors: np.ndarray
    bm25: BM25Okapi
    naive: list[tuple[int, int]]
    naive_vectors: np.ndarray


def relevant_spans(query: dict, turn_spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans = []
    for start, end in query["relevant_text_span"]:
        a, b = int(start), min(int(end), len(turn_spans) - 1)
        if a <= b:
            spans.append((turn_spans[a][0], turn_spans[b][1]))
    return spans


def overlaps(span: tuple[int, int], relevant: list[tuple[int, int]]) -> bool:
    return any(span[0] < r[1] and r[0] < span[1] for r in relevant)


def naive_split(text: str, size: int = 1000) -> list[tuple[int, int]]:
    return [(i, min(i + size, len(text))) for i in range(0, len(text), size)]


def build_store(files: list[Path], data_dir: Path) -> tuple[Workspace, dict[str, str]]:
    ws = Workspace(Settings(data_dir=data_dir))
    pipeline = IngestPipeline(ws)
    t0 = time.perf_counter()
    ids: dict[str, str] = {}
    for path in files:
        report = pipeline.ingest(read_file(path, pipeline.defaults(account=ACCOUNT)))
        assert not report.rejected, report.rejected
        ids[path.name] = (report.added + report.updated + report.unchanged)[0]
    print(
        f"store ready: {len(files)} meetings in {time.perf_counter() - t0:.0f} s ({data_dir})",
        file=sys.stderr,
    )
    return ws, ids


class EmbeddingCache:
    """Vectors of texts already embedded by an earlier run (the naive split and the queries never change), kept in
    bench/out: a re-run for tuning takes a minute instead of six."""

    def __init__(self, ws: Workspace) -> None:
        self.ws, self.path = ws, OUT / "retrieval-vectors.npz"
        self.known: dict[str, np.ndarray] = {}
        if self.path.is_file():
            data = np.load(self.path)
            self.known = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))

    def embed(self, texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        todo = [t for t, k in zip(texts, keys, strict=True) if k not in self.known]
        if todo:
            for text, vector in zip(todo, self.ws.embedder.embed(todo), strict=True):
                self.known[hashlib.sha1(text.encode()).hexdigest()] = vector
        return np.asarray([self.known[k] for k in keys], dtype=np.float32).reshape(len(texts), -1)

    def save(self) -> None:
        OUT.mkdir(parents=True, exist_ok=True)
        np.savez(self.path, keys=np.asarray(list(self.known)), vectors=np.asarray(list(self.known.values())))


def load_meeting(ws: Workspace, cache: EmbeddingCache, interaction_id: str, text: str) -> Meeting:
    with ws.db.session() as session:
        rows = (
            session.query(ChunkRow)
            .filter(ChunkRow.interaction_id == interaction_id)
            .order_by(ChunkRow.seq)
            .all()
        )
        spans, texts = [(r.start_char, r.end_char) for r in rows], [r.text for r in rows]
        keys = [f"{r.interaction_id}#{r.seq}" for r in rows]
    got = ws.index._collection.get(ids=keys, include=["embeddings"])
    by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
    naive = naive_split(text)
    return Meeting(
        interaction_id,
        spans,
        texts,
        np.asarray([by_id[k] for k in keys], dtype=np.float32),
        BM25Okapi([tokenize(t) or ["\u2205"] for t in texts]),
        naive,
        cache.embed([text[a:b] for a, b in naive]),
    )


def query_features(
    ws: Workspace,
    meeting: Meeting,
    position: int,
    obj: dict,
    turn_spans: list[tuple[int, int]],
    vectors: np.ndarray,
) -> list[Query]:
    found = []
    for query, vector in zip(obj.get("specific_query_list", []), vectors, strict=True):
        relevant = relevant_spans(query, turn_spans)
        if not relevant:
            continue
        parsed = parse(query["query"])
        with ws.db.session() as session:
            hits = fulltext.search(
                session, parsed.text_query(), Scope(interaction_ids=[meeting.interaction_id]), 1000
            )
        lexical = {h.seq: h.score for h in hits}
        similarity = meeting.vectors @ vector
        candidates = [
            Candidate("m", i, t, float(similarity[i]), lexical.get(i, 0.0))
            for i, t in enumerate(meeting.texts)
        ]
        proximity(candidates, parsed)
        found.append(Query(position, query["query"], vector, relevant, similarity, lexical, candidates))
    return found


def fused(fusion: Fusion, q: Query, floor: bool) -> list[int]:
    return [c.seq for c in fusion.pick(fusion.order(list(q.candidates)), 5, floor)]


def before_order(meeting: Meeting, q: Query) -> list[int]:
    """The replaced search: RRF of the dense ranking and Python BM25 over the meeting's chunks."""
    dense = list(np.argsort(-q.similarity, kind="stable")[:50])
    scores = meeting.bm25.get_scores(tokenize(q.text))
    lexical = [i for i in np.argsort(-scores, kind="stable") if scores[i] > 0][: len(dense)]
    fused: dict[int, float] = {}
    for rank, i in enumerate(dense):
        fused[int(i)] = 1.0 / (RRF_K + rank + 1)
    for rank, i in enumerate(lexical):
        fused[int(i)] = fused.get(int(i), 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(fused, key=lambda i: (-fused[i], i))


def recall(queries: list[Query], meetings: list[Meeting], order) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """(recall@1, recall@5, mean results shown) of ``order(meeting, query) -> chunk positions``."""
    at1 = at5 = shown = 0.0
    for q in queries:
        m = meetings[q.meeting]
        top = order(m, q)[:5]
        spans = [m.spans[i] for i in top]
        at1 += bool(spans) and overlaps(spans[0], q.relevant)
        at5 += any(overlaps(s, q.relevant) for s in spans)
        shown += len(spans)
    n = max(len(queries), 1)
    return at1 / n, at5 / n, shown / n


def tune(queries: list[Query], meetings: list[Meeting]) -> Fusion:
    """The weights that do best on the tuning set (recall@1 + recall@5, no floor), then the widest floor that keeps
    recall@5 as served within 0.01 of no floor there."""
    tuning = [q for q in queries if q.meeting < TUNING_MEETINGS]
    grid = [0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8]
    best, best_key = Fusion(), (-1.0, -1.0)
    for lexical, window, speaker in itertools.product(grid, grid, grid):
        fusion = replace(Fusion(), lexical_weight=lexical, window_weight=window, speaker_weight=speaker)
        r1, r5, _ = recall(tuning, meetings, lambda m, q, f=fusion: fused(f, q, False))
        if (r1 + r5, r5) > best_key:
            best, best_key = fusion, (r1 + r5, r5)
    unfloored = recall(tuning, meetings, lambda m, q: fused(best, q, False))[1]
    for gap in (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0):
        floored = replace(best, floor_gap=gap)
        if recall(tuning, meetings, lambda m, q, f=floored: fused(f, q, True))[1] >= unfloored - 0.01:
            best = floored
            break
    print(f"tuned on {len(tuning)} queries of the first {TUNING_MEETINGS} meetings: {best}")
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="only the first N meetings")
    ap.add_argument(
        "--store", type=Path, default=None, help="data folder to (re)use; default: a fresh temp folder"
    )
    ap.add_argument(
        "--tune", action="store_true", help="grid-search the fusion on the first 40 meetings first"
    )
    args = ap.parse_args()
    require_shared()
    files = meeting_files(args.limit)
    ws, ids = build_store(files, args.store or Path(tempfile.mkdtemp(prefix="coach-bench-")))
    with ws.db.session() as session:
        texts = {r.id: r.clean_text for r in Repository(session).interactions(ids=list(ids.values()))}
    meetings: list[Meeting] = []
    queries: list[Query] = []
    served_hits: dict[int, list[tuple[int, int]]] = {}
    searcher = Searcher(ws)
    cache = EmbeddingCache(ws)
    for position, path in enumerate(files):
        obj = json.loads(path.read_text())
        text, turn_spans = render_turns(qmsum_turns(obj))
        mid = ids[path.name]
        assert texts[mid] == text, f"{path.name}: stored text differs from the rendered transcript"
        meeting = load_meeting(ws, cache, mid, text)
        meetings.append(meeting)
        asked = obj.get("specific_query_list", [])
        vectors = cache.embed([q["query"] for q in asked]) if asked else np.zeros((0, 384))
        for q in query_features(ws, meeting, position, obj, turn_spans, vectors):
            hits = searcher.search(q.text, k=5, interaction_ids=[mid], vector=q.vector)
            served_hits[id(q)] = [(h.start, h.end) for h in hits]
            queries.append(q)
    cache.save()
    if args.tune:
        fusion = tune(queries, meetings)
        for name, subset in (
            ("tuning set", [q for q in queries if q.meeting < TUNING_MEETINGS]),
            ("all", queries),
        ):
            for floor in (False, True):
                r1, r5, shown = recall(subset, meetings, lambda m, q, fl=floor: fused(fusion, q, fl))
                print(f"  {name}, floor {floor}: recall@1 {r1:.3f} recall@5 {r5:.3f} results {shown:.2f}")
    report(queries, meetings, served_hits, searcher.fusion, len(files))
    return 0


def report(queries, meetings, served_hits, fusion, n_files) -> None:  # type: ignore[no-untyped-def]
    def as_served(m: Meeting, q: Query) -> list[int]:
        index = {s: i for i, s in enumerate(m.spans)}
        return [index[s] for s in served_hits[id(q)] if s in index]

    rows = {
        "ours (as served)": as_served,
        "ours, top 5 (no floor)": lambda m, q: fused(fusion, q, False),
        "before: dense + Python BM25, RRF": before_order,
        "dense only": lambda m, q: list(np.argsort(-q.similarity, kind="stable")),
        "full-text index only": lambda m, q: sorted(q.lexical, key=lambda i: -q.lexical[i]),
        "BM25 in Python only": lambda m, q: [
            int(i) for i in np.argsort(-m.bm25.get_scores(tokenize(q.text)), kind="stable")
        ],
    }
    print(
        f"\nretrieval on {len(queries)} QMSum specific queries in {n_files} meetings (search within the meeting)"
    )
    print(f"{'method':<36} {'recall@1':>9} {'recall@5':>9} {'results':>8}")
    for name, order in rows.items():
        r1, r5, shown = recall(queries, meetings, order)
        print(f"{name:<36} {r1:>9.3f} {r5:>9.3f} {shown:>8.2f}")
    naive1 = naive5 = 0.0
    chance = 0.0
    for q in queries:
        m = meetings[q.meeting]
        order = np.argsort(-(m.naive_vectors @ q.vector))[:5]
        naive1 += overlaps(m.naive[order[0]], q.relevant)
        naive5 += any(overlaps(m.naive[i], q.relevant) for i in order)
        hits = sum(overlaps(s, q.relevant) for s in m.spans)
        chance += 1.0 - _comb_ratio(len(m.spans) - hits, len(m.spans), 5)
    n = len(queries)
    print(f"{'naive 1,000-character split, dense':<36} {naive1 / n:>9.3f} {naive5 / n:>9.3f} {5:>8.2f}")
    print(f"{'chance (5 random chunks)':<36} {'':>9} {chance / n:>9.3f}")


def _comb_ratio(bad: int, n: int, k: int) -> float:
    """Probability that k chunks drawn without replacement from n all miss (bad of them miss)."""
    p = 1.0
    for i in range(min(k, n)):
        p *= max(bad - i, 0) / (n - i)
    return p


if __name__ == "__main__":
    raise SystemExit(main())
