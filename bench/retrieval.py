"""Retrieval quality on QMSum's specific queries: recall@1 and recall@5 within each query's meeting.

    python bench/retrieval.py [--limit N] [--store DIR] [--train]

A hit is a retrieved chunk that overlaps the turns QMSum marks as answering the query. Compared in the same run,
with the same embedding model and the same chunks:
  ours          this project's search as served: dense + the database's full-text index, fused, relevance floor
  ours, top 5   the same ranking without the floor (always five results)
  ours, cross-validated   5-fold by meeting: weights and floor learned on 4/5 of the meetings, scored on the rest
  weighted sum  the fusion the learned one replaced: z-scores summed with hand-tuned weights, top 5
  before        the search this replaced: dense + BM25 computed in Python (rank_bm25), reciprocal-rank fusion
  dense         embeddings only
  full-text     the database's full-text index only (SQLite FTS5 bm25, or PostgreSQL's, by the store's URL)
  bm25 (Python) rank_bm25 over the meeting's chunks
  naive         a fixed 1,000-character split, embeddings only
  chance        expected recall@5 of 5 random chunks of our split
Columns: the first 40 meetings (the tuning set, all the fusion learns from), the other 97 (held out), all 137.
``--train`` learns the fusion's weights on the tuning set (``coach.search.learning``), derives the relevance floor
there, and writes both to coach/search/fusion_model.json (what search ships with) before the rows are measured.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
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
from coach.search.fusion import MODEL_FILE, Candidate, Fusion, LearnedFusion, proximity, standardised
from coach.search.learning import train
from coach.store import fulltext
from coach.store.fulltext import Scope
from coach.store.repository import Repository
from coach.store.schema import ChunkRow
from coach.store.vectors import chunk_id
from coach.workspace import Workspace

ACCOUNT = "AMI product design"
TUNING_MEETINGS = 40
RRF_K = 60
FOLDS = 5
FLOOR_GAPS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0)


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

    def __init__(self, ws: Workspace, path: Path = OUT / "retrieval-vectors.npz") -> None:
        self.ws, self.path = ws, path
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
        keys = [chunk_id(r.interaction_id, r.seq) for r in rows]
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


def learn(
    queries: list[Query], meetings: list[Meeting], served: Callable[[Fusion, bool], float] | None = None
) -> Fusion:
    """Weights learned on ``queries``, then the widest floor that keeps recall@5 as served within 0.01 of no floor
    on the same queries. ``served(fusion, floor)`` is that recall@5 from the search itself (its candidates are
    each side's best, not every chunk of the meeting, so the floor's scale differs); without it, the bench's
    candidates stand in (the cross-validation, which would otherwise search five times over)."""
    labelled = [
        (q.candidates, [overlaps(meetings[q.meeting].spans[c.seq], q.relevant) for c in q.candidates])
        for q in queries
    ]
    fusion = Fusion(weights=train(labelled, Fusion().specific_weight), floor_gap=FLOOR_GAPS[-1])

    def at5(f: Fusion, floor: bool) -> float:
        if served is not None:
            return served(f, floor)
        return recall(queries, meetings, lambda m, q: fused(f, q, floor))[1]

    unfloored = at5(fusion, False)
    for gap in FLOOR_GAPS:
        floored = Fusion(weights=fusion.weights, floor_gap=gap)
        if at5(floored, True) >= unfloored - 0.01:
            return floored
    return fusion


def served_recall(
    ws: Workspace, fusion: Fusion, queries: list[Query], meetings: list[Meeting], floor: bool
) -> float:
    """Recall@5 of the search as served with ``fusion`` on ``queries``."""
    searcher, found = Searcher(ws, fusion), 0
    for q in queries:
        m = meetings[q.meeting]
        hits = searcher.search(q.text, k=5, interaction_ids=[m.interaction_id], vector=q.vector, floor=floor)
        found += any(overlaps((h.start, h.end), q.relevant) for h in hits)
    return found / max(len(queries), 1)


def cross_validated(queries: list[Query], meetings: list[Meeting], floor: bool) -> dict[int, list[int]]:
    """Each query's ranking by a fusion learned (weights and floor) without its meeting: meetings in FOLDS folds
    by position."""
    found: dict[int, list[int]] = {}
    for fold in range(FOLDS):
        fusion = learn([q for q in queries if q.meeting % FOLDS != fold], meetings)
        for q in queries:
            if q.meeting % FOLDS == fold:
                found[id(q)] = fused(fusion, q, floor)
    return found


def weighted_sum(q: Query) -> list[int]:
    """The fusion the learned one replaced: z-scored similarity + 0.3 full-text + 0.2 window + 0.2 speaker (grid
    searched on the tuning set), plus 3 x specific, picked the same way, no floor."""
    columns = {"similarity": 1.0, "lexical": 0.3, "window": 0.2, "speaker": 0.2}
    total = sum(
        w * standardised(np.asarray([getattr(c, n) for c in q.candidates])) for n, w in columns.items()
    )
    total = total + 3.0 * np.asarray([c.specific for c in q.candidates])
    for c, score in zip(q.candidates, total, strict=True):
        c.score = float(score)
    ranked = sorted(q.candidates, key=lambda c: (-c.score, c.seq))
    return [c.seq for c in Fusion().pick(ranked, 5, floor=False)]


def load_all(limit: int | None, store: Path) -> tuple[Workspace, EmbeddingCache, list[Meeting], list[Query]]:
    """The store (built or reused), the embedding cache, every meeting and every query with its signals filled."""
    files = meeting_files(limit)
    ws, ids = build_store(files, store)
    with ws.db.session() as session:
        texts = {r.id: r.clean_text for r in Repository(session).interactions(ids=list(ids.values()))}
    meetings: list[Meeting] = []
    queries: list[Query] = []
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
        queries += query_features(ws, meeting, position, obj, turn_spans, vectors)
    cache.save()
    return ws, cache, meetings, queries


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="only the first N meetings")
    ap.add_argument(
        "--store", type=Path, default=None, help="data folder to (re)use; default: a fresh temp folder"
    )
    ap.add_argument(
        "--train",
        action="store_true",
        help=f"learn the fusion on the first {TUNING_MEETINGS} meetings and write {MODEL_FILE.name} first",
    )
    args = ap.parse_args()
    require_shared()
    ws, _, meetings, queries = load_all(
        args.limit, args.store or Path(tempfile.mkdtemp(prefix="coach-bench-"))
    )
    n_files = len(meetings)
    if args.train:
        tuning = [q for q in queries if q.meeting < TUNING_MEETINGS]
        learned = learn(tuning, meetings, lambda f, floor: served_recall(ws, f, tuning, meetings, floor))
        trained_on = (
            f"bench/retrieval.py --train: {len(tuning)} queries of the first {TUNING_MEETINGS} QMSum meetings"
        )
        MODEL_FILE.write_text(LearnedFusion(learned.weights, learned.floor_gap).to_json(trained_on))
        print(f"wrote {MODEL_FILE}: {learned}", file=sys.stderr)
    searcher = Searcher(ws, learned if args.train else Fusion())
    served_hits: dict[tuple[int, bool], list[tuple[int, int]]] = {}
    for q in queries:
        for floor in (True, False):
            hits = searcher.search(
                q.text,
                k=5,
                interaction_ids=[meetings[q.meeting].interaction_id],
                vector=q.vector,
                floor=floor,
            )
            served_hits[(id(q), floor)] = [(h.start, h.end) for h in hits]
    report(queries, meetings, served_hits, searcher.fusion, n_files)
    return 0


def report(queries, meetings, served_hits, fusion, n_files) -> None:  # type: ignore[no-untyped-def]
    def as_served(m: Meeting, q: Query, floor: bool = True) -> list[int]:
        index = {s: i for i, s in enumerate(m.spans)}
        return [index[s] for s in served_hits[(id(q), floor)] if s in index]

    held = {id(q): q for q in queries}
    crossed = {floor: cross_validated(queries, meetings, floor) for floor in (True, False)}
    rows = {
        "ours (as served)": as_served,
        "ours (as served, no floor)": lambda m, q: as_served(m, q, False),
        "ours, top 5 (no floor)": lambda m, q: fused(fusion, q, False),
        "ours, cross-validated, floor": lambda m, q: crossed[True][id(q)],
        "ours, cross-validated, top 5": lambda m, q: crossed[False][id(q)],
        "weighted sum it replaced, top 5": lambda m, q: weighted_sum(held[id(q)]),
        "before: dense + Python BM25, RRF": before_order,
        "dense only": lambda m, q: list(np.argsort(-q.similarity, kind="stable")),
        "full-text index only": lambda m, q: sorted(q.lexical, key=lambda i: -q.lexical[i]),
        "BM25 in Python only": lambda m, q: [
            int(i) for i in np.argsort(-m.bm25.get_scores(tokenize(q.text)), kind="stable")
        ],
        "naive 1,000-character split, dense": None,
        "chance (5 random chunks)": None,
    }
    subsets = {
        f"first {TUNING_MEETINGS} (tuning)": [q for q in queries if q.meeting < TUNING_MEETINGS],
        "held out": [q for q in queries if q.meeting >= TUNING_MEETINGS],
        "all": queries,
    }
    print(
        f"\nretrieval on {len(queries)} QMSum specific queries in {n_files} meetings (search within the meeting);"
        f" {fusion}"
    )
    print(f"{'':<36}" + "".join(f"{f'{name} ({len(sub)})':>27}" for name, sub in subsets.items()))
    print(f"{'method':<36}" + f"{'r@1':>9}{'r@5':>9}{'shown':>9}" * len(subsets))
    for name, order in rows.items():
        line = f"{name:<36}"
        for sub in subsets.values():
            if not sub:
                line += f"{'-':>9}" * 3
            elif order is not None:
                r1, r5, shown = recall(sub, meetings, order)
                line += f"{r1:>9.3f}{r5:>9.3f}{shown:>9.2f}"
            elif name.startswith("naive"):
                r1, r5 = _naive(sub, meetings)
                line += f"{r1:>9.3f}{r5:>9.3f}{5:>9.2f}"
            else:
                line += f"{'':>9}{_chance(sub, meetings):>9.3f}{'':>9}"
        print(line)


def _naive(queries: list[Query], meetings: list[Meeting]) -> tuple[float, float]:
    at1 = at5 = 0.0
    for q in queries:
        m = meetings[q.meeting]
        order = np.argsort(-(m.naive_vectors @ q.vector))[:5]
        at1 += overlaps(m.naive[order[0]], q.relevant)
        at5 += any(overlaps(m.naive[i], q.relevant) for i in order)
    n = max(len(queries), 1)
    return at1 / n, at5 / n


def _chance(queries: list[Query], meetings: list[Meeting]) -> float:
    chance = 0.0
    for q in queries:
        m = meetings[q.meeting]
        hits = sum(overlaps(s, q.relevant) for s in m.spans)
        chance += 1.0 - _comb_ratio(len(m.spans) - hits, len(m.spans), 5)
    return chance / max(len(queries), 1)


def _comb_ratio(bad: int, n: int, k: int) -> float:
    """Probability that k chunks drawn without replacement from n all miss (bad of them miss)."""
    p = 1.0
    for i in range(min(k, n)):
        p *= max(bad - i, 0) / (n - i)
    return p


if __name__ == "__main__":
    raise SystemExit(main())
