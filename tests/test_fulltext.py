"""The lexical side of search lives in the database: chunk rows and their full-text index (SQLite FTS5 or
PostgreSQL tsvector) stay in step with the interactions through ingest, update, delete, reindex, import, doctor and
a crash between the index and the store. Runs on whichever backend the suite runs on."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, select, text, update

from coach.ingest.pipeline import IngestPipeline
from coach.maintenance.doctor import check, repair
from coach.search import Searcher
from coach.store import chunk_vectors, fulltext
from coach.store.fulltext import Scope, TextQuery
from coach.store.schema import ChunkRow, InteractionRow
from coach.workspace import Workspace
from tests.conftest import ingest_path, write

NOTES = [
    {
        "id": "p-1",
        "account": "Pinecrest Utilities",
        "date": "2026-08-04",
        "text": "The COO set a target: 20% fewer truck rolls per outage before the 2029 rate case.",
    },
    {
        "id": "p-2",
        "account": "Pinecrest Utilities",
        "date": "2026-10-21",
        "text": "Crews complain the mobile app drains batteries on long shifts.",
    },
    {
        "id": "h-1",
        "account": "Harbor & Vine Hospitality",
        "date": "2026-08-19",
        "text": "Their regional VP is trialling Fieldquill, a rival field-service product, at the new resort.",
    },
    {
        "id": "h-2",
        "account": "Harbor & Vine Hospitality",
        "date": "2026-07-08",
        "text": "Invoice 44871 corrected and re-sent with the PO number on it.",
    },
]


def _jsonl(tmp_path: Path, records: list[dict], name: str = "notes.jsonl") -> Path:
    return write(tmp_path / name, "\n".join(json.dumps(r) for r in records) + "\n")


def _lexical(ws: Workspace, *words: str, scope: Scope | None = None) -> list[str]:
    with ws.db.session() as session:
        hits = fulltext.search(session, TextQuery(words=words), scope or Scope(), 50)
    return [h.interaction_id for h in hits]


def _rows(ws: Workspace) -> int:
    with ws.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(ChunkRow)) or 0)


def _expected(ws: Workspace) -> int:
    with ws.db.session() as session:
        return int(session.scalar(select(func.sum(InteractionRow.chunk_count))) or 0)


def _count_embedding(ws: Workspace) -> list[str]:
    """From now on, every text ``ws`` embeds is added to the list returned."""
    embedded: list[str] = []
    real = ws.embedder

    class Counting:
        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(real, name)

        def embed(self, texts):  # type: ignore[no-untyped-def]
            embedded.extend(texts)
            return real.embed(texts)

    ws.__dict__["embedder"] = Counting()
    return embedded


def test_the_index_follows_ingest_update_and_delete(tmp_path, pipeline, workspace):
    ingest_path(pipeline, _jsonl(tmp_path, NOTES))
    assert _rows(workspace) == _expected(workspace) == workspace.index.count() == 4
    assert _lexical(workspace, "fieldquill") == ["h-1"]
    assert _lexical(workspace, "44871") == ["h-2"]
    assert _lexical(workspace, "battery") == ["p-2"]  # stemmed: batteries

    changed = dict(NOTES[1], text="Crews say the tablets freeze in the cold; they want a rugged model.")
    ingest_path(pipeline, _jsonl(tmp_path, [changed], "changed.jsonl"))
    assert _lexical(workspace, "battery") == [] and _lexical(workspace, "rugged") == ["p-2"]
    assert _rows(workspace) == workspace.index.count() == 4

    assert pipeline.delete(["h-1", "nobody"]) == ["h-1"]
    assert _lexical(workspace, "fieldquill") == [] and Searcher(workspace).search('"Fieldquill"') == []
    assert _rows(workspace) == workspace.index.count() == 3
    assert check(workspace).clean


def test_the_scope_is_applied_inside_the_query_not_after_the_limit(tmp_path, pipeline, workspace):
    """Thirty notes of one account match better than the one note of another: a search scoped to the other
    account still finds its note, because the scope is part of the SQL, not a filter on the top results."""
    loud = [
        {
            "id": f"loud-{i}",
            "account": "Loud Account",
            "date": "2026-08-01",
            "text": f"Gearbox gearbox gearbox: the gearbox failed again at plant {i}.",
        }
        for i in range(30)
    ]
    quiet = {"id": "quiet", "account": "Quiet Account", "date": "2026-08-02", "text": "One gearbox query."}
    ingest_path(pipeline, _jsonl(tmp_path, [*loud, quiet]))
    with workspace.db.session() as session:
        quiet_id = session.scalar(select(InteractionRow.account_id).where(InteractionRow.id == "quiet"))
        unscoped = fulltext.search(session, TextQuery(words=("gearbox",)), Scope(), 5)
        scoped = fulltext.search(session, TextQuery(words=("gearbox",)), Scope(account_ids=[quiet_id]), 5)
        nothing = fulltext.search(session, TextQuery(words=("gearbox",)), Scope(account_ids=[]), 5)
        by_id = fulltext.search(session, TextQuery(words=("gearbox",)), Scope(interaction_ids=["quiet"]), 5)
    assert "quiet" not in [h.interaction_id for h in unscoped]
    assert [h.interaction_id for h in scoped] == ["quiet"] == [h.interaction_id for h in by_id]
    assert nothing == []
    hits = Searcher(workspace).search("gearbox", k=5, account_ids=[quiet_id])
    assert [h.interaction_id for h in hits] == ["quiet"]


def test_doctor_finds_and_repairs_chunk_rows_lost_behind_the_coachs_back(tmp_path, pipeline, workspace):
    ingest_path(pipeline, _jsonl(tmp_path, NOTES))
    with workspace.db.session(write=True) as session:
        session.execute(delete(ChunkRow).where(ChunkRow.interaction_id == "h-2"))
        session.commit()
    assert _lexical(workspace, "44871") == []
    drift = check(workspace)
    assert drift.text_missing == ["h-2"] and not drift.missing and not drift.clean
    embedded = _count_embedding(workspace)  # the vectors are in step: repair writes the rows from the text
    assert repair(workspace)["interactions"] == 1
    assert embedded == [] and check(workspace).clean and _lexical(workspace, "44871") == ["h-2"]


def test_a_full_text_index_that_disagrees_with_its_rows_is_rebuilt(tmp_path, pipeline, workspace):
    ingest_path(pipeline, _jsonl(tmp_path, NOTES))
    if workspace.db.engine.dialect.name != "sqlite":
        assert check(workspace).full_text_healthy  # a generated column cannot disagree with its row
        return
    with workspace.db.engine.begin() as connection:  # FTS5 told to forget a row that is still there
        row = connection.execute(text("select id, text from chunks where interaction_id = 'h-1'")).one()
        connection.execute(
            text("insert into chunks_fts(chunks_fts, rowid, text) values ('delete', :id, :text)"),
            {"id": row.id, "text": row.text},
        )
    assert _lexical(workspace, "fieldquill") == []
    drift = check(workspace)
    assert not drift.full_text_healthy and not drift.clean
    repair(workspace)
    assert check(workspace).clean and _lexical(workspace, "fieldquill") == ["h-1"]


def test_reindex_rewrites_the_chunk_rows_from_the_stored_text(tmp_path, pipeline, workspace):
    ingest_path(pipeline, _jsonl(tmp_path, NOTES))
    before = [(h.interaction_id, h.start, h.end) for h in Searcher(workspace).search("rival product trial")]
    with workspace.db.session(write=True) as session:
        session.execute(delete(ChunkRow))
        session.commit()
    assert IngestPipeline(workspace).reindex()["interactions"] == 4
    assert _rows(workspace) == workspace.index.count() == 4 and check(workspace).clean
    after = [(h.interaction_id, h.start, h.end) for h in Searcher(workspace).search("rival product trial")]
    assert after == before and before[0][0] == "h-1"


def _stored_vectors(ws: Workspace) -> dict[tuple[str, int], np.ndarray | None]:
    with ws.db.session() as session:
        rows = session.execute(select(ChunkRow.interaction_id, ChunkRow.seq, ChunkRow.vector)).all()
    return {(i, s): None if b is None else chunk_vectors.decode([b], len(b) // 2)[0] for i, s, b in rows}


def _agree_with_the_index(ws: Workspace) -> None:
    stored = _stored_vectors(ws)
    indexed = ws.index.vectors(list(stored))
    assert set(indexed) == set(stored) and all(v is not None for v in stored.values())
    for key, vector in stored.items():  # float16 beside the row, float32 in the index
        assert np.abs(vector - indexed[key]).max() < 2e-3, key


def test_each_chunk_row_holds_its_vector_and_a_reps_scoped_search_compares_them(
    tmp_path, pipeline, workspace, monkeypatch
):
    """A search of a rep's accounts compares the vectors stored beside the chunk rows, written with them on
    ingest and update; it does not ask the vector index for a filtered query (slow in a large store)."""
    ingest_path(pipeline, _jsonl(tmp_path, NOTES))
    _agree_with_the_index(workspace)
    changed = dict(NOTES[1], text="Crews say the tablets freeze in the cold; they want a rugged model.")
    ingest_path(pipeline, _jsonl(tmp_path, [changed], "changed.jsonl"))
    _agree_with_the_index(workspace)
    with workspace.db.session() as session:
        pinecrest = session.scalar(select(InteractionRow.account_id).where(InteractionRow.id == "p-1"))
    expected = [h.interaction_id for h in Searcher(workspace).search("rugged hardware for winter", k=2)]

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a small scope needs no filtered query of the vector index")

    monkeypatch.setattr(type(workspace.index), "query", refuse)
    scoped = Searcher(workspace).search("rugged hardware for winter", k=2, account_ids=[pinecrest])
    assert [h.interaction_id for h in scoped] == ["p-2"] and expected[0] == "p-2"
    one = Searcher(workspace).search("rugged hardware for winter", k=2, interaction_ids=["p-2", "h-1"])
    assert one[0].interaction_id == "p-2"


def test_a_stored_vector_of_another_size_or_none_is_left_to_the_index():
    """After a change of model, until a full reindex ends, rows may hold vectors of the old size: never compared."""
    query = np.asarray([0.6, 0.8, 0.0, 0.0], dtype=np.float32)
    old_model = np.full((1, 8), 0.35, dtype=np.float32)
    stored = {
        ("a", 0): chunk_vectors.encode(query[None, :])[0],
        ("b", 0): chunk_vectors.encode(old_model)[0],
        ("c", 0): None,
    }
    similarity, absent = chunk_vectors.compare(stored, query)
    assert list(similarity) == [("a", 0)] and abs(similarity[("a", 0)] - 1.0) < 2e-3
    assert absent == [("b", 0), ("c", 0)]


def test_a_store_without_vectors_beside_its_rows_still_searches_and_doctor_copies_them(
    tmp_path, pipeline, workspace
):
    """A store from before the vectors were kept beside the rows (migration 0012): search asks the index for
    them, doctor reports them missing, and repair copies them from the index without embedding anything."""
    ingest_path(pipeline, _jsonl(tmp_path, NOTES))
    with workspace.db.session() as session:
        pinecrest = session.scalar(select(InteractionRow.account_id).where(InteractionRow.id == "p-1"))
    before = [
        (h.interaction_id, h.score)
        for h in Searcher(workspace).search("fewer truck rolls", k=2, account_ids=[pinecrest], floor=False)
    ]
    with workspace.db.session(write=True) as session:
        session.execute(update(ChunkRow).values(vector=None))
        session.commit()
    after = [
        (h.interaction_id, h.score)
        for h in Searcher(workspace).search("fewer truck rolls", k=2, account_ids=[pinecrest], floor=False)
    ]
    assert [i for i, _ in after] == [i for i, _ in before] and before[0][0] == "p-1"
    assert all(abs(a[1] - b[1]) < 1e-2 for a, b in zip(after, before, strict=True))
    drift = check(workspace)
    assert drift.vectors_missing == 4 and not drift.clean and not drift.missing
    embedded = _count_embedding(workspace)
    pages: list[int] = []
    result = repair(
        workspace, on_vectors=pages.append
    )  # what the progress bar of `coach doctor --repair` counts
    assert result["vectors_copied"] == 4 == sum(pages) and result["interactions"] == 0 and embedded == []
    assert check(workspace).clean
    _agree_with_the_index(workspace)
    assert _lexical(workspace, "fieldquill") == ["h-1"]  # writing a vector left the full-text index alone
    with workspace.db.session(write=True) as session:  # ... which still follows a change of text
        session.execute(
            update(ChunkRow).where(ChunkRow.interaction_id == "h-1").values(text="A loud complaint.")
        )
        session.commit()
    assert _lexical(workspace, "fieldquill") == [] and _lexical(workspace, "complaint") == ["h-1"]


CRASH = """
import json, os, sys
from sqlalchemy.orm import Session
from coach.config import Settings
from coach.ingest.jsonl import read_jsonl
from coach.ingest.pipeline import IngestPipeline
from coach.workspace import Workspace

