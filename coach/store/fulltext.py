"""The lexical side of search: the database's own full-text index over the ``chunks`` table.

SQLite answers with FTS5 and its bm25 ranking, PostgreSQL with a ``tsvector`` column under a GIN index, ranked
by ``ts_rank`` weighted by each term's rarity (a BM25-like sum). Either way the search is one SQL statement, with
the caller's scope (the accounts a user may see, or some interactions) applied inside it. The structures are
built by migration 0010 and kept in step by the database itself (triggers, a generated column), in the same
transaction as the chunk rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Result, Select, delete, func, insert, select, text
from sqlalchemy.orm import Session

from coach.store.schema import AccountRow, ChunkRow
from coach.store.vectors import ChunkEntry

# How many matches a search may rank, about: the query's words are matched rarest first while the chunks holding
# them add up to this. Ranking reads every match; PostgreSQL's ts_rank_cd reads each matching row's tsvector,
# several times FTS5's cost per match (which reads position lists from its own index), hence its smaller budget.
RANKED_MATCHES = {"sqlite": 20_000, "postgresql": 5_000}
SQLITE_OBJECTS = (
    "chunks_fts",
    "chunks_fts_config",
    "chunks_fts_data",
    "chunks_fts_docsize",
    "chunks_fts_idx",
)
POSTGRES_COLUMNS = ("tsv",)
# a select over the chunk rows, whatever its columns
_Stmt = TypeVar("_Stmt", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True, slots=True)
class TextQuery:
    """What the lexical index looks for: any of ``words`` (all of them with ``every``) and ``phrases`` (words in a
    row), and every one of ``required``. Words are lower-case letters and digits only."""

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    required: tuple[tuple[str, ...], ...] = ()
    every: bool = False  # every word must be there, not any

    @property
    def empty(self) -> bool:
        return not self.words and not self.phrases and not self.required


@dataclass(frozen=True, slots=True)
class Scope:
    """Which chunks a search may return: ``None`` for no limit on that side; an empty list allows nothing."""

    account_ids: Sequence[int] | None = None
    interaction_ids: Sequence[str] | None = None

    @property
    def nothing(self) -> bool:
        return (self.account_ids is not None and not self.account_ids) or (
            self.interaction_ids is not None and not self.interaction_ids
        )


@dataclass(frozen=True, slots=True)
class TextHit:
    interaction_id: str
    seq: int
    score: float  # higher is better; comparable within one search only


@dataclass(frozen=True, slots=True)
class StoredChunk:
    interaction_id: str
    seq: int
    account: str
    occurred_at: datetime
    kind: str
    start: int
    end: int
    text: str
    vector: bytes | None = (
        None  # encoded (see ``chunk_vectors``); None in a store not yet repaired after 0012
    )


def replace_chunks(
    session: Session,
    interaction_ids: Sequence[str],
    chunks: Sequence[ChunkEntry],
    vectors: Sequence[bytes] | None = None,
) -> None:
    """The interactions' chunks become exactly ``chunks``, each with its encoded vector when given (see
    ``chunk_vectors``), in the session's transaction, not committed."""
    if vectors is not None and len(vectors) != len(chunks):
        raise ValueError(f"{len(vectors)} vectors for {len(chunks)} chunks")
    ids = list(interaction_ids)
    for start in range(0, len(ids), 500):
        session.execute(delete(ChunkRow).where(ChunkRow.interaction_id.in_(ids[start : start + 500])))
    rows = [
        {
            "interaction_id": c.interaction_id,
            "seq": c.seq,
            "account_id": c.account_id,
            "occurred_at": datetime.fromtimestamp(c.occurred_ts, UTC),
            "kind": c.kind,
            "start_char": c.start,
            "end_char": c.end,
            "text": c.text,
            "vector": None if vectors is None else vectors[n],
        }
        for n, c in enumerate(chunks)
    ]
    for start in range(0, len(rows), 2000):
        session.execute(insert(ChunkRow), rows[start : start + 2000])


def scoped(stmt: _Stmt, scope: Scope) -> _Stmt:
    """``stmt`` over the chunk rows, limited to the scope."""
    if scope.account_ids is not None:
        stmt = stmt.where(ChunkRow.account_id.in_(list(scope.account_ids)))
    if scope.interaction_ids is not None:
        stmt = stmt.where(ChunkRow.interaction_id.in_(list(scope.interaction_ids)))
    return stmt


def chunk_counts(session: Session) -> dict[str, int]:
    """How many chunk rows each interaction has."""
    stmt = select(ChunkRow.interaction_id, func.count()).group_by(ChunkRow.interaction_id)
    return {i: int(n) for i, n in session.execute(stmt)}


