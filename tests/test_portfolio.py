"""The portfolio (the first coaching question: which investment decisions are being avoided): account measures
with their history and bad input, effort from the records, each decision on an account built for it, the empty and
missing cases, and who sees what."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from coach.analysis.service import Analyzer
from coach.auth import Users
from coach.errors import Forbidden, InvalidInput, NotFound
from coach.ingest.jsonl import record_from_object
from coach.ingest.measures_csv import read_measures_csv
from coach.measures import CODES, check_as_of, parse_value
from coach.measures.book import Entry, MeasureBook
from coach.portfolio import PortfolioService, top_questions
from coach.portfolio.render import render_csv, render_markdown
from coach.store.repository import Repository
from coach.tenancy import Grants
from tests.portfolio_accounts import ACCOUNTS, AS_OF, build

TODAY = dt.date(2026, 12, 6)


@pytest.fixture
def built(workspace, pipeline):
    return build(pipeline, MeasureBook(workspace.db))


def portfolio(workspace, user=None, team=None, as_of=AS_OF):
    service = PortfolioService(workspace, Analyzer(workspace))
    return service.build(service.scope(user, team), as_of)


def texts(workspace) -> dict[str, str]:
    with workspace.db.session() as session:
        return {r.id: " ".join(r.raw_text.split()) for r in Repository(session).interactions()}


# --- values ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "raw", "expected"),
    [
        ("arr", "$1,200,000", 1200000.0),
        ("arr", "EUR 95 000", 95000.0),
        ("arr", "420000.50", 420000.5),
        ("csat", "92%", 92.0),
        ("nps", "-18", -18.0),
        ("retention", "104", 104.0),
        ("renewal_date", "2027-03-31", "2027-03-31"),
        ("tier", "  Strategic  ", "Strategic"),
        ("nps", "n/a", None),
        ("arr", "", None),
        ("csat", "-", None),
    ],
)
def test_values_are_read_as_written(code, raw, expected):
    assert parse_value(code, raw) == expected


@pytest.mark.parametrize(
    ("code", "raw", "message"),
    [
        ("arr", "1.2M", "abbreviated"),
        ("arr", "about 90k", "not a number"),
        ("arr", "-5000", "negative"),
        ("lifetime_value", "lots", "not a number"),
        ("nps", "140", "too large"),
        ("nps", "-101", "below -100"),
        ("retention", "0.92", "looks like a fraction"),
        ("csat", "101%", "too large"),
        ("renewal_date", "someday", "not a date"),
        ("tier", "x" * 51, "1 to 50"),
    ],
)
def test_bad_values_are_refused_with_what_to_change(code, raw, message):
    with pytest.raises(InvalidInput, match=message):
        parse_value(code, raw)


def test_a_value_dated_in_the_future_is_refused():
    assert check_as_of(TODAY + dt.timedelta(days=1), TODAY)  # a day ahead: time zones
    with pytest.raises(InvalidInput, match="in the future"):
        check_as_of(TODAY + dt.timedelta(days=2), TODAY)


# --- measures with their history ----------------------------------------------------------------------
def test_measures_keep_their_history_and_the_same_day_again_replaces_the_value(workspace, built):
    book = MeasureBook(workspace.db)
    dunmore = built["Dunmore Glass"]
    written = book.put([Entry(dunmore, "arr", dt.date(2026, 10, 1), 210000.0, "fix")], None)
    assert (written.added, written.changed) == (0, 1)
    again = book.put([Entry(dunmore, "arr", dt.date(2026, 10, 1), 210000.0, "fix")], None)
    assert again.unchanged == 1
    found = book.of(dunmore, "Dunmore Glass", AS_OF)
    assert [(p.as_of, p.value) for p in found.history("arr")] == [
        (dt.date(2025, 11, 1), 160000.0),
        (dt.date(2026, 10, 1), 210000.0),
    ]
    assert found.current("arr") == 210000.0 and found.current("tier") == "B"
    assert book.of(dunmore, "Dunmore Glass", dt.date(2026, 1, 1)).current("arr") == 160000.0  # as it was then
    assert [m.measure for m in found.measures] == list(CODES)


def test_an_account_with_no_measures_shows_every_one_missing(workspace, built):
    found = MeasureBook(workspace.db).of(built["Elm Street Bakery"], "Elm Street Bakery", AS_OF)
    assert not found.recorded and all(m.current is None and m.history == [] for m in found.measures)


def test_a_measures_csv_keeps_the_good_rows_and_says_what_it_refused(workspace, built):
    before = len(stored_account_names(workspace))
    data = (
        b"Account Name,As Of,ARR,NPS,Gross Retention %,Renewal Date\n"
        b'Ashgrove Dairy,2026-11-01,"$105,000",31,97%,2027-09-30\n'  # good
        b"Ashgrove Diary,2026-11-01,90000,,,\n"  # unknown (a typo): listed, not created
        b"Birchfield Clinics,2026-11-01,950000,about 40,,\n"  # a bad NPS: left out, the ARR kept
        b"Cobalt Rail,2026-11-01,-5000,12,,\n"  # a negative ARR: left out, the NPS kept
        b"Dunmore Glass,2027-06-01,250000,,,\n"  # dated in the future: refused
        b"Cobalt Rail,2026-11-01,155000,,,\n"  # the same account and date again: the later row wins
        b"Dunmore Glass,2026-11-01,1.2M,,0.92,\n"  # abbreviated, a fraction: both refused
        b",2026-11-01,5000,,,\n"  # no account: refused, not guessed
        b"Elm Street Bakery,last spring,40000,,,\n"  # not a date: refused
    )
    rows = read_measures_csv(data, "crm.csv", {"retention": "Gross Retention %"}, TODAY)
    result = MeasureBook(workspace.db).import_rows(rows, None)
    reasons = {r.origin: r.reason for r in result.rejected}
    assert set(result.unknown) == {"Ashgrove Diary"} and result.unknown["Ashgrove Diary"] == ["crm.csv:3"]
    assert result.suggestions["Ashgrove Diary"] == ["Ashgrove Dairy"]
    assert len(stored_account_names(workspace)) == before  # nothing created
    assert (
        "NPS 'about 40' is not a number" in reasons["crm.csv:4"]
        and "other values are kept" in reasons["crm.csv:4"]
    )
    assert "negative" in reasons["crm.csv:5"]
    assert "in the future" in reasons["crm.csv:6"]
    assert sum(1 for r in result.rejected if r.origin == "crm.csv:8") == 2
    assert "no account name" in reasons["crm.csv:9"] and "not a date" in reasons["crm.csv:10"]
    assert result.duplicates == [
        "crm.csv:7 repeats crm.csv:5 (Cobalt Rail, 2026-11-01): the later row's values are kept"
    ]
    book = MeasureBook(workspace.db)
    ashgrove = book.of(built["Ashgrove Dairy"], "Ashgrove Dairy", TODAY)
    assert (ashgrove.current("arr"), ashgrove.current("nps"), ashgrove.current("retention")) == (
        105000.0,
        31.0,
        97.0,
    )
    assert book.of(built["Birchfield Clinics"], "B", TODAY).current("arr") == 950000.0
    cobalt = book.of(built["Cobalt Rail"], "C", TODAY)
    assert (cobalt.current("arr"), cobalt.current("nps")) == (155000.0, 12.0)
    assert book.of(built["Dunmore Glass"], "D", TODAY).current("arr") == 200000.0  # unchanged by refused rows
    assert result.refused


def test_a_measures_csv_without_an_account_or_a_measure_column_says_how_to_map_one():
    (no_account,) = read_measures_csv(b"Company Size,ARR\n10,5\n", "a.csv", {}, TODAY)
    assert "no account column" in no_account.reason and "--map account=" in no_account.reason
    (no_measure,) = read_measures_csv(b"Account,Region\nAcme,North\n", "b.csv", {}, TODAY)
    assert "no measure column" in no_measure.reason and "--map arr=" in no_measure.reason
    (empty,) = read_measures_csv(b"", "c.csv", {}, TODAY)
    assert "empty" in empty.reason


def stored_account_names(workspace) -> list[str]:
    with workspace.db.session() as session:
        return Repository(session).account_names()


# --- effort -------------------------------------------------------------------------------------------
def test_effort_counts_our_people_in_the_room_and_never_guesses_a_missing_length(workspace, pipeline):
    notes = [
        {
            "id": "f-1",
            "kind": "meeting",
            "date": "2026-11-02",
            "duration_minutes": 90,
            "participants": [
                {"name": "Rita Vance", "email": "rita.vance@atlasfieldcloud.com", "side": "internal"},
                {"name": "Omar Haddad", "email": "omar.haddad@atlasfieldcloud.com", "side": "internal"},
                {"name": "Ines Ruiz", "side": "customer"},
            ],
        },
        {"id": "f-2", "kind": "meeting", "date": "2026-11-09"},
        {"id": "f-3", "kind": "email", "date": "2026-11-10", "duration_minutes": 30},
        {"id": "f-4", "kind": "call", "date": "2026-06-01", "duration_minutes": 30},
    ]
    pipeline.ingest(
        [
            record_from_object(
                {
                    "account": "Fenwick Ports",
                    "rep": "Rita Vance",
                    "text": "Talked about the berth schedule.",
                    **n,
                },
                n["id"],
            )
            for n in notes
        ]
    )
    (account,) = portfolio(workspace).accounts
    e = account.effort
    assert (e.interactions, e.meetings, e.meeting_hours, e.unmeasured_meetings) == (3, 2, 3.0, 1)
    assert (
        e.our_people == ["Omar Haddad", "Rita Vance"] and e.previous_interactions == 1 and e.trend == "rising"
    )
    assert e.since == dt.date(2026, 8, 23) and sum(e.monthly) == 4


# --- the decisions -------------------------------------------------------------------------------------
def test_each_decision_is_named_on_the_account_built_for_it_and_argued(workspace, built):
    result = portfolio(workspace)
    assert {(d.kind, d.account) for d in result.decisions} == {
        ("habit", "Ashgrove Dairy"),
        ("under_served", "Birchfield Clinics"),
        ("sacred_cow", "Cobalt Rail"),
    }
    by_kind = {d.kind: d for d in result.decisions}
    habit, under, cow = by_kind["habit"], by_kind["under_served"], by_kind["sacred_cow"]
    assert "8 interactions and 12.0 hours" in habit.why and "0 of 8 strategic" in habit.why
    assert "flat (+0%) since 2025-11-01" in habit.why and "no customer objective" in habit.why
    assert (
        "renews in 45 days" in under.why and "2 customer problems nobody owned" in under.why
    )  # the export and the expansion question
    assert "67% of the team's recorded ARR" in under.why and under.question.startswith("Who is investing")
    assert cow.series == "Cobalt weekly status" and "16.0 hours" in cow.why and "verdict: kill" in cow.why
    stored = texts(workspace)
    for d in result.decisions:
        assert d.evidence and all(" ".join(e.quote.split()) in stored[e.interaction] for e in d.evidence)
        assert all(stored[i] for i in d.interactions)
        assert d.next_step.startswith(d.title + ":") and d.playbook == "knowledge/investment.md"
    assert cow.next_step.endswith(
        "spend the hour on one strategic conversation instead."
    )  # the kill step too
    placed = {a.account: a.placement for a in result.accounts}
    assert (placed["Ashgrove Dairy"].effort, placed["Ashgrove Dairy"].engagement) == ("high", "tactical")
    assert (placed["Birchfield Clinics"].value, placed["Birchfield Clinics"].effort) == ("high", "low")
    assert (placed["Dunmore Glass"].engagement, placed["Dunmore Glass"].value) == ("strategic", "medium")


def test_an_account_whose_effort_is_its_sacred_cow_is_not_also_a_habit(workspace, built):
    cobalt = next(a for a in portfolio(workspace).accounts if a.account == "Cobalt Rail")
    assert cobalt.placement.effort == "high" and cobalt.decisions == ["sacred_cow"]


def test_no_value_recorded_is_shown_as_missing_never_guessed(workspace, built):
    result = portfolio(workspace)
    elm = next(a for a in result.accounts if a.account == "Elm Street Bakery")
    assert elm.value.arr is None and elm.placement.value == "unknown" and elm.placement.effort == "none"
    assert elm.engagement is None and elm.decisions == [] and len(elm.value.missing) == len(CODES)
    cobalt = next(a for a in result.accounts if a.account == "Cobalt Rail")
    assert cobalt.value.renewal_date is None and cobalt.value.arr_trend == "unknown"
    assert result.totals.accounts_without_arr == 1
    text = render_markdown(result)
    assert "| Elm Street Bakery | 0 (none, 0 before) | 0.0 | 0 | – | not recorded | not recorded |" in text
    assert "ARR not recorded for 1" in text
    rows = {r["account"]: r for r in csv.DictReader(io.StringIO(render_csv(result)))}
    assert rows["Elm Street Bakery"]["arr"] == "" and rows["Elm Street Bakery"]["value"] == "unknown"
    assert rows["Birchfield Clinics"]["nps"] == "35.0" and rows["Ashgrove Dairy"]["decisions"] == "habit"


def test_an_empty_portfolio_says_so(workspace):
    Users(workspace.db).add_team("Nobody")
    result = portfolio(workspace, team="Nobody")
    assert result.accounts == [] and result.decisions == [] and result.totals.accounts == 0
    assert "No accounts in this portfolio yet" in render_markdown(result)
    assert render_csv(result).count("\n") == 1  # the header alone
    assert portfolio(workspace).accounts == []  # nothing at all in the store


def test_the_top_questions_are_at_most_three_one_per_account_first(workspace, built):
    result = portfolio(workspace)
    top = top_questions(result, 2)
    assert len(top) == 2 and len({d.account for d in top}) == 2
    assert top[0] == result.decisions[0]
    assert len(top_questions(result)) == 3


# --- who sees what --------------------------------------------------------------------------------------
@pytest.fixture
def teams(workspace, built):
    """Team A holds Ashgrove, Birchfield and Cobalt (Mia manages it, Ana is in it); Team B holds Dunmore and Elm."""
    users = Users(workspace.db)
    for email, name, role in [
        ("ana@vendor.example", "Ana Lima", "rep"),
        ("mia@vendor.example", "Mia Chen", "manager"),
        ("bo@vendor.example", "Bo Berg", "manager"),
        ("root@vendor.example", "Root Admin", "admin"),
    ]:
        users.add(email, name, role, f"{email.split('@')[0]}-password")
    users.add_team("Team A")
    users.add_team("Team B")
    users.add_member("Team A", "ana@vendor.example")
    users.add_member("Team A", "mia@vendor.example", manages=True)
    users.add_member("Team B", "bo@vendor.example", manages=True)
    grants = Grants(workspace.db)
    for account in ACCOUNTS:
        grants.grant(None, account, team="Team A" if account < "D" else "Team B")
    return users


def test_a_manager_sees_the_portfolio_of_the_teams_they_manage_and_nothing_else(workspace, teams):
    mia, ana, root = (teams.by_email(f"{w}@vendor.example") for w in ("mia", "ana", "root"))
    mine = portfolio(workspace, mia)
    assert mine.scope == "Team A"
    assert [a.account for a in mine.accounts] == ["Ashgrove Dairy", "Cobalt Rail", "Birchfield Clinics"]
    assert {d.account for d in mine.decisions} <= {"Ashgrove Dairy", "Birchfield Clinics", "Cobalt Rail"}
    with pytest.raises(NotFound):
        portfolio(workspace, mia, team="Team B")
    with pytest.raises(Forbidden):
        portfolio(workspace, ana)
    assert len(portfolio(workspace, root).accounts) == len(ACCOUNTS)
    assert [a.account for a in portfolio(workspace, root, team="Team B").accounts] == [
        "Dunmore Glass",
        "Elm Street Bakery",
    ]
    with pytest.raises(NotFound):
        portfolio(workspace, root, team="Team\x00B")
