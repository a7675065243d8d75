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

import json
import logging
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from coach.guard import blank, is_instruction, visible
from coach.pii import mask

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)


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


class StructuredCall(Generic[T]):
    """One prompt in, one ``schema`` instance out, or ``LLMUnavailable``."""

    def __init__(
        self,
        chat: Any,
        schema: type[T],
        prompt_name: str,
        prompt_version: str,
        model: str,
        mask_pii: bool = True,
    ) -> None:
        self.schema = schema
        self.prompt_name, self.prompt_version, self.model = prompt_name, prompt_version, model
        self.mask_pii = mask_pii
        self._chain = chat.with_structured_output(schema, method="json_schema")
        self.attempts: list[str] = []  # how each attempt of the last call ended (for reports and tests)

    def ask(self, messages: Messages, subject: str) -> T:
        from langchain_core.messages import HumanMessage, SystemMessage

        masked = mask(messages.human) if self.mask_pii else None
        sent = [SystemMessage(messages.system), HumanMessage(masked.text if masked else messages.human)]
        log.info(
            "llm call prompt=%s version=%s model=%s subject=%s masked=%d",
            self.prompt_name,
            self.prompt_version,
            self.model,
            subject,
            len(masked.originals) if masked else 0,
        )
        self.attempts = []
        for attempt in range(2):  # a malformed answer is asked for once more
            try:
                result = self._chain.invoke(sent)
                answer = result if isinstance(result, self.schema) else self.schema.model_validate(result)
            except _malformed_errors() as exc:
                self.attempts.append(reason(exc))
                if attempt:
                    raise LLMUnavailable(reason(exc)) from exc
                continue
            except (*_refusals(), *_client_errors()) as exc:
                self.attempts.append(reason(exc))
                raise LLMUnavailable(reason(exc)) from exc
            self.attempts.append("ok")
            return masked.restore(answer) if masked else answer
        raise AssertionError("unreachable")  # pragma: no cover


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
