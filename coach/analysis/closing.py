"""Does a sentence our side said close an open customer problem? A small learned scorer over the pair.

A fix in different words months later ("an on-site cabinet of critical spares" for "we wait weeks for parts")
shares little vocabulary with the problem, so neither words nor a fixed similarity cut decide it alone. The
scorer weighs what the pair offers: how close they are in meaning (the embedded model), the rare words they
share, how surely the sentence is our side fixing, planning or answering something (the response head's
confidence, and which of the three), whether it is the sentence of its interaction closest to the problem,
whether it came in the same conversation, and how long after. It was fitted by ``python -m coach.distil
train`` on the links the LLM chain's link step made between problems and later sentences (recorded answers),
and ships in the sentence model's file. Only sentences our side said are candidates: the customer saying a
thing is fixed does not make us the ones who fixed it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from coach.analysis.judged import Judged, rare_words
from coach.analysis.links import Link, Links, needs_link
from coach.signals.facts import Problem, Resolution, unpack_vector

KINDS = ("fixed", "planned", "answered")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One sentence of ours that might close an open problem, seen from that problem."""

    similarity: float
    shared_words: int
    confidence: float
    kind: str
    same_interaction: bool
    days_after: int
    closest: bool  # the sentence of its interaction closest in meaning to the problem
    chosen: bool = False  # of the problems still open then, this is the one the sentence is closest to


def features(c: Candidate) -> list[float]:
    return [
        c.similarity,
        min(c.shared_words, 3) / 3.0,
        min(c.confidence, 2.0) / 2.0,
        *(float(c.kind == k) for k in KINDS),
        float(c.same_interaction),
        math.log1p(c.days_after) / 5.0,
        float(c.closest),
        c.similarity * float(c.closest),
        float(c.chosen),
        c.similarity * float(c.chosen),
    ]


def with_closest(found: list[Candidate]) -> list[Candidate]:
    """The same candidates (one interaction's, for one problem), the closest in meaning marked."""
    if not found:
        return found
    best = max(range(len(found)), key=lambda i: found[i].similarity)
    return [
        Candidate(
            c.similarity,
            c.shared_words,
            c.confidence,
            c.kind,
            c.same_interaction,
            c.days_after,
            i == best,
            c.chosen,
        )
        for i, c in enumerate(found)
    ]


def in_interaction(
    problem: Problem, resolutions: Sequence[Resolution], days: int, rivals: Sequence[float]
) -> list[Candidate]:
    """The candidates one later interaction offers for ``problem``; ``rivals``: per resolution, its best
    similarity among the other problems still open then (``rival``; a sentence answers the one it is closest to)."""
    wanted = _vector(problem.vector)
    words = _words(problem.quote.text)
    found = []
    for r, rival in zip(resolutions, rivals, strict=True):
        vector = _vector(r.vector)
        similarity = float(wanted @ vector) if vector.size and wanted.size else 0.0
        found.append(
            Candidate(
                similarity,
                len(words & _words(r.quote.text)),
                r.confidence,
                r.kind,
                False,
                max(days, 0),
                False,
                similarity >= rival,
            )
        )
    return with_closest(found)


def rival(others: np.ndarray, vector: np.ndarray) -> float:
    """A sentence's best similarity among the other open problems' vectors (rows of ``others``): -1 when there is
    none, 1 when the sentence has no vector (it is nobody's closest)."""
    if not vector.size:
        return 1.0
    return float((others @ vector).max()) if len(others) else -1.0


@lru_cache(maxsize=65536)
def _vector(packed: str | None) -> np.ndarray:
    """A packed vector decoded once (read-only: it is shared)."""
    vector = unpack_vector(packed)
    vector.setflags(write=False)
    return vector


@lru_cache(maxsize=65536)
def _words(text: str) -> frozenset[str]:
    return frozenset(rare_words(text))


