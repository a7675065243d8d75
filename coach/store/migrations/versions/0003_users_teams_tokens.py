"""users, teams, memberships, API tokens; who logged each interaction

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_users_email", "users", ["email"], unique=True)
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "memberships",
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("manages", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_index("ix_api_tokens_token_hash", "api_tokens", ["token_hash"], unique=True)
    op.add_column("interactions", sa.Column("logged_by", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name != "sqlite":
        # SQLite cannot add a constraint without rebuilding the table (and every table that references it);
        # there the ORM keeps the reference.
        op.create_foreign_key(
            "fk_interactions_logged_by_users", "interactions", "users", ["logged_by"], ["id"]
        )
    op.create_index("ix_interactions_logged_by", "interactions", ["logged_by"])


def downgrade() -> None:
    op.drop_index("ix_interactions_logged_by", table_name="interactions")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_interactions_logged_by_users", "interactions", type_="foreignkey")
    op.drop_column("interactions", "logged_by")
    op.drop_table("api_tokens")
    op.drop_table("memberships")
    op.drop_table("teams")
    op.drop_table("users")
