"""Search by meaning: dense vectors from the index fused with BM25 over the same chunks.

Dense retrieval finds paraphrases; BM25 finds the rare exact words (names,
products, numbers) that embeddings blur. Their rankings are combined by
reciprocal-rank fusion, which needs no score calibration between the two.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from rank_bm25 import BM25Okapi

from coach.errors import NotFound
from coach.store.repository import Repository, as_utc
from coach.workspace import Workspace

RRF_K = 60
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0
LEXICAL_MAX_CHUNKS = 20_000  # beyond this many chunks in scope, BM25 scores only those holding a query word
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


@dataclass(frozen=True, slots=True)
class SearchHit:
    interaction_id: str
    account: str
    occurred_at: datetime
    kind: str
    start: int
    end: int
    excerpt: str
    score: float


def tokenize(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def _forms(term: str) -> list[str]:
    """How a lower-cased query word may be written in a note (Chroma's text filter is case-sensitive)."""
    return [term, term.capitalize(), term.upper()]


class Searcher:
    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace

    def search(
        self,
        query: str,
        k: int = 5,
        account: str | None = None,
        interaction_ids: Sequence[str] | None = None,
        account_ids: Sequence[int] | None = None,
        vector: np.ndarray | None = None,
    ) -> list[SearchHit]:
        """The ``k`` best passages for ``query`` (``vector``: its embedding, when the caller has it already)."""
        if not query.strip():
            return []
        if account is not None:
            with self.ws.db.session() as session:
                row = Repository(session).account(account)
            if row is None:
                raise NotFound(f"no account named {account!r}; `coach accounts` lists them")
            account_ids = [row.id] if account_ids is None else [i for i in account_ids if i == row.id]
        if account_ids is not None and not account_ids:
            return []
        if vector is None:
            vector = self.ws.embedder.embed([query])[0]
        pool = max(50, 10 * k)
        dense = self.ws.index.query(vector, pool, account_ids=account_ids, interaction_ids=interaction_ids)
        ranked = self._fuse(query, vector, dense, account_ids, interaction_ids)
        return self._hits(ranked[:k])

    def _fuse(self, query, vector, dense, account_ids, interaction_ids):  # type: ignore[no-untyped-def]
        scores: dict[str, float] = {}
        spans: dict[str, tuple[str, int, int]] = {}
        for rank, hit in enumerate(dense):
            scores[hit.chunk_id] = DENSE_WEIGHT / (RRF_K + rank + 1)
            spans[hit.chunk_id] = (hit.interaction_id, hit.start, hit.end)
        lexical = self._lexical(query, account_ids, interaction_ids)
        for rank, (chunk_id, span) in enumerate(lexical[: len(dense) or 50]):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + LEXICAL_WEIGHT / (RRF_K + rank + 1)
            spans.setdefault(chunk_id, span)
        order = sorted(scores, key=lambda c: (-scores[c], c))
        return [(c, spans[c], scores[c]) for c in order]

    def _lexical(self, query, account_ids, interaction_ids) -> list[tuple[str, tuple[str, int, int]]]:  # type: ignore[no-untyped-def]
        terms = tokenize(query)
        if not terms:
            return []
        index = self.ws.index
        narrowed = index.scope_size(account_ids, interaction_ids, LEXICAL_MAX_CHUNKS + 1) > LEXICAL_MAX_CHUNKS
        # too many chunks in scope to score them all: only those holding a query word (Chroma's full-text index)
        containing = [f for t in terms for f in _forms(t)] if narrowed else []
        chunks = index.documents(
            account_ids, interaction_ids, limit=LEXICAL_MAX_CHUNKS, containing=containing
        )
        if not chunks:
            return []
        bm25 = BM25Okapi([tokenize(doc) or ["\u2205"] for _, _, doc in chunks])
        if (
            narrowed
        ):  # IDF over the whole scope, not the candidates: a rare name still outweighs a common word
            total = index.scope_size(account_ids, interaction_ids)
            for term in set(terms):
                n = index.scope_size(account_ids, interaction_ids, containing=_forms(term))
                bm25.idf[term] = math.log((total - n + 0.5) / (n + 0.5) + 1.0)
        scores = bm25.get_scores(terms)
        order = np.argsort(-scores, kind="stable")
        return [(chunks[i][0], chunks[i][1]) for i in order if scores[i] > 0]

    def _hits(self, ranked) -> list[SearchHit]:  # type: ignore[no-untyped-def]
        if not ranked:
            return []
        with self.ws.db.session() as session:
            rows = {r.id: r for r in Repository(session).interactions(ids=list({s[0] for _, s, _ in ranked}))}
        hits = []
        for _, (interaction_id, start, end), score in ranked:
            row = rows.get(interaction_id)
            if row is None:  # the index is ahead of the store (an interrupted write): not a result
                continue
            hits.append(
                SearchHit(
                    interaction_id=row.id,
                    account=row.account.name,
                    occurred_at=as_utc(row.occurred_at),
                    kind=row.kind,
                    start=start,
                    end=end,
                    excerpt=row.clean_text[start:end],
                    score=round(score, 5),
                )
            )
        return hits
