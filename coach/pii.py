"""Masking e-mail addresses and phone numbers before text leaves for an LLM, and putting them back afterwards.

``mask`` swaps each distinct address or number for a placeholder such as ``<email-1>`` or ``<phone-2>`` (the same
value gets the same placeholder everywhere in the prompt, so the model can still tell people apart); ``Masked.restore``
puts the originals back into whatever the model returned, so quotes stay verbatim against the stored text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?![\w-])")
# A run of digits with the separators people write in phone numbers, optionally with a +country code or an
# extension; kept as a phone only with 9 to 15 digits and when it is not a date, a time or an amount.
PHONE = re.compile(
    r"(?<![\w+$€£.,/-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d[\d\s.-]{6,}\d"
    r"(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w%])"
)
DATE_LIKE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$")
PLACEHOLDER = re.compile(r"<(email|phone)-(\d+)>")


@dataclass
class Masked:
    text: str
    originals: dict[str, str] = field(default_factory=dict)  # placeholder -> original

    def restore(self, value: Any) -> Any:
        """``value`` (a string, list, dict or pydantic model, nested) with every placeholder put back."""
        if not self.originals:
            return value
        if isinstance(value, str):
            return PLACEHOLDER.sub(lambda m: self.originals.get(m.group(), m.group()), value)
        if isinstance(value, BaseModel):
            return value.model_copy(
                update={k: self.restore(getattr(value, k)) for k in type(value).model_fields}
            )
        if isinstance(value, list):
            return [self.restore(v) for v in value]
        if isinstance(value, dict):
            return {k: self.restore(v) for k, v in value.items()}
        return value


def _is_phone(candidate: str) -> bool:
    digits = sum(c.isdigit() for c in candidate)
    stripped = candidate.strip()
    if not 9 <= digits <= 15 or DATE_LIKE.match(stripped):
        return False
    # 1.200.000 or 1,200,000: an amount
    return not re.fullmatch(r"\d{1,3}(?:[,.]\d{3})+", stripped)


def mask(text: str) -> Masked:
    """``text`` with e-mail addresses and phone numbers replaced by numbered placeholders."""
    seen: dict[str, str] = {}
    counters = {"email": 0, "phone": 0}

    def placeholder(kind: str, value: str) -> str:
        if value not in seen:
            counters[kind] += 1
            while f"<{kind}-{counters[kind]}>" in text:  # never reuse a placeholder the text already holds
                counters[kind] += 1
            seen[value] = f"<{kind}-{counters[kind]}>"
        return seen[value]

    masked = EMAIL.sub(lambda m: placeholder("email", m.group()), text)

    def phone(m: re.Match[str]) -> str:
        value = m.group()
        trailing = len(value) - len(value.rstrip(" .-"))
        core = value[: len(value) - trailing] if trailing else value
        return placeholder("phone", core) + value[len(core) :] if _is_phone(core) else value

    masked = PHONE.sub(phone, masked)
    return Masked(masked, {v: k for k, v in seen.items()})