def die(self):  # the process is killed after the index took the chunks, before the store committed
    os._exit(9)

ws = Workspace(Settings(_env_file=None, data_dir=sys.argv[1]))
pipeline = IngestPipeline(ws)
records = [json.loads(line) for line in open(sys.argv[2])]
if sys.argv[3] == "delete":
    import coach.store.vectors as vectors
    vectors.ChunkIndex.delete_interactions = lambda self, ids: os._exit(9)  # killed after the store committed
    pipeline.delete([r["id"] for r in records])
else:
    Session.commit = die
    pipeline.ingest(read_jsonl(open(sys.argv[2], "rb").read(), "crash.jsonl", pipeline.defaults()))
"""


def _crash(workspace: Workspace, tmp_path: Path, records: list[dict], what: str) -> None:
    import os

    script = write(tmp_path / "crash.py", textwrap.dedent(CRASH))
    data = _jsonl(tmp_path, records, "crash.jsonl")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    workspace.close()
    result = subprocess.run(
        [sys.executable, str(script), str(workspace.settings.data_dir), str(data), what],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 9, result.stderr[-2000:]


def test_a_crash_between_the_index_and_the_store_leaves_them_repairable(tmp_path, settings, embedder):
    ws = Workspace(settings, embedder=embedder)
    ingest_path(IngestPipeline(ws), _jsonl(tmp_path, NOTES[:2]))
    _crash(ws, tmp_path, NOTES[2:], "ingest")

    ws = Workspace(settings, embedder=embedder)
    try:
        assert (
            _rows(ws) == 2 and ws.index.count() == 4
        )  # the store rolled back its chunk rows; the index did not
        assert (
            _lexical(ws, "fieldquill") == [] and Searcher(ws).search("Fieldquill trial at the resort") == []
        )
        assert [h.interaction_id for h in Searcher(ws).search("truck rolls per outage", k=1)] == ["p-1"]
        drift = check(ws)
        assert drift.orphans == ["h-1", "h-2"] and not drift.text_missing and not drift.missing
        repair(ws)
        assert check(ws).clean and ws.index.count() == 2
        ingest_path(IngestPipeline(ws), _jsonl(tmp_path, NOTES[2:], "again.jsonl"))
        assert _lexical(ws, "fieldquill") == ["h-1"] and check(ws).clean
    finally:
        ws.close()

    _crash(ws, tmp_path, NOTES[:1], "delete")
    ws = Workspace(settings, embedder=embedder)
    try:
        assert _rows(ws) == 3 and ws.index.count() == 4  # deleted in the store, still in the index
        assert all(h.interaction_id != "p-1" for h in Searcher(ws).search("truck rolls per outage", k=5))
        assert check(ws).orphans == ["p-1"]
        repair(ws)
        assert check(ws).clean
    finally:
        ws.close()


def test_a_reps_questions_on_the_sample_get_the_passages_that_answer(pipeline, workspace):
    from coach.ingest.bundled import load_sample

    load_sample(pipeline)
    searcher = Searcher(workspace)
    (rival, *_) = searcher.search("is a competitor trialling another product", k=3)
    assert rival.interaction_id == "smp-005" and "trialling" in rival.passage.text
    assert searcher.search("zebra quantum violin") == []  # the floor: nothing answers, nothing is shown
    (ticket, *_) = searcher.search("ticket 88213")
    with workspace.db.session() as session:
        clean = session.get(InteractionRow, ticket.interaction_id).clean_text
    assert clean[ticket.passage.start : ticket.passage.end] == ticket.passage.text
    assert "88213" in [clean[a:b] for a, b in ticket.passage.marks]
    assert ticket.start <= ticket.passage.start and ticket.passage.end <= ticket.end
    phrase = searcher.search('"rate case"', k=5)
    assert phrase and all("rate case" in h.excerpt for h in phrase)


def test_a_word_most_chunks_hold_is_not_matched_when_a_rarer_one_is_given(
    tmp_path, pipeline, workspace, monkeypatch
):
    """Scoring every chunk that holds a common word costs time for nothing (bm25 weighs it near zero): past
    the budget of matches to rank, the search matches on the query's rarer words, or on all of its words together."""
    notes = [
        {
            "id": f"g-{i}",
            "account": "Plant Co",
            "date": "2026-08-01",
            "text": f"The gearbox at line {i} was serviced.",
        }
        for i in range(30)
    ]
    notes += [
        {
            "id": "odd",
            "account": "Plant Co",
            "date": "2026-08-02",
            "text": "Gearbox vibration logged at line 4.",
        },
        {
            "id": "other",
            "account": "Plant Co",
            "date": "2026-08-02",
            "text": "Vibration sensors were ordered.",
        },
    ]
    ingest_path(pipeline, _jsonl(tmp_path, notes))
    if workspace.db.engine.dialect.name == "postgresql":
        with workspace.db.engine.begin() as connection:
            connection.execute(text("ANALYZE chunks"))  # what autovacuum keeps up to date
    monkeypatch.setattr(fulltext, "RANKED_MATCHES", {"sqlite": 32, "postgresql": 32})
    # the budget counts the words' holders together: 2 (vibration) + 31 (gearbox) is over 32
    assert sorted(_lexical(workspace, "gearbox", "vibration")) == ["odd", "other"]
    monkeypatch.setattr(fulltext, "RANKED_MATCHES", {"sqlite": 10, "postgresql": 10})
    assert sorted(_lexical(workspace, "gearbox", "vibration")) == ["odd", "other"]
    assert len(_lexical(workspace, "gearbox")) == 31  # every word common: chunks holding all of them
    with workspace.db.session() as session:
        both = fulltext.search(session, TextQuery(words=("gearbox", "serviced")), Scope(), 50)
    assert len(both) == 30 and "odd" not in {h.interaction_id for h in both}
    hits = Searcher(workspace).search("gearbox vibration", k=3)
    assert hits[0].interaction_id == "odd"


