"""tenancy and identity: account grants and access requests, our organisation's domains, server-side web
sessions, proven Slack links (unproven ones removed), Slack replay guard, look-alike skeletons, audit's Slack user

Grants are backfilled from the data so nobody loses access: each account is granted to the teams of every user
who logged an interaction on it (a user in no team gets a personal grant).

Revision ID: 0009
Revises: 0008
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _grants_and_requests()
    _org_sessions_slack()
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("skeleton", sa.String(length=300), nullable=True))
        batch.create_index("ix_accounts_skeleton", ["skeleton"])
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("slack_user", sa.String(length=64), nullable=True))
    _backfill()


def _grants_and_requests() -> None:
    op.create_table(
        "account_grants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("granted_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("account_id", "team_id", name="uq_account_grants_team"),
        sa.UniqueConstraint("account_id", "user_id", name="uq_account_grants_user"),
        sa.CheckConstraint("(team_id IS NULL) <> (user_id IS NULL)", name="ck_account_grants_team_or_user"),
    )
    for column in ("account_id", "team_id", "user_id"):
        op.create_index(f"ix_account_grants_{column}", "account_grants", [column])
    op.create_table(
        "access_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("account_id", "user_id", name="uq_access_requests"),
    )
    op.create_index("ix_access_requests_account_id", "access_requests", ["account_id"])
    op.create_index("ix_access_requests_user_id", "access_requests", ["user_id"])


def _org_sessions_slack() -> None:
    op.create_table(
        "org_domains",
        sa.Column("domain", sa.String(length=253), primary_key=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(length=64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_index("ix_web_sessions_expires_at", "web_sessions", ["expires_at"])
    # `/coach link EMAIL` stored any address it was given: none of those links is proven, so none is kept.
    op.drop_table("slack_links")
    op.create_table(
        "slack_links",
        sa.Column("slack_user", sa.String(length=64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_slack_links_user_id", "slack_links", ["user_id"])
    op.create_table(
        "slack_link_codes",
        sa.Column("code_hash", sa.String(length=64), primary_key=True),
        sa.Column("slack_user", sa.String(length=64), nullable=False),
        sa.Column("slack_name", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_slack_link_codes_expires_at", "slack_link_codes", ["expires_at"])
    op.create_table(
        "slack_requests",
        sa.Column("signature", sa.String(length=100), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_slack_requests_seen_at", "slack_requests", ["seen_at"])


def _backfill() -> None:
    from coach.records import account_skeleton

    bind = op.get_bind()
    for account_id, name in bind.execute(sa.text("select id, name from accounts")).all():
        bind.execute(
            sa.text("update accounts set skeleton = :s where id = :i"),
            {"s": account_skeleton(name)[:300], "i": account_id},
        )
    now = datetime.now(UTC)
    loggers = bind.execute(
        sa.text("select distinct account_id, logged_by from interactions where logged_by is not null")
    ).all()
    teams: dict[int, list[int]] = {}
    for team_id, user_id in bind.execute(sa.text("select team_id, user_id from memberships")).all():
        teams.setdefault(user_id, []).append(team_id)
    grants: set[tuple[int, str, int]] = set()
    for account_id, user_id in loggers:
        for team_id in teams.get(user_id, []):
            grants.add((account_id, "team_id", team_id))
        if not teams.get(user_id):
            grants.add((account_id, "user_id", user_id))
    for account_id, column, value in sorted(grants):
        bind.execute(
            sa.text(f"insert into account_grants (account_id, {column}, granted_at) values (:a, :v, :t)"),
            {"a": account_id, "v": value, "t": now},
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("slack_user")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_index("ix_accounts_skeleton")
        batch.drop_column("skeleton")
    for table in ("slack_requests", "slack_link_codes", "slack_links", "web_sessions", "org_domains"):
        op.drop_table(table)
    op.create_table(
        "slack_links",
        sa.Column("slack_user", sa.String(length=64), primary_key=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.drop_table("access_requests")
    op.drop_table("account_grants")
