"""The LLM chain: read, link, judge. Each step answers from a real openai client against a loopback server (or a
recorded cassette), falls back on its own, and the brief reads the same facts and links as the report."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from coach import prompts
from coach.briefs import BriefRequest, BriefService
from coach.engines import analyzer, for_workspace
from coach.ingest.jsonl import read_jsonl
from coach.ingest.pipeline import IngestPipeline
from coach.workspace import Workspace
from tests.conftest import shared_or_skip
from tests.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 20)
RAISED = {
    "id": "ch-1",
    "account": "Harrow Mills",
    "kind": "call",
    "date": "2026-06-02",
    "rep": "Lena Park",
    "participants": [{"name": "Lena Park", "side": "internal"}, {"name": "Omar Reyes", "side": "customer"}],
    "text": "Call with Omar. Omar complained that the night shift waits weeks for spare belts. I said I'd check.",
}
LATER = {
    "id": "ch-2",
    "account": "Harrow Mills",
    "kind": "note",
    "date": "2026-09-15",
    "rep": "Lena Park",
    "text": "Visited the mill. A stocked parts cage now sits beside line 3, refilled every Friday by our depot.",
}
PROBLEM = "Omar complained that the night shift waits weeks for spare belts."
FIX = "A stocked parts cage now sits beside line 3, refilled every Friday by our depot."


def _reading(engagement_quote: str, items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"engagement": "tactical", "engagement_quote": engagement_quote, "customer_items": items or []}


READS = {
    "ch-1": _reading(
        "Call with Omar.",
        [
            {
                "kind": "complaint",
                "quote": PROBLEM,
                "raised_by": "Omar Reyes",
                "response": "vague",
                "response_quote": "I said I'd check.",
            }
        ],
    ),
    "ch-2": _reading("Visited the mill."),
}


class Scripted:
    """A model that answers each step from a script, or fails the steps named in ``failing``."""

    def __init__(self, link: dict[str, Any], failing: set[str] | None = None) -> None:
        self.link, self.failing = link, failing or set()
        self.asked: list[str] = []

    def __call__(self, body: dict[str, Any]) -> tuple[str, Any]:
        system, human = (m["content"] for m in body["messages"])
        step = (
            "read"
            if "You read ONE record" in system
            else "link"
            if "You check whether a problem" in system
            else "brief"
        )
        self.asked.append(step)
        if step in self.failing:
            return "status", 500
        if step == "read":
            return "json", READS["ch-1" if "night shift" in human else "ch-2"]
        if step == "link":
            return "json", self.link
        return "status", 500


@pytest.fixture
def chain(settings, embedder, tmp_path) -> Callable[[Scripted], tuple[Workspace, FakeOpenAI]]:
    opened: list[tuple[Workspace, FakeOpenAI]] = []

    def make(model: Scripted) -> tuple[Workspace, FakeOpenAI]:
        server = FakeOpenAI()
        server.default = ("script", model)
        configured = settings.model_copy(
            update={
                "engine": "llm",
                "openai_api_key": "k",
                "openai_base_url": server.url,
                "llm_model": "m",
                "llm_retries": 0,
                "llm_timeout_seconds": 5.0,
            }
        )
        ws = Workspace(configured, embedder=embedder)
        pipeline = IngestPipeline(ws)
        pipeline.ingest(
            read_jsonl(
                "\n".join(json.dumps(r) for r in (RAISED, LATER)).encode(), "c.jsonl", pipeline.defaults()
            )
        )
        opened.append((ws, server))
        return ws, server

    yield make
    for ws, server in opened:
        ws.close()
        server.close()


def _report(ws: Workspace) -> dict[str, Any]:
    return analyzer(ws, for_workspace(ws)).report(AS_OF).to_json()


def test_a_fix_in_other_words_months_later_closes_the_problem_through_the_link(chain):
    ws, _ = chain(Scripted({"status": "fixed", "interaction": "ch-2", "quote": FIX, "why": "parts on site"}))
    report = _report(ws)
    account = report["accounts"][0]
    assert (
        report["engine"] == "llm:m"
        and account["unaddressed_problems"] == []
        and account["addressed_problems"] == 1
    )
    brief = BriefService(ws, analyzer=analyzer(ws, for_workspace(ws))).brief(
        BriefRequest("Harrow Mills", date=AS_OF)
    )
    assert brief.open_problems == []  # the brief reads the same facts and links


def test_the_model_saying_none_keeps_it_open(chain):
    ws, _ = chain(Scripted({"status": "none", "interaction": "", "quote": "", "why": "not addressed"}))
    assert [p["raised_in"] for p in _report(ws)["accounts"][0]["unaddressed_problems"]] == ["ch-1"]


def test_a_link_whose_quote_is_not_in_the_later_notes_is_not_accepted(chain):
    ws, _ = chain(
        Scripted({"status": "fixed", "interaction": "ch-2", "quote": "We replaced every belt.", "why": ""})
    )
    report = _report(ws)
    assert report["engine_detail"]["fallbacks"] == [
        {"step": "link", "reason": "the model's quote was not in the later notes", "count": 1}
    ]


def test_the_read_step_falls_back_alone(chain):
    model = Scripted({"status": "fixed", "interaction": "ch-2", "quote": FIX, "why": ""}, failing={"read"})
    ws, _ = chain(model)
    report = _report(ws)
    steps = {f["step"] for f in report["engine_detail"]["fallbacks"]}
    assert steps == {"read"} and report["engine"].startswith(
        "offline (fallback from llm:m: server error (500)"
    )
    assert "link" in model.asked  # the link step still ran, on the offline engine's problems
    assert report["accounts"][0]["unaddressed_problems"] == []


def test_the_link_step_falls_back_alone(chain):
    model = Scripted({}, failing={"link"})
    ws, _ = chain(model)
    report = _report(ws)
    assert {f["step"] for f in report["engine_detail"]["fallbacks"]} == {"link"}
    assert report["engine_detail"]["answered"] == 2  # both interactions read by the model
    assert report["engine"].startswith("llm:m (offline fallback")


def test_the_brief_writer_falls_back_alone(chain):
    ws, _ = chain(Scripted({"status": "none", "interaction": "", "quote": "", "why": ""}, failing={"brief"}))
    engines = for_workspace(ws)
    brief = BriefService(ws, analyzer=analyzer(ws, engines), writer=engines.brief_writer).brief(
        BriefRequest("Harrow Mills", date=AS_OF)
    )
    assert brief.engine_detail.fallbacks[0].step == "brief" and brief.open_problems
    assert not {f.step for f in analyzer(ws, engines).report(AS_OF).engine_detail.fallbacks}


def test_reanalysing_an_unchanged_account_costs_no_call(chain):
    model = Scripted({"status": "none", "interaction": "", "quote": "", "why": ""})
    ws, server = chain(model)
    first = _report(ws)
    asked = len(server.requests)
    again = analyzer(ws, for_workspace(ws)).report(AS_OF)
    assert asked == 3 and len(server.requests) == asked  # two reads and one link, then nothing
    assert first["engine_detail"]["usage"]["calls"] == 3 and again.engine_detail.usage["calls"] == 0
    assert first["engine_detail"]["usage"]["prompt_tokens"] > 1000


def test_a_record_over_the_prompt_budget_is_read_in_parts_that_fit(chain, settings):
    ws, _ = chain(Scripted({"status": "none", "interaction": "", "quote": "", "why": ""}))
    long_note = dict(
        RAISED,
        id="ch-long",
        text="\n".join(f"Line {i}: the crew walked bay {i} and logged the gauges." for i in range(400)),
    )
    pipeline = IngestPipeline(ws)
    pipeline.ingest(read_jsonl(json.dumps(long_note).encode(), "l.jsonl", pipeline.defaults()))
    configured = ws.settings.model_copy(update={"llm_prompt_tokens": 2500})
    engines = for_workspace(Workspace(configured, embedder=ws.embedder), "llm")
    from coach.analysis.service import view_of
    from coach.store.repository import Repository

    with ws.db.session() as session:
        view = view_of(Repository(session).interaction("ch-long"))
    parts = engines.extractor.prompts(view)  # type: ignore[attr-defined]
    assert len(parts) >= 3
    for part in parts:
        assert ws.tokens.count(part.system) + ws.tokens.count(part.human) <= 2500
    assert (
        "".join(p.human.split("<<<RECORD\n", 1)[1].split("\nRECORD>>>")[0] for p in parts).count("Line ")
        == 400
    )


# --- recorded cassettes --------------------------------------------------------------------------------------
CASSETTES = [
    *sorted((ROOT / "tests" / "fixtures" / "cassettes").glob("*.jsonl")),
    ROOT / "coach" / "cassettes" / "sample.jsonl",
]


@pytest.mark.parametrize("path", CASSETTES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_cassette_answers_the_current_prompts(path):
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert entries
    stale = {(e["prompt"], e["version"]) for e in entries if e["version"] != prompts.version(e["prompt"])}
    assert not stale, (
        f"{path.name} was recorded with {sorted(stale)}: record it again (tests/fixtures/cassettes/README.md)"
    )
    assert all(isinstance(e["answer"], dict) for e in entries), f"{path.name} has prompts with no answer"


@pytest.mark.shared
@pytest.mark.parametrize("name,minimum", [("dev", 0.92), ("dev2", 0.90)])
def test_the_recorded_chain_scores_on_the_labelled_sets_with_no_fallback(
    name, minimum, settings, embedder, tmp_path
):
    folder = shared_or_skip("eval", name)
    truth = json.loads((folder / "truth.json").read_text())
    configured = settings.model_copy(
        update={"llm_cassette": ROOT / "tests" / "fixtures" / "cassettes" / f"{name}.jsonl"}
    )
    ws = Workspace(configured, embedder=embedder)
    try:
        pipeline = IngestPipeline(ws)
        pipeline.ingest(
            read_jsonl((folder / "interactions.jsonl").read_bytes(), "i.jsonl", pipeline.defaults())
        )
        report = analyzer(ws, for_workspace(ws, "llm")).report(date.fromisoformat(truth["as_of"]))
    finally:
        ws.close()
    assert report.engine == "llm:claude-subagent" and not report.engine_detail.fallbacks
    out = tmp_path / "report.json"
    out.write_text(json.dumps(report.to_json()))
    scored = subprocess.run(
        [
            sys.executable,
            str(folder.parent / "score.py"),
            str(out),
            str(folder / "truth.json"),
            str(folder / "interactions.jsonl"),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(scored.stdout)["score"] >= minimum
