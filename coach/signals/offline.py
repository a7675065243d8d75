"""The offline extractor: cue lexicons, sentence structure and the embedded model. No network.

It reads one interaction (with its account's directory of people) and returns
``InteractionFacts``. Deterministic: the same text, directory and version give the
same facts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

import numpy as np

from coach.embedding import Embedder
from coach.evidence import Quote
from coach.signals import lexicon as lx
from coach.signals.facts import (
    Commitment,
    CompetitorMention,
    Decision,
    InteractionFacts,
    MeetingShape,
    Person,
    Problem,
    ProblemKind,
    Resolution,
    ResponseKind,
    Seniority,
    Topic,
    pack_vector,
)
from coach.signals.requests import detector as request_detector
from coach.signals.rivals import rivals
from coach.signals.sentences import NONE, SentenceModel, features, in_context, shipped, window
from coach.signals.text import Directory, Message, Reader, Sentence, Side, as_side
from coach.signals.version import offline_code_version

_FUTURE_YEAR = re.compile(r"\b(20\d\d)\b")
_CONTEXT_PERSON = re.compile(
    r"(?:\bw/|^(?i:met)|\b(?i:call|mtg|meeting|session|lunch|sync|review|chat|workshop) with)\s+(?:Dr\.?\s+)?(?P<name>[A-ZÀ-Þ][\w'’À-ÿ-]+(?: [A-ZÀ-Þ][\w'’À-ÿ-]+)?)"
)
_OPENING_NAME = re.compile(r"^(?P<name>[A-ZÀ-Þ][\w'’À-ÿ-]+(?: [A-ZÀ-Þ][\w'’À-ÿ-]+)?)\b")
_EXEC_ACCESS = re.compile(
    r"\b(meet|meeting|met|mtg|minutes with|time with|in the room|pre-wire|walk \w+ through|intro|exec|sponsor|"
    r"directly|hear (it|them) from us|get \d+ ?(min|minutes))\b",
    re.IGNORECASE,
)
# A problem that got no answer at all is reported only when the item head is this sure (in units of its
# threshold): silence is weaker evidence that something was asked than a "we'll look into it" is.
UNANSWERED_BAR = 2.0
# A sentence of ours this sure (in units of the response head's threshold) may close a problem.
CANDIDATE = 0.5
# How much nearer in meaning (cosine) an earlier ask must be than the one right before an answer to take it.
CLEARLY_NEARER = 0.1
# A "Next: ..." line (the next meeting, the next steps) answers a problem only when it is about it: "Next week same
# time." or "Next: proposal by 9/10." after a complaint is the meeting's close, not anybody owning the complaint.
NEXT_LINE = re.compile(r"^\s*(next\b|same time\b)", re.IGNORECASE)
NEXT_LIKENESS = 0.3
# Where a cue of the lexicon agrees with a head, the head needs to be only this sure (in units of its threshold).
CUED = 0.5
_PAREN = re.compile(r"\(([^)]*)\)")
# The heads' class names as the facts' types (a class the types do not know is no item, no action, no answer).
_PROBLEM_KINDS: dict[str, ProblemKind] = {k: k for k in get_args(ProblemKind)}
_RESPONSES: dict[str, ResponseKind] = {k: k for k in get_args(ResponseKind)}
_ACTED: dict[str, Literal["fixed", "planned", "answered"]] = {
    "fixed": "fixed",
    "planned": "planned",
    "answered": "answered",
}
# A sentence that opens a new subject in the middle of someone's asks.
_NEW_SUBJECT = re.compile(
    r"^\W*(also|another|separately|separate(ly)? (thing|point|issue)|one more|second(ly)?|third(ly)?|besides|"
    r"and (also|another)|on another (note|topic)|unrelated|p\.?s\.?|\(?[2-9][.)])\b"
    r"|^\W*[\w'’-]+ (also|then|later) (asked|asks|wants|wanted|raised|mentioned|requested|needs|needed|brought up|"
    r"shared|said|says|noted|told|flagged|complained|pointed out|explained|described|added|wondered|proposed)\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class InteractionView:
    """What an extractor needs of one interaction."""

    id: str
    account: str
    kind: str
    occurred_at: datetime
    text: str
    rep: str | None = None
    series: str | None = None
    duration_minutes: float | None = None
    participants: Sequence[tuple[str, str | None, str | None, str | None]] = ()  # name, side, title, email


def seniority(title: str | None) -> Seniority:
    if not title:
        return "unknown"
    if lx.EXECUTIVE_TITLE.search(title) and not re.search(
        r"\bhead of (planning|replenishment)\b", title, re.I
    ):
        return (
            "executive"
            if re.search(
                r"\b(chief|c[efiot]o|president|vp|vice president|evp|svp|founder|owner)\b", title, re.I
            )
            else "senior"
        )
    if lx.SENIOR_TITLE.search(title):
        return "senior"
    if lx.MANAGER_TITLE.search(title):
        return "manager"
    return "staff"


def quote(s: Sentence) -> Quote:
    return Quote(start=s.start, end=s.end, text=s.text)


@dataclass(slots=True)
class SentenceReading:
    """One interaction's sentences in reading order, their vectors and what every head decided about each."""

    sentences: list[Sentence]
    vectors: np.ndarray
    decided: dict[str, list[tuple[str, float, str]]]
    whole: dict[str, tuple[str, float, str]]  # the interaction heads' decisions
    thresholds: dict[str, float]

    def of(self, head: str, i: int) -> str:
        return self.decided[head][i][0] if head in self.decided and i < len(self.decided[head]) else NONE

    def sure(self, head: str, i: int) -> float:
        return self.decided[head][i][1] if head in self.decided and i < len(self.decided[head]) else 0.0

    def confidence(self, head: str, i: int) -> float:
        """How sure the head is that sentence ``i`` is positive, in units of its threshold (1: just sure)."""
        return self.sure(head, i) / max(self.thresholds.get(head, 0.5), 1e-6)

    def best(self, head: str, i: int) -> str:
        """The head's likeliest positive class for sentence ``i``, whether or not it reached the threshold."""
        return self.decided[head][i][2] if head in self.decided and i < len(self.decided[head]) else NONE


