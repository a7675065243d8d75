"""Each chunk's vector beside its row (``chunks.vector``, migration 0012): what a scoped search compares.

The vector index answers "nearest in the whole store" well, but a rep's search is scoped to their accounts, and a
filtered query of the index reads every record's metadata to find them (about 50 ms at 100,000 chunks, whatever
the scope's size). Kept beside the rows, a scope's vectors come back with the same indexed read that finds its
chunks, and comparing a few thousand of them is one matrix product. They are written in the chunk rows' own
transaction; a store older than 0012 has none until ``coach doctor --repair`` copies them from the index.

Stored as little-endian float16: half the bytes of float32, and cosines within about 1e-3 of the index's own
(the model's vectors are unit length, so no component comes near float16's range).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from coach.store.fulltext import Scope, scoped
from coach.store.schema import ChunkRow

DTYPE = np.dtype("<f2")
Key = tuple[str, int]  # a chunk: its interaction and position


def encode(vectors: np.ndarray) -> list[bytes]:
    """One blob per row of ``vectors``."""
    packed = np.ascontiguousarray(vectors, dtype=DTYPE)
    return [row.tobytes() for row in packed]


def decode(blobs: Sequence[bytes], dim: int) -> np.ndarray:
    """The blobs as a float32 matrix, one row each (all of ``dim`` components)."""
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=DTYPE).reshape(len(blobs), dim).astype(np.float32)


def compare(stored: Mapping[Key, bytes | None], vector: np.ndarray) -> tuple[dict[Key, float], list[Key]]:
    """Cosine of ``vector`` to each stored vector (all are unit length), and the chunks without a usable one: none
    stored, or one of another size than ``vector`` (written by an earlier model, before a full reindex ended)."""
    size = len(vector) * DTYPE.itemsize
    usable = [key for key, blob in stored.items() if blob is not None and len(blob) == size]
    blobs = [stored[key] or b"" for key in usable]
    similarity = dict(zip(usable, (decode(blobs, len(vector)) @ vector).tolist(), strict=True))
    return similarity, [key for key in stored if key not in similarity]


def in_scope(session: Session, scope: Scope, limit: int) -> dict[Key, bytes | None] | None:
    """The stored vector of every chunk in scope (None where a row has none), or None when the scope holds more
    than ``limit`` chunks."""
    stmt = scoped(select(ChunkRow.interaction_id, ChunkRow.seq, ChunkRow.vector), scope).limit(limit + 1)
    rows = _binary_rows(session, stmt)
    if len(rows) > limit:
        return None
    return {(interaction_id, int(seq)): blob for interaction_id, seq, blob in rows}


def _binary_rows(session: Session, stmt: Select[str, int, bytes | None]) -> list[tuple[Any, ...]]:
    """The statement's rows. On PostgreSQL they are asked for in binary: the text protocol sends each vector as
    hex, twice its bytes, for the server to encode and the driver to decode (2,000 vectors: 7 ms read as text,
    3 ms in binary, measured with psycopg on this machine). Same connection, so same transaction, flushed first
    as a query through the session would be. Another driver, or psycopg with client-side binding cursors (set
    for a connection pooler), reads them through the session as text."""
    if session.autoflush:
        session.flush()
    connection = session.connection()
    driver = connection.connection.driver_connection
    on_psycopg = connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg"
    if not on_psycopg or driver is None or not _binary_ok(driver):
        return [tuple(row) for row in session.execute(stmt)]
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    with driver.cursor(binary=True) as cursor:
        cursor.execute(str(compiled), compiled.params)
        return [tuple(row) for row in cursor.fetchall()]


def _binary_ok(driver: Any) -> bool:
    """Whether this psycopg connection's cursors can return binary results (``ClientCursor``, which binds the
    parameters client-side, cannot)."""
    import psycopg

    return not issubclass(getattr(driver, "cursor_factory", psycopg.Cursor), psycopg.ClientCursor)


def missing(session: Session, after: int, limit: int) -> list[tuple[int, str, int]]:
    """Up to ``limit`` chunk rows without a vector, by row id after ``after``: (row id, interaction id, seq)."""
    stmt = (
        select(ChunkRow.id, ChunkRow.interaction_id, ChunkRow.seq)
        .where(ChunkRow.vector.is_(None), ChunkRow.id > after)
        .order_by(ChunkRow.id)
        .limit(limit)
    )
    return [(int(i), str(interaction), int(seq)) for i, interaction, seq in session.execute(stmt)]


def count_missing(session: Session) -> int:
    """How many chunk rows have no vector."""
    return int(session.scalar(select(func.count()).where(ChunkRow.vector.is_(None))) or 0)


def write(session: Session, vectors: Mapping[int, np.ndarray]) -> None:
    """Set these rows' vectors, by row id (in the session's transaction, not committed)."""
    if not vectors:
        return
    ids = list(vectors)
    blobs = encode(np.stack([vectors[i] for i in ids]))
    stmt = update(ChunkRow).where(ChunkRow.id == bindparam("row_id")).values(vector=bindparam("blob"))
    session.connection().execute(stmt, [{"row_id": i, "blob": b} for i, b in zip(ids, blobs, strict=True)])
