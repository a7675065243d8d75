"""The LLM extractor: LangChain ChatOpenAI with structured output over ``prompts/extract.j2``.

The model improves what the offline extractor finds; it never has the last word
on evidence. Every quote it returns is checked against the interaction text and
dropped (or repaired to the sentence it came from) when it is not verbatim, and
nothing may be quoted from a sentence that reads as an instruction to the coach.
On a timeout, a rate limit or malformed output after one retry, the offline
extractor answers alone and the facts say so.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, Field

from coach import prompts
from coach.evidence import Quote, locate
from coach.llm import LLMUnavailable, StructuredCall, safe_label, without_instructions
from coach.signals.facts import CompetitorMention, InteractionFacts, Problem, Resolution, Topic
from coach.signals.offline import InteractionView, OfflineExtractor
from coach.signals.text import Directory

log = logging.getLogger(__name__)
PROMPT = "extract"


class LLMProblem(BaseModel):
    kind: Literal["problem", "complaint", "request", "question"]
    quote: str
    actor: str | None = None
    response: Literal["fixed", "planned", "answered", "vague", "none"] = "none"
    response_quote: str | None = None


class LLMQuoted(BaseModel):
    kind: str = Field(description="the kind of topic or resolution")
    quote: str


class LLMCompetitor(BaseModel):
    name: str
    nature: Literal["active", "past", "hearsay"]
    quote: str


class LLMFacts(BaseModel):
    """What the model is asked to return (JSON schema for structured output)."""

    engagement: Literal["strategic", "tactical"]
    engagement_quote: str = Field(description="the verbatim sentence that decides the engagement")
    problems: list[LLMProblem] = Field(default_factory=list)
    resolutions: list[LLMQuoted] = Field(default_factory=list, description="kind: fixed, planned or answered")
    strategic_topics: list[LLMQuoted] = Field(default_factory=list)
    competitors: list[LLMCompetitor] = Field(default_factory=list)


class LLMExtractor:
    def __init__(self, chat: Any, model: str, fallback: OfflineExtractor, mask_pii: bool = True) -> None:
        self.fallback = fallback
        self.model = model
        self.engine = f"llm:{model}"
        self.version = f"{prompts.version(PROMPT)}+{model}+{fallback.version}"
        self._call = StructuredCall(chat, LLMFacts, PROMPT, prompts.version(PROMPT), model, mask_pii)
        self.fallbacks: list[str] = []

    def extract(self, view: InteractionView, directory: Directory) -> InteractionFacts:
        base = self.fallback.extract(view, directory)
        try:
            answer = self._ask(view)
        except LLMUnavailable as exc:
            log.warning("llm extractor fell back to offline for %s: %s", view.id, exc)
            self.fallbacks.append(f"{view.id}: {exc}")
            base.fallback = str(exc)
            return base
        return self._merge(view, base, answer)

    def _ask(self, view: InteractionView) -> LLMFacts:
        prompt = prompts.messages(  # names and labels that read as instructions never reach the model
            PROMPT,
            account=safe_label(view.account) or "(withheld)",
            kind=view.kind,
            date=view.occurred_at.date().isoformat(),
            rep=safe_label(view.rep),
            series=safe_label(view.series),
            participants=[
                {"name": n, "side": s, "title": safe_label(t)}
                for n, s, t, _ in view.participants
                if safe_label(n)
            ],
            text=without_instructions(view.text),
        )
        return self._call.ask(prompt, view.id)

    # --- checking what the model said ----------------------------------------------------------
    def _merge(self, view: InteractionView, base: InteractionFacts, answer: LLMFacts) -> InteractionFacts:
        facts = base.model_copy(deep=True)
        facts.engine, facts.version = self.engine, self.version
        text = view.text

        def quote(claimed: str | None) -> Quote | None:
            return locate(text, claimed)

        engagement_quote = quote(answer.engagement_quote)
        if engagement_quote is not None:
            facts.engagement, facts.engagement_quote = answer.engagement, engagement_quote
        for p in answer.problems:
            q = quote(p.quote)
            if q is None or any(_overlaps(q, known.quote) for known in facts.problems):
                continue
            rq = quote(p.response_quote) if p.response_quote else None
            facts.problems.append(
                Problem(
                    kind=p.kind,
                    quote=q,
                    actor=p.actor,
                    response=p.response if rq or p.response == "none" else "none",
                    response_quote=rq,
                )
            )
        facts.problems.sort(key=lambda p: p.quote.start)
        OfflineExtractor._merge_problems(facts)
        for r in answer.resolutions:
            q = quote(r.quote)
            if (
                q is not None
                and r.kind in ("fixed", "planned", "answered")
                and not any(_overlaps(q, x.quote) for x in facts.resolutions)
            ):
                facts.resolutions.append(Resolution(kind=r.kind, quote=q))  # type: ignore[arg-type]
        for t in answer.strategic_topics:
            q = quote(t.quote)
            if q is not None:
                facts.strategic.append(Topic(kind=t.kind, quote=q))
        for c in answer.competitors:
            q = quote(c.quote)
            if q is not None and c.name and c.name in q.text:
                facts.competitors.append(CompetitorMention(name=c.name, nature=c.nature, quote=q))
        self.fallback._embed(facts)  # vectors for the model's additions (the offline ones have theirs)
        return facts


def _overlaps(a: Quote, b: Quote) -> bool:
    return a.start < b.end and b.start < a.end
