"""Replayed Slack requests: a signed request is handled once.

Slack signs each request with a timestamp and bolt refuses timestamps older than five minutes, but inside those
five minutes a captured request could be sent again (and logged twice, or as the same person again). The
signature of every request that passed verification is kept in the database, so every API worker agrees; the
same signature again is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slack_sdk.signature import SignatureVerifier
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from coach.store.database import Database
from coach.store.schema import SlackRequestRow

WINDOW = timedelta(minutes=5)  # what Slack's signature check accepts


class SeenRequests:
    def __init__(self, db: Database, signing_secret: str) -> None:
        self.db = db
        self.verifier = SignatureVerifier(signing_secret)

    def first_time(self, body: bytes, headers: dict[str, str]) -> bool:
        """False for a request whose valid signature was seen before; True otherwise (an invalid signature is
        left to bolt, which refuses it)."""
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not self.verifier.is_valid(body, timestamp, signature):
            return True
        now = datetime.now(UTC)
        try:
            with self.db.session(write=True) as session:
                session.execute(delete(SlackRequestRow).where(SlackRequestRow.seen_at < now - 2 * WINDOW))
                session.add(SlackRequestRow(signature=signature[:100], seen_at=now))
                session.commit()
        except IntegrityError:
            return False
        return True
