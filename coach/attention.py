"""What needs attention in an account, and which accounts need it most: the first thing a rep (or their manager)
reads in the morning.

Per account: the oldest customer problem nobody owned (with days open), the most severe relationship risk, the
recurring meetings to kill or reinvent, the next meeting of a series when its rhythm says when, and whether the
engagement is warming or cooling. Accounts are ordered by a score that weighs those the way a coach would: an
old unowned problem and a severe risk first, a cooling or tactical relationship next, a quiet account last.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from statistics import median
from typing import Literal

from coach.analysis.judged import Judged
from coach.analysis.report import AccountReport, MeetingVerdict, OpenProblem, Risk

Trend = Literal["warming", "cooling", "steady", "unknown"]
RECENT = 5  # interactions compared with the five before them
SHIFT = 0.2  # a change of strategic share this large is a trend
VERDICT_WEIGHT = {"kill": 3.0, "reinvent": 2.0}
ENGAGEMENT_WEIGHT = {"tactical": 2.0, "mixed": 1.0, "strategic": 0.0}


@dataclass(frozen=True, slots=True)
class NextMeeting:
    """When a recurring series should meet next, from its rhythm (the median gap between its meetings)."""

    series: str
    expected: date
    every_days: int
    last: date
    overdue: bool


@dataclass(slots=True)
class Attention:
    account_id: int
    account: str
    engagement: str
    strategic: int
    judged: int
    trend: Trend
    oldest_problem: OpenProblem | None
    open_problems: int
    top_risk: Risk | None
    risks: int
    meetings: list[MeetingVerdict] = field(default_factory=list)
    next_meeting: NextMeeting | None = None
    last_contact: date | None = None
    score: float = 0.0

    @property
    def quiet(self) -> bool:
        """Nothing to act on: no open problem, no risk, no meeting to fix."""
        return not (self.oldest_problem or self.top_risk or self.meetings)


def assess(account_id: int, report: AccountReport, judged: list[Judged], today: date) -> Attention:
    problems = sorted(report.unaddressed_problems, key=lambda p: -p.days_open)
    risks = sorted(report.risks, key=lambda r: -r.rank)
    attention = Attention(
        account_id=account_id,
        account=report.account,
        engagement=report.engagement.label,
        strategic=report.engagement.strategic,
        judged=report.engagement.total,
        trend=trend([j.facts.engagement == "strategic" for j in judged]),
        oldest_problem=problems[0] if problems else None,
        open_problems=len(problems),
        top_risk=risks[0] if risks else None,
        risks=len(risks),
        meetings=[m for m in report.meetings if m.verdict in VERDICT_WEIGHT],
        next_meeting=next_meeting(judged, today),
        last_contact=max((j.view.occurred_at.date() for j in judged), default=None),
    )
    attention.score = score(attention)
    return attention


def by_attention(items: list[Attention]) -> list[Attention]:
    """Most in need first; ties by name."""
    return sorted(items, key=lambda a: (-a.score, a.account.casefold()))


def score(a: Attention) -> float:
    total = 0.0
    if a.oldest_problem is not None:
        total += 2.0 + min(a.oldest_problem.days_open, 120) / 30 + 0.5 * (a.open_problems - 1)
    if a.top_risk is not None:
        total += 1.5 * a.top_risk.rank + 0.5 * (a.risks - 1)
    total += sum(VERDICT_WEIGHT[m.verdict] for m in a.meetings)
    total += ENGAGEMENT_WEIGHT.get(a.engagement, 0.0) + (1.5 if a.trend == "cooling" else 0.0)
    if a.next_meeting is not None and a.next_meeting.overdue:
        total += 0.5
    return round(total, 2)


def trend(strategic: list[bool]) -> Trend:
    """The last five interactions against the five before: warming, cooling or steady (unknown: too few)."""
    recent, before = strategic[-RECENT:], strategic[-2 * RECENT : -RECENT]
    if len(before) < 3 or not recent:
        return "unknown"
    delta = sum(recent) / len(recent) - sum(before) / len(before)
    return "warming" if delta >= SHIFT else "cooling" if delta <= -SHIFT else "steady"


def next_meeting(judged: list[Judged], today: date) -> NextMeeting | None:
    """The series whose next meeting comes soonest, from when it met: known only for a series that met twice."""
    met: dict[str, list[date]] = defaultdict(list)
    for j in judged:
        if j.view.series:
            met[j.view.series].append(j.view.occurred_at.date())
    found = [_rhythm(series, sorted(set(days)), today) for series, days in met.items() if len(set(days)) >= 2]
    upcoming = [m for m in found if m is not None]
    return min(upcoming, key=lambda m: (m.overdue, abs((m.expected - today).days)), default=None)


def _rhythm(series: str, days: list[date], today: date) -> NextMeeting | None:
    gaps = [(b - a).days for a, b in pairwise(days)]
    every = round(median(gaps))
    if every < 1:
        return None
    expected = days[-1] + timedelta(days=every)
    return NextMeeting(series, expected, every, days[-1], overdue=expected < today)
