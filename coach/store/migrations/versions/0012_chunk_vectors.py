"""each chunk's vector beside its row (float16), so a search of a rep's few accounts compares them in the database's
own read instead of a filtered query of the vector index

Existing stores start without them: search falls back to the vector index for a chunk that has none, and
``coach doctor --repair`` copies them from the index (nothing is embedded again). On SQLite the full-text trigger
on update now fires only when a chunk's text changes, so writing a vector does not re-index its words.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_TEXT_UPDATE = (
    "INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text); END"
)


def upgrade() -> None:
    op.add_column("chunks", sa.Column("vector", sa.LargeBinary(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS chunks_fts_update")
        op.execute(f"CREATE TRIGGER chunks_fts_update AFTER UPDATE OF text ON chunks BEGIN {_TEXT_UPDATE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS chunks_fts_update")
        op.execute(f"CREATE TRIGGER chunks_fts_update AFTER UPDATE ON chunks BEGIN {_TEXT_UPDATE}")
    op.drop_column("chunks", "vector")  # SQLite 3.35+ drops a column in place (its triggers stay)
