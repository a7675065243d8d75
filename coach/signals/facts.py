"""Facts about one interaction. Both extractors (offline and LLM) return exactly these types.

Every fact carries a ``Quote``: a character span of the interaction's text and the
words in it, so anything judged from the facts can show the sentence it rests on.
"""

from __future__ import annotations

import base64
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from coach.evidence import Quote

__all__ = ["Quote"]  # facts carry quotes; importers may take both from here

Side = Literal["customer", "internal", "unknown"]
Seniority = Literal["executive", "senior", "manager", "staff", "unknown"]
ResponseKind = Literal["fixed", "planned", "answered", "vague", "none"]
ProblemKind = Literal["problem", "complaint", "request", "question"]
StrategicKind = Literal[
    "goals",
    "future_needs",
    "multi_year_plan",
    "decision_process",
    "executive_alignment",
    "value",
    "widening",
    "competitive_threat",
    "account_plan",
]
TacticalKind = Literal[
    "admin",
    "pricing",
    "support",
    "status",
    "usage_report",
    "demo",
    "scheduling",
    "check_in",
    "technical",
]


def pack_vector(vector: np.ndarray) -> str:
    """A compact, fast-to-load form of an embedding for the facts cache: base64 of float16."""
    return base64.b64encode(np.asarray(vector, dtype=np.float16).tobytes()).decode("ascii")


def unpack_vector(packed: str | None) -> np.ndarray:
    if not packed:
        return np.zeros(0, dtype=np.float32)
    return np.frombuffer(base64.b64decode(packed), dtype=np.float16).astype(np.float32)


class Problem(BaseModel):
    """Something the customer raised: a problem, complaint, request or question, and how we answered."""

    kind: ProblemKind
    quote: Quote
    actor: str | None = None
    response: ResponseKind = "none"
    response_quote: Quote | None = None
    vector: str | None = Field(
        default=None, description="embedding of the quote (base64 float16), for matching by meaning"
    )
    confidence: float = Field(default=1.0, description="how surely the reader took it for one (1: sure)")


class Resolution(BaseModel):
    """Our side fixing, delivering, planning with an owner and date, or answering something."""

    kind: Literal["fixed", "planned", "answered"]
    quote: Quote
    vector: str | None = None
    confidence: float = Field(
        default=1.0, description="how surely it is one (1 and above: the reader is sure; below: a candidate)"
    )


class Commitment(BaseModel):
    quote: Quote
    owner: str | None = None
    side: Side = "unknown"
    due: str | None = None
    firm: bool = Field(description="has an owner and a date (or is done), not 'we'll look into it'")
    vector: str | None = Field(
        default=None, description="embedding of the quote (base64 float16), to match a later delivery"
    )


class Decision(BaseModel):
    quote: Quote
    deferred: bool = False


class CompetitorMention(BaseModel):
    name: str
    nature: Literal["active", "past", "hearsay"]
    quote: Quote


class Topic(BaseModel):
    kind: str
    quote: Quote
    weight: float = 1.0


class Person(BaseModel):
    name: str
    side: Side = "unknown"
    title: str | None = None
    seniority: Seniority = "unknown"
    active: bool = Field(default=False, description="spoke, wrote or attended (not only cc'd or mentioned)")


class MeetingShape(BaseModel):
    minutes: float | None = None
    attendees: int = 0
    internal_only: bool = False
    agenda: bool = False
    decisions: int = 0
    deferred_decisions: int = 0
    owned_actions: int = 0
    no_outcome: list[Quote] = Field(default_factory=list, description="'no decisions', 'nothing to decide'")
    form_failures: list[Quote] = Field(default_factory=list, description="ran over, too long")
    purpose_missed: list[Quote] = Field(
        default_factory=list, description="the agenda item that mattered not reached, decision maker absent"
    )
    readout: list[Quote] = Field(default_factory=list, description="status, ticket or usage read-out")
    future_discussed: bool = False


class InteractionFacts(BaseModel):
    interaction_id: str
    engine: str = Field(description="the engine that read it: 'offline' or 'llm:<model>'")
    version: str
    fallback: str | None = Field(
        default=None,
        description="why the offline engine read it instead of the one asked for (None: it did not)",
    )
    engagement: Literal["strategic", "tactical"]
    engagement_score: float = 0.0
    engagement_quote: Quote | None = None
    problems: list[Problem] = Field(default_factory=list)
    resolutions: list[Resolution] = Field(default_factory=list)
    commitments: list[Commitment] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    competitors: list[CompetitorMention] = Field(default_factory=list)
    strategic: list[Topic] = Field(default_factory=list)
    tactical: list[Topic] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    shape: MeetingShape = Field(default_factory=MeetingShape)
    vague_next_steps: list[Quote] = Field(default_factory=list)
    renewal_assumptions: list[Quote] = Field(default_factory=list)
    tenure: list[Quote] = Field(default_factory=list)
    data_reports: list[Quote] = Field(default_factory=list)
    data_report_cues: int = 0
    firefighting: list[Quote] = Field(default_factory=list)
    pending_business: list[Quote] = Field(default_factory=list)
    recalled_problems: list[Problem] = Field(
        default_factory=list,
        description="an earlier problem mentioned again as still open ('didn't get to X')",
    )
