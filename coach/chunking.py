"""Token-aware splitting of interaction texts into chunks for the index.

A chunk is a character span of the interaction's clean text, so a search hit
can always be shown as the exact words it matched. Texts are split on their
natural units (a speaker's turn or a line, grouped by paragraph), packed
greedily up to ``max_tokens`` of the embedding model, and each chunk repeats the
last units of the one before it (up to ``overlap_tokens``) so that an answer
spanning a boundary is still whole in one chunk. A unit longer than a chunk is
cut at sentence ends, and a sentence longer than a chunk at token boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
_SPECIAL_TOKENS = 2  # [CLS] and [SEP]


@dataclass(frozen=True, slots=True)
class Chunk:
    seq: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class _Unit:
    start: int
    end: int
    tokens: int


class Chunker:
    def __init__(
        self,
        count_tokens: Callable[[str], int],
        token_offsets: Callable[[str], list[tuple[int, int]]],
        max_tokens: int = 256,
        overlap_tokens: int = 32,
    ) -> None:
        if overlap_tokens >= max_tokens:
            raise ValueError("overlap_tokens must be smaller than max_tokens")
        self._count = count_tokens
        self._offsets = token_offsets
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens

    def split(self, text: str) -> list[Chunk]:
        units = [u for span in _line_spans(text) for u in self._fit(text, span)]
        if not units:
            return []
        budget = self.max_tokens - _SPECIAL_TOKENS
        groups: list[list[_Unit]] = []
        current: list[_Unit] = []
        used = 0
        for unit in units:
            if current and used + unit.tokens > budget:
                groups.append(current)
                current = self._overlap(current, budget - unit.tokens)
                used = sum(u.tokens for u in current)
            current.append(unit)
            used += unit.tokens
        groups.append(current)
        return [
            Chunk(seq=i, start=g[0].start, end=g[-1].end, text=text[g[0].start : g[-1].end])
            for i, g in enumerate(groups)
        ]

    def _overlap(self, previous: list[_Unit], room: int) -> list[_Unit]:
        """The trailing units of ``previous`` that fit both the overlap and the room left."""
        limit = min(self.overlap_tokens, room)
        kept: list[_Unit] = []
        used = 0
        for unit in reversed(previous):
            if used + unit.tokens > limit:
                break
            kept.insert(0, unit)
            used += unit.tokens
        return kept

    def _fit(self, text: str, span: tuple[int, int]) -> list[_Unit]:
        """One unit for the span, or several when it is longer than a chunk."""
        start, end = span
        budget = self.max_tokens - _SPECIAL_TOKENS
        tokens = self._count(text[start:end]) - _SPECIAL_TOKENS
        if tokens <= budget:
            return [_Unit(start, end, max(tokens, 1))]
        pieces = [_Unit(start + s, start + e, 0) for s, e in _sentence_spans(text[start:end])]
        if len(pieces) > 1:
            return [u for p in pieces for u in self._fit(text, (p.start, p.end))]
        return self._window(text, start, end, budget)

    def _window(self, text: str, start: int, end: int, budget: int) -> list[_Unit]:
        offsets = self._offsets(text[start:end])
        units = []
        for i in range(0, len(offsets), budget):
            window = offsets[i : i + budget]
            units.append(_Unit(start + window[0][0], start + window[-1][1], len(window)))
        return units


def _line_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the non-blank lines of ``text``, trimmed of surrounding whitespace."""
    spans = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group()
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            spans.append((match.start() + lead, match.start() + lead + len(stripped)))
    return spans


def _sentence_spans(segment: str) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    for match in _SENTENCE_END.finditer(segment):
        if match.start() > pos:
            spans.append((pos, match.start()))
        pos = match.end()
    if pos < len(segment):
        spans.append((pos, len(segment)))
    return spans
