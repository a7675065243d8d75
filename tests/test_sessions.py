"""Access can be taken away (coach.sessions): web sessions live in the database, so logout, a password change,
disabling a user, sign out everywhere (the web button and the CLI) and removal from a team take effect on the next
request, in every worker; a disabled user's tokens and Slack stop at once. Also: the data folder, the SQLite files
and exports are private, and forwarded headers are believed only from COACH_TRUSTED_PROXIES."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from coach.cli import app as cli
from coach.config import get_settings
from tests.conftest import SERVER, free_port
from tests.hardening.env import PASSWORDS, two_teams

runner = CliRunner()
HTML = {"Accept": "text/html"}


@pytest.fixture
def env(workspace):
    return two_teams(workspace)


@pytest.fixture
def workers(env):
    """Two app instances on one store: two API workers."""
    return [create_app(env.workspace.settings, env.workspace) for _ in range(2)]


@pytest.fixture
def coach_cli(env, monkeypatch):
    monkeypatch.setenv("COACH_DATA_DIR", str(env.workspace.settings.data_dir))
    get_settings.cache_clear()
    yield lambda *args: runner.invoke(cli, list(args))
    get_settings.cache_clear()


def sign_in(app, who, password=None):
    client = TestClient(app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post(
        "/login",
        data={"email": f"{who}@vendor.example", "password": password or PASSWORDS[who], "csrf": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def on_other_worker(client, app):
    """The same browser (its cookie) talking to another worker."""
    other = TestClient(app)
    other.cookies.set("coach_session", client.cookies.get("coach_session"))
    return other


def signed_in(client):
    response = client.get("/", headers=HTML, follow_redirects=False)
    return response.status_code == 200


def csrf(client):
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/", headers=HTML).text).group(1)


def test_logout_ends_the_session_on_the_server_for_every_worker(workers):
    first, second = workers
    browser = sign_in(first, "ana")
    copy = on_other_worker(browser, second)
    assert signed_in(browser) and signed_in(copy)
    assert browser.post("/logout", data={"csrf": csrf(browser)}, follow_redirects=False).status_code == 303
    assert not signed_in(copy)  # the copied cookie, on the other worker, is dead too
    assert copy.get("/", headers=HTML, follow_redirects=False).headers["location"].startswith("/login")
    assert copy.get("/v1/accounts").status_code == 401


def test_sign_out_everywhere_from_the_web_and_from_the_cli(workers, coach_cli):
    first, second = workers
    laptop, phone = sign_in(first, "ana"), sign_in(second, "ana")
    ben = sign_in(first, "ben")
    assert "Sign out everywhere" in laptop.get("/", headers=HTML).text
    laptop.post("/sessions/end-all", data={"csrf": csrf(laptop)})
    assert not signed_in(laptop) and not signed_in(phone)
    assert signed_in(ben)  # someone else's session is untouched
    phone = sign_in(second, "ana")
    result = coach_cli("users", "sign-out", "ana@vendor.example")
    assert result.exit_code == 0 and "1 session" in result.output
    assert not signed_in(phone)


def test_a_password_change_signs_the_user_out_everywhere(workers, coach_cli, monkeypatch):
    first, second = workers
    browser = sign_in(first, "ana")
    monkeypatch.setenv("COACH_NEW_PASSWORD", "a-brand-new-password")
    assert coach_cli("users", "password", "ana@vendor.example").exit_code == 0
    assert not signed_in(on_other_worker(browser, second))
    assert signed_in(sign_in(second, "ana", "a-brand-new-password"))


def test_disabling_a_user_stops_their_browser_tokens_and_the_bot_at_once(env, workers, coach_cli):
    first, _ = workers
    browser = sign_in(first, "ben")
    api = TestClient(first)
    token = {"Authorization": f"Bearer {env.tokens['ben']}"}
    bot, _ = env.users.create_token("root@vendor.example", "slack-bot", delegate=True)
    acting = {"Authorization": f"Bearer {bot}", "X-Coach-On-Behalf-Of": "ben@vendor.example"}
    assert api.get("/v1/accounts", headers=token).status_code == 200
    assert api.get("/v1/accounts", headers=acting).status_code == 200
    result = coach_cli("users", "disable", "ben@vendor.example")
    assert result.exit_code == 0 and "disabled" in result.output
    assert not signed_in(browser)
    assert api.get("/v1/accounts", headers=token).status_code == 401
    assert api.get("/v1/accounts", headers=acting).status_code == 403
    listed = coach_cli("users", "list").output
    assert re.search(r"ben@vendor\.example.*disabled", listed)
    refused = TestClient(first)
    page = refused.get("/login").text
    token_field = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    again = refused.post(
        "/login",
        data={"email": "ben@vendor.example", "password": PASSWORDS["ben"], "csrf": token_field},
        follow_redirects=False,
    )
    assert again.status_code == 400  # a disabled user cannot sign in either
    assert coach_cli("users", "enable", "ben@vendor.example").exit_code == 0
    assert api.get("/v1/accounts", headers=token).status_code == 200


def test_removal_from_a_team_takes_the_teams_accounts_away_on_the_next_request(env, workers, coach_cli):
    first, _ = workers
    browser = sign_in(first, "ana")
    own = re.search(r'href="/accounts/(\d+)"', browser.get("/", headers=HTML).text).group(1)
    assert browser.get(f"/accounts/{own}", headers=HTML).status_code == 200
    result = coach_cli("teams", "remove-member", "Team A", "ana@vendor.example")
    assert result.exit_code == 0
    assert browser.get(f"/accounts/{own}", headers=HTML).status_code == 404
    api = TestClient(first)
    assert api.get("/v1/accounts", headers={"Authorization": f"Bearer {env.tokens['ana']}"}).json() == []
    again = coach_cli("teams", "remove-member", "Team A", "ana@vendor.example")
    assert again.exit_code == 1 and "not in Team A" in again.output


def test_the_audit_trail_has_session_user_and_token_changes(env, coach_cli):
    coach_cli("tokens", "create", "ana@vendor.example", "--name", "laptop")
    coach_cli("users", "disable", "ben@vendor.example")
    coach_cli("users", "sign-out", "ana@vendor.example")
    rows = coach_cli("audit", "--json").output
    assert '"action": "token"' in rows and "created token" in rows
    assert '"action": "user"' in rows and "disabled ben@vendor.example" in rows
    assert '"action": "session"' in rows


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_data_folder_the_database_files_and_exports_are_private(settings, embedder, tmp_path):
    from coach.maintenance.archive import export_store
    from coach.workspace import Workspace

    previous = os.umask(0o022)  # a usual umask: what it lets through must not matter
    try:
        ws = Workspace(settings, embedder)
        two_teams(ws)
        assert _mode(settings.data_dir) == 0o700
        if not SERVER:
            db = settings.data_dir / "coach.db"
            assert _mode(db) == 0o600
            for suffix in ("-wal", "-shm"):
                sidecar = db.with_name(db.name + suffix)
                assert sidecar.exists() and _mode(sidecar) == 0o600, suffix
            assert _mode(settings.resolved_chroma_path) == 0o700
        out = tmp_path / "backup"
        export_store(ws, out)
        assert _mode(out) == 0o700
        files = list(out.iterdir())
        assert files and all(_mode(f) == 0o600 for f in files), {f.name: oct(_mode(f)) for f in files}
        ws.close()
    finally:
        os.umask(previous)


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_forwarded_for_is_believed_only_from_trusted_proxies(env, trusted, tmp_path):
    """`coach serve` itself (a real uvicorn): 3 failed sign-ins, each claiming another X-Forwarded-For address,
    with a limit of 2 per address. Untrusted, they all count against the real address and the third waits."""
    port = free_port()
    settings = env.workspace.settings
    environment = {
        **os.environ,
        "COACH_DATA_DIR": str(settings.data_dir),
        "COACH_SIGN_IN_MAX_FAILURES_PER_ADDRESS": "2",
        "COACH_TRUSTED_PROXIES": trusted,
    }
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "coach.cli", "serve", "--port", str(port)],
        env=environment,
        stdout=log,
        stderr=log,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(base, server)
        codes = []
        for n in range(3):
            client = httpx.Client(base_url=base, timeout=30)
            token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
            codes.append(
                client.post(
                    "/login",
                    data={"email": f"guess{n}@vendor.example", "password": "wrong-password", "csrf": token},
                    headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
                ).status_code
            )
        assert codes == ([400, 400, 429] if not trusted else [400, 400, 400]), codes
    finally:
        server.terminate()
        server.wait(timeout=20)


def _wait(base, server):
    deadline = time.time() + 60
    while time.time() < deadline:
        if server.poll() is not None:
            raise AssertionError("coach serve exited")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError("coach serve did not answer")
