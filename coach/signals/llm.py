"""Step 1 of the LLM chain: the model reads one interaction (``prompts/read.j2``) and its answer becomes the facts.

When the model answers, its facts are the interaction's facts: the offline extractor is not consulted (it
answers only when the step falls back: a timeout, a refusal, malformed output twice, no recorded answer). Every
quote is checked against the interaction's text: an item whose quote is not there (or sits in a sentence that
reads as an instruction to the coach) is dropped, the rest of the answer stands. A record longer than the
prompt budget is read in parts that each fit, and the parts' answers are put together.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from coach import prompts
from coach.evidence import Quote, locate
from coach.llm import LLMUnavailable, Messages, StructuredCall, safe_label, without_instructions
from coach.signals.facts import (
    Commitment,
    CompetitorMention,
    Decision,
    InteractionFacts,
    MeetingShape,
    Person,
    Problem,
    Resolution,
    Seniority,
    StrategicKind,
    Topic,
)
from coach.signals.offline import InteractionView, OfflineExtractor, attendees_in, minutes_in, seniority
from coach.signals.text import Directory, Side, as_side
from coach.signals.version import reader_code_version

log = logging.getLogger(__name__)
PROMPT = "read"


# --- what the model is asked to return ---------------------------------------------------------------------
class CustomerItem(BaseModel):
    kind: Literal["problem", "complaint", "request", "question"]
    quote: str
    raised_by: str | None = None
    response: Literal["fixed", "planned", "answered", "vague", "none"] = "none"
    response_quote: str | None = None
    owner: str | None = None
    due: str | None = None


class OurAction(BaseModel):
    kind: Literal["fixed", "planned", "answered"]
    quote: str


class CommitmentItem(BaseModel):
    quote: str
    owner: str | None = None
    side: Literal["ours", "theirs"] = "ours"
    due: str | None = None
    firm: bool = False


class DecisionItem(BaseModel):
    quote: str
    deferred: bool = False


class NextStep(BaseModel):
    quote: str
    concrete: bool = True


class MeetingSignal(BaseModel):
    signal: Literal["no_outcome", "readout", "overran", "decision_maker_absent", "agenda_item_missed"]
    quote: str


class RenewalItem(BaseModel):
    stance: Literal["assumed", "at_risk", "discussed"]
    quote: str


class Quoted(BaseModel):
    quote: str


class Rival(BaseModel):
    name: str
    nature: Literal["active", "past", "hearsay"]
    quote: str


class Stakeholder(BaseModel):
    name: str
    side: Literal["customer", "internal"]
    title: str | None = None
    seniority: Seniority = "unknown"
    took_part: bool = False


class StrategicTopic(BaseModel):
    kind: StrategicKind
    quote: str


class Reading(BaseModel):
    """The model's reading of one interaction (JSON schema for structured output)."""

    engagement: Literal["strategic", "tactical"]
    engagement_quote: str = Field(description="the verbatim sentence that decides the engagement")
    customer_items: list[CustomerItem] = Field(default_factory=list)
    our_actions: list[OurAction] = Field(default_factory=list)
    commitments: list[CommitmentItem] = Field(default_factory=list)
    decisions: list[DecisionItem] = Field(default_factory=list)
    next_steps: list[NextStep] = Field(default_factory=list)
    meeting_signals: list[MeetingSignal] = Field(default_factory=list)
    renewal: list[RenewalItem] = Field(default_factory=list)
    tenure: list[Quoted] = Field(default_factory=list)
    competitors: list[Rival] = Field(default_factory=list)
    stakeholders: list[Stakeholder] = Field(default_factory=list)
    strategic_topics: list[StrategicTopic] = Field(default_factory=list)
    report_readouts: list[Quoted] = Field(default_factory=list)
    firefighting: list[Quoted] = Field(default_factory=list)
    pending_business: list[Quoted] = Field(default_factory=list)


