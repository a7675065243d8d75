"""Golden tests: what each prompt renders is pinned; a change to a prompt is a reviewed change to this file."""

import os
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from coach import prompts
from coach.resources import folder

GOLDEN = Path(__file__).parent / "golden"
CASES = {
    "read": dict(
        account="Quayside Elevators",
        kind="meeting",
        date="2026-08-13",
        rep="Ruth Achebe",
        series="Quayside weekly status",
        duration=45,
        participants=[
            {"name": "Ruth Achebe", "side": "internal", "title": "Customer Success Manager"},
            {"name": "Niamh Doyle", "side": "customer", "title": None},
        ],
        text="Weekly status. Niamh said dispatchers still double-enter call-outs.\nNothing decided.",
        part=0,
        parts=0,
    ),
    "link": dict(
        account="Quayside Elevators",
        raised_in="smp-010",
        raised_on="2026-08-13",
        raised_by="Niamh Doyle",
        kind="complaint",
        problem="Niamh said dispatchers still double-enter call-outs.",
        response="only a vague answer",
        response_quote="We'll look into it.",
        later=[
            {
                "id": "smp-014",
                "date": "2026-09-02",
                "kind": "email",
                "series": None,
                "text": "The dispatch import went live today: call-outs now flow in without re-typing.",
            },
        ],
        left_out=0,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_prompt_renders_as_pinned(name):
    messages = prompts.messages(name, **CASES[name])
    rendered = f"--- system ---\n{messages.system}--- human ---\n{messages.human}"
    golden = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


def test_every_prompt_states_a_version_and_refuses_missing_values():
    for path in folder("prompts").glob("*.j2"):
        assert prompts.version(path.stem)
    with pytest.raises(UndefinedError):
        prompts.messages("read", account="A")


def test_a_model_prompt_keeps_instructions_and_the_notes_in_separate_messages():
    messages = prompts.messages("read", **CASES["read"])
    assert "VERBATIM" in messages.system and "double-enter" not in messages.system
    assert "double-enter call-outs" in messages.human and "VERBATIM" not in messages.human
    link = prompts.messages("link", **CASES["link"])
    assert "VERBATIM" in link.system and "smp-014" not in link.system and "without re-typing" in link.human
