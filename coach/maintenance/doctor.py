"""``coach doctor``: do the relational store, its full-text index and the vector index agree, and if not, make it so.

The relational store is the record; the Chroma index is derived from it, and so are the chunk rows and their
full-text index (written in the interaction's own transaction, so they only drift when something edits the
database behind the coach's back). A write that died between the store and Chroma (a killed ingest, a lost
connection to a Chroma server, a restored backup of one but not the other) leaves *drift*: interactions whose
chunks are missing or incomplete in the index or in the chunk rows, chunks whose interaction the store does not
hold, a full-text index that disagrees with its rows, chunk rows without their vector, or cached facts of
interactions that are gone. ``check`` finds it; ``repair`` re-chunks and re-embeds what is missing from the
stored text, rebuilds the full-text index, copies the missing vectors from the index, and deletes what is
orphaned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select

from coach.store import chunk_vectors, fulltext
from coach.store.repository import Repository
from coach.store.schema import ChunkRow, FactsRow, InteractionRow
from coach.workspace import Workspace


@dataclass
class Drift:
    interactions: int = 0
    chunks_expected: int = 0
    chunks_indexed: int = 0
    missing: list[str] = field(default_factory=list)  # interactions whose chunks are absent or incomplete
    orphans: list[str] = field(default_factory=list)  # indexed interactions the store does not hold
    text_missing: list[str] = field(
        default_factory=list
    )  # interactions whose chunk rows are absent or incomplete
    full_text_healthy: bool = True  # the full-text index agrees with the chunk rows
    vectors_missing: int = 0  # chunk rows without their vector (a store older than migration 0012)
    stale_facts: int = 0  # cached facts of interactions that are gone
    schema_revision: str | None = None

    @property
    def clean(self) -> bool:
        return (
            not self.missing
            and not self.orphans
            and not self.text_missing
            and self.full_text_healthy
            and not self.vectors_missing
            and not self.stale_facts
        )


def quick_check(ws: Workspace) -> bool:
    """Three counts: whether the index and the chunk rows hold as many chunks as the store says they should
    (cheap; no listing)."""
    with ws.db.session() as session:
        expected = session.scalar(select(func.coalesce(func.sum(InteractionRow.chunk_count), 0))) or 0
        rows = session.scalar(select(func.count()).select_from(ChunkRow)) or 0
    return int(expected) == ws.index.count() == int(rows)


def check(ws: Workspace) -> Drift:
    with ws.db.session() as session:
        expected = Repository(session).chunk_counts()
        rows = fulltext.chunk_counts(session)
        healthy = fulltext.healthy(session)
        vectors_missing = chunk_vectors.count_missing(session)
        known = set(expected)
        cached = set(session.scalars(select(FactsRow.interaction_id).distinct()))
        from sqlalchemy import text

        try:
            revision = session.execute(text("select version_num from alembic_version")).scalar()
        except Exception:  # noqa: BLE001 - no alembic table: reported as unknown
            revision = None
    actual = ws.index.interaction_chunk_counts()
    return Drift(
        interactions=len(expected),
        chunks_expected=sum(expected.values()),
        chunks_indexed=sum(actual.values()),
        missing=sorted(i for i, n in expected.items() if actual.get(i, 0) != n),
        orphans=sorted(set(actual) - known),
        text_missing=sorted(i for i, n in expected.items() if rows.get(i, 0) != n),
        full_text_healthy=healthy,
        vectors_missing=vectors_missing,
        stale_facts=len(cached - known),
        schema_revision=revision,
    )


def repair(
    ws: Workspace,
    on_item: Callable[[], None] | None = None,
    on_vectors: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Re-chunk and re-embed the interactions whose chunks are missing (in the index or the chunk rows), rebuild
    the full-text index when it disagrees with its rows, copy the vectors chunk rows lack from the index, drop
    orphaned chunks and stale cached facts."""
    from coach.ingest.pipeline import IngestPipeline

    result = IngestPipeline(ws).reindex(full=False, on_item=on_item, on_vectors=on_vectors)
    with ws.db.session(write=True) as session:
        known = select(InteractionRow.id)
        removed = session.execute(delete(FactsRow).where(FactsRow.interaction_id.not_in(known)))
        stale = getattr(removed, "rowcount", 0)  # a CursorResult for a DELETE
        session.commit()
    result["stale_facts_removed"] = int(stale or 0)
    return result
