"""Teams as a manager sees them: who is in one, who manages it, the accounts it holds, and when its reps last
logged anything (so a team page opens on a week with something to read)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select

from coach.auth import User
from coach.store.database import Database
from coach.store.repository import as_utc
from coach.store.schema import AccountGrantRow, InteractionRow, MembershipRow, TeamRow


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class Team:
    id: int
    name: str
    members: tuple[Person, ...]
    managers: tuple[Person, ...]


class Teams:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, team_id: int) -> Team | None:
        with self.db.session() as session:
            team = session.get(TeamRow, team_id)
            if team is None:
                return None
            people = [
                (m.manages, Person(m.user.id, m.user.name, m.user.email))
                for m in team.memberships
                if m.user.active
            ]
            return Team(
                team.id,
                team.name,
                tuple(sorted((p for manages, p in people if not manages), key=lambda p: p.name)),
                tuple(sorted((p for manages, p in people if manages), key=lambda p: p.name)),
            )

    def visible_to(self, user: User) -> list[tuple[int, str]]:
        """(id, name) of the teams whose page the user may open: those they manage, or all for an admin."""
        with self.db.session() as session:
            stmt = select(TeamRow.id, TeamRow.name).order_by(TeamRow.name)
            if not user.is_admin:
                managed = select(MembershipRow.team_id).where(
                    MembershipRow.user_id == user.id, MembershipRow.manages.is_(True)
                )
                stmt = stmt.where(TeamRow.id.in_(managed))
            return [(i, n) for i, n in session.execute(stmt)]

    def accounts(self, team_id: int) -> set[int]:
        """The accounts granted to the team."""
        with self.db.session() as session:
            stmt = select(AccountGrantRow.account_id).where(AccountGrantRow.team_id == team_id)
            return set(session.scalars(stmt))

    def last_logged(self, team: Team, until: date) -> date | None:
        """The date of the latest interaction the team's reps logged on or before ``until``."""
        ids = [p.id for p in team.members]
        if not ids:
            return None
        with self.db.session() as session:
            latest = session.scalar(
                select(func.max(InteractionRow.occurred_at)).where(
                    InteractionRow.logged_by.in_(ids),
                    InteractionRow.occurred_at <= datetime.combine(until, time.max, tzinfo=UTC),
                )
            )
        return as_utc(latest).date() if latest is not None else None
