"""The real data in ../shared: every QMSum meeting and the dev set must go in with no rejects.

Skipped (with the reason) in a user's clone, which has no ../shared; CI has it and runs these.
"""

from coach.ingest import read_file
from coach.ingest.common import SourceDefaults
from coach.records import InteractionRecord, Rejection
from tests.conftest import ingest_path, shared_or_skip


def test_every_qmsum_meeting_parses_without_a_reject():
    folder = shared_or_skip("data", "qmsum-product")
    files = sorted(folder.glob("*.json"))
    assert len(files) == 137
    rejected = []
    turns = 0
    for path in files:
        for item in read_file(path, SourceDefaults(account="AMI product design")):
            if isinstance(item, Rejection):
                rejected.append(item)
            else:
                assert item.kind == "meeting" and item.participants
                turns += item.extra["turns"]
    assert rejected == []
    assert turns > 30_000


def test_a_few_qmsum_meetings_ingest_and_reimport_unchanged(pipeline):
    folder = shared_or_skip("data", "qmsum-product")
    files = sorted(folder.glob("*.json"))[:3]
    for path in files:
        report = ingest_path(pipeline, path, account="AMI product design")
        assert len(report.added) == 1 and not report.rejected
        assert report.chunks > 10
    for path in files:
        assert len(ingest_path(pipeline, path, account="AMI product design").unchanged) == 1


def test_the_dev_set_ingests_with_no_rejects_and_twice_is_unchanged(pipeline, workspace):
    path = shared_or_skip("eval", "dev", "interactions.jsonl")
    first = ingest_path(pipeline, path)
    assert len(first.added) == 62 and not first.rejected
    assert len(first.accounts) == 8
    second = ingest_path(pipeline, path)
    assert len(second.unchanged) == 62 and not second.added and not second.updated


def test_the_dev_set_emails_keep_their_newest_message_verbatim():
    path = shared_or_skip("eval", "dev", "interactions.jsonl")
    for item in read_file(path, SourceDefaults()):
        assert isinstance(item, InteractionRecord)
        if item.kind == "email" and item.quoted_text:
            newest = item.analysis_text
            assert newest and newest in item.text.replace("\r\n", "\n")