@dataclass(frozen=True, slots=True)
class ClosingScorer:
    coef: np.ndarray
    intercept: float
    threshold: float

    def probability(self, c: Candidate) -> float:
        score = float(np.asarray(features(c)) @ self.coef + self.intercept)
        return 1.0 / (1.0 + math.exp(-score))

    def closes(self, c: Candidate) -> bool:
        return self.probability(c) >= self.threshold

    def to_json(self) -> dict[str, Any]:
        return {
            "features": "similarity, shared rare words, confidence, fixed/planned/answered, same interaction, "
            "days after, closest, similarity if closest",
            "coef": [round(float(v), 5) for v in self.coef],
            "intercept": round(self.intercept, 5),
            "threshold": round(self.threshold, 4),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClosingScorer:
        return cls(
            np.asarray(data["coef"], dtype=np.float64), float(data["intercept"]), float(data["threshold"])
        )


def fit(pairs: list[Candidate], labels: list[int], groups: list[str]) -> ClosingScorer:
    """A logistic regression over the pairs (``groups`` names each pair's problem)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold

    x = np.asarray([features(c) for c in pairs])
    y = np.asarray(labels)
    model = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")
    oof = np.zeros(len(y))
    folds = StratifiedGroupKFold(n_splits=max(2, min(5, int(y.sum()))), shuffle=True, random_state=0)
    for train, test in folds.split(x, y, groups):
        if len(set(y[train].tolist())) < 2:
            continue
        oof[test] = model.fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    # The decision is per problem (does anything later close it?), so the threshold is chosen there: the one
    # whose out-of-fold answers agree most often with whether the model's link step closed the problem.
    by_problem: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        by_problem.setdefault(g, []).append(i)
    closed = {g: bool(y[idx].any()) for g, idx in by_problem.items()}
    best, best_agreement = 0.5, -1.0
    for t in np.arange(0.3, 0.96, 0.025):
        agreement = sum((oof[idx] >= t).any() == closed[g] for g, idx in by_problem.items()) / len(by_problem)
        if agreement > best_agreement:
            best, best_agreement = float(t), agreement
    model.fit(x, y)
    return ClosingScorer(model.coef_[0].astype(np.float64), float(model.intercept_[0]), best)


class MeaningLinker:
    """The offline engine's step 2: each problem left open where it was raised is linked to the first sentence of
    ours in a later interaction that the scorer says closes it, or to none. The judge follows these links as it
    follows the LLM chain's."""

    def __init__(self, scorer: ClosingScorer) -> None:
        self.scorer = scorer

    def links(self, account: str, judged: Sequence[Judged]) -> Links:
        found = Links()
        opened = OpenProblems(judged)
        for index, item in enumerate(judged):
            for problem in item.facts.problems:
                if needs_link(problem):
                    found.found[(item.view.id, problem.quote.start)] = self.link(
                        judged, index, problem, opened
                    )
        return found

    def link(
        self, judged: Sequence[Judged], index: int, problem: Problem, opened: OpenProblems | None = None
    ) -> Link:
        raised = judged[index]
        if not problem.vector:
            return Link("none")
        opened = opened or OpenProblems(judged)
        for position in range(index + 1, len(judged)):
            later = judged[position]
            options = list(later.facts.resolutions)
            if not options:
                continue
            days = (later.view.occurred_at.date() - raised.view.occurred_at.date()).days
            scored = in_interaction(problem, options, days, opened.rivals(position, problem))
            best = max(range(len(options)), key=lambda i: self.scorer.probability(scored[i]))
            if self.scorer.closes(scored[best]):
                return Link(options[best].kind, later.view.id, options[best].quote)
        return Link("none")


class OpenProblems:
    """The problems left open where they were raised, in the order of an account's interactions, their vectors
    decoded once; for each later sentence of ours, its two closest among those raised before it, so the rival of
    any one problem (the closest other than itself) costs nothing more. Linking an account's problems was
    quadratic in decoded vectors and cubic in dot products without it (a 300-interaction account: 15 s)."""

    def __init__(self, judged: Sequence[Judged]) -> None:
        self.judged = judged
        rows: list[np.ndarray] = []
        self.row_of: dict[int, int] = {}
        self.upto: list[int] = []
        for item in judged:
            self.upto.append(len(rows))
            for p in item.facts.problems:
                if p.vector and needs_link(p):
                    self.row_of[id(p)] = len(rows)
                    rows.append(_vector(p.vector))
        self.upto.append(len(rows))
        self.matrix = np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)
        self._top: dict[tuple[int, int], tuple[float, int, float]] = {}

    def rivals(self, position: int, problem: Problem) -> list[float]:
        """Per resolution of interaction ``position``: its best similarity among the problems other than
        ``problem`` raised before ``position`` and left open where raised (see ``rival``)."""
        mine = self.row_of.get(id(problem), -1)
        out = []
        for k, r in enumerate(self.judged[position].facts.resolutions):
            vector = _vector(r.vector)
            if not vector.size:
                out.append(1.0)
                continue
            best, at, second = self._best_two(position, k, vector)
            out.append(second if at == mine else best)
        return out

    def _best_two(self, position: int, k: int, vector: np.ndarray) -> tuple[float, int, float]:
        key = (position, k)
        if key not in self._top:
            sims = self.matrix[: self.upto[position]] @ vector if self.upto[position] else np.zeros(0)
            if not sims.size:
                self._top[key] = (-1.0, -1, -1.0)
            elif sims.size == 1:
                self._top[key] = (float(sims[0]), 0, -1.0)
            else:
                first, second = np.argpartition(-sims, 1)[:2]
                if sims[second] > sims[first]:
                    first, second = second, first
                self._top[key] = (float(sims[first]), int(first), float(sims[second]))
        return self._top[key]


def open_before(judged: Sequence[Judged], position: int, problem: Problem) -> np.ndarray:
    """Vectors (rows) of the problems, other than ``problem``, raised before ``position`` and left open where
    raised (training reads them this way; ``OpenProblems`` gives the linker the same rivals faster)."""
    rows = [
        _vector(p.vector)
        for j in judged[:position]
        for p in j.facts.problems
        if p is not problem and p.vector and needs_link(p)
    ]
    return np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)


def offline_linker(extractor: object) -> MeaningLinker | None:
    """The meaning linker of an offline extractor's model (None for other extractors, or a model without one)."""
    from coach.signals.offline import OfflineExtractor

    if not isinstance(extractor, OfflineExtractor) or not extractor.model.closing:
        return None
    return MeaningLinker(ClosingScorer.from_json(extractor.model.closing))
