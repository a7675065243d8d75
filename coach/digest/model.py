"""What a weekly digest is: per rep and account, what changed and what to coach, each point with its evidence."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from coach.analysis.report import EngineUsed


class Cited(BaseModel):
    text: str
    interaction: str | None = None
    quote: str | None = None
    playbook: str | None = None
    code: str | None = Field(
        default=None, description="the finding's kind: a risk code, an open problem, a meeting"
    )
    severity: int = Field(default=0, description="3 high, 2 medium, 1 low; 0 when not a risk")
    days_open: int | None = Field(
        default=None, description="for an ageing problem: how long it has been open"
    )
    verdict: str | None = Field(default=None, description="for a meeting series: reinvent or kill")


class AccountWeek(BaseModel):
    account: str
    account_id: int
    engagement: str
    engagement_why: str
    interactions_this_week: int
    trend: list[float | None] = Field(
        description="strategic share per week, oldest first (None: no interactions)"
    )
    drifting_tactical: bool
    new_flags: list[Cited] = Field(default_factory=list)
    resolved: list[Cited] = Field(default_factory=list)
    new_stakeholders: list[str] = Field(default_factory=list)
    ageing_problems: list[Cited] = Field(default_factory=list)
    meetings: list[Cited] = Field(default_factory=list, description="series to reinvent or kill")
    single_threaded: bool = False


class RepWeek(BaseModel):
    rep: str
    email: str
    accounts: list[AccountWeek] = Field(default_factory=list)
    coaching: list[Cited] = Field(
        default_factory=list, description="1-3 points from the playbook, each citing evidence"
    )
    chart_png: bytes | None = Field(default=None, exclude=True, description="strategic vs tactical per week")


class Digest(BaseModel):
    manager: str
    manager_email: str
    teams: list[str]
    week: str = Field(description="ISO week, e.g. 2026-W47")
    start: dt.date
    end: dt.date
    engine: str = "offline"
    engine_detail: EngineUsed = Field(default_factory=EngineUsed)
    headline: list[str] = Field(default_factory=list)
    narrative: str | None = None
    reps: list[RepWeek] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    app_url: str = ""

    @property
    def empty(self) -> bool:
        return not self.reps
