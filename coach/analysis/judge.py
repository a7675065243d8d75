"""Judging one account across time: engagement, the problem ledger, risks and meeting verdicts.

Input: the account's interactions (oldest first) with their facts; output: the
account's part of the report (contract/report.schema.json), every finding with
its evidence (interaction id + verbatim quote) and the playbook section behind it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from coach.analysis.thresholds import Thresholds
from coach.signals.facts import InteractionFacts, Problem, Quote, unpack_vector
from coach.signals.offline import InteractionView

PLAYBOOK = {
    "engagement": "knowledge/engagement.md",
    "unaddressed": "knowledge/problem-ledger.md",
    "meetings": "knowledge/meeting-verdicts.md",
    "account_hoping": "knowledge/killers/account-hoping.md",
    "competitor_inside": "knowledge/killers/competitor-inside.md",
    "star_performer": "knowledge/killers/star-performer.md",
    "data_not_strategy": "knowledge/killers/data-not-strategy.md",
    "single_threaded": "knowledge/killers/single-threaded.md",
    "complacency": "knowledge/killers/complacency.md",
    "reactive_firefighting": "knowledge/killers/reactive-firefighting.md",
    "going_dark": "knowledge/killers/going-dark.md",
}
_WORD = re.compile(r"[a-zA-Z][a-zA-Z0-9]{3,}")
_COMMON = frozenset(
    [
        "that",
        "this",
        "with",
        "from",
        "have",
        "they",
        "their",
        "there",
        "what",
        "when",
        "which",
        "would",
        "could",
        "should",
        "about",
        "were",
        "been",
        "will",
        "your",
        "ours",
        "them",
        "than",
        "then",
        "into",
        "also",
        "just",
        "said",
        "asked",
        "wants",
        "need",
        "needs",
        "know",
        "more",
        "some",
        "other",
        "only",
        "over",
        "same",
        "after",
        "before",
        "next",
        "week",
        "weeks",
        "today",
        "back",
        "still",
        "again",
        "time",
        "call",
        "meeting",
        "email",
        "thanks",
        "team",
    ]
)


@dataclass(slots=True)
class Judged:
    view: InteractionView
    facts: InteractionFacts


@dataclass(slots=True)
class LedgerEntry:
    raised_in: Judged
    problem: Problem
    evidence: list[tuple[str, Quote]] = field(default_factory=list)
    addressed_by: tuple[str, Quote] | None = None
    vectors: list[np.ndarray] = field(default_factory=list)
    words: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.words = _rare_words(self.problem.quote.text)


def _ev(interaction_id: str, q: Quote) -> dict[str, str]:
    return {"interaction": interaction_id, "quote": q.text}


def _rare_words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if w.lower() not in _COMMON}


class AccountJudge:
    def __init__(self, thresholds: Thresholds) -> None:
        self.t = thresholds

    def judge(self, account: str, items: list[Judged], as_of: date) -> dict[str, Any]:
        interactions = [
            {
                "id": j.view.id,
                "engagement": j.facts.engagement,
                **(
                    {"evidence": _ev(j.view.id, j.facts.engagement_quote)} if j.facts.engagement_quote else {}
                ),
                "date": j.view.occurred_at.date().isoformat(),
            }
            for j in items
        ]
        strategic = sum(1 for j in items if j.facts.engagement == "strategic")
        share = strategic / len(items) if items else 0.0
        label = (
            "strategic"
            if share >= self.t.strategic_share
            else "tactical"
            if share <= self.t.tactical_share
            else "mixed"
        )
        ledger = self.ledger(items)
        unaddressed = [self._problem_finding(e, as_of) for e in ledger if e.addressed_by is None]
        return {
            "account": account,
            "engagement": {
                "label": label,
                "strategic_share": round(share, 3),
                "strategic": strategic,
                "total": len(items),
                "why": f"{strategic} of {len(items)} interactions are strategic",
                "playbook": PLAYBOOK["engagement"],
            },
            "interactions": interactions,
            "unaddressed_problems": unaddressed,
            "addressed_problems": len(ledger) - len(unaddressed),
            "risks": self.risks(items, as_of, share, ledger),
            "meetings": self.meetings(items),
        }

    # --- the problem ledger -------------------------------------------------------------------
    def ledger(self, items: list[Judged]) -> list[LedgerEntry]:
        """Problems in the order raised; each stays open until a fix, dated plan or answer matches it.

        Only open problems are kept in the working list, so an account's history costs time in
        proportion to what is still open, not to everything ever raised.
        """
        entries: list[LedgerEntry] = []
        open_entries: list[LedgerEntry] = []
        for j in items:
            for p in j.facts.problems:
                vector = unpack_vector(p.vector)
                same = self._recurrence(open_entries, vector, p.quote.text)
                if same is not None:
                    same.evidence.append((j.view.id, p.quote))
                    if p.response in ("fixed", "planned", "answered") and p.response_quote:
                        same.addressed_by = (j.view.id, p.response_quote)
                        open_entries.remove(same)
                    continue
                entry = LedgerEntry(j, p, [(j.view.id, p.quote)], vectors=[vector] if vector.size else [])
                entries.append(entry)
                if p.response in ("fixed", "planned", "answered") and p.response_quote:
                    entry.addressed_by = (j.view.id, p.response_quote)
                else:
                    open_entries.append(entry)
            for recalled in j.facts.recalled_problems:
                match = self._best(
                    open_entries,
                    unpack_vector(recalled.vector),
                    recalled.quote.text,
                    self.t.match_similarity_with_words,
                )
                if match is not None:
                    match.evidence.append((j.view.id, recalled.quote))
            for resolution in j.facts.resolutions:
                if not open_entries:
                    break
                vector = unpack_vector(resolution.vector)
                for entry in list(open_entries):
                    if not entry.vectors:
                        continue
                    if (
                        entry.raised_in is j
                        and resolution.quote.start <= entry.problem.quote.start
                        and j.view.kind != "email"
                    ):
                        continue
                    if self._matches(
                        entry, vector, resolution.quote.text, same_conversation=entry.raised_in is j
                    ):
                        entry.addressed_by = (j.view.id, resolution.quote)
                        open_entries.remove(entry)
        return entries

    def _similarity(self, entry: LedgerEntry, vector: np.ndarray) -> float:
        if not vector.size or not entry.vectors:
            return 0.0
        return max(float(v @ vector) for v in entry.vectors)

    def _matches(
        self, entry: LedgerEntry, vector: np.ndarray, text: str, same_conversation: bool = False
    ) -> bool:
        sim = self._similarity(entry, vector)
        if sim >= self.t.match_similarity:
            return True
        if same_conversation and sim >= self.t.same_conversation_similarity:
            # In the same meeting, a fix or owned, dated decision on the same subject answers the need.
            return len(entry.words & _rare_words(text)) >= 3
        if sim < self.t.match_similarity_with_words:
            return False
        return len(entry.words & _rare_words(text)) >= 2

    def _recurrence(self, entries: list[LedgerEntry], vector: np.ndarray, text: str) -> LedgerEntry | None:
        candidates = [
            e for e in entries if e.addressed_by is None and e.vectors and self._matches(e, vector, text)
        ]
        return self._best(candidates, vector, text, 0.0) if candidates else None

    def _best(
        self, entries: list[LedgerEntry], vector: np.ndarray, text: str, floor: float
    ) -> LedgerEntry | None:
        """The entry most like ``text`` (cosine plus a little for shared rare words), if above ``floor``."""
        best, best_sim = None, floor
        for entry in entries:
            sim = self._similarity(entry, vector)
            shared = len(entry.words & _rare_words(text))
            sim += 0.05 * min(shared, 3)
            if sim >= best_sim:
                best, best_sim = entry, sim
        return best

    def _problem_finding(self, entry: LedgerEntry, as_of: date) -> dict[str, Any]:
        raised = entry.raised_in.view
        who = entry.problem.actor or "The customer"
        text = " ".join(entry.problem.quote.text.split())
        response = {
            "vague": "only a vague answer followed",
            "none": "nobody answered it",
        }.get(entry.problem.response, "no fix, owned plan or answer followed")
        return {
            "raised_in": raised.id,
            "summary": f"{who} raised: {text[:160]}{'…' if len(text) > 160 else ''} ({response}).",
            "days_open": max(0, (as_of - raised.occurred_at.date()).days),
            "raised_on": raised.occurred_at.date().isoformat(),
            "kind": entry.problem.kind,
            "evidence": [_ev(i, q) for i, q in entry.evidence]
            + ([_ev(raised.id, entry.problem.response_quote)] if entry.problem.response_quote else []),
            "playbook": PLAYBOOK["unaddressed"],
        }

    # --- risks --------------------------------------------------------------------------------
    def risks(
        self, items: list[Judged], as_of: date, share: float, ledger: list[LedgerEntry]
    ) -> list[dict[str, Any]]:
        if not items:
            return []
        found: list[dict[str, Any]] = []
        for check in (
            self._going_dark,
            self._single_threaded,
            self._star_performer,
            self._account_hoping,
            self._competitor_inside,
            self._data_not_strategy,
            self._complacency,
            self._firefighting,
        ):
            risk = check(items, as_of, share, ledger)
            if risk:
                risk["playbook"] = PLAYBOOK[risk["code"]]
                found.append(risk)
        return found

    def _risk(self, code: str, severity: str, why: str, evidence: list[tuple[str, Quote]]) -> dict[str, Any]:
        seen, out = set(), []
        for i, q in evidence:
            if (i, q.start) not in seen:
                seen.add((i, q.start))
                out.append(_ev(i, q))
        return {"code": code, "severity": severity, "why": why, "evidence": out[:4]}

    def _going_dark(self, items, as_of, share, ledger):  # type: ignore[no-untyped-def]
        last = items[-1]
        days = (as_of - last.view.occurred_at.date()).days
        if days < self.t.going_dark_days:
            return None
        pending = [(j.view.id, q) for j in items[-3:] for q in j.facts.pending_business]
        open_items = [e for e in ledger if e.addressed_by is None]
        if not pending and not open_items:
            return None
        severity = "high" if days >= 2 * self.t.going_dark_days else "medium"
        evidence = pending[-2:] or [(open_items[-1].raised_in.view.id, open_items[-1].problem.quote)]
        return self._risk(
            "going_dark",
            severity,
            f"No interaction for {days} days (last {last.view.occurred_at.date()}) "
            "while business is pending.",
            evidence,
        )

    def _people(self, items: list[Judged], side: str) -> Counter[str]:
        counts: Counter[str] = Counter()
        for j in items:
            names = {p.name for p in j.facts.people if p.side == side and p.active}
            counts.update(names)
        return counts

    def _single_threaded(self, items, as_of, share, ledger):  # type: ignore[no-untyped-def]
        if len(items) < self.t.min_interactions_for_people_risks:
            return None
        counts = self._people(items, "customer")
        if not counts:
            return None
        (top, n), *others = counts.most_common()
        with_contact = sum(1 for j in items if any(p.side == "customer" and p.active for p in j.facts.people))
        seniors = {
            p.name
            for j in items
            for p in j.facts.people
            if p.side == "customer" and p.active and p.seniority in ("executive", "senior")
        }
        if others and not (
            n / max(with_contact, 1) >= self.t.single_thread_share
            and all(c <= 1 for _, c in others)
            and not any(name in seniors for name, _ in others)
        ):
            return None
        evidence = [
            (j.view.id, t.quote) for j in items for t in j.facts.strategic if t.kind == "decision_process"
        ]
        evidence += [(j.view.id, j.facts.engagement_quote) for j in items[-2:] if j.facts.engagement_quote]
        return self._risk(
            "single_threaded",
            "high" if not others else "medium",
            f"All customer contact runs through {top} ({n} of {len(items)} interactions); "
            "no second contact or decision maker engaged.",
            evidence,
        )

    def _star_performer(self, items, as_of, share, ledger):  # type: ignore[no-untyped-def]
        if len(items) < self.t.min_interactions_for_people_risks:
            return None
        counts: Counter[str] = Counter()
        for j in items:
            names = {p.name for p in j.facts.people if p.side == "internal" and p.active}
            if j.view.rep:
                names.add(j.view.rep)
            counts.update(_first_names(names))
        if not counts:
            return None
        (top, n), *others = counts.most_common()
        if n / len(items) < self.t.star_performer_share or any(c > 1 for _, c in others):
            return None
        evidence = [(j.view.id, j.facts.engagement_quote) for j in items[-3:] if j.facts.engagement_quote]
        return self._risk(
            "star_performer",
            "medium" if others else "high",
            f"{top} carries {n} of {len(items)} interactions; nobody else on our side knows the customer.",
            evidence,
        )

    def _account_hoping(self, items, as_of, share, ledger):  # type: ignore[no-untyped-def]
        vague = [(j.view.id, q) for j in items for q in j.facts.vague_next_steps]
        touched = {i for i, _ in vague}
        fire = sum(1 for j in items if j.facts.firefighting)
        if (
            len(touched) < self.t.hoping_vague_steps
            or share > self.t.tactical_share
            or fire / len(items) >= self.t.firefighting_share
        ):
            return None
        return self._risk(
            "account_hoping",
            "high" if len(touched) >= 4 else "medium",
            f"{len(items)} touches, {len(touched)} of them ending in a vague next step, and only "
            f"{share:.0%} strategic: activity without an account plan.",
            vague,
        )

    def _competitor_inside(self, items, as_of, share, ledger):  # type: ignore[no-untyped-def]
        active = [(j.view.id, c) for j in items for c in j.facts.competitors if c.nature == "active"]
        if not active:
            return None
        names = Counter(c.name for _, c in active)
        name = names.most_common(1)[0][0]
        where = {i for i, _ in active}
        return self._risk(
            "competitor_inside",
            "high" if len(where) >= 2 else "medium",
            f"A rival ({name}) is active inside the account: mentioned in {len(where)} interaction(s) "
            "with a pilot, benchmark or meetings with our stakeholders.",
            [(i, c.quote) for i, c in active],
        )

    def _data_not_strategy(self, items, as_of, share, ledger):  # type: ignore[no-untyped-def]
        reports = [
            j
            for j in items
            if j.facts.data_report_cues >= 2
            and j.facts.engagement == "tactical"
            and not any(not d.deferred for d in j.facts.decisions)
        ]
        if len(reports) < 2 or len(reports) / len(items) < self.t.data_report_share:
            return None
        evidence = [(j.view.id, j.facts.data_reports[0]) for j in reports]
        return self._risk(
            "data_not_strategy",
            "medium" if len(reports) < 4 else "high",
            f"{len(reports)} interactions are reports, dashboards or usage decks with no decision or "
            "insight coming out of them.",
            evidence,
        )

    def _complacency(self, items, as_of, share, ledger):  # type: ignore[no-untyped-def]
        assumed = [(j.view.id, q) for j in items for q in j.facts.renewal_assumptions]
        if not assumed:
            return None
        tenure = [(j.view.id, q) for j in items for q in j.facts.tenure]
        recent = items[-4:]
        recent_strategic = sum(1 for j in recent if j.facts.engagement == "strategic") / len(recent)
        if not tenure and recent_strategic > 0.3:
            return None
        return self._risk(
            "complacency",
            "high" if tenure and recent_strategic <= 0.25 else "medium",
            "The renewal is taken for granted and nobody is talking with the customer about its future.",
            assumed + tenure,
        )

    def _firefighting(self, items, as_of, share, ledger):  # type: ignore[no-untyped-def]
        fires = [j for j in items if len(j.facts.firefighting) >= 1 and j.facts.engagement == "tactical"]
        if len(fires) < 3 or len(fires) / len(items) < self.t.firefighting_share:
            return None
        return self._risk(
            "reactive_firefighting",
            "high" if len(fires) / len(items) >= 0.6 else "medium",
            f"{len(fires)} of {len(items)} interactions are escalations, outages or complaints handled "
            "after the fact.",
            [(j.view.id, j.facts.firefighting[0]) for j in fires],
        )

    # --- meeting series -----------------------------------------------------------------------
    def meetings(self, items: list[Judged]) -> list[dict[str, Any]]:
        series: dict[str, list[Judged]] = defaultdict(list)
        names: dict[str, str] = {}
        for j in items:
            if j.view.series:
                key = " ".join(j.view.series.split()).casefold()
                series[key].append(j)
                names.setdefault(key, j.view.series)
        return [
            self._verdict(names[k], occurrences) for k, occurrences in series.items() if len(occurrences) >= 2
        ]

    def _verdict(self, name: str, occ: list[Judged]) -> dict[str, Any]:
        n = len(occ)
        decisive = [j for j in occ if j.facts.shape.decisions > 0 or j.facts.shape.owned_actions > 0]
        deferred = [j for j in occ if j.facts.shape.deferred_decisions > 0]
        failures = [(j.view.id, q) for j in occ for q in j.facts.shape.form_failures]
        missed = [(j.view.id, q) for j in occ for q in j.facts.shape.purpose_missed]
        readouts = [j for j in occ if j.facts.shape.readout or j.facts.shape.no_outcome]
        minutes = [j.facts.shape.minutes for j in occ if j.facts.shape.minutes]
        attendees = [j.facts.shape.attendees for j in occ if j.facts.shape.attendees]
        strategic = sum(1 for j in occ if j.facts.engagement == "strategic") / n
        long_ = bool(minutes) and sum(minutes) / len(minutes) >= self.t.long_meeting_minutes
        crowded = bool(attendees) and sum(attendees) / len(attendees) >= self.t.crowded_meeting
        avg_min = f"{sum(minutes) / len(minutes):.0f} min" if minutes else "length unknown"
        avg_att = f"{sum(attendees) / len(attendees):.0f} people" if attendees else "attendance unknown"
        if len(decisive) / n >= self.t.keep_decisive_share and len(deferred) / n < 0.5:
            evidence = [(j.view.id, d.quote) for j in decisive for d in j.facts.decisions if not d.deferred][
                :3
            ]
            evidence = (
                evidence
                or [(j.view.id, c.quote) for j in decisive for c in j.facts.commitments if c.firm][:3]
            )
            return self._meeting(
                name,
                "keep",
                f"{len(decisive)} of {n} meetings ended in decisions or owned actions "
                f"({avg_min}, {avg_att}).",
                evidence,
            )
        purpose = bool(missed or deferred or strategic >= 0.3)
        if purpose or ((failures or long_ or crowded) and len(readouts) / n < 0.5):
            reasons = []
            if deferred:
                reasons.append(f"decisions deferred in {len(deferred)} of {n}")
            if missed:
                reasons.append(
                    "the agenda item that mattered was not reached or the decision maker was absent"
                )
            if failures:
                reasons.append("overruns")
            if long_:
                reasons.append(f"long ({avg_min})")
            if crowded:
                reasons.append(f"crowded ({avg_att})")
            if strategic >= 0.3:
                reasons.append("the purpose is right: it touches the customer's future")
            evidence = (
                [(j.view.id, d.quote) for j in deferred for d in j.facts.decisions if d.deferred][:2]
                + missed[:2]
                + failures[:2]
            )
            evidence = (
                evidence
                or [(j.view.id, j.facts.engagement_quote) for j in occ if j.facts.engagement_quote][:2]
            )
            return self._meeting(
                name,
                "reinvent",
                f"{len(decisive)} of {n} meetings ended in decisions; " + "; ".join(reasons) + ".",
                evidence,
            )
        evidence = [(j.view.id, q) for j in occ for q in j.facts.shape.no_outcome][:3]
        evidence += [(j.view.id, q) for j in occ for q in j.facts.shape.readout][: max(0, 3 - len(evidence))]
        evidence = (
            evidence or [(j.view.id, j.facts.engagement_quote) for j in occ if j.facts.engagement_quote][:2]
        )
        return self._meeting(
            name,
            "kill",
            f"{n} meetings, {len(decisive)} with a decision: a status read-out that "
            "produces no decisions or actions.",
            evidence,
        )

    def _meeting(
        self, series: str, verdict: str, why: str, evidence: list[tuple[str, Quote]]
    ) -> dict[str, Any]:
        unique = list({(i, q.start): (i, q) for i, q in evidence}.values())
        return {
            "series": series,
            "verdict": verdict,
            "why": why,
            "evidence": [_ev(i, q) for i, q in unique],
            "playbook": PLAYBOOK["meetings"],
        }


def _first_names(names: set[str]) -> set[str]:
    """Our people by first name, so 'Ana' and 'Ana Lima' count as one."""
    firsts: dict[str, str] = {}
    for name in sorted(names, key=len, reverse=True):
        first = name.split()[0].casefold()
        firsts.setdefault(first, name)
    return set(firsts.values())
