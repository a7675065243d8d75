"""The one place LangChain's chat models are touched, and the checks every model answer goes through.

``chat_model`` builds the configured chat model with LangChain's ``init_chat_model`` (OpenAI by default; any
provider LangChain supports, named in settings). Transport failures are the client's to retry: the openai client
retries timeouts, dropped connections, 408/409/429 and 5xx ``COACH_LLM_RETRIES`` times with backoff, honouring
Retry-After.

``StructuredCall`` sends one prompt (instructions as the system message, the untrusted notes as a separate human
message) and wants an answer in a pydantic schema. Malformed or schema-violating output is asked for once more;
then, or when the client gives up, it raises ``LLMUnavailable`` with a short reason (timeout, rate limited, model
unreachable, server error, refused, malformed output) so the caller can fall back to the offline engine and say
why. Only the model client's own exception classes and output-parsing errors are caught: a bug in our code is
raised, never reported as malformed output. With ``mask_pii`` e-mail addresses and phone numbers are replaced by
placeholders before the human message leaves and put back in the answer.

The exception tree a caller sees::

    LLMUnavailable            the step falls back to offline; str(exc) is the reason
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from coach.guard import blank, is_instruction, visible
from coach.pii import mask

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)


NOT_RECORDED = "no recorded answer in the cassette"


class LLMUnavailable(Exception):
    """The model could not answer (timeout, rate limit, refusal, malformed output after a retry, no key)."""


@dataclass(frozen=True, slots=True)
class Messages:
    """A rendered prompt: our instructions (system) and the data they apply to (human, untrusted)."""

    system: str
    human: str


def chat_model(settings: Any) -> Any:
    """A LangChain chat model for the configured provider and model; the client retries transport failures."""
    from langchain.chat_models import init_chat_model

    options: dict[str, Any] = {
        "temperature": 0,
        "timeout": settings.llm_timeout_seconds,
        "max_retries": settings.llm_retries,
    }
    if settings.llm_provider == "openai":
        options["api_key"] = (
            settings.openai_api_key or "missing-key"
        )  # a call without a key fails: 401, offline
        if settings.openai_base_url:
            options["base_url"] = settings.openai_base_url
    return init_chat_model(settings.llm_model, model_provider=settings.llm_provider, **options)


def _malformed_errors() -> tuple[type[BaseException], ...]:
    from langchain_core.exceptions import OutputParserException

    errors: list[type[BaseException]] = [OutputParserException, ValidationError, json.JSONDecodeError]
    try:
        import openai

        errors.append(openai.LengthFinishReasonError)
    except ImportError:  # another provider
        pass
    return tuple(errors)


def _refusals() -> tuple[type[BaseException], ...]:
    from langchain_core.exceptions import ModelRefusalError

    errors: list[type[BaseException]] = [ModelRefusalError]
    try:
        import openai

        errors.append(openai.ContentFilterFinishReasonError)
    except ImportError:
        pass
    return tuple(errors)


def _client_errors() -> tuple[type[BaseException], ...]:
    """The model clients' own errors (transport and HTTP status), for whichever providers are installed."""
    errors: list[type[BaseException]] = []
    for module, name in (("openai", "APIError"), ("anthropic", "APIError"), ("httpx", "HTTPError")):
        try:
            errors.append(getattr(__import__(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(errors)


def reason(exc: BaseException) -> str:
    """A short reason for a failed call, from the client's exception class and status."""
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    if isinstance(exc, _malformed_errors()):
        return f"malformed output ({name})"
    if isinstance(exc, _refusals()):
        return "refused by the model"
    if any("Timeout" in cls.__name__ for cls in type(exc).__mro__):  # openai's APITimeoutError, httpx's
        return "timeout"
    if status == 429:
        return "rate limited"
    if isinstance(status, int) and status >= 500:
        return f"server error ({status})"
    if isinstance(status, int):
        return f"refused by the model server ({status})"
    return "model unreachable"


@dataclass(slots=True)
class Usage:
    """What a step cost: model calls, answers found in the cache or a cassette, misses, and tokens (tiktoken)."""

    calls: int = 0
    cached: int = 0
    missed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def minus(self, before: Usage) -> Usage:
        return Usage(
            self.calls - before.calls,
            self.cached - before.cached,
            self.missed - before.missed,
            self.prompt_tokens - before.prompt_tokens,
            self.completion_tokens - before.completion_tokens,
        )

    def plus(self, other: Usage) -> Usage:
        return Usage(
            self.calls + other.calls,
            self.cached + other.cached,
            self.missed + other.missed,
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "calls": self.calls,
            "cached": self.cached,
            "missed": self.missed,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }


class AnswerCache(Protocol):
    """Where answers are kept by key, so asking the same again costs no call (``coach.store``'s table)."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(
        self, key: str, prompt: str, version: str, model: str, answer: dict[str, Any], tokens: tuple[int, int]
    ) -> None: ...


class Counter(Protocol):
    def count(self, text: str) -> int: ...


def answer_key(messages: Messages, version: str, model: str) -> str:
    """SHA-256 of what is sent (after masking), the prompt's version and the model: the key of an answer."""
    payload = json.dumps([messages.system, messages.human, version, model], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class StructuredCall(Generic[T]):
    """One prompt in, one ``schema`` instance out, or ``LLMUnavailable``.

    Answers come from the cache when the same was asked before, else from the cassette when one is set (replay),
    else from the model; every answer is cached. ``usage`` adds up what the calls cost."""

    def __init__(
        self,
        chat: Any,
        schema: type[T],
        prompt_name: str,
        prompt_version: str,
        model: str,
        mask_pii: bool = True,
        cache: AnswerCache | None = None,
        cassette: Cassette | None = None,
        tokens: Counter | None = None,
    ) -> None:
        self.schema = schema
        self.prompt_name, self.prompt_version, self.model = prompt_name, prompt_version, model
        self.mask_pii = mask_pii
        self.cache, self.cassette, self.tokens = cache, cassette, tokens
        self._chain = chat.with_structured_output(schema, method="json_schema") if chat is not None else None
        self.attempts: list[str] = []  # how each attempt of the last call ended (for reports and tests)
        self.usage = Usage()

    def ask(self, messages: Messages, subject: str) -> T:
        masked = mask(messages.human) if self.mask_pii else None
        sent = Messages(messages.system, masked.text if masked else messages.human)
        key = answer_key(sent, self.prompt_version, self.model)
        log.info(
            "llm call prompt=%s version=%s model=%s subject=%s key=%s masked=%d",
            self.prompt_name,
            self.prompt_version,
            self.model,
            subject,
            key[:12],
            len(masked.originals) if masked else 0,
        )
        self.attempts = []
        answer = self._known(key, sent)
        if answer is None:
            answer = self._from_model(sent)
            self._keep(key, answer, sent)
        self.attempts.append("ok")
        return masked.restore(answer) if masked else answer

    def _known(self, key: str, sent: Messages) -> T | None:
        """The answer from the cache, or replayed from the cassette (a miss there falls back: no network)."""
        cached = self.cache.get(key) if self.cache is not None else None
        if cached is not None:
            self.usage.cached += 1
            return self._parse(cached)
        if self.cassette is None:
            return None
        recorded = self.cassette.answer(key)
        if recorded is None:
            self.cassette.want(key, self.prompt_name, self.prompt_version, self.model, sent)
            self.usage.missed += 1
            self.attempts.append("not in the cassette")
            raise LLMUnavailable(NOT_RECORDED)
        answer = self._parse(recorded)
        self.usage.calls += 1  # a recorded call stands in for the model's
        self._count(sent, recorded)
        self._keep(key, answer, sent)
        return answer

    def _parse(self, data: dict[str, Any]) -> T:
        try:
            return self.schema.model_validate(data)
        except ValidationError as exc:
            self.attempts.append(reason(exc))
            raise LLMUnavailable(reason(exc)) from exc

    def _from_model(self, sent: Messages) -> T:
        from langchain_core.messages import HumanMessage, SystemMessage

        if self._chain is None:
            raise LLMUnavailable("no model configured")
        for attempt in range(2):  # a malformed answer is asked for once more
            try:
                result = self._chain.invoke([SystemMessage(sent.system), HumanMessage(sent.human)])
                answer = result if isinstance(result, self.schema) else self.schema.model_validate(result)
            except _malformed_errors() as exc:
                self.attempts.append(reason(exc))
                if attempt:
                    raise LLMUnavailable(reason(exc)) from exc
                continue
            except (*_refusals(), *_client_errors()) as exc:
                self.attempts.append(reason(exc))
                raise LLMUnavailable(reason(exc)) from exc
            self._count(sent, answer.model_dump(mode="json"))
            self.usage.calls += 1
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def _count(self, sent: Messages, answer: dict[str, Any]) -> tuple[int, int]:
        if self.tokens is None:
            return 0, 0
        prompt = self.tokens.count(sent.system) + self.tokens.count(sent.human)
        completion = self.tokens.count(json.dumps(answer, ensure_ascii=False))
        self.usage.prompt_tokens += prompt
        self.usage.completion_tokens += completion
        return prompt, completion

    def _keep(self, key: str, answer: T, sent: Messages) -> None:
        if self.cache is None:
            return
        data = answer.model_dump(mode="json")
        tokens = (
            (
                self.tokens.count(sent.system) + self.tokens.count(sent.human),
                self.tokens.count(json.dumps(data)),
            )
            if self.tokens is not None
            else (0, 0)
        )
        self.cache.put(key, self.prompt_name, self.prompt_version, self.model, data, tokens)


class Cassette:
    """Recorded exchanges (JSONL, one per line: key, prompt, version, model, messages, answer).

    Replaying, an answer is looked up by key instead of asking the model; a prompt with no answer falls back. With
    ``record`` the prompts a run would send and finds no answer for are appended with an empty answer, for a model
    or a person to fill in; the next run replays them."""

    def __init__(self, path: Path, record: bool = False) -> None:
        self.path, self.record = path, record
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, Any]] = {}
        if path.exists():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if line.strip():
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        raise ValueError(f"{path}:{number} is not JSON: fix or remove that line") from None
                    self._entries[entry["key"]] = entry
        elif not record:
            raise FileNotFoundError(
                f"no cassette at {path}: record one first (COACH_LLM_CASSETTE_RECORD=true)"
            )

    def answer(self, key: str) -> dict[str, Any] | None:
        entry = self._entries.get(key)
        answer = entry.get("answer") if entry else None
        return answer if isinstance(answer, dict) else None

    def want(self, key: str, prompt: str, version: str, model: str, messages: Messages) -> None:
        """Record a prompt that has no answer yet (record mode only; each prompt once)."""
        if not self.record:
            return
        with self._lock:
            if key in self._entries:
                return
            entry = {
                "key": key,
                "prompt": prompt,
                "version": version,
                "model": model,
                "messages": {"system": messages.system, "human": messages.human},
                "answer": None,
            }
            self._entries[key] = entry
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def entries(self) -> list[dict[str, Any]]:
        return list(self._entries.values())

    @property
    def model(self) -> str | None:
        """The model whose answers the cassette holds (the first entry's), if any."""
        return next((str(e["model"]) for e in self._entries.values() if e.get("model")), None)


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
