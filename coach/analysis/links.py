"""Step 2 of the LLM chain: for each customer problem still open after the interaction it was raised in, the model
reads the account's later interactions (``prompts/link.j2``) and names the later sentence that fixes, plans or
answers it, or says that none does.

Code accepts a link only with a quote found verbatim in a later interaction of the same account. Later
interactions go in whole while they fit the prompt budget; beyond it, the most recent two and then the ones
nearest the problem in meaning, until the budget is spent. A problem whose link the model could not give falls
back to the judge's matching by meaning, and the report says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel

from coach import prompts
from coach.analysis.judged import Judged
from coach.embedding import Embedder
from coach.evidence import Quote, locate
from coach.llm import NOT_RECORDED, LLMUnavailable, Messages, StructuredCall, safe_label, without_instructions
from coach.signals.facts import Problem, unpack_vector

log = logging.getLogger(__name__)
PROMPT = "link"
ALWAYS_RECENT = 2
LinkStatus = Literal["fixed", "planned", "answered", "none"]


class LinkAnswer(BaseModel):
    """The model's answer for one problem (JSON schema for structured output)."""

    status: LinkStatus
    interaction: str | None = None
    quote: str | None = None
    why: str | None = None


@dataclass(frozen=True, slots=True)
class Link:
    """A checked answer: the later interaction and verbatim sentence that addressed the problem, or none."""

    status: LinkStatus
    interaction: str | None = None
    quote: Quote | None = None

    @property
    def closes(self) -> bool:
        return self.status != "none" and self.interaction is not None and self.quote is not None


ProblemKey = tuple[str, int]  # (the interaction it was raised in, where its quote starts)


@dataclass(slots=True)
class Links:
    """The links the model gave for an account's open problems, and why any could not be given."""

    found: dict[ProblemKey, Link] = field(default_factory=dict)
    fallbacks: list[str] = field(default_factory=list)

    def of(self, interaction: str, problem: Problem) -> Link | None:
        return self.found.get((interaction, problem.quote.start))


class Linker(Protocol):
    """Step 2 of an engine: for each problem left open where it was raised, the later sentence that addressed it
    (or none)."""

    def links(self, account: str, judged: Sequence[Judged]) -> Links: ...


def needs_link(problem: Problem) -> bool:
    """Open after the interaction that raised it: nothing there fixed, planned or answered it."""
    return not (problem.response in ("fixed", "planned", "answered") and problem.response_quote is not None)


class ProblemLinker:
    def __init__(
        self, call: StructuredCall[LinkAnswer], embedder: Embedder, count: Callable[[str], int], budget: int
    ) -> None:
        self.call, self.embedder, self.count, self.budget = call, embedder, count, budget

    def links(self, account: str, judged: Sequence[Judged]) -> Links:
        result = Links()
        if any(j.facts.fallback == NOT_RECORDED for j in judged):
            # Recording a cassette: the link prompts depend on what the read step answers; wait for those.
            result.fallbacks.append("waiting for the recorded answers of the read step")
            return result
        for index, item in enumerate(judged):
            later = list(judged[index + 1 :])
            for problem in item.facts.problems:
                if not needs_link(problem) or not later:
                    continue
                try:
                    link = self.link(account, item, problem, later)
                except LLMUnavailable as exc:
                    log.warning("the link step fell back for a problem of %s: %s", item.view.id, exc)
                    result.fallbacks.append(str(exc))
                    continue
                if link is None:
                    result.fallbacks.append("the model's quote was not in the later notes")
                else:
                    result.found[(item.view.id, problem.quote.start)] = link
        return result

    def link(self, account: str, raised: Judged, problem: Problem, later: list[Judged]) -> Link | None:
        messages = self.prompt(account, raised, problem, later)
        answer = self.call.ask(messages, f"{raised.view.id}@{problem.quote.start}")
        return check(answer, {j.view.id: j.view.text for j in later})

    def prompt(self, account: str, raised: Judged, problem: Problem, later: list[Judged]) -> Messages:
        chosen = self._fit(account, raised, problem, later)
        return self._render(account, raised, problem, chosen, len(later) - len(chosen))

    def _fit(self, account: str, raised: Judged, problem: Problem, later: list[Judged]) -> list[Judged]:
        """Every later interaction if they fit; else the most recent, then the nearest in meaning."""
        if self._tokens(self._render(account, raised, problem, later, 0)) <= self.budget:
            return later
        recent = later[-ALWAYS_RECENT:]
        rest = later[:-ALWAYS_RECENT]
        order = self._nearest(problem, rest)
        chosen = list(recent)
        for candidate in order:
            trial = sorted([*chosen, candidate], key=later.index)
            if (
                self._tokens(self._render(account, raised, problem, trial, len(later) - len(trial)))
                > self.budget
            ):
                continue
            chosen = trial
        return sorted(chosen, key=later.index)

    def _nearest(self, problem: Problem, candidates: list[Judged]) -> list[Judged]:
        if not candidates:
            return []
        wanted = unpack_vector(problem.vector)
        if not wanted.size:
            wanted = self.embedder.embed([problem.quote.text])[0]
        vectors = self.embedder.embed([" ".join(j.view.text.split())[:1500] for j in candidates])
        scores = np.asarray(vectors) @ np.asarray(wanted, dtype=np.float32)
        return [candidates[i] for i in np.argsort(-scores)]

    def _tokens(self, messages: Messages) -> int:
        return self.count(messages.system) + self.count(messages.human)

    def _render(
        self, account: str, raised: Judged, problem: Problem, later: Sequence[Judged], left_out: int
    ) -> Messages:
        return prompts.messages(
            PROMPT,
            account=safe_label(account) or "(withheld)",
            raised_in=raised.view.id,
            raised_on=raised.view.occurred_at.date().isoformat(),
            raised_by=safe_label(problem.actor),
            kind=problem.kind,
            problem=" ".join(problem.quote.text.split()),
            response={"vague": "only a vague answer", "none": "no answer"}.get(
                problem.response, problem.response
            ),
            response_quote=" ".join(problem.response_quote.text.split()) if problem.response_quote else None,
            later=[
                {
                    "id": j.view.id,
                    "date": j.view.occurred_at.date().isoformat(),
                    "kind": j.view.kind,
                    "series": safe_label(j.view.series),
                    "text": without_instructions(j.view.text),
                }
                for j in later
            ],
            left_out=left_out,
        )


def check(answer: LinkAnswer, texts: dict[str, str]) -> Link | None:
    """The model's answer as a link when its quote is verbatim in the later interaction it names (or it says none);
    None when it names a sentence that is not there: not accepted."""
    if answer.status == "none":
        return Link("none")
    interaction = (answer.interaction or "").strip().strip("[]")
    text = texts.get(interaction)
    found = locate(text, answer.quote) if text is not None else None
    return Link(answer.status, interaction, found) if found is not None else None
