"""The JSON API and the web pages against the app: tokens, visibility, limits, forms and CSRF."""

import json
import re
from datetime import date, timedelta
from importlib import resources

import jsonschema
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from coach.auth import Users
from coach.ingest.bundled import load_sample
from coach.ingest.pipeline import IngestPipeline
from tests.conftest import SHARED

NOTE = {
    "account": "Pinecrest Utilities",
    "kind": "call",
    "date": "2026-11-18",
    "text": "Call with Mei. Mei complained that the crew app crashes when the signal drops and asked for offline "
    "mode before the storm season. I said I'd check with product.",
}


@pytest.fixture
def app_env(workspace):
    """Two teams: Ana (team A) logged the sample; Ben (team B) logged one account; Mia manages team A."""
    users = Users(workspace.db)
    ana = users.add("ana@vendor.example", "Ana Lima", "rep", "ana-password")
    ben = users.add("ben@vendor.example", "Ben Okafor", "rep", "ben-password")
    users.add("mia@vendor.example", "Mia Chen", "manager", "mia-password")
    users.add("root@vendor.example", "Root Admin", "admin", "root-password")
    for team in ("Team A", "Team B"):
        users.add_team(team)
    users.add_member("Team A", "ana@vendor.example")
    users.add_member("Team A", "mia@vendor.example", manages=True)
    users.add_member("Team B", "ben@vendor.example")
    load_sample(_Attributed(IngestPipeline(workspace), ana.id))
    pipeline = IngestPipeline(workspace)
    pipeline.ingest(
        pipeline_records(
            pipeline,
            [
                {
                    "account": "Bravo Freight",
                    "kind": "note",
                    "date": "2026-10-01",
                    "text": "Bravo's ops lead complained that invoices arrive late.",
                }
            ],
        ),
        logged_by=ben.id,
    )
    tokens = {
        who: users.create_token(f"{who}@vendor.example", "test")[0] for who in ("ana", "ben", "mia", "root")
    }
    client = TestClient(create_app(workspace.settings, workspace))
    return client, tokens, users


class _Attributed:
    """An ingest pipeline that logs everything as one user (the sample loader does not take a user)."""

    def __init__(self, pipeline, user_id):
        self.pipeline, self.user_id = pipeline, user_id

    def defaults(self, **kw):
        return self.pipeline.defaults(**kw)

    def ingest(self, items, on_item=None):
        return self.pipeline.ingest(items, on_item, logged_by=self.user_id)


def pipeline_records(pipeline, objects):
    from coach.ingest.jsonl import read_jsonl

    return read_jsonl("\n".join(json.dumps(o) for o in objects).encode(), "t.jsonl", pipeline.defaults())


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_note_posted_with_a_token_is_stored_and_visible_to_the_team(app_env):
    client, tokens, _ = app_env
    response = client.post("/v1/interactions", json=NOTE, headers=auth(tokens["ana"]))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "added" and body["interaction"]["account"] == "Pinecrest Utilities"
    again = client.post("/v1/interactions", json=NOTE, headers=auth(tokens["ana"]))
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    got = client.get(f"/v1/interactions/{body['interaction']['id']}", headers=auth(tokens["mia"]))
    assert got.status_code == 200 and got.json()["text"] == NOTE["text"]
    listed = client.get(
        "/v1/accounts/Pinecrest Utilities/interactions?limit=2", headers=auth(tokens["ana"])
    ).json()
    assert listed[0]["id"] == body["interaction"]["id"] and len(listed) == 2


def test_the_report_follows_the_contract_and_cites_the_new_note(app_env):
    client, tokens, _ = app_env
    created = client.post("/v1/interactions", json=NOTE, headers=auth(tokens["ana"])).json()["interaction"][
        "id"
    ]
    report = client.get(
        "/v1/accounts/Pinecrest Utilities/report?as_of=2026-11-20", headers=auth(tokens["ana"])
    )
    assert report.status_code == 200
    schema_path = SHARED / "contract" / "report.schema.json"
    schema = json.loads(
        schema_path.read_text()
        if schema_path.exists()
        else (resources.files("coach") / "contract" / "report.schema.json").read_text()
    )
    jsonschema.validate(report.json(), schema)
    problems = report.json()["accounts"][0]["unaddressed_problems"]
    assert any(p["raised_in"] == created for p in problems)


