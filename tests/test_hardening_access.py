"""Access, per channel: a rep never reads, searches, briefs or digests another team's account (web pages, the
JSON API, the Slack bot's delegate path, search results, digests); tokens are hashed and revocable at once;
sign-in is rate limited across workers; every page carries the security headers; production refuses a default
secret; and every read is in the audit trail."""

from __future__ import annotations

import json
import re
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from coach.audit import Audit
from coach.store.repository import Repository
from coach.store.schema import AccountRow, ApiTokenRow
from tests.hardening.env import BEN_ACCOUNT, PASSWORDS, two_teams

WEEK = "2026-W41"


@pytest.fixture
def world(workspace):
    env = two_teams(workspace)
    app = create_app(workspace.settings, workspace)
    with workspace.db.session() as session:
        ben_account = session.scalar(select(AccountRow).where(AccountRow.name == BEN_ACCOUNT))
        ben_interaction = Repository(session).interactions(account_ids=[ben_account.id])[0].id
        ben_account_id = ben_account.id
    return env, app, ben_account_id, ben_interaction


def _signed_in(app, who):
    client = TestClient(app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post(
        "/login",
        data={"email": f"{who}@vendor.example", "password": PASSWORDS[who], "csrf": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def _bearer(token, behalf=None):
    headers = {"Authorization": f"Bearer {token}"}
    if behalf:
        headers["X-Coach-On-Behalf-Of"] = behalf
    return headers


def test_web_pages_hide_another_teams_account(world):
    _env, app, account_id, interaction = world
    ana = _signed_in(app, "ana")
    html = {"Accept": "text/html"}
    for path in (
        f"/accounts/{account_id}",
        f"/accounts/{account_id}/brief",
        f"/accounts/{account_id}/findings.csv",
        f"/interactions/{interaction}",
    ):
        response = ana.get(path, headers=html)
        assert response.status_code == 404, path
        assert "invoices" not in response.text and BEN_ACCOUNT not in response.text
    page = ana.get("/search", params={"q": "invoices from the depot arrive late"}, headers=html)
    assert page.status_code == 200 and BEN_ACCOUNT not in page.text and "weekly export" not in page.text
    assert BEN_ACCOUNT not in ana.get("/", headers=html).text
    ben = _signed_in(app, "ben")
    assert ben.get(f"/accounts/{account_id}", headers=html).status_code == 200  # the owner does see it


@pytest.mark.parametrize("channel", ["api", "slack"])
def test_the_api_and_the_slack_bots_path_hide_another_teams_account(world, channel):
    env, app, _, interaction = world
    client = TestClient(app)
    if channel == "api":
        headers = _bearer(env.tokens["ana"])
    else:  # the bot: a delegate token acting for the mapped Slack user
        bot, _ = env.users.create_token("root@vendor.example", "slack-bot", delegate=True)
        headers = _bearer(bot, behalf="ana@vendor.example")
    for path in (
        f"/v1/accounts/{BEN_ACCOUNT}/report",
        f"/v1/accounts/{BEN_ACCOUNT}/brief",
        f"/v1/accounts/{BEN_ACCOUNT}/interactions",
        f"/v1/interactions/{interaction}",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 404, (channel, path, response.text)
        assert "invoices" not in response.text
    hits = client.get(
        "/v1/search", params={"q": "invoices from the depot arrive late", "k": 50}, headers=headers
    )
    assert hits.status_code == 200 and all(h["account"] != BEN_ACCOUNT for h in hits.json())
    assert (
        client.get(
            "/v1/search", params={"q": "invoices", "account": BEN_ACCOUNT}, headers=headers
        ).status_code
        == 404
    )
    assert BEN_ACCOUNT not in [a["name"] for a in client.get("/v1/accounts", headers=headers).json()]
    written = client.post(
        "/v1/interactions",
        headers=headers,
        json={"account": BEN_ACCOUNT, "date": "2026-10-02", "text": "Overwrite attempt."},
    )
    assert written.status_code == 403 and "belongs to another team" in written.json()["detail"]
    assert "invoices" not in written.text and "Lena" not in written.text


def test_a_digest_covers_only_the_teams_a_manager_manages(world):
    from coach.digest import DigestBuilder
    from coach.digest.deliver import render_digest

    env, _, _, _ = world
    builder = DigestBuilder(env.workspace, charts=False)
    mia = builder.build("mia@vendor.example", WEEK)
    shown = render_digest(mia, "md") + render_digest(mia, "html")
    assert not mia.empty and BEN_ACCOUNT not in shown and "invoices" not in shown
    ana = builder.build("ana@vendor.example", WEEK)  # a rep manages no team: nothing to send
    assert ana.empty and BEN_ACCOUNT not in render_digest(ana, "md")


def test_tokens_are_stored_hashed_and_revocation_is_immediate(world):
    env, app, _, _ = world
    client = TestClient(app)
    token = env.tokens["ana"]
    with env.workspace.db.session() as session:
        stored = [row.token_hash for row in session.scalars(select(ApiTokenRow))]
    assert token not in stored and all(len(h) == 64 and token not in h for h in stored)
    assert client.get("/v1/accounts", headers=_bearer(token)).status_code == 200
    (info,) = [t for t in env.users.tokens() if t.user == "ana@vendor.example"]
    env.users.revoke_token(info.id)
    assert client.get("/v1/accounts", headers=_bearer(token)).status_code == 401
    assert (
        client.get(
            "/v1/accounts", headers=_bearer(token[:-1] + ("A" if token[-1] != "A" else "B"))
        ).status_code
        == 401
    )


def test_sign_in_is_rate_limited_in_the_database_for_every_worker(workspace):
    env = two_teams(workspace)
    settings = workspace.settings.model_copy(update={"sign_in_max_failures": 3, "sign_in_window_seconds": 3})
    first, second = TestClient(create_app(settings, workspace)), TestClient(create_app(settings, workspace))

    def attempt(client, password):
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
        return client.post(
            "/login",
            data={"email": "ana@vendor.example", "password": password, "csrf": csrf},
            follow_redirects=False,
        )

    assert attempt(first, "wrong-1").status_code == 400
    assert attempt(second, "wrong-2").status_code == 400  # another worker: the same count
    assert attempt(first, "wrong-3").status_code == 400
    refused = attempt(second, PASSWORDS["ana"])  # even the right password waits now
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Too many failed sign-ins" in refused.text
    other = TestClient(create_app(settings, workspace))
    csrf = re.search(r'name="csrf" value="([^"]+)"', other.get("/login").text).group(1)
    assert (
        other.post(
            "/login",
            data={"email": "ben@vendor.example", "password": PASSWORDS["ben"], "csrf": csrf},
            follow_redirects=False,
        ).status_code
        == 303
    )  # someone else is not locked out
    time.sleep(3.2)
    assert attempt(first, PASSWORDS["ana"]).status_code == 303
    del env


def test_every_page_and_answer_carries_the_security_headers(world):
    _env, app, _account_id, interaction = world
    ana = _signed_in(app, "ana")
    html = {"Accept": "text/html"}
    own = ana.get("/", headers=html).text
    own_account = re.search(r'href="/accounts/(\d+)"', own).group(1)
    paths = [
        "/login",
        "/",
        f"/accounts/{own_account}",
        f"/accounts/{own_account}/brief",
        f"/accounts/{own_account}/findings.csv",
        "/search?q=exports",
        f"/interactions/{interaction}",
        "/no-such-page",
        "/static/app.css",
        "/healthz",
        "/v1/accounts",
        "/openapi.json",
    ]
    for path in paths:
        response = ana.get(path, headers=html if not path.startswith("/v1") else {})
        for name in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"):
            assert name in response.headers, (path, name)
        if response.headers.get("content-type", "").startswith("text/html"):
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
            assert response.headers.get("Cache-Control") == "no-store", path
    fresh = TestClient(app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', fresh.get("/login").text).group(1)
    signed = fresh.post(
        "/login",
        data={"email": "ana@vendor.example", "password": PASSWORDS["ana"], "csrf": csrf},
        follow_redirects=False,
    )
    cookie = signed.headers["set-cookie"].lower()
    assert "coach_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_production_refuses_a_default_secret(settings):
    production = settings.model_copy(update={"environment": "production", "secret_key": None})
    with pytest.raises(ValueError, match="COACH_SECRET_KEY must be set"):
        production.session_secret()
    with pytest.raises(ValueError, match="COACH_SECRET_KEY"):
        create_app(production)


def test_reads_and_exports_are_audited_per_channel(world, monkeypatch, settings):
    env, app, _, _ = world
    ana = _signed_in(app, "ana")
    html = {"Accept": "text/html"}
    own_account = re.search(r'href="/accounts/(\d+)"', ana.get("/", headers=html).text).group(1)
    assert ana.get(f"/accounts/{own_account}", headers=html).status_code == 200
    assert ana.get(f"/accounts/{own_account}/findings.csv").status_code == 200
    api = TestClient(app)
    assert (
        api.get("/v1/accounts/Pinecrest Utilities/report", headers=_bearer(env.tokens["mia"])).status_code
        == 200
    )
    bot, _ = env.users.create_token("root@vendor.example", "slack-bot", delegate=True)
    assert (
        api.get(
            "/v1/accounts/Pinecrest Utilities/brief", headers=_bearer(bot, behalf="ana@vendor.example")
        ).status_code
        == 200
    )
    assert (
        api.get("/v1/search", params={"q": "outage"}, headers=_bearer(env.tokens["ana"])).status_code == 200
    )
    events = Audit(env.workspace.db).events()
    seen = {(e.actor, e.channel, e.action) for e in events}
    assert ("ana@vendor.example", "web", "read") in seen and ("ana@vendor.example", "web", "export") in seen
    assert ("mia@vendor.example", "api", "read") in seen and ("ana@vendor.example", "slack", "brief") in seen
    assert ("ana@vendor.example", "api", "search") in seen
    assert all(
        e.account == "Pinecrest Utilities" for e in events if e.action in ("brief",) and e.channel == "slack"
    )

    from typer.testing import CliRunner

    from coach.cli import app as cli
    from coach.config import get_settings

    monkeypatch.setenv("COACH_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        exported = runner.invoke(cli, ["analyze", "--account", "Pinecrest Utilities", "--format", "csv"])
        assert exported.exit_code == 0, exported.output
        listed = runner.invoke(cli, ["audit", "--json"])
        assert listed.exit_code == 0, listed.output
        rows = [json.loads(line) for line in listed.output.splitlines() if line.startswith("{")]
        assert {"web", "api", "slack", "cli"} <= {r["channel"] for r in rows}
        pinecrest = runner.invoke(
            cli, ["audit", "--account", "Pinecrest Utilities", "--action", "export", "--json"]
        )
        rows = [json.loads(line) for line in pinecrest.output.splitlines() if line.startswith("{")]
        assert rows and all(r["account"] == "Pinecrest Utilities" and r["action"] == "export" for r in rows)
        assert any(r["channel"] == "cli" for r in rows)
        mine = runner.invoke(cli, ["audit", "--user", "ana@vendor.example", "--json"])
        actors = {json.loads(line)["actor"] for line in mine.output.splitlines() if line.startswith("{")}
        assert actors == {"ana@vendor.example"}
        empty = runner.invoke(cli, ["audit", "--account", "Nobody Ltd"])
        assert "No audit events match" in empty.output
    finally:
        get_settings.cache_clear()


def test_passwords_are_hashed_with_argon2id_at_its_recommended_cost_and_cheaper_hashes_are_upgraded(
    workspace, production_password_hasher, monkeypatch
):
    """The suite hashes cheaply (see conftest); the product hashes with argon2-cffi's defaults (RFC 9106's
    low-memory profile), and a hash made with other parameters is redone at the next sign-in."""
    import coach.auth
    from coach.auth import Users
    from coach.store.schema import UserRow

    users = Users(workspace.db)
    users.add("cheap@vendor.example", "Cheap Hash", "rep", "a-long-password")
    monkeypatch.setattr(coach.auth, "_hasher", production_password_hasher)
    assert users.authenticate("cheap@vendor.example", "a-long-password") is not None
    assert users.authenticate("cheap@vendor.example", "the-wrong-password") is None
    with workspace.db.session() as session:
        stored = session.scalar(select(UserRow.password_hash).where(UserRow.email == "cheap@vendor.example"))
    assert stored is not None and stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
