"""Durability at scale: a bulk ingest killed midway and restarted, `coach doctor`, and export/import round trips.
Runs on whichever backend the suite runs on (SQLite + embedded Chroma, or PostgreSQL + a Chroma server)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from coach.ingest.jsonl import read_jsonl
from coach.ingest.pipeline import IngestPipeline
from coach.maintenance.archive import export_store, import_store
from coach.maintenance.doctor import check
from coach.store.schema import InteractionRow
from coach.workspace import Workspace
from tests.hardening.env import two_teams

# A worker's first page loads the model and renders cold; on a busy 2-core CI machine that can exceed httpx's
# 5-second default. The test is about shared state, not speed.
PATIENT = 60.0
TOPICS = [
    "the depot tablets reboot",
    "invoices arrive late",
    "the route export times out",
    "drivers lose their shift",
    "the dashboard totals are wrong",
    "alerts go to the wrong team",
    "the mobile app logs planners out",
    "the warehouse scanner freezes",
    "customs forms are rejected",
    "the renewal quote is missing a line",
]


def _records(n: int) -> list[dict]:
    records = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        records.append(
            {
                "id": f"bulk-{i:05d}",
                "account": f"Bulk Account {i % 50:02d}",
                "kind": ("call", "note", "meeting")[i % 3],
                "date": f"2026-{1 + i % 10:02d}-{1 + i % 27:02d}",
                "rep": f"Rep {i % 7}",
                "text": f"Call {i} with the operations lead. She complained that {topic} at site {i % 113}. "
                f"I said we would look at it before review {i % 31}.",
            }
        )
    return records


def _cli_env(settings) -> dict[str, str]:
    env = dict(os.environ)
    env["COACH_DATA_DIR"] = str(settings.data_dir)
    env.setdefault("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    return env


def _count(ws: Workspace) -> tuple[int, int]:
    with ws.db.session() as session:
        total = session.scalar(select(func.count()).select_from(InteractionRow))
        distinct = session.scalar(select(func.count(func.distinct(InteractionRow.id))))
    return int(total or 0), int(distinct or 0)


def test_a_bulk_ingest_killed_midway_and_restarted_stores_every_record_once(
    settings, hash_embedder, tmp_path
):
    workspace = Workspace(settings, embedder=hash_embedder)  # closed with its data folder by pytest
    data = tmp_path / "bulk.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in _records(5000)) + "\n")
    env = _cli_env(workspace.settings)
    command = [sys.executable, "-m", "tests.hash_cli", "ingest", str(data)]
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    stored = 0
    while time.monotonic() < deadline and first.poll() is None:
        stored = _count(workspace)[0]
        if stored >= 1000:
            break
        time.sleep(0.2)
    assert first.poll() is None, "the import finished before it could be killed: make it bigger"
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    killed_at = _count(workspace)[0]
    assert 0 < killed_at < 5000, killed_at
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
    assert second.returncode == 0, second.stderr[-2000:]
    assert _count(workspace) == (5000, 5000)
    drift = check(Workspace(workspace.settings, embedder=workspace.embedder))
    assert drift.clean, (len(drift.missing), len(drift.orphans), drift.stale_facts)
    assert drift.chunks_indexed == drift.chunks_expected >= 5000
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "added 0, updated 0, unchanged 5000, rejected 0" in again.stdout, (
        again.stdout
    )


def test_doctor_reports_and_repairs_drift(workspace, tmp_path):
    pipeline = IngestPipeline(workspace)
    data = "\n".join(json.dumps(r) for r in _records(120)).encode()
    pipeline.ingest(read_jsonl(data, "d.jsonl", pipeline.defaults()))
    assert check(workspace).clean
    workspace.index.delete_interactions(["bulk-00003", "bulk-00077"])  # chunks lost
    import numpy as np

    from coach.store.vectors import ChunkEntry

    orphan = ChunkEntry("ghost#0", "ghost", 1, 0, 0, 5, "ghost", 0, "note")
    workspace.index.upsert([orphan], np.zeros((1, 384), dtype=np.float32) + 0.01)
    drift = check(workspace)
    assert drift.missing == ["bulk-00003", "bulk-00077"] and drift.orphans == ["ghost"]

    from typer.testing import CliRunner

    from coach.cli import app
    from coach.config import get_settings

    os.environ["COACH_DATA_DIR"] = str(workspace.settings.data_dir)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        found = runner.invoke(app, ["doctor", "--json"])
        assert found.exit_code == 1 and json.loads(found.output.strip().splitlines()[-1])["missing"] == 2
        fixed = runner.invoke(app, ["doctor", "--repair", "--json"])
        assert fixed.exit_code == 0, fixed.output
        assert json.loads(fixed.output.strip().splitlines()[-1])["after_repair"]["clean"] is True
        assert runner.invoke(app, ["doctor"]).exit_code == 0
    finally:
        del os.environ["COACH_DATA_DIR"]
        get_settings.cache_clear()
    assert check(workspace).clean


def _archive_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "manifest.json"}


def test_export_then_import_into_an_empty_store_round_trips_exactly(
    workspace, another_store, tmp_path, embedder
):
    from datetime import date

    from coach.analysis.service import Analyzer
    from coach.audit import Audit
    from coach.search import Searcher

    env = two_teams(workspace)
    Analyzer(workspace).report(date(2026, 11, 20)).to_json()  # cached facts
    Audit(workspace.db).record(env.users.by_email("ana@vendor.example"), "web", "read", "Pinecrest Utilities")
    first = tmp_path / "first"
    manifest = export_store(workspace, first, as_of=date(2026, 11, 20))
    counts = {name: info["rows"] for name, info in manifest["files"].items()}
    assert counts["accounts.jsonl"] == 5 and counts["users.jsonl"] == 4 and counts["teams.jsonl"] == 2
    assert counts["interactions.jsonl"] >= 16 and counts["people.jsonl"] > 0 and counts["findings.jsonl"] == 5
    assert counts["interaction_facts.jsonl"] >= 16 and counts["audit_events.jsonl"] == 1

    target = Workspace(another_store, embedder=embedder)
    try:
        imported = import_store(target, first)
        assert imported["interactions"] == counts["interactions.jsonl"]
        second = tmp_path / "second"
        export_store(target, second, as_of=date(2026, 11, 20))
        assert _archive_bytes(first) == _archive_bytes(second)  # every table, byte for byte, and the findings
        assert check(target).clean
        hits = Searcher(target).search("outage root cause", k=3)
        assert hits == Searcher(workspace).search("outage root cause", k=3)
        from coach.auth import Users

        assert Users(target.db).authenticate("ana@vendor.example", "ana-password") is not None
        assert Users(target.db).user_for_token(env.tokens["ben"]) is not None
        new_user = Users(target.db).add("new@vendor.example", "New Person", "rep", "new-password")
        assert new_user.id > 4  # ids after the imported ones (sequences moved on PostgreSQL)
        with pytest.raises(Exception, match="not empty"):
            import_store(target, first)
    finally:
        target.close()


def test_a_damaged_archive_is_refused_before_anything_is_written(
    workspace, another_store, tmp_path, embedder
):
    two_teams(workspace)
    folder = tmp_path / "archive"
    export_store(workspace, folder)
    path = folder / "interactions.jsonl"
    path.write_bytes(path.read_bytes().replace(b"outage", b"0utage", 1))
    target = Workspace(another_store, embedder=embedder)
    try:
        with pytest.raises(Exception, match="does not match its checksum"):
            import_store(target, folder)
        with target.db.session() as session:
            assert session.scalar(select(func.count()).select_from(InteractionRow)) == 0
    finally:
        target.close()
    with pytest.raises(Exception, match="not empty"):
        export_store(workspace, folder)


def test_slack_links_are_shared_by_every_api_process(workspace):
    from coach.auth import Users
    from coach.slackbot.links import SlackLinks

    ana = Users(workspace.db).add("ana@vendor.example", "Ana Lima", "rep", "ana-password")
    code = SlackLinks(workspace.db).new_code("U123", "Ana")
    assert SlackLinks(workspace.db).confirm(code, ana.id) == "U123"  # confirmed on one worker
    # another worker, or after a restart
    assert SlackLinks(workspace.db).linked_email("U123") == "ana@vendor.example"
    assert SlackLinks(workspace.db).linked_email("U999") is None


def test_serve_refuses_several_workers_on_the_embedded_index(settings, monkeypatch):
    from typer.testing import CliRunner

    from coach.cli import app
    from coach.config import get_settings

    if settings.chroma_url or os.environ.get("COACH_CHROMA_URL"):
        pytest.skip("this test is about the embedded index")
    monkeypatch.setenv("COACH_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve", "--workers", "4"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "several workers need a Chroma server" in " ".join(result.output.split())


def test_several_workers_share_sessions_limits_and_data(workspace, tmp_path):
    """`coach serve --workers 3` on PostgreSQL + a Chroma server: a session signed in on one worker is good on
    the others, failed sign-ins count across workers, and what one worker stores every other one reads."""
    import re
    import socket

    import httpx

    if not (
        workspace.settings.chroma_url and workspace.settings.resolved_database_url.startswith("postgresql")
    ):
        pytest.skip("needs PostgreSQL and a Chroma server (COACH_TEST_BACKEND=server; .ci/run's second pass)")
    env_ = two_teams(workspace)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(
        _cli_env(workspace.settings),
        COACH_SECRET_KEY="multi-worker-test-secret",
        COACH_SIGN_IN_MAX_FAILURES="4",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "coach.cli", "serve", "--port", str(port), "--workers", "3"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        pids = set()
        for _ in range(30):  # new connections: the kernel spreads them over the workers
            with httpx.Client(base_url=base, timeout=PATIENT) as fresh:
                pids.add(fresh.get("/healthz", headers={"Connection": "close"}).headers.get("x-coach-worker"))
        assert len(pids - {None}) >= 2, f"requests did not reach several workers: {pids}"

        with httpx.Client(base_url=base, timeout=PATIENT) as browser:
            csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text).group(1)
            signed = browser.post(
                "/login", data={"email": "ana@vendor.example", "password": "ana-password", "csrf": csrf}
            )
            assert signed.status_code in (200, 303)
            cookie = browser.cookies.get("coach_session")
        for _ in range(10):  # each on a new connection: any worker knows the session
            with httpx.Client(base_url=base, timeout=PATIENT, cookies={"coach_session": cookie}) as other:
                page = other.get("/", headers={"Accept": "text/html", "Connection": "close"})
                assert page.status_code == 200 and "Pinecrest Utilities" in page.text

        statuses = []
        for attempt in range(6):  # failures on whichever worker: the database counts them all
            with httpx.Client(base_url=base, timeout=PATIENT) as client:
                csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
                statuses.append(
                    client.post(
                        "/login",
                        data={"email": "ben@vendor.example", "password": f"x{attempt}", "csrf": csrf},
                    ).status_code
                )
        assert statuses[:4] == [400] * 4 and statuses[4:] == [429, 429], statuses

        headers = {"Authorization": f"Bearer {env_.tokens['ana']}"}
        ids = []
        for i in range(9):
            with httpx.Client(base_url=base, timeout=PATIENT, headers=headers) as client:
                response = client.post(
                    "/v1/interactions",
                    json={
                        "account": "Pinecrest Utilities",
                        "date": "2026-11-19",
                        "text": f"Call {i}. Mei asked for the outage report for depot {i}.",
                    },
                )
                assert response.status_code == 201, response.text
                ids.append(response.json()["interaction"]["id"])
        for interaction in ids:
            with httpx.Client(base_url=base, timeout=PATIENT, headers=headers) as client:
                assert client.get(f"/v1/interactions/{interaction}").status_code == 200
            with httpx.Client(base_url=base, timeout=PATIENT, headers=headers) as client:
                hits = client.get("/v1/search", params={"q": "outage report for depot", "k": 20}).json()
                assert interaction in {h["interaction"] for h in hits}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
