"""The brief service: judge the account, retrieve what matters for this meeting, fit the budget, write.

    BriefService(workspace).brief(BriefRequest("Acme", meeting="Weekly sync", date=date(2026, 11, 24)))

Retrieval uses the brief's purpose as the query: passages of the account's history
from Chroma (hybrid search, ranked by relevance with a bonus for recency, at most
one per interaction, trimmed to their most relevant sentences) and the closest
playbook sections. The API, the Slack bot and the CLI all call this.
"""

from __future__ import annotations

import difflib
import math
import re

import numpy as np
from pydantic import BaseModel

from coach import prompts
from coach.analysis.report import EngineUsed
from coach.analysis.service import AccountAnalysis, Analyzer
from coach.briefs.assemble import BriefAssembler, BriefRequest, anchor
from coach.briefs.budget import PromptBudget
from coach.briefs.model import Evidence, Passage, PrepBrief
from coach.briefs.writer import BriefWriter
from coach.llm import without_instructions
from coach.parts import BriefParts
from coach.playbook import Playbook
from coach.playbook import load as load_playbook
from coach.search import Searcher, tokenize
from coach.store.repository import Repository
from coach.store.vectors import PassageIndex

PROMPT = "brief"
RECENCY_DAYS = 90
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


class BriefService:
    def __init__(
        self,
        workspace: BriefParts,
        analyzer: Analyzer | None = None,
        writer: BriefWriter | None = None,
        playbook: Playbook | None = None,
    ) -> None:
        self.ws = workspace
        self.analyzer = analyzer or Analyzer(workspace)
        self.writer = writer
        self.playbook = playbook or load_playbook()
        self.assembler = BriefAssembler(self.analyzer.judge, self.playbook)
        self.budget = PromptBudget(workspace.tokens, workspace.settings.brief_prompt_tokens, render_prompt)

    def brief(self, request: BriefRequest) -> PrepBrief:
        engine = self._engine()
        name = self._known(request.account)
        if name is None:
            return self._fitted(self.assembler.empty(request, engine, self._near(request.account)))
        analysis = self.analyzer.account(name, request.date)
        if not analysis.judged:
            return self._fitted(self.assembler.empty(request, engine, []))
        brief = self.assembler.assemble(request, analysis)
        query = brief_query(brief)
        vector = self.ws.embedder.embed([query])[0]
        brief.context = self._history(brief, query, vector, _quoted(brief))
        brief.playbook = self._playbook(vector)
        brief, _ = self.budget.fit(brief)
        if self.writer is not None:
            texts = {j.view.id: j.view.text for j in analysis.judged}
            refs = {anchor(s.path, s.heading) for s in self.playbook.sections()}
            brief = self.writer.write(brief, texts, refs)
            worded_by_model = brief.engine_detail.answered > 0
            if worded_by_model and (analysis.engine.requested != "llm" or analysis.engine.fallbacks):
                brief.notes.append(f"Facts were read by the {analysis.engine.label} engine.")
        brief.sources = sources_of(brief, analysis)
        return brief

    def warm_up(self) -> None:
        """Load what a first brief would otherwise load while someone waits: the playbook's passages embedded
        into their index (only when a section changed), the tokenizer the budget counts with, and the prompt."""
        if self.ws.settings.brief_playbook_passages:
            self.playbook.sync_index(PassageIndex(self.ws.index), self.ws.embedder)
        self.ws.tokens.count("warm up")
        prompts.environment().get_template(f"{PROMPT}.j2")

    def _engine(self) -> EngineUsed:
        """The engine a brief with no facts to read is credited to: the writer's, else the extractor's."""
        if self.writer is not None:
            return EngineUsed(requested="llm", model=self.writer.model)
        name = self.analyzer.extractor.engine
        return (
            EngineUsed(requested="llm", model=name.split(":", 1)[1])
            if name.startswith("llm:")
            else EngineUsed()
        )

    def _fitted(self, brief: PrepBrief) -> PrepBrief:
        fitted, _ = self.budget.fit(brief)
        return fitted

    def _known(self, account: str) -> str | None:
        with self.ws.db.session() as session:
            row = Repository(session).account(account)
            return row.name if row else None

    def _near(self, account: str) -> list[str]:
        with self.ws.db.session() as session:
            names = [s.name for s in Repository(session).account_summaries()]
        folded = {n.casefold(): n for n in names}
        return [
            folded[m] for m in difflib.get_close_matches(account.casefold(), list(folded), n=3, cutoff=0.5)
        ]

    # --- retrieval ----------------------------------------------------------------------------
    def _history(self, brief: PrepBrief, query: str, vector: np.ndarray, quoted: set[str]) -> list[Passage]:
        want = self.ws.settings.brief_context_passages
        if want == 0:
            return []
        hits = Searcher(self.ws).search(
            query, k=max(4 * want, 20), account=brief.account, vector=vector, floor=False
        )
        terms = set(tokenize(query))
        ranked: dict[str, tuple[float, Passage]] = {}
        for rank, hit in enumerate(hits):
            day = hit.occurred_at.date()
            if day > brief.date or hit.interaction_id in ranked:
                continue
            recency = math.exp(-max(0, (brief.date - day).days) / RECENCY_DAYS)
            score = (1.0 / (rank + 1)) * (1.0 + 0.5 * recency)
            text = self._trim(without_instructions(hit.excerpt), terms, quoted)
            if text:
                ranked[hit.interaction_id] = (
                    score,
                    Passage(
                        source=hit.interaction_id, date=day, kind=hit.kind, text=text, score=round(score, 4)
                    ),
                )
        best = sorted(ranked.values(), key=lambda item: -item[0])[:want]
        return [p for _, p in best]

    def _trim(self, excerpt: str, terms: set[str], quoted: set[str]) -> str:
        """The excerpt's sentences that share most words with the query, in their order, within the passage budget;
        sentences the brief already quotes are not repeated."""
        limit = self.ws.settings.brief_passage_tokens
        sentences = [m.group().strip() for m in _SENTENCE.finditer(excerpt) if m.group().strip()]
        sentences = [s for s in sentences if len(s) > 3 and not any(s in q or q in s for q in quoted)]
        if not sentences:
            return ""
        scores = [len(terms & set(tokenize(s))) for s in sentences]
        order = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
        kept: list[int] = []
        used = 0
        for i in order:
            cost = self.ws.tokens.count(sentences[i])
            if used + cost > limit:
                if not kept:
                    return self.ws.tokens.truncate(sentences[i], limit) + "…"
                continue
            kept.append(i)
            used += cost
        kept.sort()
        return " … ".join(sentences[i] for i in kept)

    def _playbook(self, vector: np.ndarray) -> list[Passage]:
        want = self.ws.settings.brief_playbook_passages
        if want == 0:
            return []
        index = PassageIndex(self.ws.index)
        self.playbook.sync_index(index, self.ws.embedder)
        sections = {s.id: s for s in self.playbook.sections()}
        passages = []
        for section_id, score, _ in index.query(vector, want):
            section = sections.get(section_id)
            if section is not None:
                text = self.ws.tokens.truncate(
                    " ".join(section.text.split()), self.ws.settings.brief_passage_tokens
                )
                passages.append(
                    Passage(source=anchor(section.path, section.heading), text=text, score=round(score, 4))
                )
        return passages


