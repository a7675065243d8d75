"""The coaching report as types: what the judge returns and every reader (CLI, API, pages, briefs, digests) uses.

The public JSON contract, ``coach/contract/report.schema.json``, is generated from these models
(``python -m coach.analysis.report`` writes it; a test fails when the file and the models drift). It stays a
superset of the contract first published in ``contract/report.schema.json``: every field that contract names is
here with the same meaning; the rest are additions readers may use.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["low", "medium", "high"]
EngagementLabel = Literal["tactical", "mixed", "strategic"]
Verdict = Literal["keep", "reinvent", "kill"]
SEVERITY_RANK: dict[str, int] = {"low": 1, "medium": 2, "high": 3}
BUILT_IN_RISKS = (
    "account_hoping",
    "competitor_inside",
    "star_performer",
    "data_not_strategy",
    "single_threaded",
    "complacency",
    "reactive_firefighting",
    "going_dark",
)
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "contract" / "report.schema.json"


class Evidence(BaseModel):
    """A verbatim excerpt of one interaction: what a finding rests on."""

    model_config = ConfigDict(frozen=True)

    interaction: str = Field(description="id of the cited interaction")
    quote: str = Field(
        min_length=1, description="verbatim excerpt of that interaction's text (whitespace may be collapsed)"
    )


class InteractionEngagement(BaseModel):
    id: str
    engagement: Literal["tactical", "strategic"]
    evidence: Evidence | None = Field(default=None, description="the sentence that decides it")
    date: dt.date


class Engagement(BaseModel):
    label: EngagementLabel
    strategic_share: float = Field(ge=0, le=1)
    strategic: int = Field(ge=0, description="strategic interactions")
    total: int = Field(ge=0, description="interactions judged")
    why: str
    playbook: str = Field(description="the playbook section that explains it")


class OpenProblem(BaseModel):
    """A problem, complaint, request or question the customer raised that nobody owned."""

    raised_in: str = Field(description="id of the interaction where the customer raised it")
    summary: str
    days_open: int = Field(ge=0)
    raised_on: dt.date
    kind: Literal["problem", "complaint", "request", "question"] = "problem"
    raised_by: str | None = Field(default=None, description="who raised it, when known")
    text: str = Field(default="", description="the customer's words (collapsed whitespace)")
    response: Literal["vague", "none"] = Field(
        default="none", description="'vague': only a vague answer followed; 'none': nobody answered it"
    )
    evidence: list[Evidence] = Field(min_length=1)
    playbook: str

    @property
    def key(self) -> tuple[str, str]:
        """Identifies the problem across reports of the same account (the interaction and the raised words)."""
        return self.raised_in, self.evidence[0].quote


class Risk(BaseModel):
    code: str = Field(description=f"a relationship risk; built in: {', '.join(BUILT_IN_RISKS)}")
    severity: Severity
    why: str
    evidence: list[Evidence]
    title: str = Field(default="", description="the risk's name, from its playbook page")
    playbook: str = ""

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]


class MeetingVerdict(BaseModel):
    series: str
    verdict: Verdict
    why: str
    evidence: list[Evidence]
    playbook: str


class AccountReport(BaseModel):
    account: str
    engagement: Engagement
    interactions: list[InteractionEngagement]
    unaddressed_problems: list[OpenProblem]
    addressed_problems: int = Field(default=0, ge=0, description="problems raised and since fixed or owned")
    risks: list[Risk]
    meetings: list[MeetingVerdict]
    llm_usage: dict[str, int] | None = Field(
        default=None,
        description="with the llm engine: what reading and linking this account cost (see EngineUsed)",
    )

    def risk(self, code: str) -> Risk | None:
        return next((r for r in self.risks if r.code == code), None)


class Fallback(BaseModel):
    """One step of the LLM engine that the offline engine answered instead, and why."""

    step: str = Field(description="which step: e.g. 'read' (one interaction) or 'link' (across the account)")
    reason: str = Field(description="timeout, rate limited, malformed output, ...")
    count: int = Field(default=1, ge=1, description="how many times, in this report")


class EngineUsed(BaseModel):
    """Which engine answered: the one asked for, its model, and where it fell back to offline."""

    requested: Literal["offline", "llm"] = "offline"
    model: str | None = None
    fallbacks: list[Fallback] = Field(default_factory=list)
    answered: int = Field(default=0, ge=0, description="interactions the requested engine read itself")
    usage: dict[str, int] = Field(
        default_factory=dict,
        description="what the model steps cost: calls, cached (answers kept from before), missed (no recorded "
        "answer), prompt_tokens and completion_tokens (tiktoken)",
    )

    @property
    def name(self) -> str:
        return f"llm:{self.model}" if self.requested == "llm" else "offline"

    @property
    def label(self) -> str:
        """The report's ``engine`` string: 'offline', 'llm:<model>', or how it fell back."""
        if not self.fallbacks:
            return self.name
        reasons = "; ".join(sorted({f.reason for f in self.fallbacks}))
        if self.requested == "llm" and not self.answered:
            return f"offline (fallback from {self.name}: {reasons})"
        return f"{self.name} (offline fallback for some interactions: {reasons})"

    def merged(self, other: EngineUsed) -> EngineUsed:
        counts: dict[tuple[str, str], int] = {}
        for f in [*self.fallbacks, *other.fallbacks]:
            counts[(f.step, f.reason)] = counts.get((f.step, f.reason), 0) + f.count
        usage = dict(self.usage)
        for key, value in other.usage.items():
            usage[key] = usage.get(key, 0) + value
        return EngineUsed(
            requested=self.requested,
            model=self.model,
            fallbacks=[Fallback(step=s, reason=r, count=n) for (s, r), n in sorted(counts.items())],
            answered=self.answered + other.answered,
            usage=usage,
        )


class Report(BaseModel):
    """What ``coach analyze --format json`` prints and ``GET /v1/accounts/{name}/report`` answers."""

    model_config = ConfigDict(title="Coaching report")

    as_of: dt.date = Field(description="the date the analysis is relative to")
    engine: str = Field(description="which engine produced it, e.g. 'offline' or 'llm:<model>'")
    engine_detail: EngineUsed = Field(default_factory=EngineUsed, description="the engine, and any fallbacks")
    accounts: list[AccountReport]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def json_schema() -> dict[str, Any]:
    schema = Report.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "report.schema.json",
        **schema,
        "description": "What `coach analyze INPUT --as-of DATE --format json` prints: per account, the engagement "
        "reading, unaddressed problems, relationship risks and meeting verdicts, each with verbatim evidence. "
        "Generated from coach/analysis/report.py (python -m coach.analysis.report).",
    }


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if (
    __name__ == "__main__"
):  # python -m coach.analysis.report: regenerate the contract after changing the models
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
