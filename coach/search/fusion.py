"""Fusing the two rankings into one, and where relevance ends.

Each candidate chunk carries its cosine similarity to the query (the dense side) and its lexical score (bm25 on
SQLite, rarity-weighted ts_rank on PostgreSQL), both as the index returned them. The fused score is a weighted
sum of the similarity and the lexical score scaled by the best lexical score of the search, plus a bonus for
holding every name and number the query gives. The weights were tuned on the first 40 QMSum meetings
(``bench/retrieval.py --tune``); the README reports all 137.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Candidate:
    interaction_id: str
    seq: int
    similarity: float | None = None  # cosine to the query; None when the dense side did not return it
    lexical: float | None = None  # the lexical index's score; None when it did not match
    specific: float = 0.0  # share of the query's names and numbers the chunk holds
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class Fusion:
    dense_weight: float = 1.0
    lexical_weight: float = 0.35
    specific_weight: float = 0.15
    missing_similarity: float = 0.0  # what a chunk the dense side did not return counts as

    def rank(self, candidates: list[Candidate]) -> list[Candidate]:
        best_lexical = max((c.lexical for c in candidates if c.lexical), default=0.0)
        for c in candidates:
            similarity = self.missing_similarity if c.similarity is None else c.similarity
            lexical = (c.lexical or 0.0) / best_lexical if best_lexical > 0 else 0.0
            c.score = (
                self.dense_weight * similarity
                + self.lexical_weight * lexical
                + self.specific_weight * c.specific
            )
        return sorted(candidates, key=lambda c: (-c.score, c.interaction_id, c.seq))

    def above_floor(self, ranked: list[Candidate]) -> list[Candidate]:
        """The candidates that clear the relevance floor (placeholder until tuned)."""
        return ranked
