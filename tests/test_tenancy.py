"""Accounts held by explicit grant (coach.tenancy), on the web pages, /v1, the Slack bot's path and the CLI: the
creating team gets the account, others get an answer that reveals nothing and an access request that the holding
team's managers (or an admin) grant; look-alike names and ids that break links are refused; our side comes from
the organisation and the account's own teams."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from api.app import create_app
from coach.cli import app as cli
from coach.config import get_settings
from tests.hardening.env import BEN_ACCOUNT, PASSWORDS, two_teams

runner = CliRunner()


@pytest.fixture
def env(workspace):
    return two_teams(workspace)


@pytest.fixture
def client(env):
    return TestClient(create_app(env.workspace.settings, env.workspace))


@pytest.fixture
def cli_env(env, monkeypatch):
    """The CLI pointed at this test's store."""
    monkeypatch.setenv("COACH_DATA_DIR", str(env.workspace.settings.data_dir))
    monkeypatch.setenv("COACH_INTERNAL_DOMAINS", ",".join(env.workspace.settings.internal_domains))
    get_settings.cache_clear()
    yield lambda *args: runner.invoke(cli, list(args))
    get_settings.cache_clear()


def bearer(env, who, behalf=None):
    headers = {"Authorization": f"Bearer {env.tokens[who]}"}
    if behalf:
        headers["X-Coach-On-Behalf-Of"] = behalf
    return headers


