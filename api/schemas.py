"""Request and response models of the JSON API (``XCreate`` in, ``XPublic`` out)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ParticipantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    email: str | None = Field(default=None, max_length=320)
    title: str | None = Field(default=None, max_length=300)
    side: Literal["customer", "internal"] | None = None


class InteractionCreate(BaseModel):
    """One interaction, as in contract/interaction.schema.json (unknown fields are refused here)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "account": "Pinecrest Utilities",
                    "kind": "call",
                    "date": "2026-11-20",
                    "text": "Call with Mei. She asked for offline maps before the storm season; I said I'd check with product.",
                }
            ]
        },
    )

    id: str | None = Field(
        default=None, min_length=1, max_length=200, description="stable id from the source"
    )
    account: str = Field(min_length=1, max_length=300)
    kind: Literal["meeting", "call", "email", "note"] = "note"
    date: str | None = Field(default=None, description="ISO 8601 date or date-time; default: now")
    rep: str | None = Field(default=None, max_length=300)
    participants: list[ParticipantCreate] = Field(default_factory=list, max_length=200)
    subject: str | None = Field(default=None, max_length=1000)
    series: str | None = Field(default=None, max_length=300)
    duration_minutes: float | None = Field(default=None, ge=0, le=24 * 60)
    text: str = Field(min_length=1)


class InteractionBatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interactions: list[Any] = Field(
        description="interaction objects; each is accepted or rejected on its own"
    )


class ParticipantPublic(BaseModel):
    name: str
    side: str | None = None
    title: str | None = None
    email: str | None = None


class InteractionPublic(BaseModel):
    id: str
    account: str
    kind: str
    date: dt.datetime
    rep: str | None = None
    series: str | None = None
    subject: str | None = None
    duration_minutes: float | None = None
    participants: list[ParticipantPublic] = Field(default_factory=list)
    text: str


class InteractionCreated(BaseModel):
    interaction: InteractionPublic
    status: Literal["added", "updated", "unchanged"]


class BatchItemPublic(BaseModel):
    index: int
    status: Literal["added", "updated", "unchanged", "rejected"]
    id: str | None = None
    reason: str | None = None


class BatchPublic(BaseModel):
    added: int
    updated: int
    unchanged: int
    rejected: int
    items: list[BatchItemPublic]


class AccountPublic(BaseModel):
    name: str
    interactions: int
    first: dt.datetime | None = None
    last: dt.datetime | None = None


class SpanPublic(BaseModel):
    start: int
    end: int


class PassagePublic(BaseModel):
    """The sentences that answer, with their span and the spans of the words that matched. Spans are characters
    of the interaction's clean text: what the coach reads, which is the note as written, or an e-mail's body
    without quoted replies and signature."""

    text: str
    start: int
    end: int
    marks: list[SpanPublic]


class SearchHitPublic(BaseModel):
    interaction: str
    account: str
    date: dt.datetime
    kind: str
    excerpt: str = Field(description="the whole matched chunk (a passage of up to 256 model tokens)")
    score: float
    start: int = Field(description="the chunk's span in the interaction's clean text (see passage)")
    end: int
    passage: PassagePublic


class ErrorPublic(BaseModel):
    detail: str


class GrantCreate(BaseModel):
    """Give an account to a team, or to one user (exactly one of the two)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"team": "West"}]})

    team: str | None = Field(default=None, min_length=1, max_length=200)
    user: str | None = Field(default=None, min_length=3, max_length=320, description="a user's e-mail")


class GrantPublic(BaseModel):
    account: str
    team: str | None
    user: str | None
    granted_by: str | None
    granted_at: dt.datetime


class AccessRequestPublic(BaseModel):
    id: int
    account: str
    user: str
    name: str
    status: Literal["pending", "granted", "declined"]
    requested_at: dt.datetime


class AccessDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["grant", "decline"]


class MeasuresUpdate(BaseModel):
    """An account's measures as known on one day (``as_of``, default today, never in the future). Only the measures
    given change; the same day again replaces them (the last write wins); a later day adds to their history."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"as_of": "2026-11-01", "arr": 420000, "renewal_date": "2027-03-31", "tier": "A", "nps": 31}
            ]
        },
    )

    as_of: dt.date | None = Field(default=None, description="the day the values were known; default today")
    arr: float | None = Field(
        default=None, ge=0, le=1e13, allow_inf_nan=False, description="ARR or contract value"
    )
    renewal_date: dt.date | None = Field(default=None, description="from 1970 to 2100")
    tier: str | None = Field(default=None, min_length=1, max_length=50, description="your own tiers, e.g. A")
    csat: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False, description="% satisfied")
    nps: float | None = Field(default=None, ge=-100, le=100, allow_inf_nan=False, description="-100 to 100")
    retention: float | None = Field(
        default=None, ge=0, le=200, allow_inf_nan=False, description="%; net retention may pass 100"
    )
    repeat_purchase: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False, description="%")
    lifetime_value: float | None = Field(default=None, ge=0, le=1e13, allow_inf_nan=False)

    def values(self) -> dict[str, float | str | dt.date]:
        """The measures given (as_of aside)."""
        return {k: v for k, v in self.model_dump(exclude={"as_of"}).items() if v is not None}