def test_an_imported_store_has_the_same_chunks_and_full_text_index(
    tmp_path, pipeline, workspace, another_store, embedder
):
    """The archive carries the interactions; import rebuilds their chunks and both indexes from the text."""
    from coach.maintenance.archive import export_store, import_store

    ingest_path(pipeline, _jsonl(tmp_path, NOTES))
    export_store(workspace, tmp_path / "archive")
    target = Workspace(another_store, embedder=embedder)
    try:
        import_store(target, tmp_path / "archive")
        with workspace.db.session() as a, target.db.session() as b:
            rows = [
                sorted((c.interaction_id, c.seq, c.start_char, c.end_char, c.text) for c in s.query(ChunkRow))
                for s in (a, b)
            ]
        assert rows[0] == rows[1] and len(rows[0]) == 4
        assert _lexical(target, "fieldquill") == ["h-1"] and check(target).clean
    finally:
        target.close()


def test_a_scopes_stored_vectors_read_the_same_through_every_driver_setting_and_see_unflushed_writes(
    tmp_path, pipeline, workspace
):
    """On PostgreSQL the scope's vectors are read in binary; with client-side binding cursors (a connection pooler's
    setting) they are read as text instead, with the same result; and, as any query of the session, the read sees
    the session's own pending changes. On SQLite the same calls hold."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    ingest_path(pipeline, _jsonl(tmp_path, NOTES))
    scope = Scope(interaction_ids=["p-1", "p-2", "h-1"])
    with workspace.db.session() as session:
        read = chunk_vectors.in_scope(session, scope, 100)
    assert read is not None and len(read) == 3 and all(len(b or b"") == 384 * 2 for b in read.values())
    url = workspace.settings.resolved_database_url
    args = {}
    if url.startswith("postgresql+psycopg"):
        import psycopg

        args = {"cursor_factory": psycopg.ClientCursor}
    engine = create_engine(url, connect_args=args)
    try:
        with Session(engine) as session:
            assert chunk_vectors.in_scope(session, scope, 100) == read
    finally:
        engine.dispose()
    with workspace.db.session() as session:
        row = session.scalars(select(ChunkRow).where(ChunkRow.interaction_id == "h-1")).one()
        row.vector = None  # pending, not flushed: the read must see it, as a query of the session would
        assert chunk_vectors.in_scope(session, scope, 100) == {**read, ("h-1", 0): None}
        session.rollback()
    with workspace.db.session() as session:
        assert chunk_vectors.in_scope(session, scope, 2) is None  # more than the limit: the index's job