def test_brief_and_search_over_the_api(app_env):
    client, tokens, _ = app_env
    brief = client.get(
        "/v1/accounts/Quayside Elevators/brief",
        params={"meeting": "weekly status", "date": "2026-11-20", "attendees": "Niamh Doyle"},
        headers=auth(tokens["ana"]),
    )
    assert brief.status_code == 200 and brief.json()["series"] == "Quayside weekly status"
    hits = client.get("/v1/search", params={"q": "outages and storms"}, headers=auth(tokens["ana"])).json()
    assert hits and {h["account"] for h in hits} <= {
        "Pinecrest Utilities",
        "Harbor & Vine Hospitality",
        "Norrland Medical Devices",
        "Quayside Elevators",
    }


def test_a_rep_of_another_team_gets_404_everywhere(app_env):
    client, tokens, _ = app_env
    ben = auth(tokens["ben"])
    assert [a["name"] for a in client.get("/v1/accounts", headers=ben).json()] == ["Bravo Freight"]
    for path in (
        "/v1/accounts/Pinecrest Utilities/report",
        "/v1/accounts/Pinecrest Utilities/brief",
        "/v1/accounts/Pinecrest Utilities/interactions",
        "/v1/interactions/smp-001",
        "/v1/accounts/No Such Account/report",
    ):
        response = client.get(path, headers=ben)
        assert response.status_code == 404, path
    hits = client.get("/v1/search", params={"q": "outages and storms"}, headers=ben).json()
    assert all(h["account"] == "Bravo Freight" for h in hits)
    assert (
        client.get("/v1/search", params={"q": "x", "account": "Pinecrest Utilities"}, headers=ben).status_code
        == 404
    )
    # writing into another team's account is refused (403: it is another team's; ask for access), and so is
    # writing over one of its ids
    refused = client.post("/v1/interactions", json=NOTE, headers=ben)
    assert refused.status_code == 403 and "belongs to another team" in refused.json()["detail"]
    assert "Mei" not in refused.text and "interaction" not in refused.json()
    stolen = dict(NOTE, account="Bravo Freight", id="smp-001")
    assert client.post("/v1/interactions", json=stolen, headers=ben).status_code == 422
    # the manager of team A and the admin see team A's accounts; the admin sees everything
    assert (
        client.get("/v1/accounts/Pinecrest Utilities/report", headers=auth(tokens["mia"])).status_code == 200
    )
    assert len(client.get("/v1/accounts", headers=auth(tokens["root"])).json()) == 5


def test_tokens_are_stored_hashed_and_revocation_is_immediate(app_env, workspace):
    client, tokens, users = app_env
    from sqlalchemy import select

    from coach.store.schema import ApiTokenRow

    with workspace.db.session() as session:
        stored = [r.token_hash for r in session.scalars(select(ApiTokenRow))]
    assert tokens["ana"] not in stored and all(len(h) == 64 for h in stored)
    assert client.get("/v1/accounts", headers=auth(tokens["ana"])).status_code == 200
    (info,) = [t for t in users.tokens() if t.user == "ana@vendor.example"]
    users.revoke_token(info.id)
    assert client.get("/v1/accounts", headers=auth(tokens["ana"])).status_code == 401
    assert client.get("/v1/accounts", headers=auth("coach_not-a-token")).status_code == 401
    assert client.get("/v1/accounts").status_code == 401


def test_limits_and_bad_input_get_clear_answers(app_env, workspace):
    client, tokens, _ = app_env
    ana = auth(tokens["ana"])
    big = dict(NOTE, text="x" * (workspace.settings.api_max_text_bytes + 1))
    response = client.post("/v1/interactions", json=big, headers=ana)
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    response = client.post("/v1/interactions", json=dict(NOTE, colour="blue"), headers=ana)
    assert response.status_code == 422 and "colour" in json.dumps(response.json())
    future = (date.today() + timedelta(days=30)).isoformat()
    response = client.post("/v1/interactions", json=dict(NOTE, date=future), headers=ana)
    assert response.status_code == 422 and "future" in response.json()["detail"]
    response = client.post("/v1/interactions", json=dict(NOTE, date="1970-01-01"), headers=ana)
    assert response.status_code == 422 and "before 1990" in response.json()["detail"]
    response = client.post("/v1/interactions", json=dict(NOTE, date="next tuesday"), headers=ana)
    assert response.status_code == 422
    too_many = {"interactions": [NOTE] * (workspace.settings.api_max_batch + 1)}
    assert client.post("/v1/interactions/batch", json=too_many, headers=ana).status_code == 413


