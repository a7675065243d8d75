"""Durability of ingest: idempotent, both stores or neither, and an index that can always be rebuilt."""

import json
import shutil

import pytest

from coach.ingest import expand_paths, read_file
from coach.ingest.pipeline import IngestPipeline
from coach.search import Searcher
from coach.store.repository import Repository
from coach.workspace import Workspace
from tests.conftest import FIXTURES, ingest_path, write

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
        "text": "Their regional VP is trialling a rival field-service product at the new resort.",
    },
    {
        "id": "h-2",
        "account": "Harbor & Vine Hospitality",
        "date": "2026-07-08",
        "text": "Invoice corrected and re-sent with the PO number on it.",
    },
]


def _jsonl(tmp_path, records, name="notes.jsonl"):
    return write(tmp_path / name, "\n".join(json.dumps(r) for r in records) + "\n")


def _state(ws):
    with ws.db.session() as session:
        repo = Repository(session)
        return repo.count_interactions(), ws.index.count()


def test_second_import_changes_nothing(tmp_path, pipeline, workspace):
    path = _jsonl(tmp_path, NOTES)
    first = ingest_path(pipeline, path)
    assert len(first.added) == 4 and first.chunks == 4
    before = _state(workspace)
    second = ingest_path(pipeline, path)
    assert (
        second.added == []
        and second.updated == []
        and sorted(second.unchanged) == ["h-1", "h-2", "p-1", "p-2"]
    )
    assert _state(workspace) == before


def test_a_changed_record_replaces_its_text_and_its_chunks(tmp_path, pipeline, workspace):
    ingest_path(pipeline, _jsonl(tmp_path, NOTES))
    long_text = "\n".join(
        f"Line {i}: the crew app battery drains on twelve-hour winter shifts." for i in range(60)
    )
    changed = [dict(NOTES[1], text=long_text)]
    report = ingest_path(pipeline, _jsonl(tmp_path, changed, "changed.jsonl"))
    assert report.updated == ["p-2"]
    with workspace.db.session() as session:
        row = Repository(session).interaction("p-2")
        assert row.raw_text == long_text and row.chunk_count > 1
    assert workspace.index.interaction_chunk_counts()["p-2"] == row.chunk_count
    shrunk = ingest_path(pipeline, _jsonl(tmp_path, [NOTES[1]], "back.jsonl"))
    assert shrunk.updated == ["p-2"] and workspace.index.interaction_chunk_counts()["p-2"] == 1


def test_the_same_id_twice_in_one_file_keeps_the_last(tmp_path, pipeline, workspace):
    records = [NOTES[0], dict(NOTES[0], text="Corrected: 25% fewer truck rolls.")]
    report = ingest_path(pipeline, _jsonl(tmp_path, records))
    assert report.added == ["p-1"] and report.updated == ["p-1"]
    with workspace.db.session() as session:
        assert Repository(session).interaction("p-1").raw_text == "Corrected: 25% fewer truck rolls."
    assert workspace.index.count() == 1


class _FailingIndex:
    """The real index, made to fail at one step: to test what a failure there leaves behind."""

    def __init__(self, real, fail_on):
        self._real, self._fail_on = real, fail_on

    def __getattr__(self, name):
        if name == self._fail_on:

            def boom(*args, **kwargs):
                raise OSError("disk full")

            return boom
        return getattr(self._real, name)


def test_an_index_failure_stores_nothing_and_says_which_records(tmp_path, pipeline, workspace):
    workspace.__dict__["index"] = _FailingIndex(workspace.index, "upsert")
    report = ingest_path(pipeline, _jsonl(tmp_path, NOTES))
    assert report.added == [] and len(report.rejected) == 4
    assert all("could not be stored: disk full" in r.reason for r in report.rejected)
    assert report.rejected[0].origin.endswith("notes.jsonl:1")
    with workspace.db.session() as session:
        assert Repository(session).count_interactions() == 0


def test_a_database_failure_at_commit_removes_the_chunks_again(tmp_path, pipeline, workspace, monkeypatch):
    from sqlalchemy.orm import Session

    def failing_commit(self):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(Session, "commit", failing_commit)
    report = ingest_path(pipeline, _jsonl(tmp_path, NOTES[:2]))
    monkeypatch.undo()
    assert report.added == [] and len(report.rejected) == 2
    assert _state(workspace) == (0, 0)


def test_one_unstorable_record_does_not_keep_the_others_out(tmp_path, pipeline, workspace):
    bad = dict(NOTES[2], series="x" * 5000)  # longer than the column allows on strict databases
    original = pipeline._write

    def write_refusing_long_series(fresh, stored, report):
        if any(p.record.series and len(p.record.series) > 300 for p in fresh):
            raise ValueError("value too long for type character varying(300)")
        return original(fresh, stored, report)

    pipeline._write = write_refusing_long_series
    report = ingest_path(pipeline, _jsonl(tmp_path, [NOTES[0], bad, NOTES[3]]))
    assert sorted(report.added) == ["h-2", "p-1"]
    (rejection,) = report.rejected
    assert rejection.origin.endswith(":2") and "too long" in rejection.reason


