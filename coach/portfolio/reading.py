"""One account read for the portfolio: its effort from the judged records, its value from its measures, and the
evidence a decision about it could rest on. Nothing here compares accounts (``coach.portfolio.decide`` does),
so a portfolio of any size is read one account at a time and only these readings are kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from coach.analysis.judged import Judged
from coach.analysis.report import EngagementLabel, Evidence, OpenProblem, Risk, Verdict
from coach.analysis.service import AccountAnalysis
from coach.measures import AccountMeasures
from coach.portfolio.model import Effort, Trend, ValueReading, ValueTrend, WindowEngagement
from coach.portfolio.thresholds import PortfolioThresholds
from coach.signals.facts import Quote

OBJECTIVES = frozenset({"goals", "account_plan", "multi_year_plan"})
MEETING_KINDS = ("meeting", "call")
MAX_QUOTES = 3


@dataclass(slots=True)
class SeriesCost:
    """A recurring meeting with a reinvent or kill verdict, and what it costs our people."""

    series: str
    verdict: Verdict
    verdict_why: str
    evidence: list[Evidence]
    meetings: int  # over two windows
    recent: int  # in the window
    hours: float
    unmeasured: int
    ours: float  # our attendees per meeting, on average
    minutes: float | None  # average length, when recorded
    since: date
    last: date
    ids: list[str]


@dataclass(slots=True)
class AccountReading:
    account: str
    account_id: int
    effort: Effort
    value: ValueReading
    measures: AccountMeasures
    engagement: EngagementLabel | None
    window_engagement: WindowEngagement
    problems: list[OpenProblem]
    risks: list[Risk]
    window_ids: list[str]
    tactical: list[Evidence] = field(default_factory=list)
    objectives: list[Evidence] = field(default_factory=list)
    strategic: list[Evidence] = field(default_factory=list)
    pending: list[Evidence] = field(default_factory=list)
    series: list[SeriesCost] = field(default_factory=list)

    def risk(self, code: str) -> Risk | None:
        return next((r for r in self.risks if r.code == code), None)


def read_account(
    analysis: AccountAnalysis, account_id: int, measures: AccountMeasures, t: PortfolioThresholds
) -> AccountReading:
    as_of = analysis.as_of
    since = as_of - timedelta(days=t.window_days - 1)
    window = [j for j in analysis.judged if since <= j.view.occurred_at.date() <= as_of]
    report = analysis.report
    effort = measure_effort(analysis.judged, as_of, t.window_days)
    return AccountReading(
        account=analysis.name,
        account_id=account_id,
        effort=effort,
        value=read_value(measures, as_of, t.growth),
        measures=measures,
        engagement=report.engagement.label if report.interactions else None,
        window_engagement=window_engagement(effort, t),
        problems=list(report.unaddressed_problems),
        risks=list(report.risks),
        window_ids=[j.view.id for j in window],
        tactical=_cite(
            [
                (j.view.id, q)
                for j in window
                if j.facts.engagement == "tactical"
                and (q := j.facts.engagement_quote)
                and len(q.text.split()) >= 4
            ]
        ),
        objectives=_cite(
            [(j.view.id, q.quote) for j in window for q in j.facts.strategic if q.kind in OBJECTIVES]
        ),
        strategic=_cite([(j.view.id, q.quote) for j in window for q in j.facts.strategic]),
        pending=_cite([(j.view.id, q) for j in window for q in j.facts.pending_business]),
        series=series_costs(analysis, since, t),
    )


# --- effort ------------------------------------------------------------------------------------------
def measure_effort(judged: list[Judged], as_of: date, days: int) -> Effort:
    since = as_of - timedelta(days=days - 1)
    before = since - timedelta(days=days)
    window = [j for j in judged if since <= j.view.occurred_at.date() <= as_of]
    previous = [j for j in judged if before <= j.view.occurred_at.date() < since]
    meetings = [j for j in window if j.view.kind in MEETING_KINDS]
    hours = sum(our_hours(j) or 0.0 for j in meetings)
    strategic = [j for j in window if j.facts.engagement == "strategic"]
    ours = {n.casefold(): n for j in window for n in our_people(j)}
    customers = {
        p.name.casefold() for j in window for p in j.facts.people if p.side == "customer" and p.active
    }
    return Effort(
        since=since,
        days=days,
        interactions=len(window),
        meetings=len(meetings),
        meeting_hours=round(hours, 2),
        unmeasured_meetings=sum(1 for j in meetings if our_hours(j) is None),
        our_people=sorted(ours.values(), key=str.casefold),
        customer_people=len(customers),
        strategic=len(strategic),
        strategic_share=round(len(strategic) / len(window), 3) if window else None,
        strategic_hours=round(sum(our_hours(j) or 0.0 for j in strategic if j.view.kind in MEETING_KINDS), 2),
        previous_interactions=len(previous),
        previous_meeting_hours=round(
            sum(our_hours(j) or 0.0 for j in previous if j.view.kind in MEETING_KINDS), 2
        ),
        trend=trend(len(window), len(previous)),
        monthly=_monthly(judged, as_of, days),
        last_interaction=max((j.view.occurred_at.date() for j in judged), default=None),
    )


def our_people(j: Judged) -> list[str]:
    """Our people in an interaction: those of ours who took part, else the rep who logged it."""
    names = [p.name for p in j.facts.people if p.side == "internal" and p.active]
    return names or ([j.view.rep] if j.view.rep else [])


def our_hours(j: Judged) -> float | None:
    """A meeting's or call's hours of our people: its length times our attendees; None when no length is
    recorded (it is not guessed)."""
    minutes = j.view.duration_minutes
    if minutes is None or j.view.kind not in MEETING_KINDS:
        return None
    return minutes / 60 * max(1, len(our_people(j)))


def trend(now: int, before: int) -> Trend:
    """Rising or falling when the count moved by a quarter and by two at least (small counts are noise)."""
    if not now and not before:
        return "none"
    if not before:
        return "new"
    if now >= before * 1.25 and now - before >= 2:
        return "rising"
    if now <= before * 0.75 and before - now >= 2:
        return "falling"
    return "flat"


def window_engagement(effort: Effort, t: PortfolioThresholds) -> WindowEngagement:
    share = effort.strategic_share
    if share is None:
        return "none"
    if share >= t.strategic_share:
        return "strategic"
    return "tactical" if share <= t.tactical_share else "mixed"


def _monthly(judged: list[Judged], as_of: date, days: int) -> list[int]:
    slices = -(-2 * days // 30)
    counts = [0] * slices
    for j in judged:
        back = (as_of - j.view.occurred_at.date()).days
        if 0 <= back < slices * 30:
            counts[slices - 1 - back // 30] += 1
    return counts


# --- value -------------------------------------------------------------------------------------------
def read_value(measures: AccountMeasures, as_of: date, growth: float = 0.05) -> ValueReading:
    def number(code: str) -> float | None:
        value = measures.current(code)
        return value if isinstance(value, float) else None

    renewal = measures.current("renewal_date")
    renewal_date = date.fromisoformat(renewal) if isinstance(renewal, str) else None
    tier = measures.current("tier")
    arr_points = [p for p in measures.history("arr") if p.as_of <= as_of]
    reading = ValueReading(
        arr=number("arr"),
        arr_as_of=arr_points[-1].as_of if arr_points else None,
        renewal_date=renewal_date,
        renewal_in_days=(renewal_date - as_of).days if renewal_date else None,
        tier=tier if isinstance(tier, str) else None,
        csat=number("csat"),
        nps=number("nps"),
        retention=number("retention"),
        repeat_purchase=number("repeat_purchase"),
        lifetime_value=number("lifetime_value"),
        missing=[m.label for m in measures.measures if m.current is None],
    )
    if len(arr_points) >= 2:
        latest = arr_points[-1]
        year_before = [p for p in arr_points[:-1] if p.as_of >= latest.as_of - timedelta(days=365)]
        base = year_before[0] if year_before else arr_points[-2]
        if isinstance(latest.value, float) and isinstance(base.value, float) and base.value > 0:
            change = latest.value / base.value - 1
            reading.arr_change, reading.arr_since = round(change, 4), base.as_of
            reading.arr_trend = _value_trend(change, growth)
    return reading


def _value_trend(change: float, growth: float) -> ValueTrend:
    return "growing" if change > growth else "shrinking" if change < -growth else "flat"


# --- recurring meetings ------------------------------------------------------------------------------
def series_costs(analysis: AccountAnalysis, since: date, t: PortfolioThresholds) -> list[SeriesCost]:
    """Meetings to reinvent or kill that still meet (in the window), with their hours over two windows."""
    lookback = since - timedelta(days=t.window_days)
    out = []
    for verdict in analysis.report.meetings:
        if verdict.verdict == "keep":
            continue
        key = _series_key(verdict.series)
        occurrences = [
            j
            for j in analysis.judged
            if j.view.series and _series_key(j.view.series) == key and j.view.occurred_at.date() >= lookback
        ]
        recent = [j for j in occurrences if j.view.occurred_at.date() >= since]
        if not recent:
            continue
        hours = [h for j in occurrences if (h := our_hours(j)) is not None]
        minutes = [j.view.duration_minutes for j in occurrences if j.view.duration_minutes is not None]
        out.append(
            SeriesCost(
                series=verdict.series,
                verdict=verdict.verdict,
                verdict_why=verdict.why,
                evidence=list(verdict.evidence),
                meetings=len(occurrences),
                recent=len(recent),
                hours=round(sum(hours), 2),
                unmeasured=len(occurrences) - len(hours),
                ours=sum(max(1, len(our_people(j))) for j in occurrences) / len(occurrences),
                minutes=sum(minutes) / len(minutes) if minutes else None,
                since=min(j.view.occurred_at.date() for j in occurrences),
                last=max(j.view.occurred_at.date() for j in occurrences),
                ids=[j.view.id for j in occurrences],
            )
        )
    return out


def _series_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _cite(found: list[tuple[str, Quote | None]]) -> list[Evidence]:
    """Up to three quotes, each once, the latest first (the freshest evidence argues best)."""
    seen: set[str] = set()
    out: list[Evidence] = []
    for interaction, quote in reversed(found):
        if quote is None or quote.text in seen:
            continue
        seen.add(quote.text)
        out.append(Evidence(interaction=interaction, quote=quote.text))
        if len(out) == MAX_QUOTES:
            break
    return out


__all__ = ["AccountReading", "SeriesCost", "measure_effort", "read_account", "read_value"]
