"""The one place LangChain's chat models are touched, and the checks every LLM answer goes through.

``StructuredCall`` asks a chat model for an answer in a pydantic schema (JSON
schema structured output), retries once, and raises ``LLMUnavailable`` with a
short reason (timeout, rate limited, model unreachable, malformed output) so the
caller can fall back to the offline engine and say why. ``locate`` is the
verbatim-quote check: a quote the model returns counts only if it is in the text.
"""

from __future__ import annotations

import difflib
import logging
import re
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from coach.signals.facts import Quote

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)

INJECTION = re.compile(
    r"\b(ignore|disregard|forget) (all |any |your |the )?(previous |prior |above )?(instructions|rules|prompts?)\b|"
    r"^\s*(system|assistant|ai)\s*:|\byou are (now )?(an?|the) (ai|assistant|model)\b|"
    r"\b(mark|rate|report|flag) (this|the) account (as )?(healthy|strategic|fine)\b|\breport no (risks|problems)\b",
    re.IGNORECASE | re.MULTILINE,
)


class LLMUnavailable(Exception):
    """The model could not answer (timeout, rate limit, malformed output after a retry, no key)."""


def chat_model(settings: Any) -> Any:
    """A LangChain chat model for the configured OpenAI-compatible server (retries are ours, not the client's)."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm_model,
        api_key=settings.openai_api_key or "missing-key",
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_seconds,
        max_retries=0,
        temperature=0,
    )


class StructuredCall(Generic[T]):
    """One prompt in, one ``schema`` instance out, or ``LLMUnavailable`` after one retry."""

    def __init__(self, chat: Any, schema: type[T], prompt_name: str, prompt_version: str, model: str) -> None:
        self.schema = schema
        self.prompt_name, self.prompt_version, self.model = prompt_name, prompt_version, model
        self._chain = chat.with_structured_output(schema, method="json_schema")

    def ask(self, prompt: str, subject: str) -> T:
        log.info("llm call prompt=%s version=%s model=%s subject=%s", self.prompt_name, self.prompt_version,
                 self.model, subject)
        last: Exception | None = None
        for _ in range(2):  # one retry
            try:
                result = self._chain.invoke(prompt)
                return result if isinstance(result, self.schema) else self.schema.model_validate(result)
            except Exception as exc:  # noqa: BLE001 - timeouts, 429s and parse errors all come here
                last = exc
        raise LLMUnavailable(reason(last))


def reason(exc: Exception | None) -> str:
    if exc is None:
        return "unknown error"
    name = type(exc).__name__
    text = str(exc).lower()
    if "timeout" in name.lower() or "timed out" in text:
        return "timeout"
    if "ratelimit" in name.lower() or "429" in text:
        return "rate limited"
    if "connection" in name.lower():
        return "model unreachable"
    return f"malformed output ({name})"


def locate(text: str, claimed: str | None) -> Quote | None:
    """The span of ``claimed`` in ``text`` (whitespace-insensitive), repaired to the closest sentence if it is
    nearly verbatim; None when it is not in the text or sits in an instruction aimed at the coach."""
    if not claimed or not claimed.strip():
        return None
    words = claimed.split()
    pattern = r"\s+".join(re.escape(w) for w in words)
    match = re.search(pattern, text)
    if match is None:
        candidates = [m for m in re.finditer(r"[^.!?\n]+[.!?]?", text) if len(m.group().strip()) > 10]
        scored = [(difflib.SequenceMatcher(None, claimed.casefold(), m.group().strip().casefold()).ratio(), m)
                  for m in candidates]
        best = max(scored, key=lambda s: s[0], default=(0.0, None))
        if best[0] < 0.9 or best[1] is None:
            return None
        match = best[1]
        start = match.start() + len(match.group()) - len(match.group().lstrip())
        end = match.end() - (len(match.group()) - len(match.group().rstrip()))
    else:
        start, end = match.start(), match.end()
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : line_end if line_end != -1 else len(text)]
    if INJECTION.search(text[start:end]) or INJECTION.search(line):
        return None
    return Quote(start=start, end=end, text=text[start:end])


def without_instructions(text: str) -> str:
    """``text`` with every line that reads as an instruction to the coach removed (context passed to a model)."""
    return "\n".join(line for line in text.splitlines() if not INJECTION.search(line))
