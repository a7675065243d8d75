"""LLM faults at the network edge: the real openai client and LangChain against a loopback server that times out,
drops connections, rate-limits, fails, truncates or invents. Each scenario says which engine answered and how."""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from coach.config import Settings
from coach.engines import analyzer, for_workspace
from coach.ingest.jsonl import read_jsonl
from coach.ingest.pipeline import IngestPipeline
from coach.workspace import Workspace
from tests.fake_openai import FakeOpenAI

AS_OF = date(2026, 11, 20)
NOTE = {
    "id": "fault-1",
    "account": "Larchmont Transit",
    "kind": "call",
    "date": "2026-10-21",
    "rep": "Imani Okoro",
    "participants": [
        {"name": "Imani Okoro", "side": "internal"},
        {"name": "Rosa Vidal", "side": "customer", "title": "Operations Director"},
    ],
    "text": "Check-in with Rosa. Drivers lose the route sheet when the tablet reboots, which happens daily. "
    "Rosa asked for a fix before the timetable change. I said I'd take it to product.",
}
GOOD = {
    "engagement": "tactical",
    "engagement_quote": "Check-in with Rosa.",
    "customer_items": [
        {
            "kind": "complaint",
            "quote": "Drivers lose the route sheet when the tablet reboots, which happens daily.",
            "raised_by": "Rosa Vidal",
            "response": "vague",
            "response_quote": "I said I'd take it to product.",
        }
    ],
    "our_actions": [],
    "strategic_topics": [],
    "competitors": [],
}
INVENTED = dict(
    GOOD,
    customer_items=[
        {
            "kind": "complaint",
            "quote": "Rosa said the whole contract is at risk and she is talking to a rival.",
            "raised_by": "Rosa Vidal",
            "response": "none",
        },
        *GOOD["customer_items"],
    ],
    competitors=[
        {"name": "Routewise", "nature": "active", "quote": "They are piloting Routewise next month."}
    ],
)
TRUNCATED = json.dumps(GOOD)[:70]
SCHEMA_VIOLATION = {"engagement": "very strategic", "customer_items": "none"}

# name -> (replies queued in order, what must happen)
SCENARIOS: dict[str, tuple[list[tuple[str, Any]], str]] = {
    "timeout, every try": ([("sleep", 1.0)] * 3, "fallback:timeout"),
    "timeout, then an answer": ([("sleep", 1.0), ("json", GOOD)], "llm"),
    "connection reset, every try": ([("reset", None)] * 3, "fallback:model unreachable"),
    "connection reset, then an answer": ([("reset", None), ("json", GOOD)], "llm"),
    "429 with Retry-After 1 s, then an answer": ([("retry_after", 1), ("json", GOOD)], "llm"),
    # Beyond the client's longest wait (120 s) a Retry-After is not waited for: the step falls back at once.
    "429 with Retry-After 600 s": ([("retry_after", 600)], "fallback:rate limited"),
    "429, every try": ([("status", 429)] * 3, "fallback:rate limited"),
    "500, every try": ([("status", 500)] * 3, "fallback:server error (500)"),
    "503, then an answer": ([("status", 503), ("json", GOOD)], "llm"),
    "401 (bad key): not retried": ([("status", 401)], "fallback:refused by the model server (401)"),
    "truncated JSON, twice": ([("raw", TRUNCATED)] * 2, "fallback:malformed output"),
    "truncated JSON, then an answer": ([("raw", TRUNCATED), ("json", GOOD)], "llm"),
    "schema-violating JSON, twice": ([("json", SCHEMA_VIOLATION)] * 2, "fallback:malformed output"),
    "invented quotes": ([("json", INVENTED)], "llm"),
}


@dataclass
class FaultOutcome:
    scenario: str
    expected: str
    engine: str
    requests: int
    seconds: float
    ok: bool
    detail: str = ""


def run_scenario(name: str, embedder: Any, workdir: Path | None = None, retries: int = 2) -> FaultOutcome:
    """Run one scenario; with ``retries`` other than the default the script's length is not checked (a baseline)."""
    replies, expected = SCENARIOS[name]
    server = FakeOpenAI()
    folder = Path(tempfile.mkdtemp(dir=workdir))
    settings = Settings(
        data_dir=folder,
        _env_file=None,
        engine="llm",
        openai_api_key="test-key",
        openai_base_url=server.url,
        llm_model="test-model",
        llm_timeout_seconds=0.5,
        llm_retries=retries,
    )
    ws = Workspace(settings, embedder=embedder)
    try:
        pipeline = IngestPipeline(ws)
        pipeline.ingest(read_jsonl(json.dumps(NOTE).encode(), "fault.jsonl", pipeline.defaults()))
        for kind, value in replies:
            server.reply(value, kind=kind)
        server.default = ("json", GOOD)  # anything beyond the script answers well: extra tries would show
        started = time.perf_counter()
        report = analyzer(ws, for_workspace(ws, "llm")).report(AS_OF).to_json()
        seconds = time.perf_counter() - started
        engine = report["engine"]
        account = report["accounts"][0]
        quotes = [
            (e["interaction"], e["quote"]) for p in account["unaddressed_problems"] for e in p["evidence"]
        ]
        quotes += [(e["interaction"], e["quote"]) for r in account["risks"] for e in r["evidence"]]
        verbatim = all(q in NOTE["text"] for i, q in quotes if i == NOTE["id"])
        problems = account["unaddressed_problems"]
        detail = []
        if expected == "llm":
            ok = engine == "llm:test-model"
        else:
            ok = engine.startswith(f"offline (fallback from llm:test-model: {expected.split(':', 1)[1]}")
        used = len(server.requests)
        scripted = len(replies)
        if (
            used != scripted and retries == 2
        ):  # every scripted reply was used, and nothing more (bounded retries)
            ok = False
            detail.append(f"{used} requests for {scripted} scripted replies")
        if name == "429 with Retry-After 1 s, then an answer" and seconds < 1.0:
            ok = False
            detail.append(f"answered after {seconds:.2f} s: Retry-After not honoured")
        if not verbatim:
            ok = False
            detail.append("a quote is not verbatim")
        if not problems:
            ok = False
            detail.append("the open problem was lost")
        if name == "invented quotes":
            invented = [q for _, q in quotes if "contract is at risk" in q] + [
                r for r in account["risks"] if r["code"] == "competitors_inside"
            ]
            if invented:
                ok = False
                detail.append("an invented quote or competitor was kept")
        return FaultOutcome(name, expected, engine, used, seconds, ok, "; ".join(detail))
    finally:
        ws.close()
        server.close()


def run_all(embedder: Any, workdir: Path | None = None) -> list[FaultOutcome]:
    return [run_scenario(name, embedder, workdir) for name in SCENARIOS]
