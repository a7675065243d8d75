"""The offline brief: every section assembled from the judged facts of the account, no LLM.

Each line names its source: an interaction id with the verbatim quote, or the
playbook section (``knowledge/<file>.md#<section>``) that says what to do.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from dateutil import parser as dateparser

from coach.analysis.judge import AccountJudge
from coach.analysis.judged import Judged, LedgerEntry, rare_words
from coach.analysis.report import AccountReport, EngineUsed
from coach.analysis.report import Evidence as ReportEvidence
from coach.analysis.service import AccountAnalysis
from coach.briefs.model import (
    Attendee,
    Changes,
    Engagement,
    Evidence,
    Line,
    OpenCommitment,
    OpenProblem,
    PrepBrief,
    Question,
    Risk,
    SeriesFix,
    Trend,
)
from coach.playbook import Playbook
from coach.signals import lexicon as lx
from coach.signals.facts import Commitment, Resolution, unpack_vector
from coach.signals.text import Directory

QUESTIONS = "knowledge/prep-questions.md"
_STRATEGIC_GAPS = frozenset(  # gaps found in the facts; a risk's question is strategic when its page says so
    {
        "no_economic_buyer",
        "future_never_discussed",
        "decision_process_unknown",
        "value_never_measured",
        "engagement",
        "llm",
    }
)
RECENT = 5
_CONTACT_ONLY = re.compile(
    r"\b(touch(ing)? base|check(ing)? in|catch(ing)? up|circle back|speak soon|talk soon)\b", re.I
)
_PROMISE = re.compile(r"\b(to|will|'ll|’ll|owns?|owner|I own|booked|due|by)\b", re.I)
_OWNS = re.compile(
    r"\b([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)\s+owns?\s+(?:it|the|this)\b|\bOwner\s*:?\s*([A-Z][\w'’-]+)"
)
_LEAD_NAME = re.compile(
    r"^\s*(?i:owner\s*:?\s*)?(?:(?:Dr|Mr|Ms|Mrs)\.?\s+)?([A-Z][\w'’.-]+(?:\s+[A-Z][\w'’-]+)?)\s*(?:\([^)]*\))?\s*[:,]?\s*"
    r"(?i:to|will|owns?|is going to)\b"
)


@dataclass(slots=True)
class BriefRequest:
    account: str
    meeting: str | None = None
    attendees: list[str] = field(default_factory=list)
    date: date = field(default_factory=date.today)


def anchor(path: str, heading: str) -> str:
    return f"{path}#{heading.casefold().replace(' ', '-')}"


class BriefAssembler:
    def __init__(self, judge: AccountJudge, playbook: Playbook) -> None:
        self.judge = judge
        self.playbook = playbook

    def empty(self, request: BriefRequest, engine: EngineUsed, suggestions: list[str]) -> PrepBrief:
        """A brief for an account with no logged history: says so, and offers first-meeting questions only."""
        notes = [
            f"Nothing is logged for {request.account} on or before {request.date}: this brief knows no history, "
            "no problems, commitments or risks. Log notes first (coach ingest, the web form or Slack)."
        ]
        if suggestions:
            notes.append("Did you mean " + " or ".join(repr(s) for s in suggestions) + "?")
        first = self._question("first_meeting", "First meeting", "No history is logged for this account.", [])
        return PrepBrief(
            account=request.account,
            meeting=request.meeting,
            date=request.date,
            engine=engine.label,
            engine_detail=engine,
            has_history=False,
            notes=notes,
            purpose=Line(
                text="Learn what the customer wants from this relationship and who decides.",
                playbook=first.playbook,
            ),
            attendees=[
                Attendee(name=a, known=False, note="not in any logged interaction") for a in request.attendees
            ],
            questions=[q for q in (first, self._engagement_question()) if q],
        )

    def assemble(self, request: BriefRequest, analysis: AccountAnalysis) -> PrepBrief:
        report, judged = analysis.report, analysis.judged
        self._dates = {j.view.id: j.view.occurred_at.date() for j in judged}
        series = self._series(request.meeting, judged)
        problems = self._open_problems(report)
        ledger = analysis.ledger
        commitments = self._commitments(judged, ledger, analysis.directory, request.date)
        engagement = self._engagement(report, judged)
        risks = [
            Risk(
                code=r.code,
                severity=r.severity,
                why=r.why,
                evidence=self._evs(r.evidence),
                playbook=r.playbook,
            )
            for r in report.risks
        ]
        questions = self._questions(judged, problems, risks, report)
        fix = self._series_fix(series, report, problems, judged)
        notes = []
        if request.meeting and series is None:
            notes.append(
                f"No earlier meeting titled or in a series like {request.meeting!r} is logged: "
                "'what changed' covers the time since the last meeting of any kind."
            )
        brief = PrepBrief(
            account=analysis.name,
            meeting=request.meeting,
            series=series,
            date=request.date,
            engine=analysis.engine.label,
            engine_detail=analysis.engine,
            has_history=True,
            notes=notes,
            purpose=self._purpose(request, analysis.name, problems, commitments, engagement),
            attendees=self._attendees(request, judged, analysis.directory, series, commitments, notes),
            open_problems=problems,
            commitments=commitments,
            engagement=engagement,
            risks=risks,
            changes=self._changes(series, judged, ledger, request.date),
            questions=questions,
            series_fix=fix,
        )
        brief.agenda = self._agenda(brief)
        return brief

    # --- evidence -----------------------------------------------------------------------------
    def _ev(self, interaction: str, quote: str) -> Evidence:
        return Evidence(
            interaction=interaction, quote=" ".join(quote.split()), date=self._dates.get(interaction)
        )

    def _evs(self, items: list[ReportEvidence]) -> list[Evidence]:
        return [self._ev(e.interaction, e.quote) for e in items]

    # --- which meeting ------------------------------------------------------------------------
    @staticmethod
    def _series(meeting: str | None, judged: list[Judged]) -> str | None:
        """The recurring series a meeting title names: exact, contained, or close in spelling."""
        if not meeting:
            return None
        names = list(dict.fromkeys(j.view.series for j in judged if j.view.series))
        wanted = " ".join(meeting.split()).casefold()
        for name in names:
            if " ".join(name.split()).casefold() == wanted:
                return name
        contained = [n for n in names if wanted in n.casefold() or n.casefold() in wanted]
        if contained:
            return contained[0]
        close = difflib.get_close_matches(wanted, [n.casefold() for n in names], n=1, cutoff=0.6)
        return next((n for n in names if close and n.casefold() == close[0]), None)

    # --- problems and commitments --------------------------------------------------------------
    def _open_problems(self, report: AccountReport) -> list[OpenProblem]:
        found = [
            OpenProblem(
                summary=p.summary,
                kind=p.kind,
                raised_in=p.raised_in,
                raised_on=p.raised_on,
                days_open=p.days_open,
                evidence=self._evs(p.evidence),
                playbook=p.playbook,
            )
            for p in report.unaddressed_problems
        ]
        return sorted(found, key=lambda p: (-p.days_open, p.raised_in))

    def _commitments(
        self, judged: list[Judged], ledger: list[LedgerEntry], directory: Directory, on: date
    ) -> list[OpenCommitment]:
        """Promises made in the account (ours and theirs) that no later interaction delivers, newest first."""
        answered = {
            (e.raised_in.view.id, e.problem.response_quote.start)
            for e in ledger
            if e.addressed_by is not None and e.problem.response_quote is not None
        }
        later: list[
            tuple[int, np.ndarray, str]
        ] = []  # (index, vector, text) of everything that could deliver
        for index, j in enumerate(judged):
            deliveries: list[Resolution | Commitment] = [
                *(r for r in j.facts.resolutions if r.confidence >= 1.0),
                *j.facts.commitments,
            ]
            for item in deliveries:
                vector = unpack_vector(item.vector)
                if vector.size:
                    later.append((index, vector, item.quote.text))
        found = []
        for index, j in enumerate(judged):
            for c in j.facts.commitments:
                if not self._is_promise(c) or (j.view.id, c.quote.start) in answered:
                    continue
                if self._delivered(c, index, later):
                    continue
                found.append(self._commitment(c, j, directory, on))
        return sorted(found, key=lambda c: (c.side != "ours", not c.overdue, -c.made_on.toordinal()))

    @staticmethod
    def _is_promise(c: Commitment) -> bool:
        text = c.quote.text
        if lx.FIXED.search(text) and c.firm:
            return False  # already done when it was written
        if _CONTACT_ONLY.search(text) and not lx.OWNER_MARK.search(text):
            return False  # "touch base soon" promises a call, not a deliverable
        return bool(_PROMISE.search(text))

    def _delivered(self, c: Commitment, index: int, later: list[tuple[int, np.ndarray, str]]) -> bool:
        vector = unpack_vector(c.vector)
        if not vector.size:
            return False
        words = rare_words(c.quote.text)
        t = self.judge.t
        for other, v, text in later:
            if other <= index:
                continue
            sim = float(v @ vector)
            if sim >= t.match_similarity or (
                sim >= t.match_similarity_with_words and len(words & rare_words(text)) >= 2
            ):
                return True
        return False

    def _commitment(self, c: Commitment, j: Judged, directory: Directory, on: date) -> OpenCommitment:
        owner, side = c.owner, c.side
        named = _LEAD_NAME.match(c.quote.text) or _OWNS.search(c.quote.text)
        person = directory.find(next(g for g in named.groups() if g)) if named else None
        if person is not None:  # "Ana to send...", "Ana owns it": the named person, not the writer, owes it
            owner = person.name
            side = person.side if person.side != "unknown" else side
        elif c.owner:
            person = directory.find(c.owner)
            side = person.side if person and person.side != "unknown" else side
        made = j.view.occurred_at.date()
        due = _due_date(c.due, made)
        return OpenCommitment(
            side="theirs" if side == "customer" else "ours",
            owner=owner,
            text=" ".join(c.quote.text.split()),
            made_in=j.view.id,
            made_on=made,
            days_open=max(0, (on - made).days),
            due=due,
            overdue=bool(due and due < on),
            firm=c.firm,
        )

    # --- engagement ---------------------------------------------------------------------------
    def _engagement(self, report: AccountReport, judged: list[Judged]) -> Engagement:
        e = report.engagement
        flags = [j.facts.engagement == "strategic" for j in judged]
        recent = flags[-RECENT:]
        before = flags[-2 * RECENT : -RECENT]
        recent_share = sum(recent) / len(recent) if recent else 0.0
        trend: Trend = "unknown"
        if len(before) >= 3:
            delta = recent_share - sum(before) / len(before)
            trend = "warming" if delta >= 0.2 else "cooling" if delta <= -0.2 else "steady"
        last = next((j for j in reversed(judged) if j.facts.engagement_quote), None)
        evidence = (
            [self._ev(last.view.id, last.facts.engagement_quote.text)]
            if last and last.facts.engagement_quote
            else []
        )
        why = f"{e.why}; {sum(recent)} of the last {len(recent)}" + (
            f" ({trend})" if trend != "unknown" else ""
        )
        return Engagement(
            label=e.label,
            strategic_share=e.strategic_share,
            recent_share=round(recent_share, 3),
            trend=trend,
            why=why,
            evidence=evidence,
            playbook=e.playbook,
        )

    # --- people -------------------------------------------------------------------------------
    def _attendees(
        self,
        request: BriefRequest,
        judged: list[Judged],
        directory: Directory,
        series: str | None,
        commitments: list[OpenCommitment],
        notes: list[str],
    ) -> list[Attendee]:
        names = list(request.attendees)
        if not names and series:
            last = next(j for j in reversed(judged) if j.view.series == series)
            names = [p.name for p in last.facts.people if p.active]
            notes.append(
                f"No attendees given: listing who took part in the last {series} ({last.view.occurred_at.date()})."
            )
        elif not names:
            notes.append("No attendees given: name who will be there to see what each person raised before.")
        return [self._attendee(n, judged, directory, commitments) for n in dict.fromkeys(names) if n.strip()]

    def _attendee(
        self, given: str, judged: list[Judged], directory: Directory, commitments: list[OpenCommitment]
    ) -> Attendee:
        person = directory.find(given.strip())
        name = person.name if person else given.strip()
        folded = name.casefold()
        seen = [(j, p) for j in judged for p in j.facts.people if p.active and p.name.casefold() == folded]
        if person is None and not seen:
            side = directory.side_of(None, given.strip()) if "@" in given else "unknown"
            return Attendee(
                name=name,
                side=side,
                known=False,
                note="not in any logged interaction: find out their role and what they care about",
            )
        raised = [
            self._ev(j.view.id, p.quote.text)
            for j in reversed(judged)
            for p in j.facts.problems
            if _same_person(p.actor, name)
        ][:3]
        promised = [self._ev(c.made_in, c.text) for c in commitments if _same_person(c.owner, name)][:3]
        seniority = next((p.seniority for _, p in seen if p.seniority != "unknown"), "unknown")
        title = (person.title if person else None) or next((p.title for _, p in seen if p.title), None)
        side = (
            person.side if person and person.side != "unknown" else next((p.side for _, p in seen), "unknown")
        )
        note = None if seen else "named in the records but never took part in a logged interaction"
        return Attendee(
            name=name,
            side=side,
            title=title,
            seniority=seniority,
            known=True,
            interactions=len({j.view.id for j, _ in seen}),
            last_seen=max((j.view.occurred_at.date() for j, _ in seen), default=None),
            raised=raised,
            open_commitments=promised,
            note=note,
        )

    # --- what changed ---------------------------------------------------------------------------
    def _changes(
        self, series: str | None, judged: list[Judged], ledger: list[LedgerEntry], on: date
    ) -> Changes | None:
        before = [j for j in judged if j.view.occurred_at.date() < on]
        last = next((j for j in reversed(before) if series and j.view.series == series), None)
        what = f"the last {series}"
        if last is None:
            last = next((j for j in reversed(before) if j.view.kind == "meeting"), None)
            what = "the last meeting"
        if last is None:
            return None
        since = last.view.occurred_at.date()
        after = [j for j in judged if j.view.occurred_at > last.view.occurred_at]
        after_ids = {j.view.id for j in after}
        met_before = {
            p.name
            for j in judged
            if j.view.occurred_at <= last.view.occurred_at
            for p in j.facts.people
            if p.active and p.side == "customer"
        }
        new_people = sorted(
            {
                p.name
                for j in after
                for p in j.facts.people
                if p.active and p.side == "customer" and p.name not in met_before
            }
        )
        return Changes(
            since=since,
            since_what=f"{what} ({since}, {last.view.id}): {len(after)} interaction(s) since",
            since_interaction=last.view.id,
            interactions=[
                self._ev(
                    j.view.id,
                    (j.facts.engagement_quote.text if j.facts.engagement_quote else j.view.text[:120]),
                )
                for j in after[-12:]
            ],
            new_problems=[
                self._ev(e.raised_in.view.id, e.problem.quote.text)
                for e in ledger
                if e.raised_in.view.id in after_ids and e.addressed_by is None
            ],
            addressed=[
                self._ev(e.addressed_by[0], e.addressed_by[1].text)
                for e in ledger
                if e.addressed_by is not None and e.addressed_by[0] in after_ids
            ],
            new_people=new_people,
        )

    # --- questions ----------------------------------------------------------------------------
    def _question(self, gap: str, heading: str, why: str, evidence: list[Evidence]) -> Question:
        entry = self.playbook.get("questions")
        section = entry.section(heading) if entry else None
        if section is None:
            raise LookupError(f"{QUESTIONS} has no section {heading!r}")
        match = re.search(r'^Question:\s*"?(.+?)"?\s*$', section.text, re.MULTILINE)
        question = match.group(1) if match else section.text.splitlines()[0]
        return Question(
            question=question, gap=gap, why=why, evidence=evidence, playbook=anchor(QUESTIONS, heading)
        )

    def _engagement_question(self) -> Question | None:
        found = self._engagement_questions(None)
        return found[0] if found else None

    def _engagement_questions(self, report: AccountReport | None) -> list[Question]:
        """The playbook's standing questions for strategic engagement (used when the gaps give fewer than three)."""
        entry = self.playbook.get("engagement")
        section = entry.section("Questions to ask") if entry else None
        if section is None:
            return []
        why = (
            f"Engagement is {report.engagement.label}: {report.engagement.why}."
            if report
            else "Ask about their future from the first meeting."
        )
        return [
            Question(
                question=item.strip('"“”'),
                gap="engagement",
                why=why,
                playbook=anchor(section.path, section.heading),
            )
            for item in section.items()
        ]

    def _questions(
        self, judged: list[Judged], problems: list[OpenProblem], risks: list[Risk], report: AccountReport
    ) -> list[Question]:
        """The three questions that work on the account's biggest gaps, each with what shows the gap."""
        candidates: list[tuple[float, Question]] = []
        if problems:
            p = problems[0]
            candidates.append(
                (
                    100 + min(p.days_open, 90) / 10,
                    self._question(
                        "open_problem",
                        "An open problem nobody owned",
                        f"Open {p.days_open} days with no owner or date.",  # the quote follows: once
                        p.evidence[:1],
                    ),
                )
            )
        for r in risks:
            entry = self.playbook.get(r.code)
            if entry is not None and entry.prep_question is not None:
                heading, weight, _ = entry.prep_question
                candidates.append(
                    (
                        weight + (5 if r.severity == "high" else 0),
                        self._question(r.code, heading, r.why, r.evidence[:1]),
                    )
                )
        candidates += self._gaps(judged)
        candidates += [(50 - i, q) for i, q in enumerate(self._engagement_questions(report))]
        chosen: list[Question] = []
        for _, q in sorted(candidates, key=lambda c: -c[0]):
            if q.question not in {c.question for c in chosen}:
                chosen.append(q)
        return chosen[:3]

    def _gaps(self, judged: list[Judged]) -> list[tuple[float, Question]]:
        kinds = {t.kind for j in judged for t in j.facts.strategic}
        recent = judged[-RECENT:]
        recent_kinds = {t.kind for j in recent for t in j.facts.strategic}
        last = next((j for j in reversed(judged) if j.facts.engagement_quote), None)
        instead = (
            [self._ev(last.view.id, last.facts.engagement_quote.text)]
            if last and last.facts.engagement_quote
            else []
        )
        n = len(judged)
        gaps: list[tuple[float, Question]] = []
        execs = [
            p
            for j in judged
            for p in j.facts.people
            if p.side == "customer" and p.active and p.seniority == "executive"
        ]
        if not execs and n >= 2:
            gaps.append(
                (
                    86,
                    self._question(
                        "no_economic_buyer",
                        "No economic buyer met",
                        f"No customer executive took part in any of {n} interactions.",
                        instead,
                    ),
                )
            )
        if not recent_kinds & {"goals", "future_needs", "multi_year_plan"}:
            gaps.append(
                (
                    84,
                    self._question(
                        "future_never_discussed",
                        "Future never discussed",
                        f"None of the last {len(recent)} interactions discussed the customer's "
                        "goals or plans; the latest was about this instead.",
                        instead,
                    ),
                )
            )
        if "decision_process" not in kinds and n >= 2:
            gaps.append(
                (
                    78,
                    self._question(
                        "decision_process_unknown",
                        "Decision process unknown",
                        f"No interaction of {n} says how the customer decides or who signs.",
                        instead,
                    ),
                )
            )
        if "value" not in kinds and n >= 3:
            gaps.append(
                (
                    70,
                    self._question(
                        "value_never_measured",
                        "Value never measured",
                        f"No interaction of {n} ties our work to a measure the customer watches.",
                        instead,
                    ),
                )
            )
        return gaps

    # --- the meeting itself -------------------------------------------------------------------
    def _series_fix(
        self, series: str | None, report: AccountReport, problems: list[OpenProblem], judged: list[Judged]
    ) -> SeriesFix | None:
        verdict = next((m for m in report.meetings if series and m.series == series), None)
        if verdict is None:
            return None
        entry = self.playbook.get("meetings")
        section = entry.section("What to do next") if entry else None
        prefix = verdict.verdict.capitalize() + ":"
        line = next((item for item in (section.items() if section else []) if item.startswith(prefix)), "")
        steps = [
            s.strip().rstrip(".") for s in re.split(r"[;,]\s*(?:and\s+)?", line[len(prefix) :]) if s.strip()
        ]
        in_series = {j.view.id for j in judged if j.view.series == series}
        first = next((p for p in problems if p.raised_in in in_series), None)
        if first and verdict.verdict != "kill":
            steps.insert(
                0, f"Open with the problem this series left open ({first.days_open} days): {first.summary}"
            )
        return SeriesFix(
            series=series or verdict.series,
            verdict=verdict.verdict,
            why=verdict.why,
            steps=steps,
            evidence=self._evs(verdict.evidence)[:3],
            playbook=anchor(section.path, section.heading) if section else verdict.playbook,
        )

    def _purpose(
        self,
        request: BriefRequest,
        account: str,
        problems: list[OpenProblem],
        commitments: list[OpenCommitment],
        engagement: Engagement,
    ) -> Line:
        ours = [c for c in commitments if c.side == "ours"]
        goals = []
        if problems:
            goals.append(f"put an owner and a date on {len(problems)} open customer problem(s)")
        if ours:
            goals.append(f"report on {len(ours)} open commitment(s) of ours")
        goals.append(
            "keep the conversation on their goals and how they decide"
            if engagement.label == "strategic"
            else "turn at least one item toward the customer's plans for next year"
        )
        meeting = request.meeting or "the next meeting"
        meeting = meeting[:1].upper() + meeting[1:]
        return Line(
            text=f"{meeting} with {account}: " + "; ".join(goals) + ".",
            evidence=engagement.evidence[:1],
            playbook=anchor("knowledge/engagement.md", "What to do next"),
        )

    def _strategic(self, gap: str) -> bool:
        entry = self.playbook.get(gap)
        return gap in _STRATEGIC_GAPS or bool(entry and entry.prep_question and entry.prep_question[2])

    def _agenda(self, brief: PrepBrief) -> list[Line]:
        items: list[Line] = []
        for p in brief.open_problems[:2]:
            items.append(
                Line(
                    text=f"Their open problem ({p.days_open} days): agree an owner and a date.",
                    evidence=p.evidence[:1],
                    playbook=p.playbook,
                )
            )
        overdue = [c for c in brief.commitments if c.side == "ours"][:1]
        for c in overdue:
            state = f"overdue since {c.due}" if c.overdue else f"open {c.days_open} days"
            items.append(
                Line(
                    text=f"Our commitment ({state}): deliver it or give a new date.",
                    evidence=[self._ev(c.made_in, c.text)],
                    playbook=anchor("knowledge/coaching-skills.md", "Skills a coach reinforces"),
                )
            )
        if brief.questions:
            q = next((q for q in brief.questions if self._strategic(q.gap)), brief.questions[0])
            items.append(
                Line(
                    text=f'Strategic item, early: "{q.question}"',
                    evidence=q.evidence[:1],
                    playbook=q.playbook,
                )
            )
        fix = brief.series_fix
        if fix and fix.verdict != "keep" and fix.steps:
            step = fix.steps[0] if fix.verdict == "kill" else fix.steps[-1]
            lead = "Propose retiring this series" if fix.verdict == "kill" else "Change the format"
            items.append(Line(text=f"{lead}: {step}.", evidence=fix.evidence[:1], playbook=fix.playbook))
        items.append(
            Line(
                text="Close: every next step with an owner and a date, read back before the end.",
                playbook=anchor("knowledge/coaching-skills.md", "Skills a coach reinforces"),
            )
        )
        return items


def _same_person(named: str | None, name: str) -> bool:
    """'Ana' and 'Ana Lima' are the same person within one account."""
    if not named or not named.split() or not name.split():
        return False
    return named.casefold() == name.casefold() or named.split()[0].casefold() == name.split()[0].casefold()


def _due_date(due: str | None, made: date) -> date | None:
    """A commitment's due date from its words ('9/15', 'Jan 14', 'next week'), in the year it was made."""
    if not due:
        return None
    text = due.strip().lower()
    relative = {"today": 0, "tomorrow": 1, "this week": 6 - made.weekday(), "next week": 13 - made.weekday()}
    if text in relative:
        return made + timedelta(days=relative[text])
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?", text)
    try:
        if m:
            year = int(m.group(3)) if m.group(3) else made.year
            found = date(year + 2000 if year < 100 else year, int(m.group(1)), int(m.group(2)))
        else:
            found = dateparser.parse(due, default=datetime(made.year, made.month, made.day)).date()
    except (ValueError, OverflowError):
        return None
    if found < made - timedelta(days=60) and not (m and m.group(3)):
        found = found.replace(year=found.year + 1)
    return found
