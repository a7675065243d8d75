"""What needs attention, near-duplicate account names, what a note changed, how notes are cited, and the playbook
read as pages: the domain pieces behind the web app's morning pages."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from coach.account_names import near, words
from coach.analysis.changes import changes, without_speaker
from coach.analysis.report import AccountReport, Engagement, Evidence, MeetingVerdict, OpenProblem, Risk
from coach.attention import Attention, by_attention, next_meeting, score, trend
from coach.citations import day, title_of
from coach.playbook import load

KNOWN = [
    "Quayside Elevators",
    "Pinecrest Utilities",
    "Harbor & Vine Hospitality",
    "Acme",
    "Norrland Medical Devices",
]


@pytest.mark.parametrize(
    "typed,meant",
    [
        ("Quaysde Elevators", "Quayside Elevators"),  # a letter dropped
        ("Qauyside Elevators", "Quayside Elevators"),  # two swapped
        ("quayside elevator", "Quayside Elevators"),  # case and plural
        ("Quayside-Elevators Ltd.", "Quayside Elevators"),  # punctuation and a legal suffix
        ("Pinecrest Utility", "Pinecrest Utilities"),  # -ies
        ("Harbour and Vine Hospitality", "Harbor & Vine Hospitality"),  # & and a spelling
        ("Quayside", "Quayside Elevators"),  # the first word
        ("Norland Medical Device", "Norrland Medical Devices"),
    ],
)
def test_a_near_duplicate_name_is_recognised(typed, meant):
    assert near(typed, KNOWN)[0] == meant


@pytest.mark.parametrize(
    "typed", ["QUAYSIDE ELEVATORS", "Nordic Medical", "Pine", "Brand New Co", "Acme Rockets"]
)
def test_an_existing_or_different_name_is_not_questioned(typed):
    assert near(typed, KNOWN) == []


def test_names_compare_as_they_read():
    assert words("The Quayside-Elevators Group, Inc.") == ["quayside", "elevator"]
    assert words("\u0420inecrest Utilities") == words("Pinecrest Utilities")  # a Cyrillic Р reads as Latin P


def test_engagement_trend_compares_the_last_five_with_the_five_before():
    assert trend([True] * 5 + [False] * 5) == "cooling"
    assert trend([False] * 5 + [True] * 4 + [False]) == "warming"
    assert trend([True, False] * 5) == "steady"
    assert trend([True] * 6) == "unknown"  # too few before


def _met(series, *days):
    return [
        SimpleNamespace(
            view=SimpleNamespace(series=series, occurred_at=datetime.combine(d, datetime.min.time(), UTC))
        )
        for d in days
    ]


def test_the_next_meeting_of_a_series_comes_from_its_rhythm():
    weekly = _met("Weekly status", date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16))
    found = next_meeting(weekly, date(2026, 11, 18))
    assert found is not None and found.expected == date(2026, 11, 23) and not found.overdue
    late = next_meeting(weekly, date(2026, 12, 6))
    assert late is not None and late.overdue and late.last == date(2026, 11, 16)
    assert next_meeting(_met("Once", date(2026, 11, 2)), date(2026, 11, 18)) is None


def _report(problems=(), risks=(), meetings=(), label="mixed"):
    engagement = Engagement(
        label=label,
        strategic_share=0.4,
        strategic=2,
        total=5,
        why="2 of 5",
        playbook="knowledge/engagement.md",
    )
    return AccountReport(
        account="Acme",
        engagement=engagement,
        interactions=[],
        unaddressed_problems=list(problems),
        risks=list(risks),
        meetings=list(meetings),
    )


def _problem(quote, days=40, who="Mei Tanaka", interaction="n1"):
    return OpenProblem(
        raised_in=interaction,
        summary=f"{who} raised: {quote}",
        days_open=days,
        raised_on=date(2026, 10, 1),
        kind="complaint",
        raised_by=who,
        text=f"{who}: {quote}",
        evidence=[Evidence(interaction=interaction, quote=quote)],
        playbook="knowledge/problem-ledger.md",
    )


def _risk(code, severity="high"):
    return Risk(code=code, severity=severity, why="why", evidence=[], title=f"{code} - the long name")


def test_what_a_note_changed_new_resolved_and_moved():
    old = _problem("The app crashes offline.")
    new = _problem("Invoices arrive late.", days=0, interaction="n2")
    kill = MeetingVerdict(series="Weekly", verdict="kill", why="no decisions", evidence=[], playbook="p")
    keep = kill.model_copy(update={"verdict": "keep"})
    before = _report([old], [_risk("going_dark"), _risk("single_threaded", "medium")], [kill], "tactical")
    after = _report([new], [_risk("single_threaded", "high"), _risk("star_performer")], [keep], "mixed")
    found = [(c.change, c.kind, c.text.split(":")[0].split(";")[0]) for c in changes(before, after)]
    assert found == [
        ("new", "problem", "Mei Tanaka complained"),
        ("new", "risk", "star_performer (high)"),
        ("changed", "risk", "single_threaded"),
        ("changed", "engagement", "now mixed (was tactical)"),
        ("resolved", "problem", "Mei Tanaka’s complaint is owned now"),
        ("resolved", "risk", "going_dark"),
        ("resolved", "meeting", "Weekly"),
    ]
    assert changes(before, before) == []


def test_a_speaker_is_named_once():
    assert (
        without_speaker("Colm Byrne: Catalogue import is blocked.", "Colm Byrne")
        == "Catalogue import is blocked."
    )
    assert without_speaker("Colm: still blocked.", "Colm Byrne") == "still blocked."
    assert without_speaker("Ruth: noted.", "Colm Byrne") == "Ruth: noted."


def test_attention_orders_by_what_needs_a_rep_most():
    def account(name, problem_days=None, risk=None, engagement="strategic"):
        a = Attention(
            account_id=1,
            account=name,
            engagement=engagement,
            strategic=1,
            judged=2,
            trend="steady",
            oldest_problem=_problem("x", problem_days) if problem_days is not None else None,
            open_problems=1 if problem_days is not None else 0,
            top_risk=_risk("going_dark", risk) if risk else None,
            risks=1 if risk else 0,
        )
        a.score = score(a)
        return a

    ranked = by_attention(
        [
            account("Quiet"),
            account("Old problem", 120),
            account("Risky", risk="high"),
            account("Tactical", engagement="tactical"),
        ]
    )
    assert [a.account for a in ranked] == ["Old problem", "Risky", "Tactical", "Quiet"]
    assert ranked[-1].quiet


def test_a_note_is_cited_by_its_title_not_its_id():
    assert title_of("RE: checklists outage - root cause?", None, "…") == "RE: checklists outage - root cause?"
    assert title_of("quayside-weekly-2026-08-27", "Quayside weekly status", "…") == "Quayside weekly status"
    assert (
        title_of(None, None, "Mei,\nAttached is the baseline we promised. More.")
        == "Attached is the baseline we promised"
    )
    assert day(date(2026, 10, 21)) == "21 Oct 2026"


def test_the_playbook_reads_as_pages():
    playbook = load()
    meetings = playbook.get("meetings")
    assert meetings is not None
    assert meetings.next_steps("kill")[0].startswith("Replace it with a written update")
    assert playbook.by_path("knowledge/killers/single-threaded.md#what-to-do-next").code == "single_threaded"
    engagement = playbook.get("engagement")
    blocks = [b for s in engagement.sections for b in s.blocks()]
    assert {b.kind for b in blocks} == {"paragraph", "list"} or {b.kind for b in blocks} == {"paragraph"}
    assert any("**strategic**" in t for b in blocks for t in b.texts)
