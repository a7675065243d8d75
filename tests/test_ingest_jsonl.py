import json
from pathlib import Path

from coach.ingest import read_file
from coach.ingest.common import SourceDefaults
from coach.records import InteractionRecord, Rejection
from coach.store.repository import Repository
from tests.conftest import ingest_path, write

GOOD = {
    "id": "n-1",
    "account": "Pinecrest Utilities",
    "kind": "call",
    "date": "2026-10-02",
    "rep": "Imani Okoro",
    "participants": [
        {"name": "Imani Okoro", "email": "imani.okoro@atlasfieldcloud.com", "side": "internal"},
        {"name": "Mei Tanaka", "title": "Director, Field Operations", "email": "mtanaka@pinecrest-util.com"},
    ],
    "series": "Pinecrest steering",
    "duration_minutes": 30,
    "text": "Mei raised battery drain on the crew app.\r\nShe wants a fix before winter.",
    "crm_ref": "0065g00000XYZ",
}


def _items(path: Path) -> list:
    return list(read_file(path, SourceDefaults()))


def test_a_full_record_keeps_every_field_and_raw_text_byte_for_byte(tmp_path, pipeline, workspace):
    path = write(tmp_path / "notes.jsonl", json.dumps(GOOD) + "\n")
    report = ingest_path(pipeline, path)
    assert report.added == ["n-1"] and not report.rejected
    with workspace.db.session() as session:
        row = Repository(session).interaction("n-1")
        assert row.raw_text == GOOD["text"]
        assert row.clean_text == "Mei raised battery drain on the crew app.\nShe wants a fix before winter."
        assert row.kind == "call" and row.series == "Pinecrest steering" and row.duration_minutes == 30
        assert row.occurred_at.date().isoformat() == "2026-10-02"
        assert row.extra == {"crm_ref": "0065g00000XYZ"}
        sides = {p.person.name: p.person.side for p in row.participants}
        assert sides == {"Imani Okoro": "internal", "Mei Tanaka": "customer"}
        assert {p.person.name: p.person.title for p in row.participants}[
            "Mei Tanaka"
        ] == "Director, Field Operations"


def test_bad_lines_are_rejected_by_line_and_the_good_ones_go_in(tmp_path, pipeline):
    lines = [
        json.dumps(GOOD),
        '{"account": "Pinecrest Utilities", "text": "unterminated',
        json.dumps({"account": "Pinecrest Utilities"}),
        json.dumps({**GOOD, "id": "n-2", "date": "2026-13-45"}),
        json.dumps({**GOOD, "id": "n-3", "kind": "webinar"}),
        json.dumps({**GOOD, "id": "n-4", "text": "   "}),
        json.dumps([1, 2]),
        json.dumps({**GOOD, "id": "n-5", "duration_minutes": -3}),
        json.dumps({**GOOD, "id": "n-6", "participants": [{"title": "CFO"}]}),
        json.dumps(
            {
                **GOOD,
                "id": "n-7",
                "text": "A second good note about procurement.",
                "date": "2026-10-03T09:30:00+02:00",
            }
        ),
    ]
    data = "\n".join(lines).encode() + b"\n" + b'{"account": "X", "text": "caf\xe9"}\n'
    path = write(tmp_path / "mixed.jsonl", data)
    report = ingest_path(pipeline, path)
    assert sorted(report.added) == ["n-1", "n-7"]
    reasons = {r.origin.rsplit(":", 1)[1]: r.reason for r in report.rejected}
    assert set(reasons) == {"2", "3", "4", "5", "6", "7", "8", "9", "11"}
    assert all(r.origin.startswith(str(path)) for r in report.rejected)
    assert "not valid JSON" in reasons["2"]
    assert "'text' is missing" in reasons["3"]
    assert "2026-13-45" in reasons["4"]
    assert "webinar" in reasons["5"]
    assert "empty" in reasons["6"]
    assert "expected a JSON object" in reasons["7"]
    assert "duration_minutes" in reasons["8"]
    assert "participant 1 needs a 'name'" in reasons["9"]
    assert "UTF-8" in reasons["11"]


def test_a_record_without_id_gets_the_same_derived_id_on_every_import(tmp_path):
    record = {
        "account": "Quayside Elevators",
        "text": "Weekly status, nothing decided.",
        "date": "2026-08-06",
    }
    path = write(tmp_path / "a.jsonl", json.dumps(record) + "\n")
    first = _items(path)[0]
    again = _items(write(tmp_path / "b.jsonl", json.dumps(record) + "\n"))[0]
    assert isinstance(first, InteractionRecord)
    assert first.interaction_id() == again.interaction_id()
    assert first.interaction_id().startswith("int-")
    other = _items(write(tmp_path / "c.jsonl", json.dumps({**record, "text": "Something else."}) + "\n"))[0]
    assert other.interaction_id() != first.interaction_id()


def test_an_email_record_splits_the_newest_message_from_the_quoted_thread(tmp_path):
    text = (
        "Colm, I've asked product for the entrapment code; answer by Friday.\nRuth\n\n"
        "On Wed, 12 Aug 2026 at 10:01, Colm Byrne <cbyrne@quaysidelifts.ie> wrote:\n"
        "> Dispatchers are still double-entering call-outs.\n"
    )
    path = write(
        tmp_path / "mail.jsonl", json.dumps({"account": "Quayside", "kind": "email", "text": text}) + "\n"
    )
    (record,) = _items(path)
    assert record.analysis_text == "Colm, I've asked product for the entrapment code; answer by Friday.\nRuth"
    assert record.quoted_text.startswith("On Wed, 12 Aug 2026")
    assert record.text == text


def test_account_names_match_whatever_their_case_and_spacing(tmp_path, pipeline, workspace):
    lines = [
        json.dumps({"id": "a", "account": "Harbor & Vine Hospitality", "text": "one"}),
        json.dumps({"id": "b", "account": "  harbor &  vine HOSPITALITY ", "text": "two"}),
    ]
    ingest_path(pipeline, write(tmp_path / "x.jsonl", "\n".join(lines)))
    with workspace.db.session() as session:
        summaries = Repository(session).account_summaries()
    assert [(s.name, s.interactions) for s in summaries] == [("Harbor & Vine Hospitality", 2)]


def test_rejection_is_a_value_not_an_exception(tmp_path):
    items = _items(write(tmp_path / "only-bad.jsonl", "nope\n"))
    assert items == [Rejection(f"{tmp_path / 'only-bad.jsonl'}:1", items[0].reason)]
