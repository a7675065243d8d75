"""Relational schema. Portable SQL only: the same models run on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(300), unique=True, index=True)
    # What the name looks like (coach.records.account_skeleton): a new name with an existing skeleton is a look-alike.
    skeleton: Mapped[str | None] = mapped_column(String(300), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    interactions: Mapped[list[InteractionRow]] = relationship(back_populates="account")


class PersonRow(Base):
    """A person met in the records. Customer people belong to an account; our own people do not."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("account_id", "key", name="uq_people_account_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    key: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    title: Mapped[str | None] = mapped_column(String(300))
    side: Mapped[str | None] = mapped_column(String(16))


class InteractionRow(Base):
    __tablename__ = "interactions"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    date_given: Mapped[bool] = mapped_column(Boolean, default=True)
    rep: Mapped[str | None] = mapped_column(String(300))
    subject: Mapped[str | None] = mapped_column(String(1000))
    series: Mapped[str | None] = mapped_column(String(300), index=True)
    duration_minutes: Mapped[float | None] = mapped_column(Float)
    raw_text: Mapped[str] = mapped_column(Text)
    clean_text: Mapped[str] = mapped_column(Text)
    quoted_text: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(1000))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    logged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    account: Mapped[AccountRow] = relationship(back_populates="interactions")
    participants: Mapped[list[ParticipationRow]] = relationship(
        back_populates="interaction", cascade="all, delete-orphan", order_by="ParticipationRow.position"
    )


class ParticipationRow(Base):
    __tablename__ = "participations"

    interaction_id: Mapped[str] = mapped_column(ForeignKey("interactions.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    interaction: Mapped[InteractionRow] = relationship(back_populates="participants")
    person: Mapped[PersonRow] = relationship()


class ChunkRow(Base):
    """One chunk of an interaction's clean text, as the index embeds it: the lexical side of search.

    The database's own full-text index covers ``text`` (SQLite FTS5 or a PostgreSQL ``tsvector``; built by
    migration 0010, outside these models), so a search is one query scoped by account inside the database.
    Rows are written in the same transaction as their interaction and go with it (ON DELETE CASCADE).
    """

    __tablename__ = "chunks"
    __table_args__ = (UniqueConstraint("interaction_id", "seq", name="uq_chunks_interaction_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interaction_id: Mapped[str] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(16))
    start_char: Mapped[int] = mapped_column(Integer)
    end_char: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # Its vector as the index embeds it (float16, little-endian; migration 0012), written with the row: a scoped
    # search compares a rep's few chunks here. None until repaired, in a store older than 0012.
    vector: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class FactsRow(Base):
    """Facts extracted from one interaction, cached per engine version, text and people directory."""

    __tablename__ = "interaction_facts"

    interaction_id: Mapped[str] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True
    )
    engine: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UserRow(Base):
    """Someone who signs in: a rep, a manager (sees the teams they manage) or an admin (sees everything)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TeamRow(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    memberships: Mapped[list[MembershipRow]] = relationship(
        back_populates="team", cascade="all, delete-orphan"
    )


class MembershipRow(Base):
    """A user in a team; ``manages`` marks the team's managers."""

    __tablename__ = "memberships"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    manages: Mapped[bool] = mapped_column(Boolean, default=False)

    team: Mapped[TeamRow] = relationship(back_populates="memberships")
    user: Mapped[UserRow] = relationship()


class ApiTokenRow(Base):
    """A bearer token for API clients. Only its SHA-256 is stored; the token is shown once, at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delegate: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[UserRow] = relationship()


class DigestDeliveryRow(Base):
    """One manager's digest for one week over one channel: sent once, retried while it fails."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (UniqueConstraint("manager_id", "week", "channel", name="uq_digest_delivery"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    week: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEventRow(Base):
    """Who read, briefed, searched or exported which account, when, and through which channel."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    account: Mapped[str | None] = mapped_column(String(300), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
    slack_user: Mapped[str | None] = mapped_column(String(64))


class SignInAttemptRow(Base):
    """One sign-in attempt; failures in a window limit further tries (kept in the database: every worker sees them)."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_email_at", "email", "at"),
        Index("ix_sign_in_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    email: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(64))
    ok: Mapped[bool] = mapped_column(Boolean)


class SlackLinkRow(Base):
    """A proven link from a Slack user to a coach user: the coach user confirmed it signed in to the web app.

    (A Slack profile e-mail that Slack says is verified maps without a row; see coach.slackbot.links.)"""

    __tablename__ = "slack_links"

    slack_user: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[UserRow] = relationship()


class SlackLinkCodeRow(Base):
    """A one-time, short-lived code `/coach link` gives a Slack user, to confirm in the signed-in web app."""

    __tablename__ = "slack_link_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    slack_user: Mapped[str] = mapped_column(String(64))
    slack_name: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SlackRequestRow(Base):
    """A signed Slack request already handled: the same signature again within its five minutes is a replay."""

    __tablename__ = "slack_requests"

    signature: Mapped[str] = mapped_column(String(100), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class AccountGrantRow(Base):
    """An account granted to a team, or to one user: who may see and log into it (admins see everything)."""

    __tablename__ = "account_grants"
    __table_args__ = (
        UniqueConstraint("account_id", "team_id", name="uq_account_grants_team"),
        UniqueConstraint("account_id", "user_id", name="uq_account_grants_user"),
        CheckConstraint("(team_id IS NULL) <> (user_id IS NULL)", name="ck_account_grants_team_or_user"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AccessRequestRow(Base):
    """Someone asked to log into an account another team holds; its managers (or an admin) grant or decline."""

    __tablename__ = "access_requests"
    __table_args__ = (UniqueConstraint("account_id", "user_id", name="uq_access_requests"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # pending, granted or declined
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OrgDomainRow(Base):
    """An e-mail domain the organisation declares as its own (`coach org domains add`)."""

    __tablename__ = "org_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebSessionRow(Base):
    """A signed-in browser. The cookie carries a random id; only its SHA-256 is stored. Deleting the row signs the
    browser out on its next request (logout, password change, disabling, sign out everywhere)."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class LLMAnswerRow(Base):
    """A model's answer to one prompt, kept so that asking the same again costs no call.

    ``key`` is the SHA-256 of the messages sent, the prompt's version and the model."""

    __tablename__ = "llm_answers"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    prompt: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(200))
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AccountMeasureRow(Base):
    """One measure of an account (ARR, renewal date, tier, CSAT, NPS, ...) as known on one date: its history is the
    rows of the same account and measure. A number, or a text (a tier; a renewal date as YYYY-MM-DD)."""

    __tablename__ = "account_measures"
    __table_args__ = (UniqueConstraint("account_id", "measure", "as_of", name="uq_account_measures"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    measure: Mapped[str] = mapped_column(String(32))
    as_of: Mapped[date] = mapped_column(Date)
    number: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(300))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
