"""What else was tried to lift search's recall, each against the shipped fusion in the same run.

    python bench/retrieval_ablations.py [--store DIR] [--limit N]

The same 847 QMSum specific queries, chunks and hit rule as ``bench/retrieval.py`` (whose store ``--store``
reuses), every chunk of the meeting a candidate, five results (no floor). Each row adds one family of signals to
the shipped ten features (the signal standardised over the candidates, and its neighbours' best and worst, as the
shipped ones are) and is learned the same way on the first 40 meetings, then scored on the other 97:
  shipped features      the ten features search ships with, re-learned here (the reference)
  + passage meaning     each chunk's closest passage: the cosine of the query to the best of the chunk's
                        64-token passages (16 overlap), each embedded on its own (a long chunk's one vector blurs
                        the point it makes); the passages' vectors are cached in bench/out
  + content words       the cosine of the chunk to the query's content words alone (the question's framing
                        left out, as the lexical side does)
  + feedback (k, a)     pseudo-relevance feedback: the query's vector moved towards the mean of the k chunks the
                        shipped ranking puts first (weight a), then compared again
  boosted trees         a gradient-boosted classifier (scikit-learn) over the shipped features and ``specific``:
                        a non-linear ranking instead of the linear one
None is shipped: read the held-out columns.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._shared import OUT, require_shared
from bench.retrieval import TUNING_MEETINGS, EmbeddingCache, Meeting, Query, load_all, overlaps
from coach.chunking import Chunker
from coach.search import parse
from coach.search.fusion import Fusion, features, neighbours, standardised
from coach.search.learning import train

Signals = dict[str, np.ndarray]  # per query: extra signal name -> one value per candidate (chunk position)


def beside(q: Query, values: np.ndarray) -> np.ndarray:
    """The signal standardised, and the best and the worst of each chunk's two neighbours (as ``features``)."""
    z = standardised(values)[:, None]
    return np.hstack([z, *neighbours(q.candidates, z)])


def matrix(q: Query, extra: Sequence[str], signals: dict[int, Signals]) -> np.ndarray:
    return np.hstack([features(q.candidates), *(beside(q, signals[id(q)][name]) for name in extra)])


def labels(q: Query, meetings: list[Meeting]) -> list[bool]:
    return [overlaps(meetings[q.meeting].spans[c.seq], q.relevant) for c in q.candidates]


def learn(queries: list[Query], meetings: list[Meeting], extra: Sequence[str], signals: dict[int, Signals]):  # type: ignore[no-untyped-def]
    weights = np.asarray(
        train(
            [(q.candidates, labels(q, meetings)) for q in queries],
            Fusion().specific_weight,
            matrices=[matrix(q, extra, signals) for q in queries],
        )
    )
    return lambda q: matrix(q, extra, signals) @ weights + Fusion().specific_weight * _specific(q)


def boosted(queries: list[Query], meetings: list[Meeting]):  # type: ignore[no-untyped-def]
    x = np.vstack([np.column_stack([features(q.candidates), _specific(q)]) for q in queries])
    y = np.concatenate([labels(q, meetings) for q in queries])
    model = HistGradientBoostingClassifier(max_depth=3, max_iter=200, learning_rate=0.05, random_state=0)
    model.fit(x, y)
    return lambda q: model.decision_function(np.column_stack([features(q.candidates), _specific(q)]))


def _specific(q: Query) -> np.ndarray:
    return np.asarray([c.specific for c in q.candidates])


def recall(
    queries: list[Query], meetings: list[Meeting], score: Callable[[Query], np.ndarray]
) -> tuple[float, float]:
    at1 = at5 = 0
    fusion = Fusion()
    for q in queries:
        for c, s in zip(q.candidates, score(q), strict=True):
            c.score = float(s)
        ranked = sorted(q.candidates, key=lambda c: (-c.score, c.seq))
        spans = [meetings[q.meeting].spans[c.seq] for c in fusion.pick(ranked, 5, floor=False)]
        at1 += overlaps(spans[0], q.relevant)
        at5 += any(overlaps(s, q.relevant) for s in spans)
    return at1 / len(queries), at5 / len(queries)


def _pair(figures: tuple[float, float]) -> str:
    return f"{figures[0]:.3f} / {figures[1]:.3f}"


def passage_signal(ws, meetings: list[Meeting], queries: list[Query]) -> dict[int, np.ndarray]:  # type: ignore[no-untyped-def]
    """Per query, each chunk's best passage cosine."""
    chunker = Chunker(ws.embedder.count_tokens, ws.embedder.token_offsets, max_tokens=64, overlap_tokens=16)
    cache = EmbeddingCache(ws, OUT / "retrieval-passages.npz")
    passages = {id(m): [[p.text for p in chunker.split(t)] or [t] for t in m.texts] for m in meetings}
    every = [p for m in meetings for chunk in passages[id(m)] for p in chunk]
    print(f"embedding {len(every)} passages (cached after the first run)", file=sys.stderr)
    cache.embed(every)
    cache.save()
    vectors = {id(m): [cache.embed(chunk) for chunk in passages[id(m)]] for m in meetings}
    return {
        id(q): np.asarray([float((v @ q.vector).max()) for v in vectors[id(meetings[q.meeting])]])
        for q in queries
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="only the first N meetings")
    ap.add_argument("--store", type=Path, default=None, help="data folder to (re)use (bench/retrieval.py's)")
    args = ap.parse_args()
    require_shared()
    ws, cache, meetings, queries = load_all(
        args.limit, args.store or Path(tempfile.mkdtemp(prefix="coach-bench-"))
    )
    tuning = [q for q in queries if q.meeting < TUNING_MEETINGS]
    held = [q for q in queries if q.meeting >= TUNING_MEETINGS]
    signals: dict[int, Signals] = {id(q): {} for q in queries}
    for key, values in passage_signal(ws, meetings, queries).items():
        signals[key]["passage"] = values
    content = cache.embed([" ".join(parse(q.text).words) or q.text for q in queries])
    cache.save()
    for q, vector in zip(queries, content, strict=True):
        signals[id(q)]["content"] = meetings[q.meeting].vectors @ vector
    shipped = learn(tuning, meetings, (), signals)
    rows: dict[str, Callable[[Query], np.ndarray]] = {"shipped features (re-learned)": shipped}
    rows["+ passage meaning"] = learn(tuning, meetings, ("passage",), signals)
    rows["+ content words"] = learn(tuning, meetings, ("content",), signals)
    for k, a in ((1, 0.5), (3, 0.5), (3, 1.0), (5, 1.0)):
        name = f"feedback_{k}_{a}"
        for q in queries:
            top = np.argsort(-shipped(q), kind="stable")[:k]
            m = meetings[q.meeting]
            moved = q.vector + a * m.vectors[top].mean(axis=0)
            signals[id(q)][name] = m.vectors @ (moved / np.linalg.norm(moved))
        rows[f"+ feedback (k={k}, a={a})"] = learn(tuning, meetings, (name,), signals)
    rows["boosted trees"] = boosted(tuning, meetings)
    subsets = {"first 40 (trained on)": tuning, "other 97 (held out)": held, "all 137": queries}
    print(
        f"\nrecall@1 / recall@5, five results, {len(queries)} queries; learned on the first {TUNING_MEETINGS}"
    )
    print(f"{'':<32}" + "".join(f"{f'{n} ({len(s)})':>26}" for n, s in subsets.items()))
    for name, score in rows.items():
        print(f"{name:<32}" + "".join(f"{_pair(recall(s, meetings, score)):>26}" for s in subsets.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
