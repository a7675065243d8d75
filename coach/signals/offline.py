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
from coach.signals.text import Directory, Reader, Sentence, Side, as_side
from coach.signals.version import offline_code_version

REQUEST_PROBABILITY = 0.8
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
_CAMEL = re.compile(r"^[A-Z][a-z]+[A-Z][A-Za-z]+$")
_TRIALLED = re.compile(
    r"\b(?:trialling|trialing|piloting|evaluating|benchmarking|testing|talking to|switching to|vs\.?|versus|against)\s+([A-Z][\w&]+)"
)
_NOT_RIVALS = frozenset(
    [
        "control",
        "target",
        "goal",
        "plan",
        "budget",
        "forecast",
        "baseline",
        "last",
        "prior",
        "previous",
        "actual",
        "actuals",
        "the",
        "our",
        "their",
        "last-year",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)
_PAREN = re.compile(r"\(([^)]*)\)")
_CAP_PHRASE = re.compile(r"\b([A-Z][a-zA-Z0-9&]+(?:\s+[A-Z][a-zA-Z0-9&]+){0,2})\b")


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


class OfflineExtractor:
    engine = "offline"

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.version = f"{offline_code_version()}+{embedder.name}"

    def extract(self, view: InteractionView, directory: Directory) -> InteractionFacts:
        messages, sentences = Reader(directory).read(view.text, view.kind, view.rep)
        sentences = [s for s in sentences if not s.signature]
        self._inherit_actors(sentences, directory, view)
        facts = InteractionFacts(
            interaction_id=view.id, engine=self.engine, version=self.version, engagement="tactical"
        )
        facts.people = self._people(view, sentences, directory, [m.author for m in messages if m.author])
        self._topics(view, sentences, facts, directory)
        self._problems(view, sentences, facts)
        self._decisions_and_commitments(sentences, facts)
        self._risk_cues(sentences, facts, directory)
        facts.shape = self._shape(view, sentences, facts)
        self._engagement(view, facts)
        self.embed(facts)
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
            if re.match(r"^(?:she|he|they|his|her|their)\b", s.text, re.I) or re.match(
                r"^(wants|asked|says|needs)\b", s.text
            ):
                inherited = block_actor.get(s.block) or context
            else:
                inherited = block_actor.get(s.block, (None, "unknown"))
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
        self, view: InteractionView, sentences: list[Sentence], facts: InteractionFacts, directory: Directory
    ) -> None:
        year = view.occurred_at.year
        executives = [
            p for p in directory.people if p.side == "customer" and seniority(p.title) == "executive"
        ]
        for s in sentences:
            if _EXEC_ACCESS.search(s.text) and any(_mentions(s.text, p.name) for p in executives):
                facts.strategic.append(Topic(kind="executive_alignment", quote=quote(s), weight=1.0))
            for kind, (pattern, weight) in lx.STRATEGIC.items():
                if pattern.search(s.text):
                    facts.strategic.append(Topic(kind=kind, quote=quote(s), weight=weight))
            if any(int(y) > year for y in _FUTURE_YEAR.findall(s.text)) and not lx.TACTICAL["admin"].search(
                s.text
            ):
                facts.strategic.append(Topic(kind="multi_year_plan", quote=quote(s), weight=1.0))
            for kind, pattern in lx.TACTICAL.items():
                if pattern.search(s.text):
                    facts.tactical.append(Topic(kind=kind, quote=quote(s)))

    def _is_problem(
        self, s: Sentence, year: int, requests: frozenset[int] = frozenset()
    ) -> ProblemKind | None:
        if s.actor_side != "customer" or s.label in ("decision", "decisions", "agreed", "next", "owner"):
            return None
        text = s.text
        if lx.NOT_A_PROBLEM.search(text):
            return None
        complaint = bool(lx.COMPLAINT.search(text))
        request = bool(lx.REQUEST.search(text))
        question = text.rstrip().endswith("?") and len(text) > 12
        if request and not complaint and any(int(y) > year for y in _FUTURE_YEAR.findall(text)):
            return None  # a goal for a future year is strategy, not a request to us
        if complaint:
            return "complaint"
        if question:
            return "question"
        if request or s.start in requests:
            return "request"
        return None

    def _response(self, window: list[Sentence]) -> tuple[ResponseKind, Sentence | None]:
        """The first answer on our side in the window: what was said right after the customer raised it."""
        for i, s in enumerate(window):
            if s.actor_side == "customer" and not s.inherited and not s.text.startswith("("):
                continue
            found: ResponseKind | None = None
            if lx.FIXED.search(s.text):
                found = "fixed"
            elif lx.ANSWERED.search(s.text):
                found = "answered"
            elif (lx.OWNER_MARK.search(s.text) or lx.DECISION.search(s.text)) and (
                lx.DATE_MARK.search(s.text)
                or (i + 1 < len(window) and lx.DATE_MARK.search(window[i + 1].text))
            ):
                found = "planned"
            elif lx.VAGUE.search(s.text):
                found = "vague"
            if found:
                return found, s
        return "none", None

    def _direct_requests(self, view: InteractionView, sentences: list[Sentence]) -> frozenset[int]:
        """Starts of the customer's own sentences (their e-mails, their turns) that the request model reads as asking
        us for an action or a reply, where the cue lexicon found nothing."""
        candidates = [
            s
            for s in sentences
            if s.actor_side == "customer"
            and (view.kind == "email" or s.label)
            and len(s.text) > 15
            and not (
                lx.COMPLAINT.search(s.text) or lx.REQUEST.search(s.text) or lx.NOT_A_PROBLEM.search(s.text)
            )
        ]
        model = request_detector()
        if not candidates or model is None:
            return frozenset()
        texts = [s.text for s in candidates]
        p = model.probability(texts, self.embedder.embed(texts))
        return frozenset(
            s.start for s, prob in zip(candidates, p, strict=True) if prob >= REQUEST_PROBABILITY
        )

    def _problems(self, view: InteractionView, sentences: list[Sentence], facts: InteractionFacts) -> None:
        year = view.occurred_at.year
        ordered = sorted(sentences, key=lambda s: (s.message, s.start))
        requests = self._direct_requests(view, ordered)
        for i, s in enumerate(ordered):
            kind = self._is_problem(s, year, requests)
            if kind is None:
                if lx.RECALLED.search(s.text):
                    facts.recalled_problems.append(Problem(kind="question", quote=quote(s), actor=s.actor))
                continue
            inline = [
                Sentence(s.start, s.end, m.group(1), s.line, s.block, s.message, "internal", None, "internal")
                for m in _PAREN.finditer(s.text)
            ]
            same_block = [t for t in ordered[i + 1 :] if t.block == s.block]
            response, said = self._response(inline + same_block)
            if response == "none":
                later_blocks = [t for t in ordered[i + 1 :] if t.block != s.block]
                if later_blocks:
                    next_block = [t for t in later_blocks if t.block == later_blocks[0].block]
                    if view.kind == "email" or self._is_problem(next_block[0], year, requests) is None:
                        response, said = self._response(next_block)
            if said is not None and said.start >= s.start and said.end <= s.end:
                said = Sentence(s.start, s.end, s.text, s.line, s.block, s.message, "internal")
            facts.problems.append(
                Problem(
                    kind=kind,
                    quote=quote(s),
                    actor=s.actor,
                    response=response,
                    response_quote=quote(said) if said else None,
                )
            )
        self._merge_problems(facts)
        for s in ordered:
            if s.actor_side == "customer" and self._is_problem(s, year, requests):
                continue
            if lx.FIXED.search(s.text):
                facts.resolutions.append(Resolution(kind="fixed", quote=quote(s)))
            elif lx.DECISION.search(s.text) or (lx.OWNER_MARK.search(s.text) and lx.DATE_MARK.search(s.text)):
                facts.resolutions.append(Resolution(kind="planned", quote=quote(s)))
            elif lx.ANSWERED.search(s.text) and s.actor_side != "customer":
                facts.resolutions.append(Resolution(kind="answered", quote=quote(s)))

    @staticmethod
    def _merge_problems(facts: InteractionFacts) -> None:
        """Sentences of one complaint are one problem (see ``_near``); the merged problem keeps the best answer."""
        merged: list[Problem] = []
        rank = {"none": 0, "vague": 1, "planned": 2, "answered": 3, "fixed": 4}
        for p in facts.problems:
            group = next((m for m in merged if _near(m, p)), None)
            if group is None:
                merged.append(p)
            elif rank[p.response] > rank[group.response]:
                group.response, group.response_quote = p.response, p.response_quote
        facts.problems = merged

    def _decisions_and_commitments(self, sentences: list[Sentence], facts: InteractionFacts) -> None:
        for s in sentences:
            if lx.DECISION.search(s.text) or (s.label == "decision"):
                facts.decisions.append(Decision(quote=quote(s), deferred=bool(lx.DEFERRED.search(s.text))))
            if lx.OWNER_MARK.search(s.text) or lx.VAGUE.search(s.text) or lx.ACTION.search(s.text):
                firm = bool(lx.OWNER_MARK.search(s.text) and lx.DATE_MARK.search(s.text)) or bool(
                    lx.FIXED.search(s.text)
                )
                due = lx.DATE_MARK.search(s.text)
                facts.commitments.append(
                    Commitment(
                        quote=quote(s),
                        owner=s.actor,
                        side=s.actor_side if s.actor_side != "unknown" else "internal",
                        due=due.group(0) if due else None,
                        firm=firm,
                    )
                )

    def _risk_cues(self, sentences: list[Sentence], facts: InteractionFacts, directory: Directory) -> None:
        known = {w.casefold() for p in directory.people for w in p.name.split()}
        account_words = {w.casefold() for w in directory.account.split()}
        for s in sentences:
            text = s.text
            if lx.VAGUE_NEXT_STEP.search(text) and s.actor_side != "customer":
                facts.vague_next_steps.append(quote(s))
            if lx.RENEWAL_ASSUMED.search(text):
                facts.renewal_assumptions.append(quote(s))
            if lx.TENURE.search(text):
                facts.tenure.append(quote(s))
            if lx.DATA_REPORT.search(text):
                facts.data_reports.append(quote(s))
                facts.data_report_cues += sum(1 for p in lx.DATA_REPORTS if p.search(text))
            if lx.FIREFIGHTING.search(text):
                facts.firefighting.append(quote(s))
            if lx.PENDING.search(text):
                facts.pending_business.append(quote(s))
            if lx.COMPETITIVE_CONTEXT.search(text) and not lx.OUR_OFFER.search(text):
                for name in self._org_names(text, known, account_words):
                    nature = (
                        "past"
                        if lx.COMPETITOR_PAST.search(text)
                        else "hearsay"
                        if lx.COMPETITOR_HEARSAY.search(text)
                        else "active"
                    )
                    facts.competitors.append(CompetitorMention(name=name, nature=nature, quote=quote(s)))  # type: ignore[arg-type]

    @staticmethod
    def _org_names(text: str, known: set[str], account_words: set[str]) -> list[str]:
        """Capitalised names that read as another vendor: two words, a company-like suffix, a CamelCase brand
        or the object of 'trialling/piloting/evaluating', and not a person or place we know."""
        names = [
            m.group(1)
            for m in _TRIALLED.finditer(text)
            if re.fullmatch(r"[A-Z][a-z][A-Za-z&]+", m.group(1))
            and m.group(1).casefold() not in _NOT_RIVALS
            and m.group(1).casefold() not in known
            and m.group(1).casefold() not in account_words
        ]
        for m in _CAP_PHRASE.finditer(text):
            phrase = m.group(1)
            words = phrase.split()
            sentence_start = m.start() == 0 or text[max(0, m.start() - 2) : m.start()].strip() in (
                ".",
                ":",
                "-",
                "–",
            )
            if sentence_start and len(words) < 2:
                continue
            if any(w.casefold() in known or w.casefold() in account_words for w in words):
                continue
            if any(
                w.casefold()
                in {"ceo", "cfo", "coo", "cio", "cto", "vp", "poc", "sow", "sku", "kpi", "fp&a", "it"}
                for w in words
            ):
                continue
            if (
                len(words) >= 2 or lx.ORG_SUFFIX.search(phrase) or _CAMEL.match(phrase)
            ) and phrase not in names:
                names.append(phrase)
        return names[:2]

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

    def _engagement(self, view: InteractionView, facts: InteractionFacts) -> None:
        kinds = {t.kind for t in facts.strategic}
        strategic = sum(lx.STRATEGIC[k][1] if k in lx.STRATEGIC else 1.0 for k in kinds)
        sentences_strategic = len({t.quote.start for t in facts.strategic})
        tactical_kinds = {t.kind for t in facts.tactical}
        tactical = len(tactical_kinds) + 0.5 * max(0, len({t.quote.start for t in facts.tactical}) - 3)
        execs = any(p.side == "customer" and p.active and p.seniority == "executive" for p in facts.people)
        score = strategic + 0.5 * min(sentences_strategic, 6) + (0.5 if execs else 0.0) - 0.6 * tactical
        facts.engagement_score = round(score, 3)
        decisive = bool(kinds & {"widening", "competitive_threat", "executive_alignment"})
        facts.engagement = "strategic" if score >= 2.0 and (len(kinds) >= 2 or decisive) else "tactical"
        pool = facts.strategic if facts.engagement == "strategic" else facts.tactical
        if pool:
            best = max(
                pool, key=lambda t: (sum(1 for u in pool if u.quote.start == t.quote.start), -t.quote.start)
            )
            facts.engagement_quote = best.quote

    def embed(self, facts: InteractionFacts) -> None:
        candidates: list[Problem | Resolution | Commitment] = [
            *facts.problems,
            *facts.resolutions,
            *facts.recalled_problems,
            *facts.commitments,
        ]
        items = [i for i in candidates if i.vector is None]
        if not items:
            return
        vectors = self.embedder.embed([i.quote.text for i in items])
        for item, vector in zip(items, vectors, strict=True):
            item.vector = pack_vector(vector)


def _mentions(text: str, name: str) -> bool:
    parts = [p for p in re.sub(r"^(Dr|Mr|Ms|Mrs)\.?\s+", "", name).split() if len(p) > 2]
    return any(re.search(rf"\b{re.escape(p)}\b", text) for p in parts[:1])


def _near(a: Problem, b: Problem) -> bool:
    """Problem sentences close together from the same person (or one unnamed) are one problem. (One vague answer
    can cover two people's different problems, so sharing an answer is not enough.)"""
    return abs(a.quote.start - b.quote.start) < 400 and (
        a.actor == b.actor or a.actor is None or b.actor is None
    )


def minutes_in(text: str) -> float | None:
    m = re.search(r"\b(\d{2,3})\s*min\b", text[:400])
    return float(m.group(1)) if m else None


def attendees_in(text: str) -> int:
    m = re.search(r"\b(\d{1,2})\s*(ppl|people|attendees|on the (call|line))\b", text[:400], re.I)
    return int(m.group(1)) if m else 0
