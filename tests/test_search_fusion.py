"""The learned fusion: the shipped weights are what training writes, training is deterministic, and the weights
rank as a rep would expect (no ../shared needed: small made-up candidates)."""

from __future__ import annotations

import json

import numpy as np

from coach.search import parse
from coach.search.fusion import FEATURES, MODEL_FILE, Candidate, Fusion, LearnedFusion, features, shipped
from coach.search.learning import train


def test_the_shipped_model_loads_once_and_is_what_search_uses():
    data = json.loads(MODEL_FILE.read_text())
    assert tuple(data["features"]) == FEATURES and len(data["weights"]) == len(FEATURES)
    assert "--train" in data["trained_on"]
    assert shipped() is shipped()  # read once
    assert Fusion().weights == tuple(data["weights"]) and Fusion().floor_gap == data["floor_gap"] > 0
    # the meaning side and the full-text side both count for a chunk
    weights = dict(zip(FEATURES, Fusion().weights, strict=True))
    assert weights["similarity"] > 0 and weights["lexical"] > 0


def _made_up_queries(seed: int) -> list[tuple[list[Candidate], list[bool]]]:
    """Queries of 12 chunks in a row, two adjacent ones answering: their similarity and full-text score are higher
    on average, and so (a little) are their neighbours'."""
    rng = np.random.default_rng(seed)
    queries = []
    for q in range(30):
        answer = int(rng.integers(1, 10))
        right = [i in (answer, answer + 1) for i in range(12)]
        near = [abs(i - answer) <= 2 for i in range(12)]
        candidates = [
            Candidate(
                f"q{q}",
                i,
                similarity=float(0.3 + 0.15 * right[i] + 0.05 * near[i] + rng.normal(0, 0.08)),
                lexical=float(max(0.0, 2.0 * right[i] + rng.normal(0, 1.5))),
                window=float(rng.uniform(0, 0.5) + 0.3 * right[i]),
            )
            for i in range(12)
        ]
        queries.append((candidates, right))
    return queries


def test_training_is_deterministic_and_its_file_is_read_back_as_written(tmp_path):
    weights = train(_made_up_queries(7), specific_weight=3.0)
    assert weights == train(_made_up_queries(7), specific_weight=3.0)
    assert len(weights) == len(FEATURES)
    learned = dict(zip(FEATURES, weights, strict=True))
    assert learned["similarity"] > 0 and learned["lexical"] > 0  # what tells the answers apart, learned
    path = tmp_path / "fusion_model.json"
    path.write_text(LearnedFusion(weights, 2.5).to_json("made up"))
    assert LearnedFusion.read(path) == LearnedFusion(weights, 2.5)
    # and the weights learned order unseen made-up queries better than chance: the first result answers
    fusion = Fusion(weights=weights)
    firsts = [labels[fusion.order(c)[0].seq] for c, labels in _made_up_queries(8)]
    assert sum(firsts) >= 20  # of 30; chance is 5


def test_training_on_given_matrices_learns_one_weight_per_column_as_from_the_features():
    """A bench trying other features hands its own matrices: the shipped ones give the same weights, and an added
    column that tells the answers apart is learned as such."""
    queries = _made_up_queries(7)
    assert train(queries, 3.0, matrices=[features(c) for c, _ in queries]) == train(queries, 3.0)
    assert train([*queries, ([], [])], 3.0) == train(
        queries, 3.0
    )  # a query without candidates teaches nothing
    telling = [np.hstack([features(c), np.asarray(r, dtype=float)[:, None]]) for c, r in queries]
    weights = train(queries, 3.0, matrices=telling)
    assert len(weights) == len(FEATURES) + 1 and weights[-1] > 0
    firsts = [r[int(np.argmax(m @ np.asarray(weights)))] for m, (_, r) in zip(telling, queries, strict=True)]
    assert sum(firsts) == 30


def test_a_chunk_holding_the_rare_words_and_the_meaning_ranks_above_one_holding_neither():
    query = parse("why was the renewal quote for the warehouse scanners delayed")
    answer = "The renewal quote for the warehouse scanners was delayed: legal had not signed the new terms."
    filler = [
        "We talked about the holiday schedule and who covers the front desk.",
        "Lunch order for the offsite is settled; vegetarian options included.",
        "Printer on the second floor jams again, facilities will look at it.",
        "Everyone agreed the weekly sync can move to Thursday mornings.",
    ]
    candidates = [Candidate("n", i, t, similarity=0.12 + 0.01 * i) for i, t in enumerate(filler)]
    candidates.append(Candidate("a", 0, answer, similarity=0.62, lexical=9.5))
    ranked = Fusion().rank(candidates, query)
    assert ranked[0].interaction_id == "a" and ranked[0].window > 0
    assert Fusion().pick(ranked, 5) == [ranked[0]]  # the filler does not clear the floor


def test_a_chunk_whose_neighbour_also_answers_ranks_above_an_isolated_equal_one():
    # two chunks alike on their own; one sits in a stretch about the query, the other among unrelated chunks
    def run(offset: int, middle: float) -> list[Candidate]:
        return [
            Candidate("m", offset + i, similarity=s, lexical=lex)
            for i, (s, lex) in enumerate([(middle, 3.0), (0.55, 6.0), (middle, 3.0)])
        ]

    candidates = run(0, 0.50) + run(10, 0.15)
    ranked = Fusion().order(candidates)
    assert ranked[0] is candidates[1]  # seq 1, between two close chunks; seq 11 sits between unrelated ones
    assert ranked.index(candidates[1]) < ranked.index(candidates[4])


def test_a_query_word_matches_its_other_forms_in_the_passage_shown():
    """ "outages" finds and marks "outage" (and "invoices" "invoice"): the passage shown is the sentence holding it,
    not the note's first line."""
    from coach.search.passages import passage

    text = "Tomás,\n\nStill waiting on the root cause for the 14 Oct outage. Nothing to give the board yet."
    shown = passage(text, 100, parse("who is unhappy about outages"))
    assert "root cause" in shown.text
    assert [text[a - 100 : b - 100] for a, b in shown.marks] == ["outage"]
    invoice = passage("Thanks. The invoice was re-sent.", 0, parse("invoices"))
    assert [invoice.text[a:b] for a, b in invoice.marks] == ["invoice"]


def test_how_a_question_asks_is_not_what_it_looks_for():
    """'Which competitors came up' asks for competitors: a note holding 'up' ('the October true-up') is no
    answer, so the words the question is framed in are not matched."""
    assert parse("which competitors came up").words == ("competitors",)
    assert parse("who brought up pricing in the call").words == ("brought", "pricing", "call")
    assert parse("what did Mei say about the pilot").names == ("mei",)
