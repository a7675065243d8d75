"""Fusing the two rankings into one, and where relevance ends.

Every candidate chunk (the dense side's and the lexical side's, together) gets five signals:
- ``similarity``: cosine of its vector to the query's (the dense side);
- ``lexical``: the full-text index's score (bm25 on SQLite, ts_rank on PostgreSQL), 0 when no word matched;
- ``window``: how much of the query (its words weighted by rarity among the candidates) one window of one to
  three sentences holds: words near each other answer better than words scattered over a screenful;
- ``speaker``: in a transcript, how much of the query the lines of a person the query names hold ("what did
  Mei say about the pilot" is answered by Mei's lines);
- ``specific``: how many of the query's names and numbers the chunk holds, each counted by how rare it is among
  the candidates (a ticket number one note holds counts fully; a name every note holds, hardly).
The first four are standardised over the candidates (a z-score: the two sides' scales never need calibrating).
Answers span adjacent chunks (a point is made, then argued over), so each chunk also gets the best and the worst
of its two neighbours' standardised similarity, full-text score and window (a neighbour that is not a candidate
counts as the lowest candidate). The fused score is a linear function of these ten, learned
(``coach/search/learning.py``: a listwise softmax loss, L2-regularised) on the first 40 QMSum meetings by
``bench/retrieval.py --train``, which writes the weights and the relevance floor to ``fusion_model.json`` beside
this file; the README reports the held-out meetings and a cross-validation. ``specific`` is added as it is, with
a weight that puts a chunk holding a rare name or number the rep typed ahead of any that does not: a product
decision, not learned (QMSum's questions name roles, held by nearly every chunk). Results are then picked best
first, skipping a chunk next to one already picked in the same interaction (chunks overlap: it would show the same
sentences again), down to the relevance floor.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from coach.search.passages import holds, sentence_spans, stem
from coach.search.query import ParsedQuery, words_of

_LABEL = re.compile(r"^([^:\n]{1,40}):")
MODEL_FILE = Path(__file__).with_name("fusion_model.json")
SIGNALS = ("similarity", "lexical", "window", "speaker")  # standardised over the candidates
BESIDE = ("similarity", "lexical", "window")  # and, of these, the best and the worst neighbour's
FEATURES = (
    *SIGNALS,
    *(f"{name} beside, best" for name in BESIDE),
    *(f"{name} beside, worst" for name in BESIDE),
)


@dataclass(slots=True)
class Candidate:
    interaction_id: str
    seq: int
    text: str = field(default="", repr=False)
    similarity: float = 0.0
    lexical: float = 0.0
    window: float = 0.0
    speaker: float = 0.0
    specific: float = 0.0
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class LearnedFusion:
    """What ``bench/retrieval.py --train`` writes: a weight per feature (``FEATURES``' order) and the floor."""

    weights: tuple[float, ...]
    floor_gap: float

    def to_json(self, trained_on: str) -> str:
        return (
            json.dumps(
                {
                    "features": list(FEATURES),
                    "weights": list(self.weights),
                    "floor_gap": self.floor_gap,
                    "trained_on": trained_on,
                },
                indent=1,
            )
            + "\n"
        )

    @staticmethod
    def read(path: Path) -> LearnedFusion:
        data = json.loads(path.read_text())
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path}: features {data['features']} are not this version's {FEATURES}")
        return LearnedFusion(tuple(float(w) for w in data["weights"]), float(data["floor_gap"]))


@cache
def shipped() -> LearnedFusion:
    """The learned weights shipped with the package, read once."""
    return LearnedFusion.read(MODEL_FILE)


@dataclass(frozen=True, slots=True)
class Fusion:
    weights: tuple[float, ...] = field(default_factory=lambda: shipped().weights)  # one per FEATURES
    specific_weight: float = 3.0
    floor_gap: float = field(
        default_factory=lambda: shipped().floor_gap
    )  # shown: within this much of the best
    min_similarity: float = 0.2  # shown: this close in meaning (MiniLM: unrelated notes score about 0.1), or
    # holding a query word (marked in the passage, so the rep sees why it is there)

    def rank(self, candidates: list[Candidate], query: ParsedQuery) -> list[Candidate]:
        """The candidates, scored and best first."""
        proximity(candidates, query)
        return self.order(candidates)

    def order(self, candidates: list[Candidate]) -> list[Candidate]:
        """Score candidates whose signals are filled, best first."""
        if not candidates:
            return []
        total = features(candidates) @ np.asarray(self.weights)
        total += self.specific_weight * np.asarray([c.specific for c in candidates])
        for c, score in zip(candidates, total, strict=True):
            c.score = float(score)
        return sorted(candidates, key=lambda c: (-c.score, c.interaction_id, c.seq))

    def pick(self, ranked: list[Candidate], k: int, floor: bool = True) -> list[Candidate]:
        """Up to ``k`` results, best first: no chunk beside one already picked of the same interaction, and with
        ``floor`` only those that clear it."""
        picked: list[Candidate] = []
        taken: set[tuple[str, int]] = set()
        for c in ranked:
            if len(picked) == k:
                break
            if floor and not self._relevant(c, ranked[0]):
                continue
            if {(c.interaction_id, c.seq - 1), (c.interaction_id, c.seq + 1)} & taken:
                continue
            picked.append(c)
            taken.add((c.interaction_id, c.seq))
        return picked

    def _relevant(self, c: Candidate, best: Candidate) -> bool:
        if best.specific > 0 and c.specific == 0:
            return False  # the rep gave a name or number that notes hold: the others do not answer
        close = c.similarity >= self.min_similarity or c.lexical > 0
        return close and c.score >= best.score - self.floor_gap


