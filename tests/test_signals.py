"""The offline extractor on single interactions: who said what, and what kind of statement it is."""

from datetime import datetime

import pytest

from coach.signals.offline import InteractionView, OfflineExtractor
from coach.signals.text import directory_from

PEOPLE = [
    ("Ana Lima", "internal", "Account Executive", "ana@seller.example"),
    ("Kai Berg", "customer", "CFO", "kai@buyer.example"),
    ("Noor Haddad", "customer", "Planning Lead", None),
]


@pytest.fixture(scope="module")
def extract(embedder):
    extractor = OfflineExtractor(embedder)

    def run(text, kind="note", rep="Ana Lima"):
        view = InteractionView(
            id="x", account="Buyer Group", kind=kind, occurred_at=datetime(2026, 5, 1), text=text, rep=rep
        )
        return extractor.extract(view, directory_from(PEOPLE, {"seller.example"}, "Buyer Group"))

    return run


def natures(facts):
    return {(c.name, c.nature) for c in facts.competitors}


def test_competitors_active_past_and_hearsay(extract):
    assert ("Ravenloop", "active") in natures(
        extract("Noor said their CFO is trialling Ravenloop on two regions.")
    )
    assert ("Ravenloop", "active") in natures(
        extract("Agreed: a side-by-side benchmark vs Ravenloop over 60 days.")
    )
    assert natures(extract("They dropped Ravenloop Analytics back in 2022 after a stalled rollout.")) <= {
        ("Ravenloop Analytics", "past")
    }
    hearsay = extract(
        "Kai said everyone at the trade conference was talking about Ravenloop Analytics; he thinks it is vaporware."
    )
    assert all(n == "hearsay" for _, n in natures(hearsay))
    assert natures(extract("Target: waste -20% vs FY25, and stock-outs down vs Control stores.")) == set()
    assert natures(extract("Ana pitched the Forecast Studio add-on.")) == set()


def test_the_customers_own_our_does_not_hide_a_rival(extract):
    mail = (
        "Ana, heads up: our CFO had Ravenloop Analytics in last week and they start a pilot in June.\nNoor\n\n"
        "> Noor, how are the regions doing?\n> Ana"
    )
    assert ("Ravenloop Analytics", "active") in natures(extract(mail, kind="email"))


def test_a_reported_request_with_a_vague_answer_and_one_with_a_dated_plan(extract):
    vague = extract("Noor asked for a Finnish interface for the store app. I said I'd check with product.")
    (p,) = vague.problems
    assert p.kind == "request" and p.response == "vague" and p.actor == "Noor Haddad"
    planned = extract(
        "Noor asked for a Finnish interface for the store app. Agreed: Ana to deliver a plan by 6/15."
    )
    assert planned.problems[0].response in ("planned", "answered")


def test_our_own_worries_and_hypotheticals_are_not_customer_problems(extract):
    assert extract("Ana: worried their item master is missing case packs.").problems == []
    assert (
        extract("Kai said if the API ever got slow at month end they would have a real problem.").problems
        == []
    )
    assert extract("Kai: all good on their side, no complaints.").problems == []


def test_engagement_reads_the_customers_future_as_strategic(extract):
    assert (
        extract(
            "Kai set the 2028 goal: two new regions and one planning process; budget approval goes through "
            "him and the board wants a business case by September."
        ).engagement
        == "strategic"
    )
    assert (
        extract("Invoice 5521 re-sent with the PO number; Noor confirmed the ticket is closed.").engagement
        == "tactical"
    )


def test_notes_read_together_get_the_facts_each_gets_alone(embedder, monkeypatch):
    """The analysis reads an account's new notes in batches (one embedding and one request-model call for all
    their sentences): every note's facts must be what reading it alone gives, in the same order."""
    import json
    from pathlib import Path

    import coach

    sample = Path(coach.__file__).parent / "sample" / "interactions.jsonl"
    records = [json.loads(line) for line in sample.read_text().splitlines() if line.strip()]
    people = [
        (p["name"], p.get("side"), p.get("title"), p.get("email")) for r in records for p in r["participants"]
    ]
    directory = directory_from(people, {"atlasfieldcloud.com"}, "Sample")
    views = [
        InteractionView(
            id=r["id"],
            account=r["account"],
            kind=r["kind"],
            occurred_at=datetime.fromisoformat(r["date"]),
            text=r["text"],
            rep=r.get("rep"),
            series=r.get("series"),
            participants=[
                (p["name"], p.get("side"), p.get("title"), p.get("email")) for p in r["participants"]
            ],
        )
        for r in records
    ]
    extractor = OfflineExtractor(embedder)
    together = extractor.extract_many(views, directory)
    alone = [extractor.extract(v, directory) for v in views]
    assert [f.interaction_id for f in together] == [v.id for v in views]
    assert [f.model_dump() for f in together] == [f.model_dump() for f in alone]
    assert sum(len(f.problems) for f in together) > 0  # the sample raises problems: the facts are not empty
    monkeypatch.setattr(
        "coach.signals.offline.SENTENCES_AT_ONCE", 10
    )  # long notes: several calls, same facts
    assert [f.model_dump() for f in extractor.extract_many(views, directory)] == [
        f.model_dump() for f in alone
    ]
