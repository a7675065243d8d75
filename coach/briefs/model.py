"""What a prep brief is: sections whose every line names its source (an interaction or a playbook section)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from coach.analysis.report import EngineUsed

Trend = Literal["warming", "cooling", "steady", "unknown"]


class Evidence(BaseModel):
    interaction: str
    quote: str
    date: dt.date | None = None


class Line(BaseModel):
    """One line of the brief and where it comes from."""

    text: str
    evidence: list[Evidence] = Field(default_factory=list)
    playbook: str | None = Field(default=None, description="knowledge/<file>.md#<section> behind the line")


class Attendee(BaseModel):
    name: str
    side: Literal["customer", "internal", "unknown"] = "unknown"
    title: str | None = None
    seniority: str = "unknown"
    known: bool = Field(description="appears in the account's logged interactions")
    interactions: int = 0
    last_seen: dt.date | None = None
    raised: list[Evidence] = Field(default_factory=list, description="what they raised before, newest first")
    open_commitments: list[Evidence] = Field(
        default_factory=list, description="what they promised and is still open"
    )
    note: str | None = None


class OpenProblem(BaseModel):
    summary: str
    kind: str
    raised_in: str
    raised_on: dt.date
    days_open: int
    evidence: list[Evidence]
    playbook: str


class OpenCommitment(BaseModel):
    side: Literal["ours", "theirs"]
    owner: str | None = None
    text: str
    made_in: str
    made_on: dt.date
    days_open: int
    due: dt.date | None = None
    overdue: bool = False
    firm: bool = False


class Engagement(BaseModel):
    label: str
    strategic_share: float
    recent_share: float = Field(description="strategic share of the last five interactions")
    trend: Trend
    why: str
    evidence: list[Evidence] = Field(default_factory=list)
    playbook: str


class Risk(BaseModel):
    code: str
    severity: str
    why: str
    evidence: list[Evidence]
    playbook: str


class Question(BaseModel):
    question: str
    gap: str = Field(description="the account's gap this question works on")
    why: str
    evidence: list[Evidence] = Field(default_factory=list)
    playbook: str


class SeriesFix(BaseModel):
    series: str
    verdict: Literal["keep", "reinvent", "kill"]
    why: str
    steps: list[str]
    evidence: list[Evidence]
    playbook: str


class Changes(BaseModel):
    since: dt.date | None = Field(
        default=None, description="date of the last meeting of the series (or of any meeting)"
    )
    since_what: str
    since_interaction: str | None = Field(default=None, description="the interaction 'since' refers to")
    interactions: list[Evidence] = Field(default_factory=list)
    new_problems: list[Evidence] = Field(default_factory=list)
    addressed: list[Evidence] = Field(default_factory=list)
    new_people: list[str] = Field(default_factory=list)


class Passage(BaseModel):
    """Context retrieved from Chroma: part of an interaction, or a playbook section."""

    source: str = Field(description="interaction id, or knowledge/<file>.md#<section>")
    date: dt.date | None = None
    kind: str | None = None
    text: str
    score: float


class Budget(BaseModel):
    model: str
    limit: int = Field(description="prompt token budget (settings.brief_prompt_tokens)")
    prompt_tokens: int = Field(description="tokens of the fitted prompt, counted with tiktoken")
    within: bool
    left_out: list[str] = Field(
        default_factory=list, description="context dropped to fit, least relevant first"
    )


class PrepBrief(BaseModel):
    account: str
    meeting: str | None = None
    series: str | None = Field(
        default=None, description="the recurring series the meeting belongs to, if known"
    )
    date: dt.date
    engine: str
    engine_detail: EngineUsed = Field(default_factory=EngineUsed, description="the engine, and any fallbacks")
    has_history: bool
    notes: list[str] = Field(
        default_factory=list, description="plain statements about what the brief could not know"
    )
    purpose: Line
    agenda: list[Line] = Field(default_factory=list)
    attendees: list[Attendee] = Field(default_factory=list)
    open_problems: list[OpenProblem] = Field(default_factory=list)
    commitments: list[OpenCommitment] = Field(default_factory=list)
    engagement: Engagement | None = None
    risks: list[Risk] = Field(default_factory=list)
    changes: Changes | None = None
    questions: list[Question] = Field(default_factory=list)
    series_fix: SeriesFix | None = None
    context: list[Passage] = Field(default_factory=list)
    playbook: list[Passage] = Field(default_factory=list)
    budget: Budget | None = None
    sources: list[Evidence] = Field(default_factory=list, description="every interaction the brief cites")