# --- the step ---------------------------------------------------------------------------------------------
class LLMExtractor:
    """Reads interactions with the model; falls back to the offline extractor per interaction, saying why."""

    def __init__(
        self,
        call: StructuredCall[Reading],
        model: str,
        fallback: OfflineExtractor,
        count: Callable[[str], int],
        budget: int,
    ) -> None:
        self.call, self.model, self.fallback = call, model, fallback
        self.engine = f"llm:{model}"
        self.version = f"{call.prompt_version}+{reader_code_version()}+{model}+{fallback.version}"
        self.count, self.budget = count, budget
        self.fallbacks: list[str] = []

    def extract(self, view: InteractionView, directory: Directory) -> InteractionFacts:
        try:
            readings = [self.call.ask(m, view.id) for m in self.prompts(view)]
        except LLMUnavailable as exc:
            log.warning("the read step fell back to offline for %s: %s", view.id, exc)
            self.fallbacks.append(f"{view.id}: {exc}")
            facts = self.fallback.extract(view, directory)
            facts.fallback = str(exc)
            return facts
        facts = facts_from(view, directory, readings, self.engine, self.version)
        self.fallback.embed(facts)  # vectors of the quotes, for matching problems raised again
        return facts

    def prompts(self, view: InteractionView) -> list[Messages]:
        """The prompt for ``view``; for a record over the budget, one per part that fits."""
        whole = self._render(view, without_instructions(view.text))
        if self._tokens(whole) <= self.budget:
            return [whole]
        # what the prompt costs around the text (with the "part N of M" line), and a little room for joins
        room = max(200, self.budget - self._tokens(self._render(view, "", 999, 999)) - 16)
        parts = split_to_fit(without_instructions(view.text), room, self.count)
        return [self._render(view, part, i + 1, len(parts)) for i, part in enumerate(parts)]

    def _tokens(self, messages: Messages) -> int:
        return self.count(messages.system) + self.count(messages.human)

    def _render(self, view: InteractionView, text: str, part: int = 0, parts: int = 0) -> Messages:
        return prompts.messages(  # names and labels that read as instructions never reach the model
            PROMPT,
            account=safe_label(view.account) or "(withheld)",
            kind=view.kind,
            date=view.occurred_at.date().isoformat(),
            rep=safe_label(view.rep),
            series=safe_label(view.series),
            duration=round(view.duration_minutes) if view.duration_minutes else None,
            participants=[
                {"name": n, "side": s, "title": safe_label(t)}
                for n, s, t, _ in view.participants
                if safe_label(n)
            ],
            text=text,
            part=part,
            parts=parts,
        )


def split_to_fit(text: str, room: int, count: Callable[[str], int]) -> list[str]:
    """``text`` cut at line ends (then sentence ends) into consecutive parts of at most ``room`` tokens."""
    units = [u for line in text.splitlines(keepends=True) for u in _sentences_if_long(line, room, count)]
    parts: list[str] = []
    current = ""
    for unit in units:
        if current and count(current + unit) > room:
            parts.append(current)
            current = ""
        current += unit
    if current.strip():
        parts.append(current)
    return parts or [text]


def _sentences_if_long(line: str, room: int, count: Callable[[str], int]) -> list[str]:
    if count(line) <= room:
        return [line]
    return [m.group() for m in re.finditer(r"[^.!?]+[.!?]*\s*", line)]


# --- from the model's words to facts ----------------------------------------------------------------------
def facts_from(
    view: InteractionView, directory: Directory, readings: Sequence[Reading], engine: str, version: str
) -> InteractionFacts:
    """The facts of ``view`` from the model's readings (several when it was read in parts): only what quotes
    verbatim survives."""
    text = view.text

    def quote(claimed: str | None) -> Quote | None:
        return locate(text, claimed)

    facts = InteractionFacts(interaction_id=view.id, engine=engine, version=version, engagement="tactical")
    for reading in readings:
        _engagement(facts, reading, quote)
        _problems(facts, reading, quote)
        _commitments(facts, reading, quote)
        _outcomes(facts, reading, quote)
        _signals(facts, reading, quote)
    facts.people = _people(view, directory, [s for r in readings for s in r.stakeholders])
    facts.shape = _shape(view, facts, [m for r in readings for m in r.meeting_signals], quote)
    return facts


Locate = Callable[[str | None], Quote | None]


def _engagement(facts: InteractionFacts, reading: Reading, quote: Locate) -> None:
    """Strategic when any part is; the deciding sentence is the one given with the deciding reading."""
    found = quote(reading.engagement_quote)
    if found is None:
        return  # a reading it cannot show in the record's words changes nothing
    if reading.engagement == "strategic" and facts.engagement != "strategic":
        facts.engagement, facts.engagement_quote = "strategic", found
    elif reading.engagement == facts.engagement and facts.engagement_quote is None:
        facts.engagement_quote = found


def _problems(facts: InteractionFacts, reading: Reading, quote: Locate) -> None:
    for item in reading.customer_items:
        raised = quote(item.quote)
        if raised is None or any(_overlaps(raised, p.quote) for p in facts.problems):
            continue
        answered = quote(item.response_quote) if item.response_quote else None
        closing = item.response in ("fixed", "planned", "answered")
        response = item.response if answered is not None or item.response in ("vague", "none") else "none"
        facts.problems.append(
            Problem(
                kind=item.kind,
                quote=raised,
                actor=item.raised_by,
                response=response,
                response_quote=answered if (closing or response == "vague") else None,
            )
        )
    facts.problems.sort(key=lambda p: p.quote.start)
    for action in reading.our_actions:
        done = quote(action.quote)
        if done is not None and not any(_overlaps(done, r.quote) for r in facts.resolutions):
            facts.resolutions.append(Resolution(kind=action.kind, quote=done))


