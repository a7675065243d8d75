"""The LLM brief writer: the model words the purpose, agenda and questions; the code checks every source.

The model sees the fitted prompt (``prompts/brief.j2``). It may only cite an
interaction of the account with a verbatim quote from it, or a playbook section
the brief already knows. Lines that cite anything else are dropped; a section
left empty keeps the offline wording. On a timeout, a rate limit or malformed
output after one retry, the offline brief stands and its engine says why.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel, Field

from coach import prompts
from coach.analysis.report import EngineUsed, Fallback
from coach.briefs.model import Evidence, Line, PrepBrief, Question
from coach.evidence import locate
from coach.llm import LLMUnavailable, StructuredCall

log = logging.getLogger(__name__)
PROMPT = "brief"


class LLMLine(BaseModel):
    text: str
    source: str = Field(description="an interaction id or a knowledge/...#... reference given in the prompt")
    quote: str | None = Field(
        default=None, description="verbatim words of that interaction, when the source is one"
    )


class LLMQuestion(BaseModel):
    question: str
    why: str
    source: str = Field(description="an interaction id or a knowledge/...#... reference given in the prompt")
    quote: str | None = None


class LLMBrief(BaseModel):
    purpose: LLMLine
    agenda: list[LLMLine] = Field(default_factory=list)
    questions: list[LLMQuestion] = Field(default_factory=list)


class BriefWriter:
    def __init__(self, call: StructuredCall[LLMBrief], model: str) -> None:
        self.model = model
        self.engine = f"llm:{model}"
        self._call = call

    def write(self, brief: PrepBrief, texts: dict[str, str], playbook_refs: set[str]) -> PrepBrief:
        """``brief`` with the model's wording where every source checks out; the offline brief on failure."""
        used = EngineUsed(requested="llm", model=self.model)
        try:
            answer = self._call.ask(
                prompts.messages(PROMPT, brief=brief, version=prompts.version(PROMPT)), brief.account
            )
        except LLMUnavailable as exc:
            log.warning("llm brief writer fell back to offline for %s: %s", brief.account, exc)
            used = used.model_copy(update={"fallbacks": [Fallback(step="brief", reason=str(exc))]})
            return brief.model_copy(update={"engine": used.label, "engine_detail": used})
        check = _Sources(texts, playbook_refs)
        written = brief.model_copy(deep=True)
        used.answered = 1
        written.engine, written.engine_detail = used.label, used
        purpose = check.line(answer.purpose)
        if purpose is not None:
            written.purpose = purpose
        agenda = [line for item in answer.agenda if (line := check.line(item)) is not None]
        if len(agenda) >= 2:
            written.agenda = agenda[:6]
        questions = [q for item in answer.questions if (q := check.question(item)) is not None]
        if questions:
            written.questions = questions[:3]
        if check.dropped:
            written.notes.append(
                f"{check.dropped} line(s) of the model's draft cited no checkable source and were left out."
            )
        return written


class _Sources:
    def __init__(self, texts: dict[str, str], playbook_refs: set[str]) -> None:
        self.texts = texts
        self.playbook_refs = playbook_refs
        self.dropped = 0

    def _evidence(self, source: str, quote: str | None) -> tuple[list[Evidence], str | None] | None:
        source = source.strip().strip("[]")
        if source in self.playbook_refs:
            return [], source
        text = self.texts.get(source)
        found = locate(text, quote) if text is not None else None
        if found is None:
            self.dropped += 1
            return None
        return [Evidence(interaction=source, quote=" ".join(found.text.split()))], None

    def line(self, item: LLMLine) -> Line | None:
        checked = self._evidence(item.source, item.quote)
        if checked is None or not item.text.strip():
            return None
        evidence, playbook = checked
        return Line(text=item.text.strip(), evidence=evidence, playbook=playbook)

    def question(self, item: LLMQuestion) -> Question | None:
        checked = self._evidence(item.source, item.quote)
        if checked is None or not item.question.strip():
            return None
        evidence, playbook = checked
        return Question(
            question=item.question.strip(),
            gap="llm",
            why=item.why.strip(),
            evidence=evidence,
            playbook=playbook or "knowledge/prep-questions.md",
        )
