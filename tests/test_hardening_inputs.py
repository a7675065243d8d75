"""Bad input through every door: files through ingest and the CLI, objects through the API. Each bad input gets
a clear message or is stored safely, and nothing else in the same batch is lost."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.hardening.bad_inputs import cases, run_case
from tests.hardening.env import two_teams


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_bad_input_gets_a_clear_message_or_is_stored_safely(case, workspace, tmp_path):
    outcome = run_case(case, workspace, tmp_path, 0)
    assert outcome.ok, f"{case.name}: {outcome.problem}"


def test_the_cli_reports_each_bad_file_and_keeps_the_rest(settings, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from coach.cli import app
    from coach.config import get_settings
    from tests.hardening.bad_inputs import WRITTEN

    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in ("ragged.csv", "no-headers.eml", "not-vtt.vtt"):
        (folder / name).write_bytes((WRITTEN / name).read_bytes())
    (folder / "good.jsonl").write_text(
        json.dumps(
            {"account": "Good Records Inc", "date": "2026-10-01", "text": "Rosa asked for weekly exports."}
        )
    )
    monkeypatch.setenv("COACH_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["ingest", str(folder), "--account", "Larchmont Transit"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code in (0, 1), result.output
    output = " ".join(result.output.split())
    assert "no e-mail headers found" in output and "not a valid WebVTT file" in output
    assert "the row has 2 cells" in output


# --- the API --------------------------------------------------------------------------------------
@pytest.fixture
def api(workspace):
    env = two_teams(workspace)
    client = TestClient(create_app(workspace.settings, workspace))
    return client, {"Authorization": f"Bearer {env.tokens['ana']}"}


def test_a_batch_with_bad_items_keeps_every_good_one(api):
    client, auth = api
    good = {
        "account": "Good Records Inc",
        "kind": "note",
        "date": "2026-10-01",
        "text": "Rosa asked for exports.",
    }
    items = [
        good,
        {"account": "L\u0430rchmont Transit", "text": "homoglyph"},
        {"account": "Nul Ltd", "date": "2026-10-02", "text": "NUL \u0000 and bell \u0007 inside"},
        {"account": "Future Co", "date": "2999-01-01", "text": "later"},
        {"account": "Big Co", "text": "x" * 300_000},
        {"account": "Deep Co", "text": "t", "participants": [[[[["deep"]]]]]},
        "not an object",
        {"account": "Script Co", "text": "<script>alert(1)</script> Rosa asked for exports."},
        dict(good, text="Rosa complained that the tablets reboot."),
    ]
    response = client.post("/v1/interactions/batch", json={"interactions": items}, headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    statuses = [i["status"] for i in body["items"]]
    assert statuses == [
        "added",
        "rejected",
        "added",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "added",
        "added",
    ]
    reasons = {i["index"]: i["reason"] for i in body["items"] if i["status"] == "rejected"}
    assert "mixes Cyrillic and Latin" in reasons[1]
    assert "1970-2100" in reasons[3] or "future" in reasons[3]
    assert "bytes" in reasons[4] and "object" in reasons[6]
    nul = client.get(f"/v1/interactions/{body['items'][2]['id']}", headers=auth).json()
    assert "\u0000" not in nul["text"] and "\u0007" not in nul["text"]


def test_deeply_nested_json_is_a_clear_4xx(api):
    client, auth = api
    body = b'{"interactions": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    response = client.post(
        "/v1/interactions/batch", content=body, headers={**auth, "Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text


def test_an_oversized_body_is_refused_before_it_is_read(api):
    client, auth = api
    huge = b'{"interactions": [' + b'{"account": "A", "text": "' + b"x" * 25_000_000 + b'"}]}'
    response = client.post(
        "/v1/interactions/batch", content=huge, headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code == 413 and "request body is over" in response.json()["detail"]

    def chunks():  # no Content-Length: streamed
        yield b'{"interactions": [{"account": "A", "text": "'
        for _ in range(30):
            yield b"x" * 1_000_000
        yield b'"}]}'

    streamed = client.post(
        "/v1/interactions/batch", content=chunks(), headers={**auth, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


def test_a_note_with_script_is_shown_as_text(api):
    client, auth = api
    created = client.post(
        "/v1/interactions",
        headers=auth,
        json={
            "account": "Script Co",
            "date": "2026-10-02",
            "text": "<script>alert(1)</script><img src=x onerror=alert(2)> Rosa complained that exports fail.",
        },
    )
    assert created.status_code == 201
    login = client.get("/login")
    csrf = login.text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"email": "ana@vendor.example", "password": "ana-password", "csrf": csrf})
    page = client.get(f"/interactions/{created.json()['interaction']['id']}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text
    assert "<img src=x" not in page.text
