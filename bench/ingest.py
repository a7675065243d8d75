"""Ingest throughput of the whole pipeline beside the bare embedding model, in the same run.

    python bench/ingest.py [--limit N] [--store DIR]

Ingests the QMSum product meetings and the dev set into a fresh store (parse,
clean, chunk, embed, write SQLite + Chroma), then embeds exactly the same chunk
texts with the bare model. Embedding dominates; the ratio shows what the rest
of the pipeline costs. Goal: pipeline >= 0.9x the bare model's chunks/s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._shared import DEV, meeting_files, require_shared
from coach.config import Settings
from coach.ingest import read_file
from coach.ingest.pipeline import IngestPipeline
from coach.store.schema import ChunkRow
from coach.workspace import Workspace


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="only the first N meetings")
    ap.add_argument(
        "--store", type=Path, default=None, help="fresh data folder to fill (kept); default: temp"
    )
    args = ap.parse_args()
    require_shared()
    data_dir = args.store or Path(tempfile.mkdtemp(prefix="coach-bench-"))
    if data_dir.exists() and any(data_dir.iterdir()):
        print(f"{data_dir} is not empty: the bench needs a fresh store", file=sys.stderr)
        return 2
    ws = Workspace(Settings(data_dir=data_dir))
    pipeline = IngestPipeline(ws)
    ws.embedder.embed(["warm up"])
    sources = [*meeting_files(args.limit), DEV / "interactions.jsonl"]

    defaults = pipeline.defaults(account="AMI product design")
    start = time.perf_counter()
    report = pipeline.ingest(item for path in sources for item in read_file(path, defaults))
    pipeline_s = time.perf_counter() - start
    texts = len(report.stored)
    if report.rejected:
        print(f"rejected: {report.rejected[:5]}", file=sys.stderr)

    with ws.db.session() as session:
        chunk_texts = list(session.scalars(select(ChunkRow.text).order_by(ChunkRow.id)))
    start = time.perf_counter()
    ws.embedder.embed(chunk_texts)
    bare_s = time.perf_counter() - start

    start = time.perf_counter()
    again = pipeline.ingest(item for path in sources for item in read_file(path, defaults))
    reimport_s = time.perf_counter() - start

    n = len(chunk_texts)
    print(
        f"\ningest of {len(sources) - 1} QMSum meetings + the dev set: {texts} texts, {n} chunks, "
        f"{len(report.rejected)} rejected"
    )
    print(f"{'':<22} {'seconds':>8} {'texts/s':>8} {'chunks/s':>9} {'ratio':>6}")
    print(
        f"{'bare embedding model':<22} {bare_s:>8.1f} {texts / bare_s:>8.2f} {n / bare_s:>9.2f} {1.0:>6.2f}"
    )
    print(
        f"{'whole pipeline':<22} {pipeline_s:>8.1f} {texts / pipeline_s:>8.2f} {n / pipeline_s:>9.2f} "
        f"{bare_s / pipeline_s:>6.2f}"
    )
    print(f"re-import: {len(again.unchanged)} unchanged, {len(again.stored)} stored, {reimport_s:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
