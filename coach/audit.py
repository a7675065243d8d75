"""The audit trail: who read, briefed, searched, exported or wrote which account, when, and through which channel.

Every page, API call, bot command and CLI export that shows account data records one event (``Audit.record``),
and so does every write (a note logged, a batch, an import), every refused attempt (404 for lack of access, 401,
403), every change of grants, Slack links, tokens, sessions and users; with the Slack user when the bot acted
for someone. ``coach audit`` lists them. Events are written in their own short transaction and never fail the request they
describe (a failure to write one is logged).
"""

from __future__ import annotations

import getpass
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from coach.auth import User
from coach.store.database import Database
from coach.store.schema import AuditEventRow

log = logging.getLogger(__name__)
ACTIONS = (
    "read",
    "brief",
    "search",
    "export",
    "digest",
    "log",
    "import",
    "denied",
    "grant",
    "link",
    "token",
    "session",
    "user",
)


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    actor: str
    channel: str
    action: str
    account: str | None
    detail: str | None
    slack_user: str | None = None


class Audit:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self,
        user: User | None,
        channel: str,
        action: str,
        account: str | None = None,
        detail: str | None = None,
        *,
        actor: str | None = None,
        slack_user: str | None = None,
    ) -> None:
        """One event. Without a user it is the operator's (the CLI) or, elsewhere, an unidentified caller's
        (``actor`` names them if known: the e-mail a failed sign-in tried, ...); ``slack_user`` is the Slack
        person the bot acted for."""
        actor = actor or (user.email if user else (f"cli:{_os_user()}" if channel == "cli" else "anonymous"))
        try:
            with self.db.session(write=True) as session:
                session.add(
                    AuditEventRow(
                        at=datetime.now(UTC),
                        user_id=user.id if user else None,
                        actor=actor,
                        channel=channel,
                        action=action,
                        account=account,
                        detail=(detail or None) and detail[:1000],
                        slack_user=(slack_user or None) and slack_user[:64],
                    )
                )
                session.commit()
        except Exception:
            log.exception("could not write the audit event %s %s %s", actor, action, account)

    def record_each(
        self, user: User | None, channel: str, action: str, accounts: list[str], detail: str | None = None
    ) -> None:
        """One event per account, written together (a portfolio shows many accounts at once)."""
        actor = user.email if user else (f"cli:{_os_user()}" if channel == "cli" else "anonymous")
        now = datetime.now(UTC)
        try:
            with self.db.session(write=True) as session:
                session.add_all(
                    AuditEventRow(
                        at=now,
                        user_id=user.id if user else None,
                        actor=actor,
                        channel=channel,
                        action=action,
                        account=account,
                        detail=(detail or None) and detail[:1000],
                    )
                    for account in accounts
                )
                session.commit()
        except Exception:
            log.exception(
                "could not write the audit events %s %s of %d accounts", actor, action, len(accounts)
            )

    def events(
        self,
        account: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        action: str | None = None,
        limit: int = 200,
    ) -> list[AuditEvent]:
        stmt = select(AuditEventRow).order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc()).limit(limit)
        if account:
            stmt = stmt.where(AuditEventRow.account == account)
        if actor:
            stmt = stmt.where(AuditEventRow.actor == actor.strip().lower())
        if since:
            stmt = stmt.where(AuditEventRow.at >= since)
        if action:
            stmt = stmt.where(AuditEventRow.action == action)
        with self.db.session() as session:
            return [
                AuditEvent(
                    r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC),
                    r.actor,
                    r.channel,
                    r.action,
                    r.account,
                    r.detail,
                    r.slack_user,
                )
                for r in session.scalars(stmt)
            ]


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "unknown"


def record_import(audit: Audit, accounts: set[str], counts: str, command: str) -> None:
    """An operator's import (`coach ingest`, `coach analyze FILES`, `coach import`): one event per account."""
    named: list[str | None] = [*sorted(accounts)] or [None]
    for account in named:
        audit.record(None, "cli", "import", account, f"{command}: {counts}")
