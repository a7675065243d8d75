"""Fitting a brief's prompt to a token budget, least relevant context first, never the open problems or commitments.

The prompt is rendered from ``prompts/brief.j2`` and counted with tiktoken for the
configured chat model. While it is over budget, one piece of context is left out
at a time, in this order: playbook passages (least similar first), passages of the
account's history (least relevant first), older entries of 'what changed',
attendees' earlier remarks, extra evidence of risks and problems. The open
problems, commitments, risks and questions themselves always stay; when they alone
exceed the budget the brief says so (``within`` is false) rather than hide one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from coach.briefs.model import Budget, PrepBrief
from coach.tokens import TokenCounter


class PromptBudget:
    def __init__(self, tokens: TokenCounter, limit: int, render: Callable[[PrepBrief], str]) -> None:
        self.tokens = tokens
        self.limit = limit
        self.render = render

    def fit(self, brief: PrepBrief) -> tuple[PrepBrief, str]:
        """A copy of ``brief`` whose prompt fits the budget, the prompt, and what was left out (in ``brief.budget``)."""
        fitted = brief.model_copy(deep=True)
        prompt = self.render(fitted)
        used = self.tokens.count(prompt)
        left_out: list[str] = []
        drops = _drops(fitted)
        while used > self.limit:
            what = next(drops, None)
            if what is None:
                break
            left_out.append(what)
            prompt = self.render(fitted)
            used = self.tokens.count(prompt)
        fitted.budget = Budget(
            model=self.tokens.model,
            limit=self.limit,
            prompt_tokens=used,
            within=used <= self.limit,
            left_out=left_out,
        )
        return fitted, prompt


def _drops(brief: PrepBrief) -> Iterator[str]:
    """Leave out one piece of context per step (mutating ``brief``), least relevant first; say what it was."""
    while brief.playbook:
        p = brief.playbook.pop()
        yield f"playbook passage {p.source}"
    while brief.context:
        p = brief.context.pop()
        yield f"passage of {p.source} ({p.date})"
    if brief.changes:
        while brief.changes.interactions:
            e = brief.changes.interactions.pop(0)
            yield f"'what changed' entry {e.interaction}"
    for attendee in brief.attendees:
        while len(attendee.raised) > 1:
            e = attendee.raised.pop()
            yield f"earlier remark of {attendee.name} ({e.interaction})"
    for risk in brief.risks:
        while len(risk.evidence) > 1:
            e = risk.evidence.pop()
            yield f"extra evidence of {risk.code} ({e.interaction})"
    for problem in brief.open_problems:
        while len(problem.evidence) > 1:
            e = problem.evidence.pop()
            yield f"later mention of an open problem ({e.interaction})"
    if brief.series_fix:
        while len(brief.series_fix.evidence) > 1:
            e = brief.series_fix.evidence.pop()
            yield f"extra evidence of the series verdict ({e.interaction})"