def signed_in(client_app, who, password=None):
    client = TestClient(client_app.app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post(
        "/login",
        data={"email": f"{who}@vendor.example", "password": password or PASSWORDS[who], "csrf": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def csrf_of(client, path="/"):
    return re.search(
        r'name="csrf" value="([^"]+)"', client.get(path, headers={"Accept": "text/html"}).text
    ).group(1)


def grants_of(env, account):
    from coach.store.schema import AccountGrantRow, AccountRow, TeamRow

    with env.workspace.db.session() as session:
        account_id = session.scalar(select(AccountRow.id).where(AccountRow.name == account))
        rows = session.execute(
            select(TeamRow.name, AccountGrantRow.user_id)
            .select_from(AccountGrantRow)
            .outerjoin(TeamRow, TeamRow.id == AccountGrantRow.team_id)
            .where(AccountGrantRow.account_id == account_id)
        ).all()
    return sorted((team or f"user:{user}") for team, user in rows)


def test_the_creating_team_gets_the_account_and_a_user_in_no_team_a_personal_grant(env, client):
    note = {"account": "Fjord Ferries", "text": "Kick-off with Fjord's fleet lead."}
    assert client.post("/v1/interactions", json=note, headers=bearer(env, "ana")).status_code == 201
    assert grants_of(env, "Fjord Ferries") == ["Team A"]
    loner = env.users.add("solo@vendor.example", "Sol Oh", "rep", "solo-password")
    token, _ = env.users.create_token(loner.email, "t")
    first = {"account": "Lone Pine Mills", "text": "First call with Lone Pine."}
    assert (
        client.post("/v1/interactions", json=first, headers={"Authorization": f"Bearer {token}"}).status_code
        == 201
    )
    assert grants_of(env, "Lone Pine Mills") == [f"user:{loner.id}"]
    # Team A's manager sees the new account at once; team B does not
    assert client.get("/v1/accounts/Fjord Ferries/report", headers=bearer(env, "mia")).status_code == 200
    assert client.get("/v1/accounts/Fjord Ferries/report", headers=bearer(env, "ben")).status_code == 404


@pytest.mark.parametrize("channel", ["api", "slack", "web"])
def test_writing_into_another_teams_account_says_so_reveals_nothing_and_asks_for_access(env, client, channel):
    note = {"account": BEN_ACCOUNT, "kind": "note", "text": "Ana's note about rates."}
    if channel == "web":
        browser = signed_in(client, "ana")
        response = browser.post(
            "/notes",
            data={"account": BEN_ACCOUNT, "kind": "note", "text": note["text"], "csrf": csrf_of(browser)},
            headers={"Accept": "text/html"},
        )
        assert response.status_code == 403
        assert "Ana&#39;s note about rates." in response.text  # the form comes back with what was typed
        detail = response.text
    else:
        headers = bearer(env, "ana") if channel == "api" else _bot(env, "ana@vendor.example")
        response = client.post("/v1/interactions", json=note, headers=headers)
        assert response.status_code == 403
        detail = response.json()["detail"]
    assert "belongs to another team" in detail and "request for access is recorded" in detail
    for secret in ("Lena", "invoices", "depot", "Ben Okafor", "1 interaction"):
        assert secret not in detail
    from coach.store.schema import AccessRequestRow

    with env.workspace.db.session() as session:
        (request,) = session.scalars(select(AccessRequestRow)).all()
        assert request.status == "pending" and request.user_id == env.ids["ana"]
    # reads stay a 404, the same as an account that does not exist
    assert client.get(f"/v1/accounts/{BEN_ACCOUNT}/report", headers=bearer(env, "ana")).status_code == 404


def _bot(env, behalf):
    token, _ = env.users.create_token("root@vendor.example", "slack-bot", delegate=True)
    return {"Authorization": f"Bearer {token}", "X-Coach-On-Behalf-Of": behalf, "X-Coach-Slack-User": "U_ANA"}


def test_managers_of_the_holding_team_see_requests_and_grant_them_on_the_web(env, client):
    ana = {"account": BEN_ACCOUNT, "text": "Ana's note about rates."}
    assert client.post("/v1/interactions", json=ana, headers=bearer(env, "ana")).status_code == 403
    env.users.add("bea@vendor.example", "Bea Boss", "manager", "bea-password")
    env.users.add_member("Team B", "bea@vendor.example", manages=True)
    PASSWORDS["bea"] = "bea-password"
    try:
        mia = signed_in(client, "mia")  # manages team A, not B: sees no request for B's account
        assert BEN_ACCOUNT not in mia.get("/access", headers={"Accept": "text/html"}).text
        bea = signed_in(client, "bea")
        page = bea.get("/access", headers={"Accept": "text/html"}).text
        assert BEN_ACCOUNT in page and "ana@vendor.example" in page
        request_id = re.search(r'action="/access/requests/(\d+)"', page).group(1)
        done = bea.post(
            f"/access/requests/{request_id}",
            data={"decision": "grant", "csrf": csrf_of(bea, "/access")},
            headers={"Accept": "text/html"},
            follow_redirects=False,
        )
        assert done.status_code == 303
    finally:
        PASSWORDS.pop("bea")
    assert client.post("/v1/interactions", json=ana, headers=bearer(env, "ana")).status_code == 201
    assert client.get(f"/v1/accounts/{BEN_ACCOUNT}/report", headers=bearer(env, "ana")).status_code == 200


def test_grants_through_the_api_for_managers_and_admins_only(env, client):
    mia, ben, root = bearer(env, "mia"), bearer(env, "ben"), bearer(env, "root")
    path = "/v1/accounts/Pinecrest Utilities/grants"
    assert [g["team"] for g in client.get(path, headers=mia).json()] == ["Team A"]
    assert client.post(path, json={"team": "Team B"}, headers=bearer(env, "ana")).status_code == 403  # a rep
    assert client.get(path, headers=ben).status_code == 404  # not even visible to B
    assert client.post(path, json={"team": "Team B"}, headers=mia).status_code == 201
    assert client.get("/v1/accounts/Pinecrest Utilities/report", headers=ben).status_code == 200
    assert client.delete(path, params={"team": "Team B"}, headers=mia).status_code == 204
    assert (
        client.get("/v1/accounts/Pinecrest Utilities/report", headers=ben).status_code == 404
    )  # next request
    assert (
        client.post(path, json={"team": "Team B", "user": "ben@vendor.example"}, headers=root).status_code
        == 422
    )
    assert (
        client.post(f"/v1/accounts/{BEN_ACCOUNT}/grants", json={"team": "Team A"}, headers=mia).status_code
        == 404
    )
    requests = client.get("/v1/access-requests", headers=root)
    assert requests.status_code == 200 and requests.json() == []
    assert client.get("/v1/access-requests", headers=bearer(env, "ana")).status_code == 403


def test_the_cli_grants_revokes_lists_and_answers_requests(env, client, cli_env):
    assert (
        client.post(
            "/v1/interactions",
            json={"account": BEN_ACCOUNT, "text": "Ana again."},
            headers=bearer(env, "ana"),
        ).status_code
        == 403
    )
    listed = cli_env("accounts", "requests")
    assert listed.exit_code == 0 and "ana@vendor.example" in listed.output and BEN_ACCOUNT in listed.output
    request_id = re.search(r"│\s*(\d+)\s*│", listed.output).group(1)
    answered = cli_env("accounts", "answer", request_id, "--decline")
    assert answered.exit_code == 0 and "declined" in answered.output
    assert client.get(f"/v1/accounts/{BEN_ACCOUNT}/report", headers=bearer(env, "ana")).status_code == 404
    granted = cli_env("accounts", "grant", BEN_ACCOUNT, "--team", "Team A")
    assert granted.exit_code == 0 and "granted to team Team A" in granted.output
    assert client.get(f"/v1/accounts/{BEN_ACCOUNT}/report", headers=bearer(env, "ana")).status_code == 200
    shown = cli_env("accounts", "grants", BEN_ACCOUNT)
    assert "team Team A" in shown.output and "team Team B" in shown.output
    assert cli_env("accounts", "revoke", BEN_ACCOUNT, "--team", "Team A").exit_code == 0
    assert client.get(f"/v1/accounts/{BEN_ACCOUNT}/report", headers=bearer(env, "ana")).status_code == 404
    wrong = cli_env("accounts", "grant", BEN_ACCOUNT, "--team", "No Such Team")
    assert wrong.exit_code == 1 and "coach teams list" in wrong.output
    assert cli_env("accounts").exit_code == 0 and BEN_ACCOUNT in cli_env("accounts", "--json").output
    events = json.loads(
        "[" + ",".join(cli_env("audit", "--action", "grant", "--json").output.split("\n")[:-1]) + "]"
    )
    assert {e["account"] for e in events} == {BEN_ACCOUNT} and len(events) >= 3


@pytest.mark.parametrize("name", ["Согр", "Cörp", "CÓRP"])  # all Cyrillic, an accent, an accent in capitals
def test_a_look_alike_of_an_existing_account_name_is_refused(env, client, name):
    assert (
        client.post(
            "/v1/interactions", json={"account": "Corp", "text": "Kick-off."}, headers=bearer(env, "ana")
        ).status_code
        == 201
    )
    refused = client.post(
        "/v1/interactions", json={"account": name, "text": "Hello."}, headers=bearer(env, "ben")
    )
    assert refused.status_code == 422 and "looks like an existing account" in refused.json()["detail"]
    assert "'Corp'" not in refused.json()["detail"]  # Ben cannot see it: its name is not given away
    own = client.post(
        "/v1/interactions", json={"account": name, "text": "Hello."}, headers=bearer(env, "ana")
    )
    assert own.status_code == 422 and "'Corp'" in own.json()["detail"]  # Ana can: the message names it
    assert (
        client.post(
            "/v1/interactions", json={"account": "Corp Ltd", "text": "Hi."}, headers=bearer(env, "ben")
        ).status_code
        == 201
    )


def test_the_cli_refuses_a_look_alike_and_an_id_with_a_slash_with_a_message(env, cli_env, tmp_path):
    path = tmp_path / "notes.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(o)
            for o in (
                {"account": "Pinecrest Utilitiés", "text": "Look-alike.", "date": "2026-10-01"},
                {"account": "Fresh Account", "id": "crm/123", "text": "Slash.", "date": "2026-10-01"},
                {"account": "Fresh Account", "id": "crm-124", "text": "Good.", "date": "2026-10-01"},
            )
        )
    )
    result = cli_env("ingest", str(path))
    assert result.exit_code == 1
    assert "looks like an existing account" in result.output and "'Pinecrest Utilities'" in result.output
    assert "'/'" in result.output and "leave 'id' out" in result.output
    assert "added 1" in result.output


def test_an_interaction_id_with_a_slash_is_refused_with_422(env, client):
    for bad in ("a/b", "../x", "q?x", "h#1"):
        response = client.post(
            "/v1/interactions",
            json={"account": "Pinecrest Utilities", "id": bad, "text": "x"},
            headers=bearer(env, "ana"),
        )
        assert response.status_code == 422, bad
        assert "cannot carry" in response.text
    batch = client.post(
        "/v1/interactions/batch",
        json={"interactions": [{"account": "Pinecrest Utilities", "id": "a/b", "text": "x"}]},
        headers=bearer(env, "ana"),
    ).json()
    assert batch["rejected"] == 1 and "cannot carry" in batch["items"][0]["reason"]


def test_out_of_range_and_negative_account_ids_in_pages_are_404(env, client):
    ana = signed_in(client, "ana")
    for account_id in ("9223372036854775808", "2147483648", "-1", "-9223372036854775809", "0"):
        for suffix in ("", "/brief", "/findings.csv"):
            response = ana.get(f"/accounts/{account_id}{suffix}", headers={"Accept": "text/html"})
            assert response.status_code == 404, (account_id, suffix, response.status_code)


def test_our_side_comes_from_the_organisation_and_the_accounts_own_team(env, client, cli_env):
    """An org domain makes its people ours everywhere; team A's records never make B's customer ours."""
    from tests.hardening.tenancy import B_NOTES, LENA

    ben = bearer(env, "ben")
    for note in B_NOTES:
        assert client.post("/v1/interactions", json=note, headers=ben).status_code == 201
    path = f"/v1/accounts/{BEN_ACCOUNT}/report"
    before = client.get(path, params={"as_of": "2026-11-20"}, headers=ben)
    assert "scanners" in before.text
    assert cli_env("org", "domains", "add", "@BravoFreight.example").exit_code == 0
    listed = cli_env("org", "domains", "list").output
    assert "bravofreight.example" in listed and "atlasfieldcloud.com" in listed
    declared = TestClient(create_app(env.workspace.settings, env.workspace))  # a fresh worker: nothing cached
    after = declared.get(path, params={"as_of": "2026-11-20"}, headers=ben)
    assert after.content != before.content  # Lena's domain is now declared ours: her e-mail is one of ours
    assert cli_env("org", "domains", "remove", "bravofreight.example").exit_code == 0
    again = TestClient(create_app(env.workspace.settings, env.workspace)).get(
        path, params={"as_of": "2026-11-20"}, headers=ben
    )
    assert again.content == before.content  # and the cached facts follow the directory back
    assert cli_env("org", "domains", "add", "not a domain").exit_code == 1
    assert LENA["email"].endswith("bravofreight.example")


def test_the_access_page_grants_and_takes_away_for_managers_only(env, client):
    mia = signed_in(client, "mia")
    html = {"Accept": "text/html"}
    shown = mia.get("/access", params={"account": "Pinecrest Utilities"}, headers=html)
    assert shown.status_code == 200 and "team Team A" in shown.text
    form = {"account": "Pinecrest Utilities", "team": "Team B", "csrf": csrf_of(mia, "/access")}
    assert (
        mia.post(
            "/access/grants", data={**form, "csrf": "forged", "action": "grant"}, headers=html
        ).status_code
        == 403
    )
    granted = mia.post("/access/grants", data={**form, "action": "grant"}, headers=html)
    assert granted.status_code == 200 and "granted to team Team B" in granted.text
    assert (
        client.get("/v1/accounts/Pinecrest Utilities/report", headers=bearer(env, "ben")).status_code == 200
    )
    taken = mia.post("/access/grants", data={**form, "action": "revoke"}, headers=html)
    assert taken.status_code == 200 and "taken from Team B" in taken.text
    assert (
        client.get("/v1/accounts/Pinecrest Utilities/report", headers=bearer(env, "ben")).status_code == 404
    )
    other = mia.post(
        "/access/grants", data={**form, "account": BEN_ACCOUNT, "action": "grant"}, headers=html
    )  # not visible to Mia: the same answer as no such account
    assert other.status_code == 404 and "Lena" not in other.text
    ana = signed_in(client, "ana")
    assert ana.get("/access", headers=html).status_code == 403  # a rep manages no access
    assert "/access" not in ana.get("/", headers=html).text


def test_a_manager_whose_team_loses_an_account_no_longer_gets_it_in_the_digest(env, cli_env):
    from coach.digest import DigestBuilder
    from coach.digest.deliver import render_digest

    builder = DigestBuilder(env.workspace, charts=False)
    assert "Pinecrest Utilities" in render_digest(builder.build("mia@vendor.example", "2026-W41"), "md")
    assert cli_env("accounts", "revoke", "Pinecrest Utilities", "--team", "Team A").exit_code == 0
    assert "Pinecrest Utilities" not in render_digest(builder.build("mia@vendor.example", "2026-W41"), "md")


def test_two_write_transactions_creating_one_account_leave_one_holder_and_one_access_request(env):
    """The gate at the transaction level: team A's transaction creates the account and has not committed when
    team B's claims the same name. B's insert waits on the unique key (PostgreSQL) or B waits for the write lock
    (SQLite); either way B then sees A's account and grants, and is refused with an access request."""
    import threading

    from coach.store.schema import AccessRequestRow
    from coach.tenancy import AccountGate, Refusal, Writer

    db = env.workspace.db
    first = db.session(write=True).__enter__()
    created = AccountGate(first).claim("Harbour Glass", Writer(env.ids["ana"], checked=True))
    assert not isinstance(created, Refusal)
    outcome: dict[str, object] = {}

    def second() -> None:
        with db.session(write=True) as session:
            outcome["claim"] = AccountGate(session).claim(
                "harbour  GLASS", Writer(env.ids["ben"], checked=True)
            )
            session.commit()

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=1.0)
    assert thread.is_alive()  # B waits for A's transaction
    first.commit()
    first.close()
    thread.join(timeout=30)
    claim = outcome["claim"]
    assert isinstance(claim, Refusal) and claim.access and "belongs to another team" in claim.reason
    assert grants_of(env, "Harbour Glass") == ["Team A"]
    with db.session() as session:
        (request,) = session.scalars(select(AccessRequestRow)).all()
        assert request.user_id == env.ids["ben"]