def _commitments(facts: InteractionFacts, reading: Reading, quote: Locate) -> None:
    for c in reading.commitments:
        said = quote(c.quote)
        if said is None:
            continue
        side: Side = "internal" if c.side == "ours" else "customer"
        facts.commitments.append(Commitment(quote=said, owner=c.owner, side=side, due=c.due, firm=c.firm))
    for d in reading.decisions:
        taken = quote(d.quote)
        if taken is not None:
            facts.decisions.append(Decision(quote=taken, deferred=d.deferred))
    for step in reading.next_steps:
        said = quote(step.quote)
        if said is not None and not step.concrete:
            facts.vague_next_steps.append(said)


def _outcomes(facts: InteractionFacts, reading: Reading, quote: Locate) -> None:
    for rival in reading.competitors:
        said = quote(rival.quote)
        if said is not None and rival.name.strip() and rival.name.casefold() in said.text.casefold():
            facts.competitors.append(
                CompetitorMention(name=rival.name.strip(), nature=rival.nature, quote=said)
            )
    for topic in reading.strategic_topics:
        said = quote(topic.quote)
        if said is not None:
            facts.strategic.append(Topic(kind=topic.kind, quote=said))


def _signals(facts: InteractionFacts, reading: Reading, quote: Locate) -> None:
    lists: list[tuple[Sequence[BaseModel], list[Quote]]] = [
        ([r for r in reading.renewal if r.stance == "assumed"], facts.renewal_assumptions),
        (reading.tenure, facts.tenure),
        (reading.report_readouts, facts.data_reports),
        (reading.firefighting, facts.firefighting),
        (reading.pending_business, facts.pending_business),
    ]
    for items, target in lists:
        for item in items:
            said = quote(getattr(item, "quote", None))
            if said is not None and all(said.start != q.start for q in target):
                target.append(said)
    facts.data_report_cues = 2 * len(facts.data_reports)


def _people(view: InteractionView, directory: Directory, stakeholders: Sequence[Stakeholder]) -> list[Person]:
    """Who took part: the record's participants, then the model's stakeholders; a side the records declare wins
    over the model's guess, and the person's title decides seniority when the model gave none."""
    people: dict[str, Person] = {}
    attended = view.kind in ("meeting", "call")
    for name, side, title, _ in view.participants:
        known = as_side(side) if side else directory.side_of(name)
        people[name.casefold()] = Person(
            name=name, side=known, title=title, seniority=seniority(title), active=attended
        )
    for s in stakeholders:
        if not s.name.strip():
            continue
        found = directory.find(s.name)
        name = found.name if found else s.name.strip()
        side = found.side if found and found.side != "unknown" else s.side
        title = (found.title if found else None) or s.title
        level: Seniority = s.seniority if s.seniority != "unknown" else seniority(title)
        entry = people.get(name.casefold())
        if entry is None:
            people[name.casefold()] = Person(
                name=name, side=side, title=title, seniority=level, active=s.took_part
            )
        else:
            entry.active = entry.active or s.took_part
            entry.seniority = entry.seniority if entry.seniority != "unknown" else level
    if view.rep:
        people.setdefault(view.rep.casefold(), Person(name=view.rep, side="internal", active=True))
    return list(people.values())


def _shape(
    view: InteractionView, facts: InteractionFacts, signals: Sequence[MeetingSignal], quote: Locate
) -> MeetingShape:
    sides = [p.side for p in facts.people if p.active]
    shape = MeetingShape(
        minutes=view.duration_minutes or minutes_in(view.text),
        attendees=len(view.participants) or attendees_in(view.text),
        internal_only=bool(view.participants) and all(side == "internal" for side in sides),
        agenda=bool(re.search(r"\bagenda\b", view.text, re.I)),
        decisions=sum(1 for d in facts.decisions if not d.deferred),
        deferred_decisions=sum(1 for d in facts.decisions if d.deferred),
        owned_actions=sum(1 for c in facts.commitments if c.firm),
    )
    where: dict[str, list[Quote]] = {
        "no_outcome": shape.no_outcome,
        "readout": shape.readout,
        "overran": shape.form_failures,
        "decision_maker_absent": shape.purpose_missed,
        "agenda_item_missed": shape.purpose_missed,
    }
    for signal in signals:
        said = quote(signal.quote)
        if said is not None:
            where[signal.signal].append(said)
    shape.future_discussed = any(
        t.kind in ("future_needs", "multi_year_plan", "goals") for t in facts.strategic
    )
    return shape


def _overlaps(a: Quote, b: Quote) -> bool:
    return a.start < b.end and b.start < a.end


def reading_schema() -> dict[str, Any]:
    """The JSON schema the read step's answers follow (for whoever fills a recorded cassette)."""
    return Reading.model_json_schema()
