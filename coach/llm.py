"""The one place LangChain's chat models are touched, and the checks every LLM answer goes through.

``StructuredCall`` asks a chat model for an answer in a pydantic schema (JSON
schema structured output). Timeouts, dropped connections, 429s and 5xx are
retried a bounded number of times with exponential backoff (a 429's Retry-After
is honoured up to a ceiling); malformed or schema-violating output is asked for
once more; other refusals (a bad key, a 400) are not retried. Then it raises
``LLMUnavailable`` with a short reason (timeout, rate limited, model unreachable,
server error, malformed output) so the caller can fall back to the offline
engine and say why. With ``mask_pii`` e-mail addresses and phone numbers are
replaced by placeholders before the prompt leaves and put back in the answer. ``locate`` is the
verbatim-quote check: a quote the model returns counts only if it is in the text.
"""

from __future__ import annotations

import difflib
import logging
import random
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from coach.guard import blank, is_instruction, visible
from coach.pii import mask
from coach.signals.facts import Quote

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)


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


@dataclass(frozen=True)
class CallPolicy:
    """How hard to try: retries of transient failures, backoff, the longest wait a Retry-After may ask for."""

    retries: int = 2
    backoff_seconds: float = 0.5
    max_wait_seconds: float = 20.0
    mask_pii: bool = True

    @classmethod
    def from_settings(cls, settings: Any) -> CallPolicy:
        return cls(
            retries=settings.llm_retries,
            backoff_seconds=settings.llm_backoff_seconds,
            max_wait_seconds=settings.llm_max_wait_seconds,
            mask_pii=settings.llm_mask_pii,
        )


class StructuredCall(Generic[T]):
    """One prompt in, one ``schema`` instance out, or ``LLMUnavailable`` once the policy's retries are spent."""

    def __init__(
        self,
        chat: Any,
        schema: type[T],
        prompt_name: str,
        prompt_version: str,
        model: str,
        policy: CallPolicy | None = None,
        sleep: Any = time.sleep,
    ) -> None:
        self.schema = schema
        self.prompt_name, self.prompt_version, self.model = prompt_name, prompt_version, model
        self.policy = policy or CallPolicy()
        self._chain = chat.with_structured_output(schema, method="json_schema")
        self._sleep = sleep
        self.attempts: list[str] = []  # how each attempt of the last call ended (for reports and tests)

    def ask(self, prompt: str, subject: str) -> T:
        masked = mask(prompt) if self.policy.mask_pii else None
        sent = masked.text if masked else prompt
        log.info(
            "llm call prompt=%s version=%s model=%s subject=%s masked=%d",
            self.prompt_name,
            self.prompt_version,
            self.model,
            subject,
            len(masked.originals) if masked else 0,
        )
        self.attempts = []
        malformed_retried = False
        attempt = 0
        while True:
            try:
                result = self._chain.invoke(sent)
                answer = result if isinstance(result, self.schema) else self.schema.model_validate(result)
                self.attempts.append("ok")
                return masked.restore(answer) if masked else answer
            except Exception as exc:
                why = reason(exc)
                self.attempts.append(why)
                if why.startswith("malformed"):
                    if malformed_retried:
                        raise LLMUnavailable(why) from exc
                    malformed_retried = True  # a model's bad answer is asked for once more, at once
                    continue
                if not transient(exc) or attempt >= self.policy.retries:
                    raise LLMUnavailable(why) from exc
                wait = self._wait(exc, attempt)
                if wait is None:
                    raise LLMUnavailable(
                        f"{why}; Retry-After beyond {self.policy.max_wait_seconds:g} s"
                    ) from exc
                log.info("llm call %s failed (%s); retrying in %.2f s", subject, why, wait)
                self._sleep(wait)
                attempt += 1

    def _wait(self, exc: Exception, attempt: int) -> float | None:
        """Seconds before the next try: the server's Retry-After if it sent one (None if longer than we wait),
        else exponential backoff with jitter."""
        asked = retry_after(exc)
        if asked is not None:
            return asked if asked <= self.policy.max_wait_seconds else None
        base = self.policy.backoff_seconds * (2**attempt)
        return min(self.policy.max_wait_seconds, base * (0.5 + random.random() / 2))


def status_of(exc: BaseException) -> int | None:
    """The HTTP error status behind ``exc``, if any (a parse error on a 200 answer has none)."""
    status = getattr(exc, "status_code", None)
    if not isinstance(status, int):
        status = getattr(getattr(exc, "response", None), "status_code", None)
    return status if isinstance(status, int) and status >= 400 else None


def retry_after(exc: BaseException) -> float | None:
    """The wait a 429 or 503 asked for (Retry-After in seconds or as an HTTP date, or retry-after-ms)."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if not headers:
        return None
    try:
        if (ms := headers.get("retry-after-ms")) is not None:
            return max(0.0, float(ms) / 1000)
        if (value := headers.get("retry-after")) is None:
            return None
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


def transient(exc: BaseException) -> bool:
    """Worth another try: a timeout, a dropped or refused connection, a 408/409/429 or any 5xx."""
    status = status_of(exc)
    if status is not None:
        return status in (408, 409, 429) or status >= 500
    name = type(exc).__name__.lower()
    return "timeout" in name or "connection" in name


def reason(exc: Exception | None) -> str:
    if exc is None:
        return "unknown error"
    name = type(exc).__name__
    text = str(exc).lower()
    status = status_of(exc)
    if "timeout" in name.lower() or "timed out" in text:
        return "timeout"
    if status == 429 or "ratelimit" in name.lower():
        return "rate limited"
    if status is not None and status >= 500:
        return f"server error ({status})"
    if status is not None:
        return f"refused by the model server ({status})"
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
        scored = [
            (difflib.SequenceMatcher(None, claimed.casefold(), m.group().strip().casefold()).ratio(), m)
            for m in candidates
        ]
        best = max(scored, key=lambda s: s[0], default=(0.0, None))
        if best[0] < 0.9 or best[1] is None:
            return None
        match = best[1]
        start = match.start() + len(match.group()) - len(match.group().lstrip())
        end = match.end() - (len(match.group()) - len(match.group().rstrip()))
    else:
        start, end = match.start(), match.end()
    if is_instruction(text[start:end]) or not blank(text)[start:end].strip():
        return None  # an instruction to the model is never evidence
    return Quote(start=start, end=end, text=text[start:end])


def without_instructions(text: str) -> str:
    """``text`` with what reads as an instruction to a model blanked, and the lines that leaves empty dropped (the
    text given to a model; everything else is unchanged, so the model's quotes stay verbatim)."""
    kept = [
        b
        for o, b in zip(text.split("\n"), blank(text).split("\n"), strict=True)
        if b.strip() or not o.strip()
    ]
    return "\n".join(kept)


def safe_label(value: str | None) -> str | None:
    """A name or label for a prompt (account, rep, series, participant): None when it reads as an instruction."""
    if value is None:
        return None
    return None if is_instruction(value) else visible(value)
