"""The portfolio as types: each account's effort, value and placement, and the investment decisions to make.

What ``coach portfolio --format json``, ``GET /v1/portfolio`` and the manager's page show; the digest's "top
investment questions" are ``Decision`` items too.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from coach.analysis.report import EngagementLabel, Evidence
from coach.measures import AccountMeasures

EffortLevel = Literal["high", "medium", "low", "none"]
ValueLevel = Literal["high", "medium", "low", "unknown"]
WindowEngagement = Literal["strategic", "mixed", "tactical", "none"]
Trend = Literal["rising", "flat", "falling", "new", "none"]
ValueTrend = Literal["growing", "flat", "shrinking", "unknown"]
DecisionKind = Literal["habit", "under_served", "sacred_cow"]
DECISION_TITLES: dict[str, str] = {
    "habit": "Habit",
    "under_served": "Under-served",
    "sacred_cow": "Sacred cow",
}


class Effort(BaseModel):
    """What the team spent on an account, from its records, over the window and the same span before it."""

    since: dt.date = Field(description="first day of the window")
    days: int = Field(description="the window's length in days")
    interactions: int = Field(ge=0)
    meetings: int = Field(ge=0, description="meetings and calls")
    meeting_hours: float = Field(
        ge=0, description="hours of our people in meetings and calls: each one's length times our attendees"
    )
    unmeasured_meetings: int = Field(
        ge=0, description="meetings and calls with no length recorded: not in meeting_hours (never guessed)"
    )
    our_people: list[str] = Field(description="our people involved: attendees, authors, reps who logged")
    customer_people: int = Field(ge=0, description="customer people who took part")
    strategic: int = Field(ge=0, description="strategic interactions in the window")
    strategic_share: float | None = Field(default=None, ge=0, le=1, description="null: no interactions")
    strategic_hours: float = Field(ge=0, description="meeting hours in strategic meetings and calls")
    previous_interactions: int = Field(ge=0, description="interactions in the same span before the window")
    previous_meeting_hours: float = Field(ge=0)
    trend: Trend = Field(description="interactions in the window against the span before it")
    monthly: list[int] = Field(description="interactions per 30 days over both spans, oldest first")
    last_interaction: dt.date | None = None


class ValueReading(BaseModel):
    """What the account is worth, read from its measures on the portfolio's date; null where nothing is recorded."""

    arr: float | None = Field(default=None, description="ARR or contract value")
    arr_as_of: dt.date | None = None
    arr_trend: ValueTrend = "unknown"
    arr_change: float | None = Field(default=None, description="relative change since arr_since")
    arr_since: dt.date | None = Field(
        default=None, description="the earlier value the change is measured from"
    )
    renewal_date: dt.date | None = None
    renewal_in_days: int | None = Field(default=None, description="negative: the renewal date has passed")
    tier: str | None = None
    csat: float | None = None
    nps: float | None = None
    retention: float | None = None
    repeat_purchase: float | None = None
    lifetime_value: float | None = None
    missing: list[str] = Field(default_factory=list, description="measures never recorded (shown as missing)")


class Placement(BaseModel):
    effort: EffortLevel = Field(description="the account's share of the team's effort against an even share")
    value: ValueLevel = Field(description="its share of the recorded ARR against an even share")
    engagement: WindowEngagement = Field(description="strategic share of the window's interactions")
    effort_share: float = Field(
        ge=0, le=1, description="of the team's interactions or meeting hours, the larger"
    )
    value_share: float | None = Field(default=None, ge=0, le=1, description="of the recorded ARR; null: none")


class Decision(BaseModel):
    """An investment decision being avoided, argued from the records: the question, the numbers, the quotes."""

    kind: DecisionKind
    title: str = Field(description="Habit, Under-served or Sacred cow")
    account: str
    account_id: int
    series: str | None = Field(default=None, description="for a sacred cow: the recurring meeting")
    question: str = Field(description="the decision, asked as a question")
    why: str = Field(description="the numbers behind it")
    evidence: list[Evidence] = Field(description="verbatim quotes of the account's interactions")
    interactions: list[str] = Field(description="the interactions the numbers were counted from")
    next_step: str = Field(description="what to do next, from the playbook")
    playbook: str = Field(description="the playbook page")
    weight: float = Field(
        ge=0, description="how much of the team's effort or value is at stake; ranks decisions"
    )


class PortfolioAccount(BaseModel):
    account: str
    account_id: int
    placement: Placement
    effort: Effort
    value: ValueReading
    engagement: EngagementLabel | None = Field(
        default=None, description="the report's reading over all interactions; null: none logged"
    )
    open_problems: int = Field(ge=0, description="customer problems nobody owned")
    risks: list[str] = Field(description="relationship risks flagged")
    decisions: list[DecisionKind] = Field(default_factory=list)
    measures: AccountMeasures = Field(description="every measure with its history")


class Totals(BaseModel):
    accounts: int = Field(ge=0)
    interactions: int = Field(ge=0, description="in the window")
    meeting_hours: float = Field(ge=0, description="in the window")
    arr: float = Field(ge=0, description="recorded ARR of the accounts that have one")
    accounts_without_arr: int = Field(ge=0)


class Portfolio(BaseModel):
    """Each account placed by effort against value and engagement, and the decisions that need making."""

    as_of: dt.date
    scope: str = Field(
        description="whose accounts: a team's name, the names of the teams a manager manages, or 'all accounts'"
    )
    window_days: int
    since: dt.date = Field(description="first day of the effort window")
    totals: Totals
    decisions: list[Decision] = Field(description="most at stake first")
    accounts: list[PortfolioAccount] = Field(description="by share of effort, largest first")
    engine: str = "offline"
