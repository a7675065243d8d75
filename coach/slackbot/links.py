"""Proven links between Slack users and coach users (the API keeps them; the bot asks the API).

A Slack person acts as a coach user only when that is proven:

- Slack says their profile e-mail is verified (``users.info`` → ``user.is_email_confirmed``) and it is a coach
  user's e-mail (the bot checks this on every request; nothing is stored), or
- they ran ``/coach link``, got a one-time link valid for ``CODE_LIFETIME``, and a coach user signed in to the web
  app and confirmed it. The link binds the Slack user to whoever confirmed, never to an address someone typed.

Only the SHA-256 of a code is stored, and a code works once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update

from coach.errors import InvalidInput
from coach.store.database import Database
from coach.store.schema import SlackLinkCodeRow, SlackLinkRow, UserRow

CODE_LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class PendingLink:
    slack_user: str
    slack_name: str | None
    expires_at: datetime


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class SlackLinks:
    def __init__(self, db: Database, lifetime: timedelta = CODE_LIFETIME) -> None:
        self.db, self.lifetime = db, lifetime

    def linked_email(self, slack_user: str) -> str | None:
        """The e-mail of the active coach user this Slack user proved to be, if any."""
        with self.db.session() as session:
            return session.scalar(
                select(UserRow.email)
                .join(SlackLinkRow, SlackLinkRow.user_id == UserRow.id)
                .where(SlackLinkRow.slack_user == slack_user, UserRow.active.is_(True))
            )

    def new_code(self, slack_user: str, slack_name: str | None = None) -> str:
        """A one-time code for this Slack user to confirm in the web app (only its hash is kept)."""
        code = secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        with self.db.session(write=True) as session:
            session.execute(delete(SlackLinkCodeRow).where(SlackLinkCodeRow.expires_at < now))
            session.add(
                SlackLinkCodeRow(
                    code_hash=_hash(code),
                    slack_user=slack_user[:64],
                    slack_name=(slack_name or None) and slack_name[:300],
                    created_at=now,
                    expires_at=now + self.lifetime,
                )
            )
            session.commit()
        return code

    def pending(self, code: str) -> PendingLink | None:
        """What a code would link, while it is unused and unexpired."""
        with self.db.session() as session:
            row = session.get(SlackLinkCodeRow, _hash(code))
            if row is None or row.used_at is not None or _utc(row.expires_at) <= datetime.now(UTC):
                return None
            return PendingLink(row.slack_user, row.slack_name, _utc(row.expires_at))

    def confirm(self, code: str, user_id: int) -> str:
        """Link the code's Slack user to ``user_id`` (the signed-in user who confirmed); returns the Slack user.
        The code is spent in the same transaction, so it links once whoever tries it twice."""
        now = datetime.now(UTC)
        with self.db.session(write=True) as session:
            spent = _count(
                session.execute(
                    update(SlackLinkCodeRow)
                    .where(
                        SlackLinkCodeRow.code_hash == _hash(code),
                        SlackLinkCodeRow.used_at.is_(None),
                        SlackLinkCodeRow.expires_at > now,
                    )
                    .values(used_at=now)
                )
            )
            if spent != 1:
                raise InvalidInput(
                    "this link has expired or was used already: run /coach link in Slack again for a new one"
                )
            row = session.get(SlackLinkCodeRow, _hash(code))
            assert row is not None
            link = session.get(SlackLinkRow, row.slack_user)
            if link is None:
                session.add(SlackLinkRow(slack_user=row.slack_user, user_id=user_id, confirmed_at=now))
            else:
                link.user_id, link.confirmed_at = user_id, now
            session.commit()
            return row.slack_user

    def unlink(self, slack_user: str) -> bool:
        with self.db.session(write=True) as session:
            gone = _count(session.execute(delete(SlackLinkRow).where(SlackLinkRow.slack_user == slack_user)))
            session.commit()
            return bool(gone)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _count(result: Any) -> int:
    """Rows a DELETE or UPDATE touched."""
    return int(cast(CursorResult[Any], result).rowcount or 0)
