import json

from coach.ingest import read_file
from coach.ingest.common import SourceDefaults
from coach.ingest.text import note_record
from coach.ingest.transcripts import qmsum_turns, render_turns, speaker_turns
from coach.records import InteractionRecord, Rejection
from tests.conftest import FIXTURES, ingest_path, write

VTT = """WEBVTT

00:00:02.000 --> 00:00:07.500
<v Ruth Achebe>Let's go through the open items.

00:00:08.000 --> 00:00:12.000
<v Colm Byrne>Catalogue import is still blocked.

00:00:12.500 --> 00:00:15.000
<v Colm Byrne>ERP team haven't sent credentials.

00:00:15.500 --> 00:00:18.000
Niamh Doyle: Can I raise the entrapment code again?
"""


def test_qmsum_json_becomes_one_meeting_with_a_line_per_turn():
    (record,) = read_file(FIXTURES / "ES9999z.json", SourceDefaults(account="AMI"))
    assert isinstance(record, InteractionRecord)
    lines = record.text.split("\n")
    assert lines[0] == "Project Manager: Okay so today we decide the battery type ."
    assert len(lines) == 5 and lines[2] == "Marketing: …"
    assert record.kind == "meeting" and record.subject == "ES9999z"
    assert [p.name for p in record.participants] == ["Project Manager", "Industrial Designer", "Marketing"]
    text, spans = render_turns(qmsum_turns(json.loads((FIXTURES / "ES9999z.json").read_text())))
    assert text == record.text and text[spans[3][0] : spans[3][1]].startswith("Marketing: Users told us")


def test_a_transcript_needs_an_account_and_says_so():
    (item,) = read_file(FIXTURES / "ES9999z.json", SourceDefaults())
    assert isinstance(item, Rejection) and "--account" in item.reason


def test_json_that_is_not_a_transcript_is_rejected(tmp_path):
    (item,) = read_file(write(tmp_path / "x.json", '{"rows": []}'), SourceDefaults(account="A"))
    assert isinstance(item, Rejection) and "meeting_transcripts" in item.reason
    (item,) = read_file(write(tmp_path / "y.json", '{"rows": '), SourceDefaults(account="A"))
    assert isinstance(item, Rejection) and "not valid JSON" in item.reason


def test_webvtt_captions_merge_into_speaker_turns(tmp_path):
    (record,) = read_file(write(tmp_path / "weekly.vtt", VTT), SourceDefaults(account="Quayside"))
    assert record.text.split("\n") == [
        "Ruth Achebe: Let's go through the open items.",
        "Colm Byrne: Catalogue import is still blocked. ERP team haven't sent credentials.",
        "Niamh Doyle: Can I raise the entrapment code again?",
    ]
    (item,) = read_file(write(tmp_path / "bad.vtt", "not a caption file"), SourceDefaults(account="Q"))
    assert isinstance(item, Rejection) and "WebVTT" in item.reason


def test_speaker_text_is_a_meeting_and_plain_notes_are_notes():
    transcript = "Ruth: Morning all.\nColm: Import still blocked,\nwaiting on ERP.\n[00:01:10] Niamh Doyle: Entrapment code?\n"
    record = note_record(transcript, "<stdin>", SourceDefaults(account="Q"))
    assert record.kind == "meeting"
    assert record.analysis_text.split("\n")[1] == "Colm: Import still blocked, waiting on ERP."
    assert [p.name for p in record.participants] == ["Ruth", "Colm", "Niamh Doyle"]
    note = "Call with Mei.\nNext steps: send the baseline.\nAction: book the SA."
    assert speaker_turns(note) is None
    assert note_record(note, "<stdin>", SourceDefaults(account="Q")).kind == "note"


CSV = (
    "Activity ID,Company,Activity Type,Activity Date,Assigned To,Subject,Comments\n"
    'CRM-1,Norrland Medical Devices,Call,2026-10-05,Lars Wikström,Renewal,"Henrik asked for the quote in SEK,\nand the DPA."\n'
    "CRM-2,Quayside Elevators,Email,05/09/2026,Ruth Achebe,Moved,Weekly status moved to Thursdays.\n"
    "CRM-3,Quayside Elevators,Meeting,someday,Ruth Achebe,x,Bad date row.\n"
    "CRM-4,Quayside Elevators,Meeting,2026-09-10,Ruth Achebe,x\n"
    "CRM-5,Pinecrest Utilities,Webinar,2026-09-11,Imani Okoro,y,\n"
)


def test_crm_csv_with_recognised_columns(tmp_path, pipeline):
    path = write(tmp_path / "export.csv", CSV)
    items = list(read_file(path, SourceDefaults()))
    good = [i for i in items if isinstance(i, InteractionRecord)]
    bad = {i.origin: i.reason for i in items if isinstance(i, Rejection)}
    assert [g.source_id for g in good] == ["CRM-1", "CRM-2"]
    assert (
        good[0].kind == "call"
        and good[0].account == "Norrland Medical Devices"
        and good[0].rep == "Lars Wikström"
    )
    assert good[0].text == "Henrik asked for the quote in SEK,\nand the DPA."
    assert good[1].kind == "email"
    assert set(bad) == {f"{path}:5", f"{path}:6", f"{path}:7"}
    assert "someday" in bad[f"{path}:5"] and "cells" in bad[f"{path}:6"] and "empty" in bad[f"{path}:7"]
    report = ingest_path(pipeline, path)
    assert sorted(report.added) == ["CRM-1", "CRM-2"] and len(report.rejected) == 3


def test_crm_csv_with_an_explicit_mapping(tmp_path):
    data = "Org;When;Memo\nPinecrest Utilities;2026-11-10;Workshop on the rollout.\n"
    path = write(tmp_path / "custom.csv", data)
    (item,) = read_file(path, SourceDefaults())
    assert isinstance(item, Rejection) and "--map text=" in item.reason
    (record,) = read_file(
        path, SourceDefaults(csv_mapping={"text": "Memo", "account": "Org", "date": "When"})
    )
    assert record.account == "Pinecrest Utilities" and record.occurred_at.date().isoformat() == "2026-11-10"
    (item,) = read_file(path, SourceDefaults(csv_mapping={"text": "Nope"}))
    assert isinstance(item, Rejection) and "'Nope'" in item.reason


def test_csv_in_latin1_is_refused_with_what_to_do(tmp_path):
    path = write(tmp_path / "latin.csv", "Company,Comments\nCafé Nord,Renouvellement\n".encode("latin-1"))
    (item,) = read_file(path, SourceDefaults())
    assert isinstance(item, Rejection) and "export the CSV as UTF-8" in item.reason