def test_a_batch_keeps_the_good_records_when_some_are_bad(app_env):
    client, tokens, _ = app_env
    batch = {
        "interactions": [
            dict(NOTE, id="b-1"),
            {"account": "Pinecrest Utilities", "text": ""},
            dict(NOTE, id="b-3", date="2026-02-30"),
            dict(NOTE, id="b-4", unknown="x"),
            dict(NOTE, id="b-5", text=NOTE["text"] + " Follow-up booked."),
            "not an object",
        ]
    }
    response = client.post("/v1/interactions/batch", json=batch, headers=auth(tokens["ana"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["added"], body["rejected"]) == (2, 4)
    statuses = [(i["index"], i["status"]) for i in body["items"]]
    assert statuses == [
        (0, "added"),
        (1, "rejected"),
        (2, "rejected"),
        (3, "rejected"),
        (4, "added"),
        (5, "rejected"),
    ]
    assert all(i["reason"] for i in body["items"] if i["status"] == "rejected")


def test_session_cookies_authorise_reads_only(app_env):
    client, _tokens, _ = app_env
    _sign_in(client, "ana@vendor.example", "ana-password")
    assert client.get("/v1/accounts").status_code == 200
    assert client.post("/v1/interactions", json=NOTE).status_code == 401  # writes need a token


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _sign_in(client, email, password):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf": _csrf(page.text), "next": "/"},
        follow_redirects=False,
    )


def test_web_sign_in_paste_and_see_cited_flags(app_env):
    client, _, _ = app_env
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    wrong = _sign_in(client, "ana@vendor.example", "not-her-password")
    assert wrong.status_code == 400 and "do not match" in wrong.text
    assert _sign_in(client, "ana@vendor.example", "ana-password").status_code == 303
    home = client.get("/")
    assert "Pinecrest Utilities" in home.text and "Bravo Freight" not in home.text
    posted = client.post(
        "/notes",
        data={
            "account": "Pinecrest Utilities",
            "kind": "call",
            "date": "2026-11-02",
            "participants": "Mei Tanaka",
            "series": "",
            "text": NOTE["text"],
            "csrf": _csrf(home.text),
        },
        follow_redirects=False,
    )
    assert posted.status_code == 303
    page = client.get(posted.headers["location"])
    assert "Logged to Pinecrest Utilities" in page.text
    assert "Mei complained that the crew app crashes" in page.text  # the fact, quoted
    assert "Customer problems nobody owned" in page.text
    for header in ("content-security-policy", "x-frame-options", "x-content-type-options"):
        assert header in page.headers


def test_a_form_with_an_error_comes_back_with_what_was_typed(app_env):
    client, _, _ = app_env
    _sign_in(client, "ana@vendor.example", "ana-password")
    home = client.get("/")
    text = "Long note the rep does not want to type again <b>bold</b>"
    response = client.post(
        "/notes",
        data={
            "account": "",
            "kind": "call",
            "date": "2026-11-02",
            "participants": "Mei",
            "series": "Weekly",
            "text": text,
            "csrf": _csrf(home.text),
        },
    )
    assert response.status_code == 422
    assert "Long note the rep does not want to type again &lt;b&gt;bold&lt;/b&gt;" in response.text
    assert (
        'value="Mei"' in response.text
        and 'value="Weekly"' in response.text
        and "Pick an account" in response.text
    )
    future = (date.today() + timedelta(days=30)).isoformat()
    response = client.post(
        "/notes",
        data={
            "account": "Pinecrest Utilities",
            "kind": "call",
            "date": future,
            "participants": "",
            "series": "",
            "text": text,
            "csrf": _csrf(home.text),
        },
    )
    assert (
        response.status_code == 422
        and "in the future" in response.text
        and "Long note the rep" in response.text
    )


def test_forms_without_the_csrf_token_are_refused(app_env):
    client, _, _ = app_env
    _sign_in(client, "ana@vendor.example", "ana-password")
    response = client.post("/notes", data={"account": "Pinecrest Utilities", "kind": "call", "text": "hello"})
    assert response.status_code == 403
    login = client.post(
        "/login", data={"email": "ana@vendor.example", "password": "ana-password", "csrf": "forged"}
    )
    assert login.status_code == 403


def test_web_pages_answer_404_for_another_teams_account(app_env, workspace):
    client, _, _ = app_env
    from coach.store.repository import Repository

    with workspace.db.session() as session:
        pinecrest = Repository(session).account("Pinecrest Utilities").id
    _sign_in(client, "ben@vendor.example", "ben-password")
    headers = {"accept": "text/html"}
    for path in (
        f"/accounts/{pinecrest}",
        f"/accounts/{pinecrest}/brief",
        "/interactions/smp-001",
        "/accounts/9999",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 404 and "Not found" in response.text, path
    assert "Pinecrest" not in client.get("/search?q=storms", headers=headers).text


def test_many_concurrent_requests_wait_for_a_connection_instead_of_failing(workspace):
    """More clients than request threads and pool connections: every request still answers (the pool is sized
    from COACH_API_THREADS, and requests beyond the threads queue)."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from tests.conftest import serving
    from tests.hardening.env import two_teams

    env = two_teams(workspace)
    settings = workspace.settings.model_copy(update={"api_threads": 3})
    headers = auth(env.tokens["ana"])
    with serving(create_app(settings, workspace)) as base:

        def one(i):
            path = ["/v1/accounts/Pinecrest Utilities/report", "/v1/search?q=outage", "/v1/accounts"][i % 3]
            return httpx.get(base + path, headers=headers, timeout=120).status_code

        with ThreadPoolExecutor(max_workers=30) as pool:
            statuses = list(pool.map(one, range(60)))
    assert statuses == [200] * 60, statuses


def test_a_worker_warms_its_models_up_at_startup_and_survives_a_failing_warm_up(workspace, caplog):
    import threading

    from api.app import warm_up
    from coach.signals.requests import detector
    from coach.store.vectors import PassageIndex

    detector.cache_clear()
    with TestClient(create_app(workspace.settings, workspace)) as client:
        for thread in [t for t in threading.enumerate() if t.name == "coach-warm-up"]:
            thread.join(timeout=60)
        assert detector.cache_info().currsize == 1  # loaded before any report asked for it
        # the playbook is embedded before the first brief (which took 5 to 11 s on a fresh install)
        assert PassageIndex(workspace.index).hashes()
        assert client.get("/healthz").status_code == 200

    class Broken:
        @property
        def workspace(self):
            raise OSError("model file missing")

    warm_up(Broken())  # logged, not raised: the first request loads the models and says what failed
    assert "warming up the models failed" in caplog.text


def test_search_answers_with_the_passage_that_matched_and_its_spans(app_env, workspace):
    """/v1/search keeps its fields and adds the passage; the web page shows it with the words marked and links to
    the sentence in the note, which is marked there."""
    from coach.store.repository import Repository

    client, tokens, _ = app_env
    hits = client.get("/v1/search", params={"q": "ticket 88213", "k": 3}, headers=auth(tokens["ana"])).json()
    top = hits[0]
    assert {"interaction", "account", "date", "kind", "excerpt", "score"} <= set(top)
    with workspace.db.session() as session:
        clean = Repository(session).interaction(top["interaction"]).clean_text
    passage = top["passage"]
    assert clean[passage["start"] : passage["end"]] == passage["text"] and "88213" in passage["text"]
    assert top["start"] <= passage["start"] < passage["end"] <= top["end"]
    assert clean[top["start"] : top["end"]] == top["excerpt"] and len(passage["text"]) < len(top["excerpt"])
    assert "88213" in [clean[m["start"] : m["end"]] for m in passage["marks"]]

    _sign_in(client, "ana@vendor.example", "ana-password")
    page = client.get("/search", params={"q": "ticket 88213"}, headers={"accept": "text/html"}).text
    assert "<mark>88213</mark>" in page
    link = re.search(r'href="(/interactions/[^"]+\?span=\d+-\d+#quote)"', page).group(1)
    note = client.get(link.replace("&amp;", "&"), headers={"accept": "text/html"}).text
    marked = re.search(r'<mark id="quote">(.*?)</mark>', note, re.S).group(1)
    assert "88213" in marked and len(marked) < len(clean)
