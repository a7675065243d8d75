"""chunks and their full-text index: SQLite FTS5 (bm25) or a PostgreSQL tsvector with a GIN index

Every interaction's chunks (text, account, date, kind, character span) move into the relational store, where the
database's own full-text index serves the lexical side of search. Existing stores are filled from their stored
text, chunked by the ``chunker`` the workspace passes (its own, so spans match its vector index; the store imports
nothing above it). Migrated without one, the chunks are left for ``coach doctor --repair``, which writes them from
the stored text without embedding anything again.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SQLITE_FULL_TEXT = [
    # External content: the text lives once, in chunks; the FTS5 table indexes it (porter stems, accents folded).
    "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    # Triggers keep it in step inside the writer's own transaction, also when a deleted interaction cascades.
    "CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN "
    "INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN "
    "INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER chunks_fts_update AFTER UPDATE ON chunks BEGIN "
    "INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text); END",
]
POSTGRES_FULL_TEXT = [
    "ALTER TABLE chunks ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED",
    "CREATE INDEX ix_chunks_tsv ON chunks USING gin (tsv)",
]

_interactions = sa.table(
    "interactions",
    sa.column("id", sa.String),
    sa.column("account_id", sa.Integer),
    sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("kind", sa.String),
    sa.column("clean_text", sa.Text),
)
_COLUMNS = ["interaction_id", "seq", "account_id", "occurred_at", "kind", "start_char", "end_char", "text"]


def upgrade() -> None:
    op.create_table(
        "chunks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "interaction_id",
            sa.String(length=200),
            sa.ForeignKey("interactions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("start_char", sa.Integer(), nullable=False),
        sa.Column("end_char", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.UniqueConstraint("interaction_id", "seq", name="uq_chunks_interaction_seq"),
    )
    op.create_index("ix_chunks_account_id", "chunks", ["account_id"])
    bind = op.get_bind()
    for statement in SQLITE_FULL_TEXT if bind.dialect.name == "sqlite" else POSTGRES_FULL_TEXT:
        op.execute(statement)
    _fill(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("chunks_fts_insert", "chunks_fts_delete", "chunks_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS chunks_fts")
    op.drop_index("ix_chunks_account_id", table_name="chunks")
    op.drop_table("chunks")


def _fill(bind: sa.Connection) -> None:
    """Chunk every stored interaction into the new table (its FTS5 triggers or generated column index them)."""
    if not bind.execute(sa.select(sa.func.count()).select_from(_interactions)).scalar():
        return
    split = _chunker()
    if split is None:
        return
    chunks = sa.table("chunks", *[sa.column(c) for c in _COLUMNS])
    batch: list[dict[str, Any]] = []
    for row in _pages(bind):
        for piece in split(row.clean_text):
            batch.append(
                {
                    "interaction_id": row.id,
                    "seq": piece.seq,
                    "account_id": row.account_id,
                    "occurred_at": row.occurred_at,
                    "kind": row.kind,
                    "start_char": piece.start,
                    "end_char": piece.end,
                    "text": piece.text,
                }
            )
        if len(batch) >= 2000:
            bind.execute(sa.insert(chunks), batch)
            batch = []
    if batch:
        bind.execute(sa.insert(chunks), batch)


def _pages(bind: sa.Connection, size: int = 500) -> Iterator[Any]:
    last = ""
    while True:
        rows = bind.execute(
            sa.select(_interactions).where(_interactions.c.id > last).order_by(_interactions.c.id).limit(size)
        ).all()
        yield from rows
        if len(rows) < size:
            return
        last = rows[-1].id


def _chunker() -> Callable[[str], list[Any]] | None:
    """The workspace's chunker, when the workspace runs the migration."""
    given = context.config.attributes.get("chunker")
    return None if given is None else given().split
