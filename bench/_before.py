"""The search this project replaced, kept here only as the benches' baseline: Chroma's dense ranking fused by
reciprocal rank with BM25 computed in Python (rank_bm25) over the chunks in scope, which it read back from
Chroma (past 20,000 chunks in scope, only those holding a query word, found with Chroma's ``$contains``)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from rank_bm25 import BM25Okapi

from coach.workspace import Workspace

RRF_K = 60
LEXICAL_MAX_CHUNKS = 20_000
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "that",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "about",
        "into",
        "than",
        "then",
        "there",
        "these",
        "those",
        "been",
        "being",
        "also",
        "just",
        "can",
        "could",
        "would",
        "should",
        "um",
        "uh",
        "mm",
        "hmm",
        "yeah",
        "okay",
        "ok",
    ]
)


def tokenize(text: str) -> list[str]:
    """The old search's words: lower-case, its stop words removed, no stemming."""
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def _forms(term: str) -> list[str]:
    return [term, term.capitalize(), term.upper()]


def _where(account_ids: Sequence[int] | None, interaction_ids: Sequence[str] | None) -> dict | None:
    clauses: list[dict] = []
    if account_ids is not None:
        clauses.append({"account": {"$in": list(account_ids)}})
    if interaction_ids is not None:
        clauses.append({"interaction": {"$in": list(interaction_ids)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _contains(strings: Sequence[str]) -> dict | None:
    variants = list(dict.fromkeys(strings))
    if not variants:
        return None
    return {"$contains": variants[0]} if len(variants) == 1 else {"$or": [{"$contains": v} for v in variants]}


class BeforeSearch:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.collection: Any = ws.index._collection

    def search(
        self, query: str, vector: np.ndarray, k: int = 10, account_ids: Sequence[int] | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, fused score) of the ``k`` best, as the old ``Searcher`` ranked them."""
        dense = self.ws.index.query(vector, max(50, 10 * k), account_ids=account_ids)
        return self.fuse([h.chunk_id for h in dense], self.lexical(query, account_ids))[:k]

    def fuse(self, dense: list[str], lexical: list[str]) -> list[tuple[str, float]]:
        scores: dict[str, float] = {}
        for rank, chunk in enumerate(dense):
            scores[chunk] = 1.0 / (RRF_K + rank + 1)
        for rank, chunk in enumerate(lexical[: len(dense) or 50]):
            scores[chunk] = scores.get(chunk, 0.0) + 1.0 / (RRF_K + rank + 1)
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))

    def lexical(self, query: str, account_ids: Sequence[int] | None) -> list[str]:
        terms = tokenize(query)
        if not terms:
            return []
        narrowed = self._size(account_ids, LEXICAL_MAX_CHUNKS + 1) > LEXICAL_MAX_CHUNKS
        containing = [f for t in terms for f in _forms(t)] if narrowed else []
        got = self.collection.get(
            where=_where(account_ids, None),
            where_document=_contains(containing),
            include=["documents"],
            limit=LEXICAL_MAX_CHUNKS,
        )
        if not got["ids"]:
            return []
        bm25 = BM25Okapi([tokenize(doc or "") or ["\u2205"] for doc in got["documents"]])
        if narrowed:  # IDF over the whole scope, not the candidates
            total = self._size(account_ids)
            for term in set(terms):
                n = self._size(account_ids, containing=_forms(term))
                bm25.idf[term] = math.log((total - n + 0.5) / (n + 0.5) + 1.0)
        scores = bm25.get_scores(terms)
        order = np.argsort(-scores, kind="stable")
        return [got["ids"][i] for i in order if scores[i] > 0]

    def _size(
        self, account_ids: Sequence[int] | None, cap: int | None = None, containing: Sequence[str] = ()
    ) -> int:
        where, where_document = _where(account_ids, None), _contains(containing)
        if where is None and where_document is None and cap is None:
            return int(self.collection.count())
        return len(
            self.collection.get(where=where, where_document=where_document, include=[], limit=cap)["ids"]
        )
