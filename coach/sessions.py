"""Web sessions kept in the database, so they can be taken away.

The signed cookie carries only a random session id; the store keeps its SHA-256 with the user, when it started,
when it was last seen and when it expires. Every request looks the id up, so deleting rows signs browsers out on
their next request, in every worker: logout (one session), a password change, disabling a user and "sign out
everywhere" (all of the user's sessions).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from coach.store.database import Database
from coach.store.schema import WebSessionRow

LIFETIME = timedelta(days=14)
TOUCH_EVERY = timedelta(minutes=1)  # 'last seen' is written at most this often: reads must not become writes


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class WebSessions:
    def __init__(self, db: Database, lifetime: timedelta = LIFETIME) -> None:
        self.db, self.lifetime = db, lifetime

    def start(self, user_id: int) -> str:
        """A new session for the user; returns the id the cookie carries (only its hash is stored)."""
        session_id = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self.db.session(write=True) as session:
            session.add(
                WebSessionRow(
                    id_hash=_hash(session_id),
                    user_id=user_id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + self.lifetime,
                )
            )
            session.execute(
                delete(WebSessionRow).where(WebSessionRow.expires_at < now)
            )  # keep the table small
            session.commit()
        return session_id

    def user_id(self, session_id: object) -> int | None:
        """The user of a live session, or None (unknown, ended or expired)."""
        if not isinstance(session_id, str) or not session_id:
            return None
        now = datetime.now(UTC)
        with self.db.session() as session:
            row = session.get(WebSessionRow, _hash(session_id))
            if row is None or _utc(row.expires_at) <= now:
                return None
            user_id, last = row.user_id, _utc(row.last_seen_at)
        if now - last > TOUCH_EVERY:
            self._touch(_hash(session_id), now)
        return user_id

    def end(self, session_id: object) -> None:
        if isinstance(session_id, str) and session_id:
            with self.db.session(write=True) as session:
                session.execute(delete(WebSessionRow).where(WebSessionRow.id_hash == _hash(session_id)))
                session.commit()

    def end_all(self, user_id: int) -> int:
        """Sign the user out everywhere; returns how many sessions ended."""
        with self.db.session(write=True) as session:
            count = end_sessions_of(session, user_id)
            session.commit()
            return count

    def _touch(self, id_hash: str, now: datetime) -> None:
        try:
            with self.db.session(write=True) as session:
                session.execute(
                    update(WebSessionRow).where(WebSessionRow.id_hash == id_hash).values(last_seen_at=now)
                )
                session.commit()
        except OperationalError:
            pass  # best effort: a busy store must not refuse the request


def end_sessions_of(session: Session, user_id: int) -> int:
    """Delete the user's sessions in the caller's transaction (a password change, disabling)."""
    return int(_count(session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user_id))) or 0)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _count(result: Any) -> int:
    """Rows a DELETE or UPDATE touched."""
    return int(cast(CursorResult[Any], result).rowcount or 0)