SENTENCES_AT_ONCE = 5_000  # sentences embedded and scored in one call when reading several interactions


class OfflineExtractor:
    engine = "offline"

    def __init__(self, embedder: Embedder, model: SentenceModel | None = None) -> None:
        """``model``: the sentence heads to use (default: the shipped ones; the version covers their file)."""
        self.embedder = embedder
        self._model = model
        self.version = f"{offline_code_version()}+{embedder.name}" + (f"+{model.digest}" if model else "")

    @property
    def model(self) -> SentenceModel:
        found = self._model or shipped()
        if found is None:
            raise RuntimeError("the sentence model is missing: python -m coach.distil train writes it")
        return found

    def read(self, view: InteractionView, directory: Directory) -> tuple[list[Message], list[Sentence]]:
        """The interaction's messages and its sentences (signatures and footers left out), each with its actor."""
        messages, sentences = Reader(directory).read(view.text, view.kind, view.rep)
        sentences = [s for s in sentences if not s.signature]
        self._inherit_actors(sentences, directory, view)
        return messages, sentences

    def design(self, view: InteractionView, sentences: list[Sentence]) -> tuple[np.ndarray, np.ndarray]:
        """The heads' features of every sentence, and the sentences' vectors."""
        return self._designs([(view, sentences)])[0]

    def _designs(
        self, read: Sequence[tuple[InteractionView, list[Sentence]]]
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """``design`` for several interactions at once: one call of the embedder (its batches sorted by length
        across them) and one of the request detector for all their sentences (each call has a fixed cost that
        dwarfs one note's few sentences). Every sentence's row is what it would be alone."""
        texts = [s.text for _, sentences in read for s in sentences]
        vectors = self.embedder.embed(texts)
        detector = request_detector()
        requests = detector.probability(texts, vectors) if detector is not None else np.zeros(len(texts))
        out, at = [], 0
        for view, sentences in read:
            part = slice(at, at + len(sentences))
            at += len(sentences)
            rows = features(in_context(sentences, view.kind), vectors[part], requests[part])
            out.append((rows, vectors[part]))
        return out

    def extract(self, view: InteractionView, directory: Directory) -> InteractionFacts:
        return self.extract_many([view], directory)[0]

    def extract_many(self, views: Sequence[InteractionView], directory: Directory) -> list[InteractionFacts]:
        """The facts of each of ``views`` (one account's, read with one directory), as ``extract`` gives them one
        at a time, with the sentences of all of them embedded and scored together."""
        read = [(view, *self.read(view, directory)) for view in views]
        designs: list[tuple[np.ndarray, np.ndarray]] = []
        group: list[tuple[InteractionView, list[Sentence]]] = []
        held = 0  # sentences in the group: a few long transcripts hold thousands, so each call is bounded
        for view, _, sentences in read:
            if group and held + len(sentences) > SENTENCES_AT_ONCE:
                designs += self._designs(group)
                group, held = [], 0
            group.append((view, sentences))
            held += len(sentences)
        designs += self._designs(group) if group else []
        return [
            self._facts(view, directory, messages, sentences, x, vectors)
            for (view, messages, sentences), (x, vectors) in zip(read, designs, strict=True)
        ]

    def _facts(
        self,
        view: InteractionView,
        directory: Directory,
        messages: list[Message],
        sentences: list[Sentence],
        x: np.ndarray,
        vectors: np.ndarray,
    ) -> InteractionFacts:
        facts = InteractionFacts(
            interaction_id=view.id, engine=self.engine, version=self.version, engagement="tactical"
        )
        facts.people = self._people(view, sentences, directory, [m.author for m in messages if m.author])
        reading = SentenceReading(
            sentences,
            vectors,
            self.model.decide(x),
            self.model.interaction(x),
            {name: head.threshold for name, head in self.model.heads.items()},
        )
        self._topics(view, reading, facts, directory)
        self._problems(view, reading, facts)
        self._decisions_and_commitments(reading, facts)
        self._risk_cues(reading, facts, directory)
        facts.shape = self._shape(view, sentences, facts)
        self._engagement(view, facts, reading)
        self.embed(facts, reading)
        return facts

    # --- who ---------------------------------------------------------------------------------
    def _inherit_actors(self, sentences: list[Sentence], directory: Directory, view: InteractionView) -> None:
        """Sentences without an actor take the last actor of their block, or the person the note is 'with' (the
        one customer taking part, the one named by 'call with ...', or the one the note opens with)."""
        block_actor: dict[int, tuple[str | None, Side]] = {}
        customers = [name for name, side, *_ in view.participants if side == "customer"]
        context: tuple[str | None, Side] = (
            (customers[0], "customer") if len(customers) == 1 and view.kind != "email" else (None, "unknown")
        )
        for i, s in enumerate(sentences):
            opening = _OPENING_NAME.match(s.text) if i == 0 and view.kind != "email" else None
            for m in [*_CONTEXT_PERSON.finditer(s.text), *([opening] if opening else [])]:
                person = directory.find(m.group("name"))
                if person and person.side == "customer":
                    context = (person.name, "customer")
            if s.actor_side != "unknown":
                block_actor[s.block] = (s.actor, s.actor_side)
                continue
            # Only what reads as the same person going on ("She also wants ...", "Asked for ...") is theirs; a
            # bare fragment in a rep's note ("Fixed 03:10", "Added her cell to the alerts") is the rep's own.
            continued = re.match(r"^(?:she|he|they|his|her|their)\b", s.text, re.I) or re.match(
                r"^(wants|wanted|asked|asks|says|said|needs|needed|thinks|complained|mentioned|raised|pushed|"
                r"would like|is asking|was asking|also)\b",
                s.text,
                re.I,
            )
            inherited = (block_actor.get(s.block) or context) if continued else (None, "unknown")
            if inherited[1] != "unknown":
                s.actor, s.actor_side = inherited
                s.inherited = True
            elif view.kind == "email" and s.author_side != "unknown":
                s.actor_side = s.author_side

    def _people(
        self, view: InteractionView, sentences: list[Sentence], directory: Directory, authors: list[str]
    ) -> list[Person]:
        people: dict[str, Person] = {}
        attended = view.kind in ("meeting", "call")
        for name, side, title, _email in view.participants:
            people[name] = Person(
                name=name,
                side=as_side(side) if side else directory.side_of(name),
                title=title,
                seniority=seniority(title),
                active=attended,
            )
        for s in sentences:
            if s.actor and s.actor_side != "unknown" and s.spoke and not s.inherited:
                person = directory.find(s.actor)
                name = person.name if person else s.actor
                entry = people.setdefault(
                    name,
                    Person(
                        name=name,
                        side=s.actor_side,
                        title=person.title if person else None,
                        seniority=seniority(person.title if person else None),
                    ),
                )
                entry.active = True
            for m in _CONTEXT_PERSON.finditer(s.text):
                person = directory.find(m.group("name"))
                if person:
                    entry = people.setdefault(
                        person.name,
                        Person(
                            name=person.name,
                            side=person.side,
                            title=person.title,
                            seniority=seniority(person.title),
                        ),
                    )
                    entry.active = True
        if view.kind == "email":
            # Only the people who wrote a message of the thread took part; the rest were copied.
            wrote = {known.name if (known := directory.find(a)) else a for a in authors}
            for name, met in people.items():
                met.active = name in wrote or met.side == "internal"
            for name in wrote:
                found = directory.find(name)
                if found and found.name not in people:
                    people[found.name] = Person(
                        name=found.name,
                        side=found.side,
                        title=found.title,
                        seniority=seniority(found.title),
                        active=True,
                    )
        if view.rep:
            people.setdefault(view.rep, Person(name=view.rep, side="internal", active=True))
        return list(people.values())

    # --- what --------------------------------------------------------------------------------
    def _topics(
        self, view: InteractionView, reading: SentenceReading, facts: InteractionFacts, directory: Directory
    ) -> None:
        year = view.occurred_at.year
        executives = [
            p for p in directory.people if p.side == "customer" and seniority(p.title) == "executive"
        ]
        for i, s in enumerate(reading.sentences):
            if _EXEC_ACCESS.search(s.text) and any(_mentions(s.text, p.name) for p in executives):
                facts.strategic.append(Topic(kind="executive_alignment", quote=quote(s), weight=1.0))
            kind = reading.of("strategic", i)
            if kind != NONE:
                facts.strategic.append(Topic(kind=kind, quote=quote(s), weight=1.0))
            if any(int(y) > year for y in _FUTURE_YEAR.findall(s.text)) and not lx.TACTICAL["admin"].search(
                s.text
            ):
                facts.strategic.append(Topic(kind="multi_year_plan", quote=quote(s), weight=1.0))
            for tactical, pattern in lx.TACTICAL.items():
                if pattern.search(s.text):
                    facts.tactical.append(Topic(kind=tactical, quote=quote(s)))

    def _item(self, reading: SentenceReading, i: int) -> ProblemKind | None:
        """What the customer raised in sentence ``i``, if anything: never our own words, a decision or action
        line, a condition that has not happened, or a 'no complaints'."""
        s = reading.sentences[i]
        kind = reading.of("item", i)
        if kind == NONE or s.actor_side == "internal":
            return None
        if s.label in ("decision", "decisions", "agreed", "next", "owner", "action", "actions"):
            return None
        if lx.NOT_A_PROBLEM.search(s.text) or lx.HYPOTHETICAL.search(s.text):
            return None
        return _PROBLEM_KINDS.get(kind)

    def _groups(self, reading: SentenceReading) -> list[list[int]]:
        """The customer's item sentences, grouped into problems: sentences in a row from the same person (or
        one unnamed) are one problem, until one opens a new subject ("Also, ...", "Separately ...")."""
        groups: list[list[int]] = []
        for i, s in enumerate(reading.sentences):
            if self._item(reading, i) is None:
                continue
            last = groups[-1][-1] if groups else None
            if last is not None:
                before = reading.sentences[last]
                between = range(last + 1, i)
                same_person = before.actor == s.actor or before.actor is None or s.actor is None
                if (
                    before.message == s.message
                    and same_person
                    and all(reading.sentences[j].actor_side != "internal" for j in between)
                    and i - last <= 3
                    and not any(_NEW_SUBJECT.match(reading.sentences[j].text) for j in [*between, i])
                ):
                    groups[-1].append(i)
                    continue
            groups.append([i])
        return groups

    def _answers(
        self, reading: SentenceReading, groups: list[list[int]], kind: str
    ) -> dict[int, tuple[ResponseKind, int]]:
        """Each problem's answer in this interaction. Our side's answers (the response head) come in runs of
        sentences; each run goes to the problem it follows that is nearest in meaning, so one answered ask does
        not close a second one the answer never touched. A problem keeps the first run it got, read at its
        strongest sentence. Keyed by group."""
        reach: dict[int, list[int]] = {}  # answer sentence -> the groups whose window holds it
        for g, members in enumerate(groups):
            for j in window(reading.sentences, members[-1], kind):
                t = reading.sentences[j]
                if (t.actor_side == "customer" and not t.text.startswith("(")) or j in members:
                    continue
                if answer(reading, j):
                    reach.setdefault(j, []).append(g)
        runs: list[list[int]] = []
        for j in sorted(reach):
            before = runs[-1][-1] if runs else None
            if (
                before is not None
                and j == before + 1
                and reading.sentences[j].block == reading.sentences[before].block
            ):
                runs[-1].append(j)
            else:
                runs.append([j])
        vectors = reading.vectors
        rank = {"vague": 0, "planned": 1, "answered": 2, "fixed": 3}
        answers: dict[int, tuple[ResponseKind, int]] = {}
        for run in runs:
            centre = vectors[run].mean(axis=0)
            owners = reach[run[0]]
            near = max(owners, key=lambda o: groups[o][-1])  # the ask right before the answer
            likeness = {o: max(float(vectors[m] @ centre) for m in groups[o]) for o in owners}
            best = max(owners, key=lambda o: likeness[o])
            # An answer goes to the ask right before it, unless it is plainly about an earlier one.
            g = best if likeness[best] >= likeness[near] + CLEARLY_NEARER else near
            if g in answers:
                continue
            if all(_next_line(reading.sentences[j]) for j in run) and likeness[g] < NEXT_LIKENESS:
                continue
            said = [(owned(answer(reading, j) or "vague", reading.sentences, j), j) for j in run]
            answers[g] = max(said, key=lambda k: (rank[k[0]], -k[1]))
        return answers

    def _problems(self, view: InteractionView, reading: SentenceReading, facts: InteractionFacts) -> None:
        ordered = reading.sentences
        for i, s in enumerate(ordered):
            if self._item(reading, i) is None and lx.RECALLED.search(s.text):
                facts.recalled_problems.append(Problem(kind="question", quote=quote(s), actor=s.actor))
        groups = self._groups(reading)
        answers = self._answers(reading, groups, view.kind)
        for g, members in enumerate(groups):
            head = max(members, key=lambda m: reading.sure("item", m))
            said: Sentence | None = None
            response: ResponseKind = "none"
            for m in members:  # "(answered: yes, it exists)" inside the customer's own sentence
                for text in _PAREN.findall(ordered[m].text):
                    if lx.FIXED.search(text) or lx.ANSWERED.search(text):
                        response, said = ("fixed" if lx.FIXED.search(text) else "answered"), ordered[m]
            if said is None and g in answers:
                response, said = answers[g][0], ordered[answers[g][1]]
            sure = max(reading.confidence("item", m) for m in members)
            if response == "none" and sure < UNANSWERED_BAR:
                continue  # nobody answered: only a clear ask or complaint is one nobody took seriously
            facts.problems.append(
                Problem(
                    kind=self._item(reading, head) or "problem",
                    quote=quote(ordered[head]),
                    actor=ordered[head].actor,
                    response=response,
                    response_quote=quote(said) if said else None,
                    confidence=round(sure, 3),
                )
            )
        for i, s in enumerate(ordered):
            # What our side did (the customer saying it is fixed does not make us the ones who fixed it), kept
            # down to half the head's bar: the closing scorer weighs the confidence with the meaning.
            if s.actor_side == "customer" and not s.text.startswith("("):
                continue
            done = reading.best("response", i)
            confidence = reading.confidence("response", i)
            vague = owned(done, ordered, i) == "vague"
            cued = bool(lx.FIXED.search(s.text) or lx.ANSWERED.search(s.text))
            acted = _ACTED.get(done)
            if (
                acted is not None
                and confidence >= CANDIDATE * (CUED if cued else 1.0)
                and not vague
                and not recap(s.text)
            ):
                facts.resolutions.append(
                    Resolution(kind=acted, quote=quote(s), confidence=round(confidence, 3))
                )

    def _decisions_and_commitments(self, reading: SentenceReading, facts: InteractionFacts) -> None:
        for i, s in enumerate(reading.sentences):
            decision = reading.of("decision", i)
            # A decision cue of the lexicon lowers the head's bar: the head learned from written notes and is less
            # sure of how a spoken meeting decides (AMI: 3.9% -> 6.0% of the human-written decisions recovered;
            # the cues alone, whatever the head, reach 10% but turn a status line into a decision).
            cued = bool(lx.DECISION.search(s.text)) or s.label == "decision"
            if decision == NONE and cued and reading.confidence("decision", i) >= CUED:
                decision = reading.best("decision", i)
            if decision != NONE:
                facts.decisions.append(Decision(quote=quote(s), deferred=decision == "deferred"))
            commitment = reading.of("commitment", i)
            if commitment != NONE:
                due = lx.DATE_MARK.search(s.text)
                facts.commitments.append(
                    Commitment(
                        quote=quote(s),
                        owner=s.actor,
                        side=s.actor_side if s.actor_side != "unknown" else "internal",
                        due=due.group(0) if due else None,
                        firm=commitment == "firm",
                    )
                )

    def _risk_cues(self, reading: SentenceReading, facts: InteractionFacts, directory: Directory) -> None:
        known = {w.casefold() for p in directory.people for w in p.name.split()}
        account_words = {w.casefold() for w in directory.account.split()}
        for i, s in enumerate(reading.sentences):
            text = s.text
            if reading.of("next_step", i) != NONE and s.actor_side != "customer":
                facts.vague_next_steps.append(quote(s))
            if lx.RENEWAL_ASSUMED.search(text) or (
                reading.of("renewal", i) != NONE and lx.RENEWAL_TOPIC.search(text)
            ):
                facts.renewal_assumptions.append(quote(s))
            if lx.TENURE.search(text):
                facts.tenure.append(quote(s))
            if reading.of("report", i) != NONE:
                facts.data_reports.append(quote(s))
            if reading.of("firefighting", i) != NONE:
                facts.firefighting.append(quote(s))
            if reading.of("pending", i) != NONE and lx.PENDING.search(text):
                facts.pending_business.append(quote(s))
            for name, nature in rivals(text, known, account_words):
                facts.competitors.append(CompetitorMention(name=name, nature=nature, quote=quote(s)))
        facts.data_report_cues = 2 * len(facts.data_reports)

    def _shape(
        self, view: InteractionView, sentences: list[Sentence], facts: InteractionFacts
    ) -> MeetingShape:
        sides = [p.side for p in facts.people if p.active or view.kind in ("meeting", "call")]
        shape = MeetingShape(
            minutes=view.duration_minutes or minutes_in(view.text),
            attendees=len(view.participants) or attendees_in(view.text),
            internal_only=bool(view.participants) and all(side == "internal" for side in sides),
            agenda=bool(re.search(r"\bagenda\b", view.text, re.I)),
            decisions=sum(1 for d in facts.decisions if not d.deferred),
            deferred_decisions=sum(1 for d in facts.decisions if d.deferred),
            owned_actions=sum(1 for c in facts.commitments if c.firm),
        )
        for s in sentences:
            if lx.NO_OUTCOME.search(s.text):
                shape.no_outcome.append(quote(s))
            if lx.FORM_FAILURE.search(s.text):
                shape.form_failures.append(quote(s))
            if lx.PURPOSE_MISSED.search(s.text):
                shape.purpose_missed.append(quote(s))
            if lx.READOUT.search(s.text):
                shape.readout.append(quote(s))
        if "internal" in re.sub(r"[^a-z ]", " ", view.text[:200].lower()).split():
            shape.internal_only = True
        shape.future_discussed = any(
            t.kind in ("future_needs", "multi_year_plan", "goals") for t in facts.strategic
        )
        return shape

    def _engagement(self, view: InteractionView, facts: InteractionFacts, reading: SentenceReading) -> None:
        """Strategic or tactical, as the interaction head reads the whole; the deciding sentence is the most
        strategic one (or the one carrying the most tactical topics)."""
        label, sure, _ = reading.whole.get("engagement", ("tactical", 0.0, "tactical"))
        facts.engagement = "strategic" if label == "strategic" else "tactical"
        facts.engagement_score = round(sure, 3)
        if facts.engagement == "strategic" and reading.sentences:
            starts = {t.quote.start for t in facts.strategic}
            candidates = [i for i, s in enumerate(reading.sentences) if s.start in starts] or list(
                range(len(reading.sentences))
            )
            best = max(candidates, key=lambda i: (reading.sure("strategic", i), -i))
            facts.engagement_quote = quote(reading.sentences[best])
            return
        pool = facts.tactical
        if pool:
            top = max(
                pool, key=lambda t: (sum(1 for u in pool if u.quote.start == t.quote.start), -t.quote.start)
            )
            facts.engagement_quote = top.quote
        elif reading.sentences:
            facts.engagement_quote = quote(reading.sentences[0])

    def embed(self, facts: InteractionFacts, reading: SentenceReading | None = None) -> None:
        """Vectors of the quotes problems are matched by: a sentence's own vector when the quote is one."""
        candidates: list[Problem | Resolution | Commitment] = [
            *facts.problems,
            *facts.resolutions,
            *facts.recalled_problems,
            *facts.commitments,
        ]
        items = [i for i in candidates if i.vector is None]
        if not items:
            return
        known = (
            {(s.start, s.end): reading.vectors[k] for k, s in enumerate(reading.sentences)} if reading else {}
        )
        missing = [i for i in items if (i.quote.start, i.quote.end) not in known]
        fresh = self.embedder.embed([i.quote.text for i in missing]) if missing else np.zeros((0, 0))
        vectors = {id(i): v for i, v in zip(missing, fresh, strict=True)}
        for item in items:
            vector = vectors.get(id(item))
            item.vector = pack_vector(
                vector if vector is not None else known[(item.quote.start, item.quote.end)]
            )


def _mentions(text: str, name: str) -> bool:
    parts = [p for p in re.sub(r"^(Dr|Mr|Ms|Mrs)\.?\s+", "", name).split() if len(p) > 2]
    return any(re.search(rf"\b{re.escape(p)}\b", text) for p in parts[:1])


def _next_line(s: Sentence) -> bool:
    return s.label in ("next", "next steps", "next step", "next meeting") or bool(NEXT_LINE.match(s.text))


def recap(text: str) -> bool:
    """A recap of a list or its counts ("10 open, 1 closed"): a status line, not anybody acting."""
    return bool(lx.RECAP.search(text))


def answer(reading: SentenceReading, j: int) -> str | None:
    """What kind of answer sentence ``j`` of our side is (the response head; "we'd look into it" and its kin are
    vague whatever the head says), or None: not one, or only a recap."""
    text = reading.sentences[j].text
    if reading.sentences[j].salutation or (recap(text) and not lx.VAGUE.search(text)):
        return None
    found = reading.of("response", j)
    if found != NONE:
        return found
    return "vague" if lx.VAGUE.search(text) else None


def owned(kind: str, sentences: Sequence[Sentence], j: int) -> ResponseKind:
    """A response as the definitions count it: a plan needs an owner and a date, and "we'll look into it",
    "passed it on", "I'll check" without a date are vague whatever else the sentence says."""
    text = sentences[j].text
    following = sentences[j + 1].text if j + 1 < len(sentences) else ""
    dated = bool(lx.DATE_MARK.search(text) or lx.DATE_MARK.search(following))
    if kind == "vague" or (lx.VAGUE.search(text) and not dated) or (kind == "planned" and not dated):
        return "vague"
    return _RESPONSES.get(kind, "none")


def minutes_in(text: str) -> float | None:
    m = re.search(r"\b(\d{2,3})\s*min\b", text[:400])
    return float(m.group(1)) if m else None


def attendees_in(text: str) -> int:
    m = re.search(r"\b(\d{1,2})\s*(ppl|people|attendees|on the (call|line))\b", text[:400], re.I)
    return int(m.group(1)) if m else 0
