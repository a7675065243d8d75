"""LLM faults, PII masking and API fuzzing: the scenarios bench/robustness.py prints, asserted here."""

from __future__ import annotations

import json

import pytest

from api.app import create_app
from coach.llm import LLMUnavailable, Messages, StructuredCall, chat_model
from coach.pii import mask
from tests.hardening.env import two_teams
from tests.hardening.faults import SCENARIOS, run_scenario
from tests.hardening.fuzz import fuzz_api


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_llm_fault_scenario(scenario, embedder, tmp_path):
    outcome = run_scenario(scenario, embedder, tmp_path)
    assert outcome.ok, f"{scenario}: engine={outcome.engine!r}, {outcome.requests} requests; {outcome.detail}"


def test_the_client_retries_transient_failures_as_configured_then_the_call_gives_up(settings):
    from pydantic import BaseModel

    from tests.fake_openai import FakeOpenAI

    class Answer(BaseModel):
        word: str

    server = FakeOpenAI()
    try:
        for _ in range(4):
            server.reply(503, kind="status")
        configured = settings.model_copy(
            update={"openai_api_key": "k", "openai_base_url": server.url, "llm_retries": 3}
        )
        call = StructuredCall(chat_model(configured), Answer, "extract", "1", "m")
        with pytest.raises(LLMUnavailable, match=r"server error \(503\)"):
            call.ask(Messages("Answer with one word.", "say a word"), "subject")
        assert len(server.requests) == 4 and call.attempts == ["server error (503)"]
    finally:
        server.close()


def test_a_bug_in_our_code_is_raised_not_reported_as_malformed_output(settings):
    from pydantic import BaseModel, field_validator

    from tests.fake_openai import FakeOpenAI

    class Answer(BaseModel):
        word: str

        @field_validator("word")
        @classmethod
        def _broken(cls, value: str) -> str:
            raise ZeroDivisionError("a bug")

    server = FakeOpenAI()
    try:
        server.reply({"word": "hello"}, kind="json")
        configured = settings.model_copy(update={"openai_api_key": "k", "openai_base_url": server.url})
        call = StructuredCall(chat_model(configured), Answer, "extract", "1", "m")
        with pytest.raises(ZeroDivisionError):
            call.ask(Messages("Answer with one word.", "say a word"), "subject")
    finally:
        server.close()


# --- PII ------------------------------------------------------------------------------------------
def test_masking_hides_addresses_and_phone_numbers_but_not_dates_amounts_or_ids():
    text = (
        "Call Mei on +1 (415) 555-0132 or at mei.tanaka@pinecrest.example; the desk is 020 7946 0958 ext 12. "
        "Budget 1,200,000 approved on 2026-11-20 (12/05/2026); ticket 4821, PO-2026-114522, 15.3% uplift. "
        "Mei again: mei.tanaka@pinecrest.example."
    )
    masked = mask(text)
    for secret in ("415", "mei.tanaka", "7946"):
        assert secret not in masked.text
    for kept in ("1,200,000", "2026-11-20", "12/05/2026", "4821", "PO-2026-114522", "15.3%"):
        assert kept in masked.text
    assert masked.text.count("<email-1>") == 2 and "<phone-2>" in masked.text
    assert masked.restore(masked.text) == text


def test_a_text_that_already_holds_a_placeholder_is_restored_exactly():
    text = "The template said <email-1>; the real one is ops@harbor.example."
    masked = mask(text)
    assert "ops@harbor.example" not in masked.text and masked.restore(masked.text) == text


def test_the_llm_sees_placeholders_and_the_findings_keep_the_real_quote(embedder, tmp_path):
    from coach.config import Settings
    from coach.engines import analyzer, for_workspace
    from coach.ingest.jsonl import read_jsonl
    from coach.ingest.pipeline import IngestPipeline
    from coach.workspace import Workspace
    from tests.fake_openai import FakeOpenAI
    from tests.hardening.faults import AS_OF

    note = {
        "id": "pii-1",
        "account": "Larchmont Transit",
        "kind": "call",
        "date": "2026-10-21",
        "text": "Call with Rosa. Rosa complained that alerts to rosa.vidal@larchmont.example bounce and asked us "
        "to call +44 20 7946 0958 instead. I said I'd check.",
    }
    quote = "Rosa complained that alerts to <email-1> bounce and asked us to call <phone-1> instead."
    server = FakeOpenAI()
    server.reply(
        {
            "engagement": "tactical",
            "engagement_quote": "Call with Rosa.",
            "customer_items": [
                {
                    "kind": "complaint",
                    "quote": quote,
                    "raised_by": "Rosa",
                    "response": "vague",
                    "response_quote": "I said I'd check.",
                }
            ],
            "our_actions": [],
            "strategic_topics": [],
            "competitors": [],
        }
    )
    for mask_pii, expect_masked in ((True, True), (False, False)):
        note = dict(
            note, id=f"pii-{mask_pii}"
        )  # a new interaction each time (the stores may be one database)
        settings = Settings(
            data_dir=tmp_path / f"d{mask_pii}",
            _env_file=None,
            engine="llm",
            openai_api_key="k",
            openai_base_url=server.url,
            llm_model="test-model",
            llm_mask_pii=mask_pii,
        )
        ws = Workspace(settings, embedder=embedder)
        try:
            pipeline = IngestPipeline(ws)
            pipeline.ingest(read_jsonl(json.dumps(note).encode(), "n.jsonl", pipeline.defaults()))
            if not mask_pii:
                server.reply(
                    {
                        "engagement": "tactical",
                        "engagement_quote": "Call with Rosa.",
                        "customer_items": [],
                        "our_actions": [],
                        "strategic_topics": [],
                        "competitors": [],
                    }
                )
            report = analyzer(ws, for_workspace(ws, "llm")).report(AS_OF).to_json()
        finally:
            ws.close()
        prompt = server.prompts()[-1]
        assert ("rosa.vidal@larchmont.example" not in prompt and "7946" not in prompt) is expect_masked
        if mask_pii:
            assert report["engine"] == "llm:test-model"
            quotes = [
                e["quote"] for p in report["accounts"][0]["unaddressed_problems"] for e in p["evidence"]
            ]
            assert any("rosa.vidal@larchmont.example" in q and "+44 20 7946 0958" in q for q in quotes), (
                quotes
            )
            assert all(q in note["text"] for q in quotes)
    server.close()


# --- API fuzzing ----------------------------------------------------------------------------------
def test_schemathesis_finds_no_server_error_or_schema_violation(workspace):
    env = two_teams(workspace)
    result = fuzz_api(
        create_app(workspace.settings, workspace),
        env.tokens["ana"],
        examples=30,
        account="Pinecrest Utilities",
    )
    assert result.operations >= 8 and result.cases >= 400
    assert not result.failures, "\n".join(result.failures[:5])


def test_schemathesis_on_the_managers_operations_as_a_manager(workspace):
    """The portfolio and setting measures answer a rep 403; fuzzed again with a manager's token, their code runs."""
    env = two_teams(workspace)
    result = fuzz_api(
        create_app(workspace.settings, workspace),
        env.tokens["mia"],
        examples=30,
        account="Pinecrest Utilities",
        only=("/portfolio", "/measures"),
    )
    assert result.operations == 3 and result.cases >= 150
    assert not result.failures, "\n".join(result.failures[:5])
