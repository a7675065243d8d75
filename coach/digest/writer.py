"""The LLM engine for digests: the model writes the opening paragraph; the code checks what it cites.

The prompt (``prompts/digest.j2``) is counted with tiktoken and fitted to the brief
budget by leaving out the least flagged accounts first. The paragraph is kept only
if every quote it cites is verbatim in an interaction of the digest; its citations
are shown like every other (date, kind and title, linked to the sentence). Otherwise,
or when the model fails, the digest stays offline and its engine (logged, never shown
to the manager) says why.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel, Field

from coach import prompts
from coach.analysis.report import EngineUsed, Evidence, Fallback
from coach.digest.model import Digest
from coach.evidence import locate
from coach.llm import LLMUnavailable, Messages, StructuredCall
from coach.tokens import TokenCounter

log = logging.getLogger(__name__)
PROMPT = "digest"


class LLMCitation(BaseModel):
    interaction: str
    quote: str


class LLMNarrative(BaseModel):
    summary: str
    evidence: list[LLMCitation] = Field(default_factory=list)


class DigestWriter:
    def __init__(
        self, call: StructuredCall[LLMNarrative], model: str, tokens: TokenCounter, budget: int
    ) -> None:
        self.model = model
        self.engine = f"llm:{model}"
        self.tokens, self.budget = tokens, budget
        self._call = call

    def prompt(self, digest: Digest) -> Messages:
        """The prompt, with the least flagged accounts left out until it fits the budget."""
        fitted = digest.model_copy(deep=True)
        text = prompts.render(PROMPT, digest=fitted)
        while self.tokens.count(text) > self.budget and fitted.accounts:
            least = min(fitted.accounts, key=lambda a: (a.attention, a.account))
            fitted.accounts.remove(least)
            text = prompts.render(PROMPT, digest=fitted)
        return prompts.messages(PROMPT, digest=fitted)

    def write(self, digest: Digest, texts: dict[str, str]) -> Digest:
        if digest.empty:
            return digest
        try:
            answer = self._call.ask(self.prompt(digest), digest.manager_email)
        except LLMUnavailable as exc:
            log.warning("llm digest writer fell back to offline for %s: %s", digest.manager_email, exc)
            return self._fell_back(digest, str(exc))
        checked = [
            c for c in answer.evidence if c.interaction in texts and locate(texts[c.interaction], c.quote)
        ]
        if not answer.summary.strip() or not checked or len(checked) < len(answer.evidence):
            reason = "cited text that is not in the notes" if answer.evidence else "cited nothing"
            return self._fell_back(digest, f"the model {reason}")
        used = EngineUsed(requested="llm", model=self.model, answered=1)
        return digest.model_copy(
            update={
                "engine": used.label,
                "engine_detail": used,
                "narrative": " ".join(answer.summary.split()),
                "narrative_evidence": [
                    Evidence(interaction=c.interaction, quote=" ".join(c.quote.split())) for c in checked
                ],
            }
        )

    def _fell_back(self, digest: Digest, reason: str) -> Digest:
        used = EngineUsed(
            requested="llm", model=self.model, fallbacks=[Fallback(step="digest", reason=reason)]
        )
        return digest.model_copy(update={"engine": used.label, "engine_detail": used})
