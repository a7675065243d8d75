"""Placing each account by its share of the team's effort against its share of the value, and naming the
investment decisions being avoided, each argued from the numbers and quotes of the account's own records.

- **habit**: much effort, tactical, and value flat or shrinking or no customer objective stated;
- **under-served**: high value or a renewal near, strategic openings or open problems, and little effort or one
  thread;
- **sacred cow**: a recurring meeting to reinvent or kill that still meets and costs our people hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from coach.analysis.report import Evidence
from coach.playbook import Playbook
from coach.portfolio.model import DECISION_TITLES, Decision, DecisionKind, EffortLevel, Placement, ValueLevel
from coach.portfolio.reading import AccountReading, SeriesCost
from coach.portfolio.thresholds import PortfolioThresholds

PAGE = "investment"
MAX_EVIDENCE = 4


@dataclass(frozen=True, slots=True)
class Totals:
    """The team's effort and recorded value, which each account's share is taken of."""

    accounts: int
    interactions: int
    hours: float
    lookback_hours: float  # meeting hours over two windows (a meeting series' cost is weighed over both)
    arr: float
    arr_accounts: int

    @classmethod
    def of(cls, readings: list[AccountReading]) -> Totals:
        arrs = [r.value.arr for r in readings if r.value.arr is not None]
        return cls(
            accounts=len(readings),
            interactions=sum(r.effort.interactions for r in readings),
            hours=sum(r.effort.meeting_hours for r in readings),
            lookback_hours=sum(r.effort.meeting_hours + r.effort.previous_meeting_hours for r in readings),
            arr=sum(arrs),
            arr_accounts=len(arrs),
        )

    @property
    def even(self) -> float:
        return 1 / self.accounts if self.accounts else 1.0


def place(r: AccountReading, totals: Totals, t: PortfolioThresholds) -> Placement:
    e = r.effort
    share = max(
        e.interactions / totals.interactions if totals.interactions else 0.0,
        e.meeting_hours / totals.hours if totals.hours else 0.0,
    )
    effort: EffortLevel = "none" if not e.interactions else _band(share, totals.even, t)
    value_share = None
    value: ValueLevel = "unknown"
    if r.value.arr is not None:
        value_share = r.value.arr / totals.arr if totals.arr else 0.0
        value = _band(value_share, 1 / max(1, totals.arr_accounts), t)
    return Placement(
        effort=effort,
        value=value,
        engagement=r.window_engagement,
        effort_share=round(min(1.0, share), 4),
        value_share=round(min(1.0, value_share), 4) if value_share is not None else None,
    )


def _band(share: float, even: float, t: PortfolioThresholds) -> Literal["high", "medium", "low"]:
    """High from ``high_share`` times an even share, low up to ``low_share`` times it (one account alone: medium)."""
    if share >= even * t.high_share and even < 1:
        return "high"
    return "low" if share <= even * t.low_share and even < 1 else "medium"


class Decider:
    """The decisions one account's reading argues for, with the playbook's next step for each."""

    def __init__(self, playbook: Playbook, t: PortfolioThresholds) -> None:
        self.t = t
        entry = playbook.get(PAGE)
        self.page = entry.path if entry else ""
        self.steps = entry.next_steps() if entry else []
        meetings = playbook.get("meetings")
        self.meeting_steps = meetings.next_steps() if meetings else []

    def decide(self, r: AccountReading, p: Placement, totals: Totals) -> list[Decision]:
        cows = [d for c in r.series if (d := self.sacred_cow(r, c, totals)) is not None]
        # An account whose effort is (nearly) all its sacred cows' meetings has one decision to make, not two.
        in_cows = {i for d in cows for i in d.interactions} & set(r.window_ids)
        mostly_cows = bool(r.window_ids) and len(in_cows) >= 0.75 * len(r.window_ids)
        found = [None if mostly_cows else self.habit(r, p, totals), self.under_served(r, p, totals), *cows]
        return [d for d in found if d is not None]

    # --- habit ----------------------------------------------------------------------------------------
    def habit(self, r: AccountReading, p: Placement, totals: Totals) -> Decision | None:
        tactical = p.engagement == "tactical" or (r.engagement == "tactical" and p.engagement != "strategic")
        value_flat = r.value.arr_trend in ("flat", "shrinking")
        if p.effort != "high" or not tactical or not (value_flat or not r.objectives):
            return None
        e, hoping = r.effort, r.risk("account_hoping")
        parts = [
            f"{_effort(r, p, self.t)} ({_pct(p.effort_share)} of the team's effort; an even share is "
            f"{_pct(totals.even)})",
            f"{e.strategic} of {e.interactions} strategic",
            _value(r, p),
        ]
        if not r.objectives:
            parts.append(f"no customer objective or account plan stated since {e.since.isoformat()}")
        if hoping:
            parts.append("flagged as account hoping: " + hoping.why.rstrip("."))
        return self._decision(
            "habit",
            r,
            f"Is {_pct(p.effort_share)} of the team's effort on {r.account} an investment, or a habit?",
            parts,
            [*(hoping.evidence[:2] if hoping else []), *r.tactical],
            r.window_ids,
            weight=p.effort_share * (1.5 if r.value.arr_trend == "shrinking" else 1.0),
        )

    # --- under-served ---------------------------------------------------------------------------------
    def under_served(self, r: AccountReading, p: Placement, totals: Totals) -> Decision | None:
        days = r.value.renewal_in_days
        near = days is not None and -30 <= days <= self.t.renewal_days
        rival = r.risk("competitor_inside")
        openings = bool(r.strategic or r.pending or rival)
        thin = p.effort in ("low", "none") or (
            p.value_share is not None and p.effort_share <= p.value_share * self.t.low_share
        )
        thread = self._one_thread(r)
        if not (p.value == "high" or near) or not (openings or r.problems) or not (thin or thread):
            return None
        parts = [_value(r, p) + (f", {_renewal(days)}" if near and days is not None else "")]
        parts.append(f"{_effort(r, p, self.t)} ({_pct(p.effort_share)} of the team's effort)")
        if r.problems:
            oldest = max(x.days_open for x in r.problems)
            parts.append(
                f"{_n(len(r.problems), 'customer problem')} nobody owned, the oldest {oldest} days open"
            )
        if rival:
            parts.append("a rival inside: " + rival.why.rstrip("."))
        elif openings:
            parts.append(
                "strategic openings in the records (the customer's plans, goals or pending business)"
            )
        if thread:
            parts.append(thread)
        evidence = [x.evidence[0] for x in r.problems[:2]]
        evidence += (rival.evidence[:1] if rival else []) + r.strategic[:1] + r.pending[:1]
        evidence += [
            x.evidence[0] for c in ("single_threaded", "star_performer") if (x := r.risk(c)) and x.evidence
        ]
        urgency = 0.5 * (1 - max(0, days or 0) / max(1, self.t.renewal_days)) if near else 0.0
        question = (
            f"Who is investing in {r.account} before it renews {_renewal(days, short=True)}?"
            if near and days is not None
            else f"Is {r.account} getting the effort its value deserves?"
        )
        return self._decision(
            "under_served",
            r,
            question,
            parts,
            evidence,
            r.window_ids,
            weight=(p.value_share or 0.0) + urgency,
        )

    def _one_thread(self, r: AccountReading) -> str | None:
        for code in ("single_threaded", "star_performer"):
            risk = r.risk(code)
            if risk:
                return risk.why.rstrip(".")
        e = r.effort
        if e.interactions >= 2 and e.customer_people <= 1:
            return f"{'one customer contact' if e.customer_people else 'no customer contact named'} in {e.days} days"
        if e.interactions >= 3 and len(e.our_people) <= 1:
            return f"one person of ours in {e.days} days"
        return None

    # --- sacred cow -----------------------------------------------------------------------------------
    def sacred_cow(self, r: AccountReading, c: SeriesCost, totals: Totals) -> Decision | None:
        costly = c.hours >= self.t.sacred_cow_hours or (c.hours == 0 and c.unmeasured >= 3)
        if not costly:
            return None
        span = 2 * self.t.window_days
        each = f"about {c.ours:.0f} of ours" + (f" for {c.minutes:.0f} minutes each" if c.minutes else "")
        parts = [
            f"{_n(c.meetings, 'meeting')} since {c.since.isoformat()} ({c.recent} in the last {self.t.window_days} "
            f"days, the latest {c.last.isoformat()}), {each}"
        ]
        if c.hours:
            share = c.hours / totals.lookback_hours if totals.lookback_hours else 0.0
            parts.append(
                f"{_hours(c.hours)} of our people's time, {_pct(share)} of the team's meeting hours in {span} days"
            )
        if c.unmeasured:
            parts.append(f"length not recorded for {c.unmeasured} of them (not counted)")
        parts.append(f"verdict: {c.verdict}. {c.verdict_why.rstrip('.')}")
        step = self._step("sacred_cow")
        verdict_step = next((s for s in self.meeting_steps if s.startswith(f"{c.verdict.capitalize()}:")), "")
        decision = self._decision(
            "sacred_cow",
            r,
            f"Does the {c.series} earn the {_hours(c.hours) if c.hours else 'hours'} it takes?",
            parts,
            c.evidence,
            c.ids,
            weight=c.hours / totals.lookback_hours if totals.lookback_hours else 0.0,
        )
        decision.series = c.series
        decision.next_step = " ".join(s for s in (step, verdict_step) if s)
        return decision

    # --- shared ---------------------------------------------------------------------------------------
    def _decision(
        self,
        kind: DecisionKind,
        r: AccountReading,
        question: str,
        parts: list[str],
        evidence: list[Evidence],
        interactions: list[str],
        weight: float,
    ) -> Decision:
        seen: set[str] = set()
        unique: list[Evidence] = []
        for (
            e
        ) in evidence:  # each sentence once (a repeated "will touch base" says it once), in the order given
            key = " ".join(e.quote.split()).casefold()
            if key not in seen and len(unique) < MAX_EVIDENCE:
                seen.add(key)
                unique.append(e)
        return Decision(
            kind=kind,
            title=DECISION_TITLES[kind],
            account=r.account,
            account_id=r.account_id,
            question=question,
            why="; ".join(p for p in parts if p) + ".",
            evidence=unique,
            interactions=interactions,
            next_step=self._step(kind),
            playbook=self.page,
            weight=round(max(0.0, weight), 4),
        )

    def _step(self, kind: DecisionKind) -> str:
        prefix = DECISION_TITLES[kind] + ":"
        return next((s for s in self.steps if s.startswith(prefix)), "")


def _effort(r: AccountReading, p: Placement, t: PortfolioThresholds) -> str:
    e = r.effort
    text = _n(e.interactions, "interaction")
    if e.meeting_hours:
        text += f" and {_hours(e.meeting_hours)} of our people's meeting time"
    text += f" in {e.days} days"
    if e.unmeasured_meetings:
        text += (
            f" ({_n(e.unmeasured_meetings, 'meeting or call', 'meetings or calls')} with no length recorded)"
        )
    if e.trend in ("rising", "falling"):
        text += f", {e.trend} from {e.previous_interactions}"
    return text


def _value(r: AccountReading, p: Placement) -> str:
    v = r.value
    if v.arr is None:
        return "ARR not recorded"
    share = f"{_pct(p.value_share or 0.0)} of the team's recorded ARR"
    if v.arr_trend == "unknown" or v.arr_since is None or v.arr_change is None:
        return f"ARR {_money(v.arr)} ({share}; one value recorded, so no trend)"
    return (
        f"ARR {_money(v.arr)} ({share}), {v.arr_trend} ({v.arr_change:+.0%}) since {v.arr_since.isoformat()}"
    )


def _renewal(days: int | None, short: bool = False) -> str:
    if days is None:
        return ""
    if days < 0:
        return (
            f"now (its renewal date passed {-days} days ago)"
            if short
            else f"renewal date passed {-days} days ago"
        )
    return f"in {_n(days, 'day')}" if short else f"renews in {_n(days, 'day')}"


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _hours(hours: float) -> str:
    return f"{hours:.1f} hour{'' if round(hours, 1) == 1 else 's'}"


def _pct(share: float) -> str:
    return f"{share:.0%}"


def _money(value: float) -> str:
    return f"{value:,.0f}"
