"""The portfolio and account measures through every channel: /v1 (documented, access checked), the managers' page,
the CLI (with a bad CSV), and the weekly digest's top investment questions."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from coach.audit import Audit
from coach.auth import Users
from coach.config import get_settings
from coach.digest import DigestBuilder
from coach.digest.deliver import render_digest, slack_payload
from coach.ingest.pipeline import IngestPipeline
from coach.measures.book import MeasureBook
from coach.tenancy import Grants
from coach.workspace import Workspace
from tests.conftest import FIXTURES, shared_or_skip, write
from tests.portfolio_accounts import ACCOUNTS, AS_OF, build

runner = CliRunner()


@pytest.fixture
def env(workspace, pipeline):
    """Team A (Mia manages, Ana is a rep) holds Ashgrove, Birchfield and Cobalt; Team B holds Dunmore and Elm."""
    users = Users(workspace.db)
    ana = users.add("ana@vendor.example", "Ana Lima", "rep", "ana-password")
    users.add("mia@vendor.example", "Mia Chen", "manager", "mia-password")
    users.add("root@vendor.example", "Root Admin", "admin", "root-password")
    users.add_team("Team A")
    users.add_team("Team B")
    users.add_member("Team A", "ana@vendor.example")
    users.add_member("Team A", "mia@vendor.example", manages=True)
    build(pipeline, MeasureBook(workspace.db), logged_by=ana.id)  # Ana's team is granted what she logs
    grants = Grants(workspace.db)
    for account in ("Dunmore Glass", "Elm Street Bakery"):
        grants.grant(None, account, team="Team B")
    grants.revoke(None, "Dunmore Glass", team="Team A")
    tokens = {who: users.create_token(f"{who}@vendor.example", "t")[0] for who in ("ana", "mia", "root")}
    return TestClient(create_app(workspace.settings, workspace)), tokens


def bearer(tokens, who):
    return {"Authorization": f"Bearer {tokens[who]}"}


# --- /v1 ------------------------------------------------------------------------------------------------
def test_the_portfolio_api_answers_managers_with_their_teams_accounts_only(env, workspace):
    client, tokens = env
    body = client.get(f"/v1/portfolio?as_of={AS_OF}", headers=bearer(tokens, "mia")).json()
    assert body["scope"] == "Team A"
    assert sorted(a["account"] for a in body["accounts"]) == [
        "Ashgrove Dairy",
        "Birchfield Clinics",
        "Cobalt Rail",
    ]
    assert {d["kind"] for d in body["decisions"]} == {"habit", "under_served", "sacred_cow"}
    assert client.get("/v1/portfolio", headers=bearer(tokens, "ana")).status_code == 403
    assert client.get("/v1/portfolio?team=Team B", headers=bearer(tokens, "mia")).status_code == 404
    every = client.get(f"/v1/portfolio?as_of={AS_OF}", headers=bearer(tokens, "root")).json()
    assert len(every["accounts"]) == len(ACCOUNTS)
    assert client.get("/v1/portfolio").status_code == 401
    read = {e.account for e in Audit(workspace.db).events(action="read") if e.actor == "mia@vendor.example"}
    assert read == {"Ashgrove Dairy", "Birchfield Clinics", "Cobalt Rail"}


def test_measures_are_read_by_whoever_sees_the_account_and_set_by_its_managers(env):
    client, tokens = env
    url = "/v1/accounts/Ashgrove Dairy/measures"
    history = client.get(url, headers=bearer(tokens, "ana")).json()
    arr = next(m for m in history["measures"] if m["measure"] == "arr")
    assert [p["value"] for p in arr["history"]] == [100000.0, 100000.0]
    assert next(m for m in history["measures"] if m["measure"] == "csat")["current"] is None  # missing
    update = {"as_of": "2026-11-15", "arr": 120000, "nps": -12, "tier": "C"}
    assert client.put(url, json=update, headers=bearer(tokens, "ana")).status_code == 403  # a rep
    done = client.put(url, json=update, headers=bearer(tokens, "mia"))
    assert done.status_code == 200, done.text
    arr = next(m for m in done.json()["measures"] if m["measure"] == "arr")
    assert (
        arr["current"] == {"as_of": "2026-11-15", "value": 120000.0, "source": "api"}
        and len(arr["history"]) == 3
    )
    again = client.put(url, json={"as_of": "2026-11-15", "arr": 125000}, headers=bearer(tokens, "mia")).json()
    arr = next(m for m in again["measures"] if m["measure"] == "arr")
    assert (
        arr["current"]["value"] == 125000.0 and len(arr["history"]) == 3
    )  # the same day: the last write wins
    refused = {
        "future": {"as_of": "2099-01-01", "arr": 1},
        "nothing": {"as_of": "2026-11-15"},
        "negative": {"arr": -1},
        "nps": {"nps": 101},
        "unknown field": {"arr": 1, "owner": "x"},
        "text": {"tier": "\x00"},
        "not a number": {"arr": "lots"},
    }
    for why, body in refused.items():
        answer = client.put(url, json=body, headers=bearer(tokens, "mia"))
        assert answer.status_code == 422, (why, answer.text)
    assert (
        "in the future"
        in client.put(url, json=refused["future"], headers=bearer(tokens, "mia")).json()["detail"]
    )
    hidden = "/v1/accounts/Dunmore Glass/measures"
    assert client.get(hidden, headers=bearer(tokens, "mia")).status_code == 404
    assert client.put(hidden, json={"arr": 1}, headers=bearer(tokens, "mia")).status_code == 404
    assert client.put(hidden, json={"arr": 1}, headers=bearer(tokens, "root")).status_code == 200


def test_the_new_operations_are_documented(env):
    client, _ = env
    paths = client.get("/openapi.json").json()["paths"]
    measures = paths["/v1/accounts/{account}/measures"]
    assert {"get", "put"} <= set(measures) and "403" in measures["put"]["responses"]
    assert "403" in paths["/v1/portfolio"]["get"]["responses"]


# --- the page -------------------------------------------------------------------------------------------
def _sign_in(client, email, password):
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"email": email, "password": password, "csrf": csrf, "next": "/"})


def test_the_managers_page_names_the_decisions_with_their_evidence(env, workspace):
    client, _ = env
    html = {"accept": "text/html"}
    assert client.get("/portfolio", headers=html, follow_redirects=False).status_code == 303
    _sign_in(client, "mia@vendor.example", "mia-password")
    page = client.get(f"/portfolio?as_of={AS_OF}", headers=html)
    assert page.status_code == 200 and 'href="/portfolio"' in page.text
    for words in (
        "Under-served",
        "Habit",
        "Sacred cow",
        "Birchfield Clinics",
        "Cobalt weekly status",
        "renews in 45",
    ):
        assert words in page.text, words
    assert "Dunmore Glass" not in page.text and "knowledge/" not in page.text
    assert "Grace complained that the scheduling export fails every Monday morning" in page.text
    assert client.get("/portfolio?as_of=tomorrow", headers=html).status_code == 422
    assert client.get("/portfolio?team=Team B", headers=html).status_code == 404
    rep = TestClient(create_app(workspace.settings, workspace))
    _sign_in(rep, "ana@vendor.example", "ana-password")
    assert rep.get("/portfolio", headers=html).status_code == 403
    assert 'href="/portfolio"' not in rep.get("/", headers=html).text


# --- the digest -----------------------------------------------------------------------------------------
def _questions(workspace):
    from coach.analysis.service import Analyzer
    from coach.portfolio import PortfolioService
    from coach.portfolio.digest_section import InvestmentQuestions

    return InvestmentQuestions(PortfolioService(workspace, Analyzer(workspace)))


def test_the_digest_names_the_teams_top_investment_questions_with_evidence(env, workspace):
    from tests.test_digest_weeks import _ids, _visible, _without_links, assert_reads_well

    workspace.settings = workspace.settings.model_copy(update={"app_url": "https://coach.example"})
    builder = DigestBuilder(workspace, sections=[_questions(workspace)])
    digest = builder.build("mia@vendor.example", "2026-W47")  # 16 to 22 November 2026
    (section,) = digest.sections
    assert section.title == "Top investment questions" and 1 <= len(section.findings) <= 3
    assert {f.account for f in section.findings} <= {"Ashgrove Dairy", "Birchfield Clinics", "Cobalt Rail"}
    assert len({f.account for f in section.findings}) == len(section.findings)  # one per account first
    for f in section.findings:
        assert f.next_step and f.source and f.source.quote and f.guide
        assert re.match(r"\d{1,2} \w{3} \d{4}, \w+: \S", f.source.label), f.source.label  # date, kind: title
        assert f.account_url.startswith("https://coach.example/accounts/")
        assert f.guide.url == "https://coach.example/playbook/investment"
    first = section.findings[0]
    assert first.what.startswith(("Who is investing in", "Is ", "Does the"))
    assert not first.next_step.startswith(("Habit:", "Under-served:", "Sacred cow:"))  # the title says it
    assert section.more and section.more.url == "https://coach.example/portfolio"
    ids = _ids(workspace)
    for format_ in ("md", "text"):
        text = render_digest(digest, format_)
        assert "Top investment questions" in text.replace(
            "TOP INVESTMENT QUESTIONS", "Top investment questions"
        )
        assert first.what in " ".join(text.split()) and "https://coach.example/portfolio" in text
        assert_reads_well(_without_links(text), ids)
    html = render_digest(digest, "html")
    assert "Top investment questions" in html and 'href="https://coach.example/portfolio"' in html
    assert_reads_well(_visible(html), ids)
    order = [html.index(h) for h in ("At a glance", "Top investment questions", "What to coach, rep by rep")]
    assert order == sorted(order)
    blocks = json.dumps(slack_payload(digest), ensure_ascii=False)
    assert "*Top investment questions*" in blocks and "|The whole portfolio>" in blocks
    lonely = Users(workspace.db).add("lou@vendor.example", "Lou", "manager")
    assert builder.build(lonely.email, "2026-W47").sections == []


def test_the_investment_questions_keep_a_big_teams_email_under_the_clipping_limit(env, workspace):
    """Main's limit: 200 accounts of news stay under 80 kB of HTML (Gmail clips at 102 kB); the section adds three
    lines, whatever the size of the team."""
    digest = DigestBuilder(workspace, sections=[_questions(workspace)]).build(
        "mia@vendor.example", "2026-W47"
    )
    accounts = [
        a.model_copy(update={"account": f"{a.account} {i}", "account_id": 1000 + 10 * i + n}, deep=True)
        for i in range(200 // max(1, len(digest.accounts)) + 1)
        for n, a in enumerate(digest.accounts)
    ][:200]
    big = digest.model_copy(update={"accounts": accounts})
    assert len(big.accounts) == 200 and len(big.sections[0].findings) == 3
    images = {c.cid: f"cid:{c.cid}@coach.local" for c in big.images}
    html = render_digest(big, "html", images=images)
    assert "Top investment questions" in html and len(html.encode()) < 80_000
    without = render_digest(big.model_copy(update={"sections": []}), "html", images=images)
    assert len(html.encode()) - len(without.encode()) < 5_000  # three lines and a link, at any team size


# --- the CLI ------------------------------------------------------------------------------------------
@pytest.fixture
def cli_store(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("COACH_INTERNAL_DOMAINS", "atlasfieldcloud.com")
    get_settings.cache_clear()
    ws = Workspace(get_settings())
    build(IngestPipeline(ws), MeasureBook(ws.db))
    ws.close()
    yield tmp_path
    get_settings.cache_clear()


def test_the_cli_imports_measures_and_prints_the_portfolio(cli_store):
    from coach.cli import app

    bad = write(
        cli_store / "crm.csv",
        "Company,Snapshot Date,Contract Value,Net Promoter Score,Region\n"
        "Ashgrove Dairy,2026-11-01,110000,22,North\n"
        "Ashgrove Diary,2026-11-01,1,,North\n"
        "Cobalt Rail,2026-11-01,150000,abc,South\n"
        "Cobalt Rail,2026-11-01,160000,,South\n"
        "Dunmore Glass,2030-01-01,1,,South\n",
    )
    result = runner.invoke(app, ["ingest", "--measures", str(bad), "--map", "nps=Net Promoter Score"])
    assert result.exit_code == 1, result.output
    out = " ".join(result.output.split())
    assert (
        "added 3" in out
        and "unknown account 'Ashgrove Diary'" in out
        and "Did you mean Ashgrove Dairy?" in out
    )
    assert (
        "NPS 'abc' is not a number" in out and "in the future" in out and "later row's values are kept" in out
    )
    assert "columns not read: Region" in out
    shown = json.loads(runner.invoke(app, ["measures", "Ashgrove Dairy", "--json"]).output)
    assert next(m for m in shown["measures"] if m["measure"] == "nps")["current"]["value"] == 22.0
    md = runner.invoke(app, ["portfolio", "--as-of", AS_OF.isoformat()])
    assert md.exit_code == 0 and "## Investment decisions to make" in md.output and "Sacred cow" in md.output
    as_json = json.loads(
        runner.invoke(app, ["portfolio", "--as-of", AS_OF.isoformat(), "--format", "json"]).output
    )
    assert as_json["totals"]["accounts"] == len(ACCOUNTS)
    as_csv = runner.invoke(app, ["portfolio", "--as-of", AS_OF.isoformat(), "--format", "csv"]).output
    assert as_csv.startswith("account,effort,value,") and as_csv.count("\n") == len(ACCOUNTS) + 1
    assert runner.invoke(app, ["portfolio", "--team", "Nowhere"]).exit_code == 1
    assert runner.invoke(app, ["portfolio", "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, ["ingest", "--measures", str(bad), "--map", "owner=Region"]).exit_code == 2


# --- the dev set --------------------------------------------------------------------------------------
def test_the_dev_set_with_its_measures_yields_a_portfolio_a_manager_can_act_on(workspace, pipeline):
    import datetime as dt

    from coach.analysis.service import Analyzer
    from coach.ingest import read_file
    from coach.ingest.measures_csv import read_measures_csv
    from coach.portfolio import PortfolioService

    pipeline.ingest(read_file(shared_or_skip("eval", "dev", "interactions.jsonl"), pipeline.defaults()))
    data = (FIXTURES / "measures" / "dev-measures.csv").read_bytes()
    rows = read_measures_csv(
        data, "dev-measures.csv", {"retention": "Gross Retention %"}, dt.date(2026, 12, 6)
    )
    imported = MeasureBook(workspace.db).import_rows(rows, None)
    assert not imported.refused and imported.written.added > 90
    service = PortfolioService(workspace, Analyzer(workspace))
    result = service.build(service.scope(None), dt.date(2026, 11, 20))
    found = {(d.kind, d.account) for d in result.decisions if d.kind != "sacred_cow"}
    assert found == {
        ("habit", "Halvorsen Foods"),
        ("under_served", "Marlow Consumer Brands"),
        ("under_served", "Oakridge Pharmacy Supply"),
        ("under_served", "Castellano Beverage Co."),
    }
    cows = {d.series for d in result.decisions if d.kind == "sacred_cow"}
    assert {"Kestrel weekly sync", "Halvorsen pipeline review", "Castellano S&OP sync"} <= cows
    assert not any(
        d.account in ("Sundberg Retail Group", "Brightwater Pharma Distribution") for d in result.decisions
    )