def _quoted(brief: PrepBrief) -> set[str]:
    quotes = {e.quote for p in brief.open_problems for e in p.evidence}
    quotes |= {c.text for c in brief.commitments}
    quotes |= {e.quote for r in brief.risks for e in r.evidence}
    return {" ".join(q.split()) for q in quotes if len(q) > 12}


def brief_query(brief: PrepBrief) -> str:
    """What the meeting is for, in words: the meeting, its open problems and commitments, the risks at work."""
    parts = [brief.meeting or brief.series or "account meeting", brief.purpose.text]
    parts += [p.evidence[0].quote for p in brief.open_problems[:3] if p.evidence]
    parts += [c.text for c in brief.commitments[:2]]
    parts += [r.code.replace("_", " ") for r in brief.risks]
    return " ".join(parts)


def render_prompt(brief: PrepBrief) -> str:
    """The model's prompt for ``brief``, both messages, as counted against the budget."""
    messages = prompts.messages(PROMPT, brief=brief, version=prompts.version(PROMPT))
    return f"--- system ---\n{messages.system}--- human ---\n{messages.human}"


def sources_of(brief: PrepBrief, analysis: AccountAnalysis) -> list[Evidence]:
    """Every interaction the brief cites, oldest first, each with the opening words of its text."""
    cited: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, Evidence):
            cited.add(value.interaction)
        elif isinstance(value, Passage):
            if not value.source.startswith("knowledge/"):
                cited.add(value.source)
        elif isinstance(value, BaseModel):
            for key in type(value).model_fields:
                walk(getattr(value, key))
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(brief)
    for p in brief.open_problems:
        cited.add(p.raised_in)
    for c in brief.commitments:
        cited.add(c.made_in)
    out = []
    for j in analysis.judged:
        if j.view.id in cited:
            opening = " ".join(j.view.text.split())[:90]
            title = f"{j.view.kind}{' · ' + j.view.series if j.view.series else ''}: {opening}"
            out.append(Evidence(interaction=j.view.id, quote=title, date=j.view.occurred_at.date()))
    return out


def render_brief(brief: PrepBrief, format_: str) -> str:
    """The brief as Markdown, a standalone HTML page (escaped), or the JSON of ``PrepBrief``."""
    if format_ == "json":
        return brief.model_dump_json(indent=1)
    if format_ in ("md", "html"):
        return prompts.render(f"brief.{format_}", brief=brief)
    raise ValueError(f"unknown brief format {format_!r}: use md, html or json")
