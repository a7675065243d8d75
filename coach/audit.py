"""The audit trail: who read, briefed, searched or exported which account, when, and through which channel.

Every page, API call, bot command and CLI export that shows account data records one event (``Audit.record``);
``coach audit`` lists them. Events are written in their own short transaction and never fail the request they
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
ACTIONS = ("read", "brief", "search", "export", "digest", "log")


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    actor: str
    channel: str
    action: str
    account: str | None
    detail: str | None


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
    ) -> None:
        actor = user.email if user else f"cli:{_os_user()}"
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
                    )
                )
                session.commit()
        except Exception:
            log.exception("could not write the audit event %s %s %s", actor, action, account)

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
                )
                for r in session.scalars(stmt)
            ]


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "unknown"
