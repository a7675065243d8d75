import json

import pytest
from typer.testing import CliRunner

from coach.cli import app
from coach.config import get_settings
from tests.conftest import FIXTURES, SERVER, write

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COACH_INTERNAL_DOMAINS", "atlasfieldcloud.com, example.org")
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def run(*args, input=None):  # noqa: A002 - CliRunner.invoke's name
    return runner.invoke(app, list(args), input=input)


def test_empty_store_says_what_to_do():
    result = run("accounts")
    assert result.exit_code == 0 and "No accounts yet" in result.output and "coach ingest" in result.output


def test_pasted_text_from_stdin(data_dir):
    result = run(
        "ingest",
        "--account",
        "Pinecrest Utilities",
        "--kind",
        "call",
        "--date",
        "2026-10-21",
        "--rep",
        "Imani Okoro",
        "-",
        input="Mei asked for a fix to battery drain before winter storms.\n",
    )
    assert result.exit_code == 0, result.output
    assert "added 1" in result.output
    if not SERVER:  # on PostgreSQL and a Chroma server nothing but caches lives in the data folder
        assert (data_dir / "coach.db").exists() and (data_dir / "chroma").is_dir()
    shown = json.loads(run("show", "pinecrest utilities", "--json").output)
    (item,) = shown["interactions"]
    assert item["kind"] == "call" and item["date"] == "2026-10-21" and item["rep"] == "Imani Okoro"
    again = run(
        "ingest",
        "--account",
        "Pinecrest Utilities",
        "--kind",
        "call",
        "--date",
        "2026-10-21",
        "--rep",
        "Imani Okoro",
        "-",
        input="Mei asked for a fix to battery drain before winter storms.\n",
    )
    assert "added 0" in again.output and "unchanged 1" in again.output


def test_pasted_text_needs_an_account_and_valid_utf8():
    result = run("ingest", "-", input="some note")
    assert result.exit_code == 2 and "--account" in result.output
    result = run("ingest", "--date", "31/31/2026", "--account", "A", "-", input="x")
    assert result.exit_code == 2 and "31/31/2026" in result.output


def test_bulk_ingest_reports_each_rejection_and_exits_1(tmp_path):
    good = write(
        tmp_path / "in" / "a.jsonl",
        json.dumps({"account": "Quayside", "text": "Weekly status."}) + "\nnot json\n",
    )
    write(tmp_path / "in" / "b.bin.jsonl", bytes(range(256)))
    write(tmp_path / "in" / "notes.xyz", "??")
    result = run("ingest", str(tmp_path / "in"), str(FIXTURES / "ES9999z.json"), "--account", "AMI")
    assert result.exit_code == 1
    assert "added 2" in result.output and "rejected 2" in result.output
    assert f"{good}:2: not valid JSON" in result.output.replace("\n", "")
    assert "binary file" in result.output and "skipped 1 file" in result.output


def test_accounts_show_and_search(tmp_path):
    records = [
        {
            "id": "1",
            "account": "Norrland Medical Devices",
            "date": "2026-08-26",
            "kind": "call",
            "text": "Auditors want signed service records for each hospital visit.",
        },
        {
            "id": "2",
            "account": "Quayside Elevators",
            "date": "2026-08-13",
            "kind": "meeting",
            "text": "Weekly status, eleven open items, nothing decided.",
        },
    ]
    run("ingest", str(write(tmp_path / "r.jsonl", "\n".join(json.dumps(r) for r in records))))
    listed = json.loads(run("accounts", "--json").output)
    assert [a["account"] for a in listed] == ["Norrland Medical Devices", "Quayside Elevators"]
    table = run("accounts").output
    assert "Norrland Medical Devices" in table and "2 accounts" in table
    found = json.loads(run("search", "regulatory sign-off paperwork", "-k", "1", "--json").output)
    assert found[0]["interaction"] == "1" and found[0]["excerpt"].startswith("Auditors want")
    text = run("search", "regulatory sign-off paperwork", "-k", "1").output
    assert "Norrland Medical Devices" in text and "Auditors want" in text
    missing = run("show", "Quaysid Elevator")
    assert missing.exit_code == 1 and "Did you mean: Quayside Elevators" in missing.output


def test_reindex_rebuilds_and_reports(tmp_path):
    run("ingest", str(FIXTURES / "ES9999z.json"), "--account", "AMI")
    result = run("reindex")
    assert result.exit_code == 0 and "indexed 1 interactions" in result.output
    result = run("reindex", "--missing-only")
    assert result.exit_code == 0 and "indexed 0 interactions" in result.output


def test_demo_loads_the_bundled_sample_and_is_idempotent():
    first = run("demo")
    assert first.exit_code == 0, first.output
    assert "rejected 0" in first.output
    for account in (
        "Pinecrest Utilities",
        "Harbor & Vine Hospitality",
        "Norrland Medical Devices",
        "Quayside Elevators",
    ):
        assert account in first.output
    search_part = first.output.split("4. search")[1]
    first_hit = search_part.split("2. ")[0]
    assert "Harbor & Vine Hospitality" in first_hit and "outage" in first_hit  # found by meaning
    second = run("demo")
    assert "added 0" in second.output and "rejected 0" in second.output


def test_help_lists_every_command():
    result = run("--help")
    for command in ("ingest", "accounts", "show", "search", "reindex", "demo"):
        assert command in result.output


def test_analyze_writes_only_in_the_data_folder(tmp_path):
    """`coach analyze` with COACH_DATA_DIR set writes nothing to HOME or the working directory."""
    import os
    import subprocess
    import sys

    home, cwd, data = tmp_path / "home", tmp_path / "cwd", tmp_path / "data"
    home.mkdir()
    cwd.mkdir()
    notes = write(
        tmp_path / "in" / "n.jsonl",
        json.dumps(
            {
                "id": "1",
                "account": "Acme",
                "date": "2026-05-01",
                "text": "Lena asked for SSO; we'll look into it.",
            }
        ),
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COACH_", "ORT_"))}
    env.update(HOME=str(home), COACH_DATA_DIR=str(data), XDG_CACHE_HOME=str(home / ".cache"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "coach.cli",
            "analyze",
            str(notes),
            "--as-of",
            "2026-06-01",
            "--format",
            "json",
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["accounts"][0]["unaddressed_problems"]
    assert list(home.rglob("*")) == [] and list(cwd.rglob("*")) == []
    assert (data / "coach.db").exists()


def test_help_imports_no_heavy_module():
    """`coach --help` starts fast: the store, the models, the settings and the web app are imported by the
    commands that use them (measured with `python -X importtime`: README, the CLI)."""
    import subprocess
    import sys

    heavy = ("sqlalchemy", "numpy", "pydantic", "coach.config", "coach.workspace", "fastapi", "onnxruntime")
    probe = (
        "import sys, coach.cli; from typer.testing import CliRunner; "
        "r = CliRunner().invoke(coach.cli.app, ['--help']); assert r.exit_code == 0, r.output; "
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"imported for --help: {result.stdout.strip()}"
