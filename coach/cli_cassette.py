"""``coach cassette``: recorded model answers, for measuring and demonstrating the LLM chain without a model.

Record: run with ``COACH_LLM_CASSETTE=FILE COACH_LLM_CASSETTE_RECORD=true`` and the prompts a run would send go
into FILE with empty answers. ``coach cassette prompts FILE OUT.jsonl`` writes those prompts for whoever answers
them; ``coach cassette fill FILE ANSWERS.jsonl`` puts the answers in, refusing any whose quotes are not verbatim
in their prompt. Run again (still recording) for the prompts that depend on earlier answers (the link step reads
the read step's problems), until ``coach cassette status FILE`` shows none left; then replay with
``COACH_LLM_CASSETTE=FILE`` alone.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

out = Console()
err = Console(stderr=True)
cassette_app = typer.Typer(
    help="Recorded model answers: status, the prompts to answer, filling answers in.", no_args_is_help=True
)


def _entries(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        err.print(f"[bold red]error:[/] no cassette at {path}")
        raise typer.Exit(1)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@cassette_app.command()
def status(cassette: Annotated[Path, typer.Argument(help="The cassette (JSONL).")]) -> None:
    """How many prompts of each step are answered, and how many wait for an answer."""
    entries = _entries(cassette)
    answered = Counter(e["prompt"] for e in entries if isinstance(e.get("answer"), dict))
    waiting = Counter(e["prompt"] for e in entries if not isinstance(e.get("answer"), dict))
    for prompt in sorted(set(answered) | set(waiting)):
        out.print(f"{prompt}: {answered[prompt]} answered, {waiting[prompt]} waiting")
    models = sorted({e.get("model", "") for e in entries})
    out.print(
        f"model: {', '.join(models) or 'none'}; versions: {', '.join(sorted({e['version'] for e in entries}))}"
    )


@cassette_app.command()
def prompts(
    cassette: Annotated[Path, typer.Argument(help="The cassette (JSONL).")],
    output: Annotated[
        Path, typer.Argument(help="Where to write the prompts that wait for an answer (JSONL).")
    ],
) -> None:
    """The prompts with no answer yet, one per line: key, prompt, system and human message."""
    waiting = [e for e in _entries(cassette) if not isinstance(e.get("answer"), dict)]
    with output.open("w", encoding="utf-8") as handle:
        for e in waiting:
            row = {"key": e["key"], "prompt": e["prompt"], **e["messages"]}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    out.print(f"{len(waiting)} prompt(s) written to {output}")


@cassette_app.command()
def fill(
    cassette: Annotated[Path, typer.Argument(help="The cassette (JSONL).")],
    answers: Annotated[
        list[Path], typer.Argument(help='Answer files: lines of {"key": ..., "answer": {...}}.')
    ],
) -> None:
    """Put answers into the cassette: each must parse as its step's answer and quote its prompt verbatim."""
    entries = _entries(cassette)
    by_key = {e["key"]: e for e in entries}
    filled, refused, elsewhere = 0, 0, 0
    for path in answers:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            given = json.loads(line)
            entry = by_key.get(given.get("key"))
            if entry is None:
                elsewhere += 1  # an answer to another cassette's prompt
                continue
            problem = _problem(entry, given.get("answer"))
            if problem:
                err.print(f"[yellow]refused[/] {path}:{number}: {problem}", highlight=False)
                refused += 1
                continue
            assert entry is not None
            entry["answer"] = given["answer"]
            filled += 1
    cassette.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries), encoding="utf-8")
    out.print(f"{filled} answer(s) filled in, {refused} refused, {elsewhere} for prompts of other cassettes")
    if refused:
        raise typer.Exit(1)


def _problem(entry: dict[str, Any] | None, answer: Any) -> str | None:
    """Why an answer cannot go in, or None: unknown prompt, not its step's schema, a quote not in the prompt."""
    from pydantic import BaseModel, ValidationError

    from coach.analysis.links import LinkAnswer
    from coach.signals.llm import Reading

    assert entry is not None
    schemas: dict[str, type[BaseModel]] = {"read": Reading, "link": LinkAnswer}
    schema = schemas.get(entry["prompt"])
    if schema is None:
        return f"answers to {entry['prompt']!r} prompts are not checked here"
    try:
        schema.model_validate(answer)
    except ValidationError as exc:
        return f"not a {entry['prompt']} answer: {exc.errors()[0]['msg']} at {exc.errors()[0]['loc']}"
    text = " ".join(entry["messages"]["human"].split())
    for quote in _quotes(answer):
        if " ".join(quote.split()) not in text:
            return f"quote not in the prompt: {quote[:80]!r}"
    return None


def _quotes(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [
            v
            for k, v in value.items()
            if isinstance(v, str) and (k == "quote" or k.endswith("_quote")) and v.strip()
        ]
        return found + [q for v in value.values() if isinstance(v, dict | list) for q in _quotes(v)]
    if isinstance(value, list):
        return [q for v in value for q in _quotes(v)]
    return []
