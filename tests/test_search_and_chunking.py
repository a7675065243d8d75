import itertools
import json

import pytest

from coach.chunking import Chunker
from coach.embedding import MAX_TOKENS
from coach.errors import NotFound
from coach.search import Searcher
from tests.conftest import FIXTURES, ingest_path, write

NOTES = [
    {
        "id": "q-1",
        "account": "Quayside Elevators",
        "date": "2026-08-13",
        "text": "Dispatchers still key emergency call-outs twice because the entrapment priority code is missing.",
    },
    {
        "id": "q-2",
        "account": "Quayside Elevators",
        "date": "2026-08-20",
        "text": "Weekly status: same open-items list, eleven open, nothing decided.",
    },
    {
        "id": "n-1",
        "account": "Norrland Medical Devices",
        "date": "2026-08-26",
        "text": "Auditors want a signed service record for every hospital visit from March under the new regulation.",
    },
    {
        "id": "n-2",
        "account": "Norrland Medical Devices",
        "date": "2026-07-30",
        "text": "Monthly usage dashboard sent; visits up four percent.",
    },
]


@pytest.fixture
def loaded(tmp_path, pipeline):
    ingest_path(pipeline, write(tmp_path / "n.jsonl", "\n".join(json.dumps(n) for n in NOTES)))
    return pipeline.ws


def test_search_finds_by_meaning_not_by_words(loaded):
    (top, *_) = Searcher(loaded).search("compliance paperwork the customer's inspectors require", k=2)
    assert top.interaction_id == "n-1"
    assert top.excerpt == NOTES[2]["text"] and top.account == "Norrland Medical Devices"
    (top, *_) = Searcher(loaded).search("phone operators enter urgent jobs two times", k=2)
    assert top.interaction_id == "q-1"


def test_search_within_an_account_only_returns_that_account(loaded):
    hits = Searcher(loaded).search(
        "hospital visit signatures", k=4, account="quayside elevators", floor=False
    )
    assert hits and {h.account for h in hits} == {"Quayside Elevators"}
    assert Searcher(loaded).search("hospital visit signatures", k=4, account="quayside elevators") == []
    with pytest.raises(NotFound):
        Searcher(loaded).search("x", account="Nobody Inc")
    assert Searcher(loaded).search("   ") == []


def test_a_product_named_once_is_found_by_its_name_whatever_its_case(tmp_path, pipeline):
    """A name embeddings blur is what the full-text index finds: written once, in the last of 31 notes."""
    filler = [
        {
            "id": f"f-{i}",
            "account": "Quayside Elevators",
            "date": "2026-08-13",
            "text": f"Status call {i}: dispatch volumes steady, the open-items list reviewed again.",
        }
        for i in range(30)
    ]
    rare = {
        "id": "rare",
        "account": "Quayside Elevators",
        "date": "2026-08-14",
        "text": "Their fleet team asked whether Liftwatch can export the entrapment log.",
    }
    ingest_path(pipeline, write(tmp_path / "f.jsonl", "\n".join(json.dumps(n) for n in [*filler, rare])))
    searcher = Searcher(pipeline.ws)
    for query in ("liftwatch", "LIFTWATCH export", "Does Liftwatch export logs?"):
        assert searcher.search(query, k=3)[0].interaction_id == "rare", query


def test_search_hit_spans_point_into_the_stored_text(tmp_path, pipeline):
    ingest_path(pipeline, FIXTURES / "ES9999z.json", account="AMI")
    (hit,) = Searcher(pipeline.ws).search("what power source was chosen for the device", k=1)
    assert "kinetic" in hit.excerpt and hit.end - hit.start == len(hit.excerpt)


def test_chunks_fit_the_model_window_break_on_lines_and_overlap(embedder):
    chunker = Chunker(embedder.count_tokens, embedder.token_offsets, max_tokens=64, overlap_tokens=16)
    lines = [f"Speaker {i % 3}: point number {i} about the rollout plan and who owns it." for i in range(40)]
    text = "\n".join(lines)
    chunks = chunker.split(text)
    assert len(chunks) > 5
    for chunk in chunks:
        assert embedder.count_tokens(chunk.text) <= 64
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.text.split("\n")[0] in lines and chunk.text.split("\n")[-1] in lines
    assert all(b.start < a.end for a, b in itertools.pairwise(chunks))  # overlap
    assert chunks[0].start == 0 and chunks[-1].end == len(text)


def test_a_single_huge_line_is_cut_at_sentences_then_tokens(embedder):
    chunker = Chunker(embedder.count_tokens, embedder.token_offsets, max_tokens=MAX_TOKENS, overlap_tokens=0)
    sentences = " ".join(f"Sentence {i} says the pilot cut re-dispatch hours again." for i in range(200))
    words = " ".join(["forecast"] * 2000)
    for text in (sentences, words):
        chunks = chunker.split(text)
        assert len(chunks) > 3
        assert max(embedder.count_tokens(c.text) for c in chunks) <= MAX_TOKENS
        assert "".join(text[c.start : c.end] for c in chunks).replace(" ", "") == text.replace(" ", "")
    assert chunker.split("") == [] and chunker.split(" \n \n") == []
