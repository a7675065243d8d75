"""Evidence: a character span of an interaction's text and the exact words in it, and the check that a quote
claimed by anyone (a model, a rule) is really there.

Every fact and finding rests on a ``Quote``; ``locate`` is the verbatim check every model answer goes through.
Nothing here knows about engines, stores or reports, so every layer can use it.
"""

from __future__ import annotations

import difflib
import re

from pydantic import BaseModel, Field

from coach.guard import blank, is_instruction


class Quote(BaseModel):
    start: int = Field(ge=0, description="offset of the first character in the interaction text")
    end: int = Field(ge=0, description="offset after the last character")
    text: str = Field(min_length=1, description="the exact words text[start:end]")


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
