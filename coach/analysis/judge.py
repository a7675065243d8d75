"""Judging one account across time: engagement, the problem ledger, risks and meeting verdicts.

Input: the account's interactions (oldest first) with their facts; output: the
account's part of the report (contract/report.schema.json), every finding with
its evidence (interaction id + verbatim quote) and the playbook section behind it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import numpy as np

from coach.analysis.judged import Judged, LedgerEntry, rare_words
from coach.analysis.links import Link, Links
from coach.analysis.report import (
    AccountReport,
    Engagement,
    EngagementLabel,
    Evidence,
    InteractionEngagement,
    MeetingVerdict,
    OpenProblem,
    Risk,
    Verdict,
)
from coach.analysis.risks import RiskContext
from coach.analysis.risks import checks as risk_checks
from coach.analysis.thresholds import Thresholds
from coach.evidence import Quote
from coach.playbook import Playbook
from coach.playbook import load as load_playbook
from coach.signals.facts import unpack_vector


def _ev(interaction_id: str, q: Quote) -> Evidence:
    return Evidence(interaction=interaction_id, quote=q.text)


class AccountJudge:
    def __init__(self, thresholds: Thresholds, playbook: Playbook | None = None) -> None:
        self.t = thresholds
        self.playbook = playbook or load_playbook()

    def _page(self, code: str) -> str:
        entry = self.playbook.get(code)
        return entry.path if entry else ""

    def judge(
        self, account: str, items: list[Judged], as_of: date, links: Links | None = None
    ) -> AccountReport:
        return self.assess(account, items, as_of, links)[0]

    def assess(
        self, account: str, items: list[Judged], as_of: date, links: Links | None = None
    ) -> tuple[AccountReport, list[LedgerEntry]]:
        """The account's report, and the problem ledger it was judged from (briefs read it too)."""
        interactions = [
            InteractionEngagement(
                id=j.view.id,
                engagement=j.facts.engagement,
                evidence=_ev(j.view.id, j.facts.engagement_quote) if j.facts.engagement_quote else None,
                date=j.view.occurred_at.date(),
            )
            for j in items
        ]
        strategic = sum(1 for j in items if j.facts.engagement == "strategic")
        share = strategic / len(items) if items else 0.0
        label: EngagementLabel = (
            "strategic"
            if share >= self.t.strategic_share
            else "tactical"
            if share <= self.t.tactical_share
            else "mixed"
        )
        ledger = self.ledger(items, links)
        unaddressed = [self._problem_finding(e, as_of) for e in ledger if e.addressed_by is None]
        report = AccountReport(
            account=account,
            engagement=Engagement(
                label=label,
                strategic_share=round(share, 3),
                strategic=strategic,
                total=len(items),
                why=f"{strategic} of {len(items)} interactions are strategic",
                playbook=self._page("engagement"),
            ),
            interactions=interactions,
            unaddressed_problems=unaddressed,
            addressed_problems=len(ledger) - len(unaddressed),
            risks=self.risks(items, as_of, share, ledger),
            meetings=self.meetings(items),
        )
        return report, ledger

    # --- the problem ledger -------------------------------------------------------------------
    def ledger(self, items: list[Judged], links: Links | None = None) -> list[LedgerEntry]:
        """Problems in the order raised; each stays open until a fix, dated plan or answer addresses it: the
        later sentence the model linked to it (``links``, step 2 of the LLM chain), else one that matches it by
        meaning.

        Only open problems are kept in the working list, so an account's history costs time in
        proportion to what is still open, not to everything ever raised.
        """
        entries: list[LedgerEntry] = []
        open_entries: list[LedgerEntry] = []
        closes_at: dict[str, list[tuple[LedgerEntry, Quote]]] = defaultdict(list)
        for j in items:
            for p in j.facts.problems:
                vector = unpack_vector(p.vector)
                link = links.of(j.view.id, p) if links is not None else None
                same = self._recurrence(open_entries, vector, p.quote.text)
                if same is not None:
                    same.evidence.append((j.view.id, p.quote))
                    if p.response in ("fixed", "planned", "answered") and p.response_quote:
                        same.addressed_by = (j.view.id, p.response_quote)
                        open_entries.remove(same)
                    elif link is not None:
                        self._follow(same, link, closes_at)
                    continue
                entry = LedgerEntry(j, p, [(j.view.id, p.quote)], vectors=[vector] if vector.size else [])
                entries.append(entry)
                if p.response in ("fixed", "planned", "answered") and p.response_quote:
                    entry.addressed_by = (j.view.id, p.response_quote)
                else:
                    open_entries.append(entry)
                    if link is not None:
                        self._follow(entry, link, closes_at)
            for entry, said in closes_at.pop(j.view.id, []):
                if entry.addressed_by is None and entry in open_entries:
                    entry.addressed_by = (j.view.id, said)
                    open_entries.remove(entry)
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
                    if not entry.vectors or entry.linked:
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

    @staticmethod
    def _follow(
        entry: LedgerEntry, link: Link, closes_at: dict[str, list[tuple[LedgerEntry, Quote]]]
    ) -> None:
        """The model read the later interactions for this problem: its link decides, not matching by meaning."""
        entry.linked = True
        if link.closes and link.interaction is not None and link.quote is not None:
            closes_at[link.interaction].append((entry, link.quote))

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
            return len(entry.words & rare_words(text)) >= 3
        if sim < self.t.match_similarity_with_words:
            return False
        return len(entry.words & rare_words(text)) >= 2

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
            shared = len(entry.words & rare_words(text))
            sim += 0.05 * min(shared, 3)
            if sim >= best_sim:
                best, best_sim = entry, sim
        return best

    def _problem_finding(self, entry: LedgerEntry, as_of: date) -> OpenProblem:
        raised = entry.raised_in.view
        who = entry.problem.actor or "The customer"
        text = " ".join(entry.problem.quote.text.split())
        vague = entry.problem.response == "vague"
        response = {
            "vague": "only a vague answer followed",
            "none": "nobody answered it",
        }.get(entry.problem.response, "no fix, owned plan or answer followed")
        return OpenProblem(
            raised_in=raised.id,
            summary=f"{who} raised: {text[:160]}{'…' if len(text) > 160 else ''} ({response}).",
            days_open=max(0, (as_of - raised.occurred_at.date()).days),
            raised_on=raised.occurred_at.date(),
            kind=entry.problem.kind,
            raised_by=entry.problem.actor,
            text=text,
            response="vague" if vague else "none",
            evidence=[_ev(i, q) for i, q in entry.evidence]
            + ([_ev(raised.id, entry.problem.response_quote)] if entry.problem.response_quote else []),
            playbook=self._page("unaddressed_problem"),
        )

    # --- risks --------------------------------------------------------------------------------
    def risks(self, items: list[Judged], as_of: date, share: float, ledger: list[LedgerEntry]) -> list[Risk]:
        """Every registered check (``coach.analysis.risks``) over the account; title and page from the playbook."""
        if not items:
            return []
        context = RiskContext(items, as_of, share, ledger, self.t)
        found = []
        for check in risk_checks():
            risk = check.check(context)
            if risk is not None:
                entry = self.playbook.get(risk.code)
                found.append(
                    risk.model_copy(
                        update={
                            "title": entry.title if entry else risk.code.replace("_", " ").capitalize(),
                            "playbook": entry.path if entry else "",
                        }
                    )
                )
        return found

    # --- meeting series -----------------------------------------------------------------------
    def meetings(self, items: list[Judged]) -> list[MeetingVerdict]:
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

    def _verdict(self, name: str, occ: list[Judged]) -> MeetingVerdict:
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
        self, series: str, verdict: Verdict, why: str, evidence: list[tuple[str, Quote]]
    ) -> MeetingVerdict:
        unique = list({(i, q.start): (i, q) for i, q in evidence}.values())
        return MeetingVerdict(
            series=series,
            verdict=verdict,
            why=why,
            evidence=[_ev(i, q) for i, q in unique],
            playbook=self._page("meetings"),
        )
