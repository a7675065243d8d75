"""The passage that answers: the sentence window of a matched chunk that holds the query's words, with them marked.

A chunk is up to 256 model tokens, a screenful; a rep wants the sentence or two that matched. Windows of one to
three sentences (a speaker's turn or a line counts as a sentence break too) are scored by the query's words they
hold, names, numbers and quoted phrases counting double; words match by their Snowball (Porter 2) stem, so outage
and outages, invoice and invoices, renewal and renewals are the same word. When no
window holds a query word (a hit by meaning alone), the caller's ``closest`` picks the window nearest in meaning.
Offsets are characters of the interaction's clean text, like the chunk's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from coach.search.query import ParsedQuery, words_of

MAX_CHARS = 320
TARGET_CHARS = 160  # of windows that hold as much of the query, the one nearest this long reads best
_BREAK = re.compile(r"(?<=[.!?;])\s+|\n+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STEMMER = Stemmer.Stemmer("english")

Closest = Callable[[Sequence[str]], int]  # index of the text nearest the query in meaning


@dataclass(frozen=True, slots=True)
class Passage:
    start: int
    end: int
    text: str
    marks: tuple[tuple[int, int], ...]  # the matched words, as spans of the interaction's text

    def segments(self) -> list[tuple[str, bool]]:
        """The passage in pieces, each marked when it is a matched word (for a page, a terminal or Slack)."""
        pieces: list[tuple[str, bool]] = []
        at = self.start
        for a, b in self.marks:
            if a > at:
                pieces.append((self.text[at - self.start : a - self.start], False))
            pieces.append((self.text[a - self.start : b - self.start], True))
            at = b
        if at < self.end:
            pieces.append((self.text[at - self.start :], False))
        return pieces


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A word's English Snowball stem, lower-case (its plural, past tense and -ing forms share it)."""
    return str(_STEMMER.stemWord(word.lower()))


def holds(text: str, words: Sequence[str]) -> bool:
    """Whether ``text`` holds ``words`` in a row (by stem, so a plural still counts)."""
    stems, want = [stem(w) for w in words_of(text)], [stem(w) for w in words]
    return any(stems[i : i + len(want)] == want for i in range(len(stems) - len(want) + 1))


def passage(chunk_text: str, offset: int, query: ParsedQuery, closest: Closest | None = None) -> Passage:
    """The best window of ``chunk_text`` (which starts at ``offset`` in the interaction) for ``query``."""
    spans = _windows(sentence_spans(chunk_text))
    if not spans:
        return Passage(offset, offset + len(chunk_text), chunk_text, ())
    weights = _weights(query)
    scores = [_score(chunk_text[a:b], weights) for a, b in spans]
    best = max(range(len(spans)), key=lambda i: (scores[i], -abs(spans[i][1] - spans[i][0] - TARGET_CHARS)))
    if scores[best] == 0 and closest is not None and len(spans) > 1:
        singles = [s for s in spans if s in set(sentence_spans(chunk_text))]
        best = spans.index(singles[closest([chunk_text[a:b] for a, b in singles])])
    start, end = _trim(chunk_text, spans[best], weights)
    marks = tuple((offset + a, offset + b) for a, b in _marks(chunk_text, start, end, weights))
    return Passage(offset + start, offset + end, chunk_text[start:end], marks)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for match in _BREAK.finditer(text):
        if text[pos : match.start()].strip():
            spans.append((pos, match.start()))
        pos = match.end()
    if text[pos:].strip():
        spans.append((pos, len(text.rstrip())))
    return spans


def window_spans(count: int, longest: int = 3) -> list[tuple[int, int]]:
    """Index ranges [i, j) of every run of one to ``longest`` sentences out of ``count``."""
    return [(i, j) for i in range(count) for j in range(i + 1, min(i + longest, count) + 1)]


def _windows(sentences: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Every run of one to three sentences that fits MAX_CHARS, and each sentence on its own."""
    found = []
    for i in range(len(sentences)):
        found.append(sentences[i])
        for j in (i + 1, i + 2):
            if j < len(sentences) and sentences[j][1] - sentences[i][0] <= MAX_CHARS:
                found.append((sentences[i][0], sentences[j][1]))
    return found


def _weights(query: ParsedQuery) -> dict[str, float]:
    weights = {stem(w): 1.0 for w in query.words}
    for group in (*query.specifics, *query.phrases):
        for word in group:
            weights[stem(word)] = 2.0
    return weights


def _score(window: str, weights: dict[str, float]) -> float:
    """The weight of the distinct query words the window holds (a word said twice counts once)."""
    held = {stem(w) for w in words_of(window)}
    return sum(weight for s, weight in weights.items() if s in held)


def _trim(text: str, span: tuple[int, int], weights: dict[str, float]) -> tuple[int, int]:
    """A sentence longer than MAX_CHARS, cut to MAX_CHARS around its first query word, at word boundaries."""
    start, end = span
    if end - start <= MAX_CHARS:
        return start, end
    first = next(
        (start + m.start() for m in _WORD.finditer(text[start:end]) if stem(m.group()) in weights), start
    )
    lo = max(start, first - MAX_CHARS // 3)
    hi = min(end, lo + MAX_CHARS)
    while lo > start and not text[lo - 1].isspace():
        lo += 1
    while hi < end and not text[hi].isspace():
        hi -= 1
    return lo, max(hi, lo + 1)


def _marks(text: str, start: int, end: int, weights: dict[str, float]) -> list[tuple[int, int]]:
    """Spans (within ``text``) of the window's words that match the query's words, names, numbers or phrases."""
    return [
        (start + m.start(), start + m.end())
        for m in _WORD.finditer(text[start:end])
        if stem(m.group()) in weights
    ]
