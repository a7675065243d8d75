"""Retrieval quality on QMSum's specific queries: recall@1 and recall@5 within each query's meeting.

    python bench/retrieval.py [--limit N] [--store DIR]

A hit is a retrieved chunk that overlaps the turns QMSum marks as answering the
query. Compared in the same run, with the same embedding model:
  ours      this project's search (token-aware turn chunks with overlap, dense + BM25 fused)
  dense     our chunks, embeddings only
  bm25      BM25 over our chunks
  naive     a fixed 1,000-character split, embeddings only
  chance    expected recall@5 of 5 random chunks of our split
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._shared import meeting_files, require_shared
from coach.config import Settings
from coach.ingest import read_file
from coach.ingest.pipeline import IngestPipeline
from coach.ingest.transcripts import qmsum_turns, render_turns
from coach.search import Searcher, tokenize
from coach.store.repository import Repository
from coach.workspace import Workspace

ACCOUNT = "AMI product design"


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="only the first N meetings")
    ap.add_argument(
        "--store", type=Path, default=None, help="data folder to (re)use; default: a fresh temp folder"
    )
    args = ap.parse_args()
    require_shared()
    files = meeting_files(args.limit)
    data_dir = args.store or Path(tempfile.mkdtemp(prefix="coach-bench-"))
    ws = Workspace(Settings(data_dir=data_dir))
    pipeline = IngestPipeline(ws)
    t0 = time.perf_counter()
    meeting_ids: dict[str, str] = {}
    for path in files:
        report = pipeline.ingest(read_file(path, pipeline.defaults(account=ACCOUNT)))
        assert not report.rejected, report.rejected
        meeting_ids[path.name] = (report.added + report.updated + report.unchanged)[0]
    print(
        f"store ready: {len(files)} meetings in {time.perf_counter() - t0:.0f} s ({data_dir})",
        file=sys.stderr,
    )

    searcher = Searcher(ws)
    embed = ws.embedder.embed
    names = ["ours", "dense", "bm25", "naive"]
    at1 = {n: 0 for n in names}
    at5 = {n: 0 for n in names}
    chance = 0.0
    total = 0
    with ws.db.session() as session:
        texts = {r.id: r.clean_text for r in Repository(session).interactions(ids=list(meeting_ids.values()))}
    for path in files:
        obj = json.loads(path.read_text())
        text, turn_spans = render_turns(qmsum_turns(obj))
        mid = meeting_ids[path.name]
        assert texts[mid] == text, f"{path.name}: stored text differs from the rendered transcript"
        got = ws.index._collection.get(
            where={"interaction": mid}, include=["metadatas", "documents", "embeddings"]
        )
        order = sorted(range(len(got["ids"])), key=lambda i: got["metadatas"][i]["start"])
        chunks = [
            (
                got["ids"][i],
                (mid, got["metadatas"][i]["start"], got["metadatas"][i]["end"]),
                got["documents"][i],
            )
            for i in order
        ]
        chunk_spans = [(c[1][1], c[1][2]) for c in chunks]
        chunk_vecs = np.asarray([got["embeddings"][i] for i in order], dtype=np.float32)
        bm25 = BM25Okapi([tokenize(c[2]) or ["\u2205"] for c in chunks])
        naive = naive_split(text)
        naive_vecs = embed([text[a:b] for a, b in naive])
        queries = obj.get("specific_query_list", [])
        qvecs = embed([q["query"] for q in queries]) if queries else np.zeros((0, 384))
        for query, qvec in zip(queries, qvecs, strict=True):
            relevant = relevant_spans(query, turn_spans)
            if not relevant:
                continue
            total += 1
            ranked = {
                "ours": [
                    (h.start, h.end) for h in searcher.search(query["query"], k=5, interaction_ids=[mid])
                ],
                "dense": [chunk_spans[i] for i in np.argsort(-(chunk_vecs @ qvec))[:5]],
                "bm25": [
                    chunk_spans[i]
                    for i in np.argsort(-bm25.get_scores(tokenize(query["query"])), kind="stable")[:5]
                ],
                "naive": [naive[i] for i in np.argsort(-(naive_vecs @ qvec))[:5]],
            }
            for name, spans in ranked.items():
                at1[name] += bool(spans) and overlaps(spans[0], relevant)
                at5[name] += any(overlaps(s, relevant) for s in spans)
            hits = sum(overlaps(s, relevant) for s in chunk_spans)
            n = len(chunk_spans)
            chance += 1.0 - _comb_ratio(n - hits, n, 5)
    print(
        f"\nretrieval on {total} QMSum specific queries in {len(files)} meetings (search within the meeting)"
    )
    print(f"{'method':<8} {'recall@1':>9} {'recall@5':>9} {'vs naive@5':>11}")
    for name in names:
        r1, r5 = at1[name] / total, at5[name] / total
        print(f"{name:<8} {r1:>9.3f} {r5:>9.3f} {r5 / (at5['naive'] / total):>10.2f}x")
    print(f"{'chance':<8} {'':>9} {chance / total:>9.3f}")
    return 0


def _comb_ratio(bad: int, n: int, k: int) -> float:
    """Probability that k chunks drawn without replacement from n all miss (bad of them miss)."""
    p = 1.0
    for i in range(min(k, n)):
        p *= max(bad - i, 0) / (n - i)
    return p


if __name__ == "__main__":
    raise SystemExit(main())
