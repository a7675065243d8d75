"""account measures: ARR or contract value, renewal date, tier, CSAT, NPS, retention, repeat purchase and lifetime
value, each dated, so an account's measures keep their history (one row per account, measure and date)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_measures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("number", sa.Float(), nullable=True),
        sa.Column("text", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("recorded_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("account_id", "measure", "as_of", name="uq_account_measures"),
    )
    op.create_index("ix_account_measures_account_id", "account_measures", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_account_measures_account_id", table_name="account_measures")
    op.drop_table("account_measures")
