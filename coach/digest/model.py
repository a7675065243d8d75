"""What a weekly digest is: this week's news, per rep what to coach, per account where it stands; each finding with
the sentence behind it and a link into the web app.

Everything here is written for a manager who forwards the e-mail: no file paths, ids or engine words in any
field a template shows (ids and playbook paths are kept for links and for the LLM's prompt only).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from coach.analysis.report import EngineUsed, Evidence
from coach.digest import words


class Link(BaseModel):
    label: str
    url: str


class Source(BaseModel):
    """An interaction a finding cites, as a manager reads it: date, kind and title, linked to the sentence."""

    interaction: str = Field(description="the interaction's id: for links and the LLM's prompt, never shown")
    quote: str = Field(description="the verbatim sentence")
    date: dt.date | None = None
    kind: str = ""
    title: str = ""
    url: str = Field(default="", description="the note page with the sentence highlighted")

    @property
    def label(self) -> str:
        """'8 Jul 2026, call: Quarterly review prep'."""
        return f"{self.short}: {self.title}" if self.title else self.short

    @property
    def short(self) -> str:
        """'8 Jul 2026, call'."""
        when = words.short_day(self.date) if self.date else ""
        return ", ".join(p for p in (when, words.kind(self.kind)) if p) or "the note"


class Finding(BaseModel):
    """One line of a digest: what happened and since when, what to do, and the sentence behind it."""

    account: str
    account_url: str = ""
    code: str = Field(description="a risk code, 'unaddressed_problem', 'meetings' or 'engagement'")
    title: str = Field(description="what kind of finding, in words: 'Going dark', 'Unanswered question'")
    what: str = Field(description="what happened and since when, one or two sentences")
    next_step: str | None = Field(default=None, description="the playbook's next step")
    guide: Link | None = Field(default=None, description="the playbook page in the web app")
    playbook: str | None = Field(default=None, description="the playbook page's path (internal; not shown)")
    source: Source | None = None
    severity: int = Field(default=0, description="3 high, 2 medium, 1 low; 0 when not a risk")
    days_open: int | None = Field(default=None, description="for an open problem: how long it has been open")
    verdict: str | None = Field(default=None, description="for a meeting series: reinvent or kill")
    key: str = Field(default="", description="identifies the finding across weeks and sections (internal)")

    @property
    def quote(self) -> str | None:
        return self.source.quote if self.source else None


class WeekCount(BaseModel):
    """Interactions in one week, by engagement."""

    end: dt.date = Field(description="the week's last day")
    strategic: int = 0
    tactical: int = 0

    @property
    def total(self) -> int:
        return self.strategic + self.tactical


class Chart(BaseModel):
    """A PNG chart (mail clients strip SVG) and the words that say the same for those who cannot see it."""

    png: bytes = Field(exclude=True)
    alt: str
    caption: str = ""
    cid: str = Field(default="", description="its name in the e-mail (image/png part)")


class AccountWeek(BaseModel):
    account: str
    account_id: int
    url: str = ""
    reps: list[str] = Field(default_factory=list)
    engagement: str
    strategic: int = 0
    judged: int = 0
    interactions_this_week: int
    weeks: list[WeekCount] = Field(default_factory=list, description="twelve weeks, oldest first")
    drifting_tactical: bool
    new_flags: list[Finding] = Field(default_factory=list)
    resolved: list[Finding] = Field(default_factory=list)
    crossed: list[Finding] = Field(
        default_factory=list, description="open problems that turned 30, 60 or 90 days old this week"
    )
    new_stakeholders: list[str] = Field(default_factory=list)
    risks: list[Finding] = Field(default_factory=list, description="every risk flagged now")
    ageing_problems: list[Finding] = Field(default_factory=list)
    meetings: list[Finding] = Field(default_factory=list, description="series to reinvent or kill")
    single_threaded: bool = False

    @property
    def trend(self) -> list[float | None]:
        """Strategic share per week, oldest first (None: no interactions)."""
        return [round(w.strategic / w.total, 3) if w.total else None for w in self.weeks]

    @property
    def standing(self) -> list[Finding]:
        """Where the account stands: its risks (the most severe first), open problems (the oldest first), meetings."""
        return self.risks + self.ageing_problems + self.meetings

    @property
    def attention(self) -> int:
        return (
            3 * len(self.new_flags) + 2 * len(self.crossed) + len(self.ageing_problems) + len(self.meetings)
        )


class RepWeek(BaseModel):
    rep: str
    email: str
    accounts: list[AccountWeek] = Field(default_factory=list)
    weeks: list[WeekCount] = Field(default_factory=list, description="the interactions they logged, per week")
    coaching: list[Finding] = Field(
        default_factory=list, description="1-3 points from the playbook, each citing evidence"
    )
    chart: Chart | None = None

    @property
    def first_name(self) -> str:
        return self.rep.split()[0] if self.rep.split() else self.rep


class Section(BaseModel):
    """A section other parts of the coach add to the digest (the portfolio's investment questions, ...):
    a title, a line of introduction and findings, shown after "This week"."""

    title: str
    intro: str = ""
    findings: list[Finding] = Field(default_factory=list)
    more: Link | None = Field(default=None, description="the page in the web app with the rest")


class Digest(BaseModel):
    manager: str
    manager_email: str
    teams: list[str]
    team_pages: list[Link] = Field(default_factory=list, description="each team's page in the web app")
    week: str = Field(description="ISO week, e.g. 2026-W47")
    start: dt.date
    end: dt.date
    engine: str = Field(default="offline", description="for logs and JSON; never shown to the manager")
    engine_detail: EngineUsed = Field(default_factory=EngineUsed)
    headline: list[str] = Field(default_factory=list)
    narrative: str | None = None
    narrative_sources: list[Source] = Field(default_factory=list)
    narrative_evidence: list[Evidence] = Field(
        default_factory=list, description="what the LLM's paragraph cites (checked verbatim)"
    )
    accounts: list[AccountWeek] = Field(default_factory=list, description="each account once, by attention")
    sections: list[Section] = Field(default_factory=list)
    team_chart: Chart | None = None
    reps: list[RepWeek] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    app_url: str = ""

    @property
    def empty(self) -> bool:
        return not self.reps

    @property
    def title(self) -> str:
        return words.names(self.teams) or "Your team"

    @property
    def dates(self) -> str:
        return words.span(self.start, self.end)

    @property
    def new_flags(self) -> list[Finding]:
        """The most severe first, then the longest open."""
        found = [f for a in self.accounts for f in a.new_flags]
        return sorted(found, key=lambda f: (-f.severity, -(f.days_open or 0)))

    @property
    def resolved(self) -> list[Finding]:
        return [f for a in self.accounts for f in a.resolved]

    @property
    def crossed(self) -> list[Finding]:
        return sorted((f for a in self.accounts for f in a.crossed), key=lambda f: -(f.days_open or 0))

    @property
    def new_stakeholders(self) -> list[tuple[AccountWeek, str]]:
        return [(a, n) for a in self.accounts for n in a.new_stakeholders]

    @property
    def images(self) -> list[Chart]:
        charts = [self.team_chart] + [r.chart for r in self.reps]
        return [c for c in charts if c is not None]
