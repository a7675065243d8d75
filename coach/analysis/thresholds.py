"""Thresholds of the judgement engine, with the domain's defaults (overridable in settings)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Thresholds(BaseModel):
    strategic_share: float = Field(
        0.5, description="account is strategic when at least this share of interactions is"
    )
    tactical_share: float = Field(0.2, description="account is tactical when at most this share is strategic")
    match_similarity: float = Field(
        0.55, description="cosine at which a later fix answers a problem by meaning"
    )
    match_similarity_with_words: float = Field(
        0.42, description="cosine enough when two rare words are shared too"
    )
    same_conversation_similarity: float = Field(
        0.3, description="cosine enough in the same conversation when three rare words are shared"
    )
    recurrence_similarity: float = Field(
        0.62, description="cosine at which a problem raised again is the same problem"
    )
    going_dark_days: int = Field(
        30, description="days without contact that count as going dark while business is pending"
    )
    single_thread_share: float = Field(0.85, description="share of customer contact through one person")
    star_performer_share: float = Field(0.9, description="share of interactions carried by one of our people")
    min_interactions_for_people_risks: int = Field(
        4, description="fewer interactions say too little about people"
    )
    hoping_vague_steps: int = Field(
        3, description="vague next steps ('check in', 'touch base') that mark account hoping"
    )
    data_report_share: float = Field(0.25, description="share of interactions that are report read-outs")
    firefighting_share: float = Field(
        0.4, description="share of interactions that are escalations or outages"
    )
    keep_decisive_share: float = Field(
        0.6, description="share of a series' meetings ending in decisions to keep it"
    )
    long_meeting_minutes: float = Field(60, description="meetings this long or longer need a reason")
    crowded_meeting: int = Field(8, description="attendees from which a meeting is crowded")