def stored_chunks(session: Session, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], StoredChunk]:
    """The chunks named by (interaction id, seq), with their account's name; absent keys are left out."""
    if not keys:
        return {}
    wanted = {(i, int(s)) for i, s in keys}
    stmt = (  # probes of the (interaction, seq) index: each interaction's chunks at any wanted seq, then exactly
        select(
            ChunkRow.interaction_id,
            ChunkRow.seq,
            AccountRow.name,
            ChunkRow.occurred_at,
            ChunkRow.kind,
            ChunkRow.start_char,
            ChunkRow.end_char,
            ChunkRow.text,
            ChunkRow.vector,
        )
        .join(AccountRow, AccountRow.id == ChunkRow.account_id)
        .where(ChunkRow.interaction_id.in_({i for i, _ in wanted}), ChunkRow.seq.in_({s for _, s in wanted}))
    )
    return {
        (row[0], row[1]): StoredChunk(*row) for row in session.execute(stmt) if (row[0], row[1]) in wanted
    }


def search(session: Session, query: TextQuery, scope: Scope, limit: int) -> list[TextHit]:
    """The best ``limit`` chunks in scope holding any of the query's words or phrases, best first."""
    if query.empty or scope.nothing or limit <= 0:
        return []
    dialect = session.get_bind().dialect.name
    sqlite = dialect == "sqlite"
    counts = _sqlite_counts(session, query.words) if sqlite else _postgres_counts(session, query.words)
    query = _selective(query, counts, RANKED_MATCHES.get(dialect, RANKED_MATCHES["postgresql"]))
    if sqlite:
        return _sqlite_search(session, query, scope, limit)
    return _postgres_search(session, query, scope, limit)


def _selective(query: TextQuery, held_by: dict[str, int], budget: int) -> TextQuery:
    """The query matched on its selective words: the rarest first, while the chunks holding them add up to no
    more than ``budget``. A word many chunks hold adds little to the ranking (bm25 weighs it near zero) and much
    to its cost (every chunk holding it is scored). When even the rarest is that common, chunks must hold every
    word (or, given them, the phrases)."""
    kept: set[str] = set()
    total = 0
    for word in sorted(query.words, key=lambda w: held_by.get(w, 0)):
        total += held_by.get(word, 0)
        if total > budget:
            break
        kept.add(word)
    if len(kept) == len(query.words):
        return query
    if kept or query.phrases or query.required:
        return replace(query, words=tuple(w for w in query.words if w in kept))
    return replace(query, every=True)


def healthy(session: Session) -> bool:
    """Whether the full-text index agrees with the chunk rows (FTS5's own integrity check; PostgreSQL derives
    its column from the row, so it always does)."""
    if session.get_bind().dialect.name != "sqlite":
        return True
    try:
        session.execute(text("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)"))
    except Exception:  # noqa: BLE001 - SQLite reports a corrupt or drifted index as an error
        return False
    return True


