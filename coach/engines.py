"""The composition root for engines: which extractor reads interactions, and which writers word briefs and
digests, built once from settings for every entry point (the CLI, the API and its Slack bot, the digest job).

``offline`` needs nothing; ``llm`` builds one chat model (``coach.llm.chat_model``: any LangChain provider) and
shares it between the extractor and the writers. What a component does not use, it does not receive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coach.config import Settings
from coach.embedding import Embedder
from coach.errors import InvalidInput
from coach.signals.offline import OfflineExtractor

if TYPE_CHECKING:
    from coach.analysis.service import Extractor
    from coach.briefs.writer import BriefWriter
    from coach.digest.writer import DigestWriter
    from coach.tokens import TokenCounter

ENGINES = ("offline", "llm")


@dataclass(frozen=True, slots=True)
class Engines:
    extractor: Extractor
    brief_writer: BriefWriter | None = None
    digest_writer: DigestWriter | None = None


def build_engines(
    settings: Settings, embedder: Embedder, tokens: TokenCounter, engine: str | None = None
) -> Engines:
    """The engines for ``engine`` (default: the settings'); briefs follow ``COACH_BRIEF_ENGINE`` when it is set
    and no engine is asked for explicitly."""
    choice = engine or settings.engine
    brief_choice = engine or settings.brief_engine or settings.engine
    for name in (choice, brief_choice):
        if name not in ENGINES:
            raise InvalidInput(f"unknown engine {name!r}: use offline or llm")
    offline = OfflineExtractor(embedder)
    if "llm" not in (choice, brief_choice):
        return Engines(extractor=offline)
    chat = _chat(settings)
    return Engines(
        extractor=_llm_extractor(chat, settings, offline) if choice == "llm" else offline,
        brief_writer=_brief_writer(chat, settings) if brief_choice == "llm" else None,
        digest_writer=_digest_writer(chat, settings, tokens) if choice == "llm" else None,
    )


def _chat(settings: Settings) -> Any:
    from coach.llm import chat_model

    return chat_model(settings)


def _llm_extractor(chat: Any, settings: Settings, offline: OfflineExtractor) -> Extractor:
    from coach.signals.llm import LLMExtractor

    return LLMExtractor(chat, settings.llm_model, offline, settings.llm_mask_pii)


def _brief_writer(chat: Any, settings: Settings) -> BriefWriter:
    from coach.briefs.writer import BriefWriter

    return BriefWriter(chat, settings.llm_model, settings.llm_mask_pii)


def _digest_writer(chat: Any, settings: Settings, tokens: TokenCounter) -> DigestWriter:
    from coach.digest.writer import DigestWriter

    return DigestWriter(chat, settings.llm_model, tokens, settings.brief_prompt_tokens, settings.llm_mask_pii)
