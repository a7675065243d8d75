"""The search service: a query and a scope in, the few passages that answer it out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from coach.errors import NotFound
from coach.parts import SearchParts
from coach.search.fusion import Candidate, Fusion
from coach.search.passages import Passage, holds, passage
from coach.search.query import ParsedQuery, parse
from coach.store import chunk_vectors, fulltext
from coach.store.fulltext import Scope, StoredChunk
from coach.store.repository import Repository, as_utc

POOL = 50  # candidates each side returns, at least
SENTENCE_BUDGET = 4
EXACT_SCOPE = 10_000  # a scope of at most this many chunks is compared exactly, from their stored vectors
ABSENT_FROM_STORE = 500  # ... when the vector index need give at most this many of them
SENTENCE_CHARS = 200  # enough of a sentence to judge its meaning


@dataclass(frozen=True, slots=True)
class SearchHit:
    interaction_id: str
    account: str
    occurred_at: datetime
    kind: str
    start: int  # the matched chunk's span in the interaction's clean text
    end: int
    excerpt: str  # the chunk's text
    score: float
    passage: Passage  # the sentence window that answers, with the matched words marked


Key = tuple[str, int]  # a chunk: its interaction and position


class Searcher:
    def __init__(self, workspace: SearchParts, fusion: Fusion | None = None) -> None:
        self.ws = workspace
        self.fusion = fusion or Fusion()

    def search(
        self,
        query: str,
        k: int = 5,
        account: str | None = None,
        interaction_ids: Sequence[str] | None = None,
        account_ids: Sequence[int] | None = None,
        vector: np.ndarray | None = None,
        floor: bool = True,
    ) -> list[SearchHit]:
        """The ``k`` best passages for ``query`` in scope (``vector``: its embedding, when the caller has it);
        with ``floor``, only those that clear the relevance floor."""
        parsed = parse(query)
        if parsed.empty:
            return []
        scope = Scope(self._account_scope(account, account_ids), interaction_ids)
        if scope.nothing:
            return []
        if vector is None:
            vector = self.ws.embedder.embed([parsed.text])[0]
        ranked, chunks = self.rank(parsed, vector, scope, max(POOL, 4 * k))
        picked = self.fusion.pick(ranked, k, floor)
        closest = _Closest(self.ws, vector)
        return [self._hit(c, chunks[(c.interaction_id, c.seq)], parsed, closest) for c in picked]

    def rank(
        self, parsed: ParsedQuery, vector: np.ndarray, scope: Scope, pool: int
    ) -> tuple[list[Candidate], dict[tuple[str, int], StoredChunk]]:
        """Every candidate of both sides, fused and best first, with the stored chunks they point at."""
        nearest, compared = self._dense(vector, scope, pool)
        with self.ws.db.session() as session:
            lexical = {
                (h.interaction_id, h.seq): h.score
                for h in fulltext.search(session, parsed.text_query(), scope, pool)
            }
            chunks = fulltext.stored_chunks(session, list(nearest.keys() | lexical.keys()))
        # the index may be ahead of the store (an interrupted write): only chunks the store holds are results
        keys = [key for key in chunks if all(holds(chunks[key].text, p) for p in parsed.phrases)]
        similarity = {**compared, **nearest}
        stored, absent = chunk_vectors.compare(
            {key: chunks[key].vector for key in keys if key not in similarity}, vector
        )
        similarity.update(stored)
        similarity.update(self.ws.index.similarities(vector, absent))
        candidates = [
            Candidate(i, s, chunks[(i, s)].text, similarity.get((i, s), 0.0), lexical.get((i, s), 0.0))
            for i, s in sorted(keys)
        ]
        return self.fusion.rank(candidates, parsed), chunks

    def _dense(
        self, vector: np.ndarray, scope: Scope, pool: int
    ) -> tuple[dict[Key, float], dict[Key, float]]:
        """The dense side: the ``pool`` chunks nearest ``vector`` in scope, and every similarity it computed on the
        way. A scope of up to EXACT_SCOPE chunks (a rep's accounts, a meeting) is compared exactly, from the
        vectors stored beside its rows, read in the query that finds them; those similarities also spare a read
        for the lexical side's candidates. A larger scope, or one whose vectors are not stored yet (a store not
        repaired since they were added), is a filtered query of the vector index."""
        if scope.account_ids is not None or scope.interaction_ids is not None:
            with self.ws.db.session() as session:
                stored = chunk_vectors.in_scope(session, scope, EXACT_SCOPE)
            if stored is not None:
                compared, absent = chunk_vectors.compare(stored, vector)
                if len(absent) <= ABSENT_FROM_STORE:
                    compared.update(self.ws.index.similarities(vector, absent))
                    best = sorted(compared, key=lambda key: (-compared[key], key))[:pool]
                    return {key: compared[key] for key in best}, compared
        hits = self.ws.index.query(vector, pool, scope.account_ids, scope.interaction_ids)
        return {(h.interaction_id, h.seq): h.similarity for h in hits}, {}

    def _account_scope(self, account: str | None, account_ids: Sequence[int] | None) -> Sequence[int] | None:
        if account is None:
            return account_ids
        with self.ws.db.session() as session:
            row = Repository(session).account(account)
        if row is None:
            raise NotFound(f"no account named {account!r}; `coach accounts` lists them")
        return [row.id] if account_ids is None else [i for i in account_ids if i == row.id]

    def _hit(self, c: Candidate, chunk: StoredChunk, parsed: ParsedQuery, closest: _Closest) -> SearchHit:
        return SearchHit(
            interaction_id=chunk.interaction_id,
            account=chunk.account,
            occurred_at=as_utc(chunk.occurred_at),
            kind=chunk.kind,
            start=chunk.start,
            end=chunk.end,
            excerpt=chunk.text,
            score=round(c.score, 5),
            passage=passage(chunk.text, chunk.start, parsed, closest.pick),
        )


class _Closest:
    """Picks the sentence nearest the query in meaning, for a hit that holds none of its words, embedding at most
    SENTENCE_BUDGET sentences per search (then the first one): a search stays fast however many such hits."""

    def __init__(self, ws: SearchParts, vector: np.ndarray) -> None:
        self.ws, self.vector, self.left = ws, vector, SENTENCE_BUDGET

    def pick(self, texts: Sequence[str]) -> int:
        if len(texts) > self.left:
            return 0
        self.left -= len(texts)
        return int(np.argmax(self.ws.embedder.embed([t[:SENTENCE_CHARS] for t in texts]) @ self.vector))