def test_reindex_after_deleting_the_chroma_folder_restores_identical_results(tmp_path, settings, embedder):
    ws = Workspace(settings, embedder=embedder)
    ingest_path(IngestPipeline(ws), _jsonl(tmp_path, NOTES))
    ingest_path(IngestPipeline(ws), FIXTURES / "ES9999z.json", account="AMI")
    queries = ["a competitor is being tested by the customer", "battery problems", "who decides on cost"]
    before = [[(h.interaction_id, h.start, h.end) for h in Searcher(ws).search(q, k=3)] for q in queries]
    if settings.chroma_url:  # a Chroma server: the collection is lost instead of the folder
        ws.index.reset()
    ws.close()
    if not settings.chroma_url:
        shutil.rmtree(settings.resolved_chroma_path)

    ws = Workspace(settings, embedder=embedder)
    assert ws.index.count() == 0
    # the vectors are gone; the words are still in the store's full-text index
    words_only = {h.interaction_id: h for h in Searcher(ws).search("battery problems", k=5)}
    assert "p-2" in words_only and words_only["p-2"].passage.marks  # "batteries", marked
    result = IngestPipeline(ws).reindex()
    assert result["interactions"] == 5
    after = [[(h.interaction_id, h.start, h.end) for h in Searcher(ws).search(q, k=3)] for q in queries]
    assert after == before


def test_reindex_missing_only_repairs_what_fell_behind(tmp_path, pipeline, workspace):
    ingest_path(pipeline, _jsonl(tmp_path, NOTES))
    workspace.index.delete_interactions(["p-1"])
    import numpy as np

    from coach.store.vectors import ChunkEntry

    orphan = ChunkEntry("ghost#0", "ghost", 1, 0, 0, 5, "ghost", 0, "note")
    workspace.index.upsert([orphan], np.ones((1, 384), dtype=np.float32) / np.sqrt(384))
    result = pipeline.reindex(full=False)
    assert result == {"interactions": 1, "chunks": 1, "orphans_removed": 1, "vectors_copied": 0}
    assert set(workspace.index.interaction_chunk_counts()) == {"p-1", "p-2", "h-1", "h-2"}


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("empty.jsonl", b"", "the file is empty"),
        ("blank.txt", b"   \n\n", "the file is empty"),
        ("photo.jsonl", bytes(range(256)) * 40, "binary file"),
        ("deck.pptx", b"PK\x03\x04 whatever", "unknown file type .pptx"),
        ("README", b"hello", "unknown file type (none)"),
        ("latin.txt", "Réunion".encode("latin-1"), "not valid UTF-8"),
    ],
)
def test_files_the_coach_cannot_read_are_rejected_with_a_reason(tmp_path, name, content, reason):
    path = write(tmp_path / name, content)
    (item,) = read_file(path, pipeline_defaults())
    assert reason in item.reason and item.origin == str(path)


def pipeline_defaults():
    from coach.ingest.common import SourceDefaults

    return SourceDefaults(account="Pinecrest Utilities")


def test_a_text_over_the_size_limit_is_refused_and_the_rest_of_the_file_goes_in(tmp_path, pipeline):
    huge = dict(NOTES[0], id="huge", text="word " * 1_000_000)  # 5 MB
    report = ingest_path(pipeline, _jsonl(tmp_path, [huge, NOTES[1]]))
    assert report.added == ["p-2"]
    (rejection,) = report.rejected
    assert "5,000,000 bytes" in rejection.reason and "COACH_MAX_TEXT_BYTES" in rejection.reason


def test_folders_are_walked_and_unknown_files_skipped_not_rejected(tmp_path):
    write(tmp_path / "in" / "a.jsonl", "{}")
    write(tmp_path / "in" / "sub" / "b.vtt", "WEBVTT")
    write(tmp_path / "in" / "LICENSE", "MIT")
    write(tmp_path / "in" / ".hidden.jsonl", "{}")
    files, skipped = expand_paths([tmp_path / "in"])
    assert [f.name for f in files] == ["a.jsonl", "b.vtt"]
    assert [s.name for s in skipped] == ["LICENSE"]


def test_people_met_again_in_one_batch_are_one_person_and_later_notes_fill_in_what_earlier_ones_left_out(
    tmp_path, pipeline, workspace
):
    from sqlalchemy import select

    from coach.store.schema import ParticipationRow, PersonRow

    def note(i: int, *people: dict) -> dict:
        return {
            "id": f"n-{i}",
            "account": "Delta Mills",
            "date": f"2026-09-0{i}",
            "text": f"Call {i}.",
            "participants": list(people),
        }

    rosa = {"name": "Rosa Diaz", "email": "rosa.diaz@deltamills.example", "side": "customer"}
    tom = {"name": "Tom Berg", "side": "customer"}
    first = [
        note(1, rosa),
        note(2, {**rosa, "name": "Rosa M. Diaz"}, tom),
        note(3, {**rosa, "title": "Plant Manager"}),
    ]
    ingest_path(pipeline, _jsonl(tmp_path, first))
    ingest_path(pipeline, _jsonl(tmp_path, [note(2, tom)], "again.jsonl"))  # the update names Tom alone
    with workspace.db.session() as session:
        people = list(session.scalars(select(PersonRow).order_by(PersonRow.name)))
        in_two = session.scalars(
            select(PersonRow.name).join(ParticipationRow).where(ParticipationRow.interaction_id == "n-2")
        ).all()
    assert [(p.name, p.email, p.title) for p in people] == [
        ("Rosa M. Diaz", "rosa.diaz@deltamills.example", "Plant Manager"),
        ("Tom Berg", None, None),
    ]
    assert in_two == ["Tom Berg"]
