"""The composition root for engines: which extractor reads interactions, which linker ties open problems to
later answers, and which writers word briefs and digests, built once from settings for every entry point (the
CLI, the API and its Slack bot, the digest job).

``offline`` needs nothing; ``llm`` builds one chat model (``coach.llm.chat_model``: any LangChain provider),
or replays a recorded cassette, shared by every step, each step with its own prompt. What a component does not
use, it does not receive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coach.analysis.closing import offline_linker
from coach.config import Settings
from coach.embedding import Embedder
from coach.errors import InvalidInput
from coach.signals.offline import OfflineExtractor

if TYPE_CHECKING:
    from coach.analysis.links import Linker, ProblemLinker
    from coach.analysis.service import Analyzer, Extractor
    from coach.briefs.writer import BriefWriter
    from coach.digest.writer import DigestWriter
    from coach.llm import AnswerCache, Cassette
    from coach.tokens import TokenCounter
    from coach.workspace import Workspace

ENGINES = ("offline", "llm")


@dataclass(frozen=True, slots=True)
class Engines:
    extractor: Extractor
    linker: Linker | None = None
    brief_writer: BriefWriter | None = None
    digest_writer: DigestWriter | None = None


@dataclass(frozen=True, slots=True)
class _Parts:
    """What every LLM step shares: the model (or none, replaying a cassette), the answer cache, the cassette."""

    settings: Settings
    chat: Any
    tokens: TokenCounter
    answers: AnswerCache | None
    cassette: Cassette | None

    def call(self, schema: Any, prompt: str) -> Any:
        from coach import prompts
        from coach.llm import StructuredCall

        return StructuredCall(
            self.chat,
            schema,
            prompt,
            prompts.version(prompt),
            self.settings.llm_model,
            self.settings.llm_mask_pii,
            cache=self.answers,
            cassette=self.cassette,
            tokens=self.tokens,
        )


def build_engines(
    settings: Settings,
    embedder: Embedder,
    tokens: TokenCounter,
    engine: str | None = None,
    answers: AnswerCache | None = None,
) -> Engines:
    """The engines for ``engine`` (default: the settings'); briefs follow ``COACH_BRIEF_ENGINE`` when it is set
    and no engine is asked for explicitly. ``answers`` keeps every model answer (the store's table)."""
    choice = engine or settings.engine
    brief_choice = engine or settings.brief_engine or settings.engine
    for name in (choice, brief_choice):
        if name not in ENGINES:
            raise InvalidInput(f"unknown engine {name!r}: use offline or llm")
    offline = OfflineExtractor(embedder)
    if "llm" not in (choice, brief_choice):
        return Engines(extractor=offline, linker=offline_linker(offline))
    cassette = _cassette(settings)
    if (
        cassette is not None and cassette.model
    ):  # replaying: the answers are that model's, whatever is configured
        settings = settings.model_copy(update={"llm_model": cassette.model})
    parts = _Parts(settings, _chat(settings), tokens, answers, cassette)
    if choice != "llm":
        return Engines(extractor=offline, linker=offline_linker(offline), brief_writer=_brief_writer(parts))
    return Engines(
        extractor=_reader(parts, offline),
        linker=_linker(parts, embedder),
        brief_writer=_brief_writer(parts) if brief_choice == "llm" else None,
        digest_writer=_digest_writer(parts),
    )


def _chat(settings: Settings) -> Any:
    if settings.llm_cassette is not None:
        return None  # answers are replayed: no model is asked
    from coach.llm import chat_model

    return chat_model(settings)


def _cassette(settings: Settings) -> Cassette | None:
    if settings.llm_cassette is None:
        return None
    from coach.llm import Cassette

    try:
        return Cassette(settings.llm_cassette, record=settings.llm_cassette_record)
    except (FileNotFoundError, ValueError) as exc:
        raise InvalidInput(str(exc)) from None


def _reader(parts: _Parts, offline: OfflineExtractor) -> Extractor:
    from coach.signals.llm import LLMExtractor, Reading

    return LLMExtractor(
        parts.call(Reading, "read"),
        parts.settings.llm_model,
        offline,
        parts.tokens.count,
        parts.settings.llm_prompt_tokens,
    )


def _linker(parts: _Parts, embedder: Embedder) -> ProblemLinker:
    from coach.analysis.links import LinkAnswer, ProblemLinker

    return ProblemLinker(
        parts.call(LinkAnswer, "link"), embedder, parts.tokens.count, parts.settings.llm_prompt_tokens
    )


def _brief_writer(parts: _Parts) -> BriefWriter:
    from coach.briefs.writer import BriefWriter, LLMBrief

    return BriefWriter(parts.call(LLMBrief, "brief"), parts.settings.llm_model)


def _digest_writer(parts: _Parts) -> DigestWriter:
    from coach.digest.writer import DigestWriter, LLMNarrative

    return DigestWriter(
        parts.call(LLMNarrative, "digest"),
        parts.settings.llm_model,
        parts.tokens,
        parts.settings.brief_prompt_tokens,
    )


def for_workspace(workspace: Workspace, engine: str | None = None) -> Engines:
    """The engines of a workspace's settings, with model answers kept in its store."""
    from coach.store.answers import StoredAnswers

    return build_engines(
        workspace.settings, workspace.embedder, workspace.tokens, engine, StoredAnswers(workspace.db)
    )


def analyzer(workspace: Workspace, engines: Engines) -> Analyzer:
    """The analysis service over ``engines``: the extractor reads, the linker links, the judge judges."""
    from coach.analysis.service import Analyzer

    return Analyzer(workspace, extractor=engines.extractor, linker=engines.linker)
