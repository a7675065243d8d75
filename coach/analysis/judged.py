"""What the judge works on: each interaction with its facts (``Judged``), and the problem ledger's entries.

Kept apart from the judge so the risk checks (``coach.analysis.risks``) can read them without importing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from coach.evidence import Quote
from coach.signals.facts import InteractionFacts, Problem
from coach.signals.offline import InteractionView

_WORD = re.compile(r"[a-zA-Z][a-zA-Z0-9]{3,}")
_COMMON = frozenset(
    [
        "that",
        "this",
        "with",
        "from",
        "have",
        "they",
        "their",
        "there",
        "what",
        "when",
        "which",
        "would",
        "could",
        "should",
        "about",
        "were",
        "been",
        "will",
        "your",
        "ours",
        "them",
        "than",
        "then",
        "into",
        "also",
        "just",
        "said",
        "asked",
        "wants",
        "need",
        "needs",
        "know",
        "more",
        "some",
        "other",
        "only",
        "over",
        "same",
        "after",
        "before",
        "next",
        "week",
        "weeks",
        "today",
        "back",
        "still",
        "again",
        "time",
        "call",
        "meeting",
        "email",
        "thanks",
        "team",
    ]
)


@dataclass(slots=True)
class Judged:
    view: InteractionView
    facts: InteractionFacts


@dataclass(slots=True)
class LedgerEntry:
    raised_in: Judged
    problem: Problem
    evidence: list[tuple[str, Quote]] = field(default_factory=list)
    addressed_by: tuple[str, Quote] | None = None
    vectors: list[np.ndarray] = field(default_factory=list)
    words: set[str] = field(default_factory=set)
    linked: bool = False  # the model read the later interactions for it: matching by meaning does not apply

    def __post_init__(self) -> None:
        self.words = rare_words(self.problem.quote.text)


def rare_words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if w.lower() not in _COMMON}