def rebuild(session: Session) -> None:
    """Rebuild the full-text index from the chunk rows (after ``healthy`` said no)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')"))
    else:
        session.execute(text("REINDEX INDEX ix_chunks_tsv"))


# --- SQLite: FTS5 ------------------------------------------------------------------------------------------
def _sqlite_search(session: Session, query: TextQuery, scope: Scope, limit: int) -> list[TextHit]:
    params: dict[str, object] = {"match": _fts5_match(query), "limit": limit}
    if scope.account_ids is None and scope.interaction_ids is None:  # FTS5 alone ranks: no join per match
        sql = "SELECT rowid, bm25(chunks_fts) AS score FROM chunks_fts WHERE chunks_fts MATCH :match ORDER BY score LIMIT :limit"
        return _sqlite_hits(session, session.execute(text(sql), params))
    # The scope is a set of row ids the matches are checked against ("+" keeps SQLite from driving the search by
    # it: FTS5 would then look each row id up on its own, far slower than one pass over the matches).
    clauses, scoped = _sqlite_scope(scope)
    sql = (
        "SELECT f.rowid, bm25(chunks_fts) AS score FROM chunks_fts f WHERE chunks_fts MATCH :match "
        f"AND +f.rowid IN (SELECT c.id FROM chunks c WHERE 1 = 1{clauses}) ORDER BY score LIMIT :limit"
    )
    return _sqlite_hits(session, session.execute(text(sql), {**params, **scoped}))


def _sqlite_hits(session: Session, result: Result[Any, Any]) -> list[TextHit]:
    """(row id, bm25) rows, best first, as hits (the chunks still stored)."""
    ranked = [(int(row[0]), float(row[1])) for row in result]
    found = select(ChunkRow.id, ChunkRow.interaction_id, ChunkRow.seq).where(
        ChunkRow.id.in_([r for r, _ in ranked])
    )
    rows = {i: (interaction, seq) for i, interaction, seq in session.execute(found)}
    return [TextHit(*rows[r], -score) for r, score in ranked if r in rows]


def _sqlite_counts(session: Session, words: Sequence[str]) -> dict[str, int]:
    """How many chunks hold each word (FTS5 counts a term's matches without reading the rows)."""
    if not words:
        return {}
    columns = ", ".join(
        f"(SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH :w{i})" for i in range(len(words))
    )
    counts = session.execute(
        text(f"SELECT {columns}"), {f"w{i}": f'"{w}"' for i, w in enumerate(words)}
    ).one()
    return {w: int(n) for w, n in zip(words, counts, strict=True)}


def _fts5_match(query: TextQuery) -> str:
    """An FTS5 expression: every required phrase, and any word or phrase (the required ones count towards the
    rank too). Words are plain letters and digits, so quoting them is safe."""
    joiner = " AND " if query.every else " OR "
    anything = joiner.join(
        [_fts5_phrase((w,)) for w in query.words] + [_fts5_phrase(p) for p in query.phrases + query.required]
    )
    if not query.required:
        return anything
    return " AND ".join([_fts5_phrase(p) for p in query.required] + [f"({anything})"])


def _fts5_phrase(words: Sequence[str]) -> str:
    return '"' + " ".join(words) + '"'


def _sqlite_scope(scope: Scope) -> tuple[str, dict[str, str]]:
    clauses, params = "", {}
    if scope.account_ids is not None:
        clauses += " AND c.account_id IN (SELECT value FROM json_each(:accounts))"
        params["accounts"] = json.dumps([int(i) for i in scope.account_ids])
    if scope.interaction_ids is not None:
        clauses += " AND c.interaction_id IN (SELECT value FROM json_each(:interactions))"
        params["interactions"] = json.dumps(list(scope.interaction_ids))
    return clauses, params


# --- PostgreSQL: tsvector + GIN ----------------------------------------------------------------------------
def _postgres_search(session: Session, query: TextQuery, scope: Scope, limit: int) -> list[TextHit]:
    clauses, params = "", {"query": _tsquery(query), "limit": limit}
    if scope.account_ids is not None:
        clauses += " AND account_id = ANY(:accounts)"
        params["accounts"] = [int(i) for i in scope.account_ids]
    if scope.interaction_ids is not None:
        clauses += " AND interaction_id = ANY(:interactions)"
        params["interactions"] = list(scope.interaction_ids)
    sql = (
        "SELECT interaction_id, seq, ts_rank_cd(tsv, q, 1) AS score "
        "FROM chunks, to_tsquery('english', :query) AS q "
        f"WHERE tsv @@ q{clauses} ORDER BY score DESC, id LIMIT :limit"
    )
    return [TextHit(i, int(s), float(score)) for i, s, score in session.execute(text(sql), params)]


def _tsquery(query: TextQuery) -> str:
    """A to_tsquery expression, shaped like the FTS5 one (words are plain letters and digits: safe to quote)."""
    joiner = " & " if query.every else " | "
    anything = joiner.join(
        [_ts_phrase((w,)) for w in query.words] + [_ts_phrase(p) for p in query.phrases + query.required]
    )
    if not query.required:
        return anything
    return " & ".join([_ts_phrase(p) for p in query.required] + [f"({anything})"])


def _ts_phrase(words: Sequence[str]) -> str:
    return "(" + " <-> ".join(f"'{w}'" for w in words) + ")"


def _postgres_counts(session: Session, words: Sequence[str]) -> dict[str, int]:
    """About how many chunks hold each word, from the planner's statistics of the tsvector column (its most
    common lexemes and their frequencies, kept by ANALYZE): words it does not list are rarer than any it does."""
    if not words:
        return {}
    stats = session.execute(
        text(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples FROM pg_stats s "
            "JOIN pg_class c ON c.relname = s.tablename AND c.relnamespace = to_regnamespace(s.schemaname) "
            "WHERE s.tablename = 'chunks' AND s.attname = 'tsv'"
        )
    ).first()
    if stats is None or not stats[0]:
        return {}
    frequency = dict(zip(stats[0], stats[1], strict=False))
    lexemes = session.execute(
        text(
            "SELECT w, tsvector_to_array(to_tsvector('english', w)) FROM unnest(CAST(:words AS text[])) AS w"
        ),
        {"words": list(words)},
    )
    counts = {}
    for word, stems in lexemes:
        held = [frequency.get(s, 0.0) for s in stems or []]
        counts[word] = int(max(held, default=0.0) * max(float(stats[2]), 0.0))
    return counts