def features(candidates: Sequence[Candidate]) -> np.ndarray:
    """One row per candidate, one column per ``FEATURES``: the signals standardised over the candidates, then the
    best and the worst of the two neighbouring chunks' (same interaction, the chunk before and after)."""
    z = np.column_stack(
        [standardised(np.asarray([getattr(c, name) for c in candidates])) for name in SIGNALS]
    )
    best, worst = neighbours(candidates, z[:, [SIGNALS.index(name) for name in BESIDE]])
    return np.hstack([z, best, worst])


def neighbours(candidates: Sequence[Candidate], columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate, the best and the worst of its two neighbouring chunks' values in ``columns`` (one row per
    candidate); a neighbour that is not a candidate counts as the lowest candidate."""
    row = {(c.interaction_id, c.seq): i for i, c in enumerate(candidates)}
    best = np.tile(columns.min(axis=0), (len(candidates), 1))
    worst = best.copy()
    for i, c in enumerate(candidates):
        rows = [row[k] for k in ((c.interaction_id, c.seq - 1), (c.interaction_id, c.seq + 1)) if k in row]
        if rows:
            best[i] = columns[rows].max(axis=0)
            worst[i] = columns[rows].min(axis=0)
    return best, worst


def standardised(values: np.ndarray) -> np.ndarray:
    """A z-score over the candidates (all zero when they do not differ)."""
    spread = float(values.std())
    return (values - values.mean()) / spread if spread > 1e-9 else np.zeros_like(values)


def proximity(candidates: Sequence[Candidate], query: ParsedQuery) -> None:
    """Fill ``window`` and ``speaker``: the query's words weighted by rarity among the candidates, as held by the
    best sentence window and by the lines of a person the query names, each as a share of the whole query."""
    _specifics(candidates, query)
    names = set(query.names)
    wanted = list(dict.fromkeys(stem(w) for w in query.words if w not in names))
    if not wanted:
        return
    want = set(wanted)
    sentences = [  # per sentence, only the query's stems it holds
        [frozenset(want.intersection(map(stem, words_of(c.text[a:b])))) for a, b in sentence_spans(c.text)]
        for c in candidates
    ]
    held = [frozenset().union(*s) if s else frozenset() for s in sentences]
    n = len(candidates)
    weight = {
        w: math.log(1 + (n - sum(w in h for h in held) + 0.5) / (sum(w in h for h in held) + 0.5))
        for w in wanted
    }
    whole = sum(weight.values()) or 1.0
    for c, spans in zip(candidates, sentences, strict=True):
        if any(spans):
            c.window = max(_held(weight, window) for window in _windows(spans)) / whole
        if names:
            c.speaker = _held(weight, _said_by(c.text, names)) / whole


def _specifics(candidates: Sequence[Candidate], query: ParsedQuery) -> None:
    specifics = query.specifics
    if not specifics:
        return
    held_by = [[holds(c.text, s) for s in specifics] for c in candidates]
    rarity = [1.0 - sum(h[i] for h in held_by) / len(candidates) for i in range(len(specifics))]
    for c, held in zip(candidates, held_by, strict=True):
        c.specific = sum(r for r, h in zip(rarity, held, strict=True) if h) / len(specifics)


def _windows(sentences: list[frozenset[str]], longest: int = 3) -> Iterator[frozenset[str]]:
    """What each run of one to ``longest`` sentences holds, grown one sentence at a time."""
    for i in range(len(sentences)):
        held: frozenset[str] = frozenset()
        for part in sentences[i : i + longest]:
            held = held | part
            yield held


def _held(weight: dict[str, float], stems: frozenset[str]) -> float:
    return sum(weight[s] for s in stems if s in weight)


def _said_by(text: str, names: set[str]) -> frozenset[str]:
    """Stems of the lines whose speaker label is made of names the query gives ("Mei:", "Project Manager:")."""
    found: set[str] = set()
    for line in text.split("\n"):
        label = _LABEL.match(line)
        if label and set(words_of(label.group(1))) <= names:
            found |= {stem(w) for w in words_of(line[label.end() :])}
    return frozenset(found)
