"""Users, teams, API tokens and who may see which account.

Accounts are granted, as in a CRM: to a team (its members and managers see the
account and log into it) or to one user. The team(s) of whoever creates an
account get it (coach.tenancy); admins and the account's teams' managers grant
and revoke. An **admin** sees everything. Anything else does not exist for them:
the web app and the API answer 404, the same as for an account that is not there.

Passwords are hashed with Argon2 (argon2-cffi). API tokens are random
(``coach_`` + 32 url-safe bytes), shown once, and stored as their SHA-256; a token
is found by its hash and compared in constant time, and a revoked token stops at
once because every request looks it up.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from coach.errors import InvalidInput, NotFound
from coach.sessions import end_sessions_of
from coach.store.database import Database
from coach.store.schema import AccountGrantRow, ApiTokenRow, MembershipRow, TeamRow, UserRow

Role = Literal["rep", "manager", "admin"]
ROLES: tuple[str, ...] = ("rep", "manager", "admin")
TOKEN_PREFIX = "coach_"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    name: str
    role: str
    teams: tuple[str, ...] = ()
    manages: tuple[str, ...] = ()
    active: bool = True

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    name: str
    prefix: str
    user: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """Who may see what: the one place visibility is decided."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def visible_ids(self, user: User) -> set[int] | None:
        """Ids of the accounts ``user`` may see; None means all (admins)."""
        if user.is_admin:
            return None
        with self.db.session() as session:
            return visible_account_ids(session, user.id)

    def can_see(self, user: User, account_id: int) -> bool:
        if user.is_admin:
            return True
        with self.db.session() as session:
            return account_id in visible_account_ids(session, user.id, account_id)


def visible_account_ids(session: Session, user_id: int, account_id: int | None = None) -> set[int]:
    """Accounts granted to a team the user belongs to (or manages) or to the user; one account if given. Read in
    the caller's session, so a write transaction checks what it is about to write against what it sees."""
    teams = select(MembershipRow.team_id).where(MembershipRow.user_id == user_id)
    stmt = select(AccountGrantRow.account_id).where(
        or_(AccountGrantRow.team_id.in_(teams), AccountGrantRow.user_id == user_id)
    )
    if account_id is not None:
        stmt = stmt.where(AccountGrantRow.account_id == account_id)
    return set(session.scalars(stmt.distinct()))


class Users:
    """Creating and finding users, teams and tokens (the CLI and the web app's sign-in use it)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- users ----------------------------------------------------------------------------------
    def add(self, email: str, name: str, role: str = "rep", password: str | None = None) -> User:
        email = email.strip().lower()
        if not _EMAIL.match(email):
            raise InvalidInput(f"{email!r} is not an e-mail address")
        if role not in ROLES:
            raise InvalidInput(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if password is not None and len(password) < 8:
            raise InvalidInput("a password needs at least 8 characters")
        with self.db.session(write=True) as session:
            if session.scalar(select(UserRow).where(UserRow.email == email)):
                raise InvalidInput(f"a user {email} exists already")
            row = UserRow(
                email=email,
                name=" ".join(name.split()) or email,
                role=role,
                password_hash=_hasher.hash(password) if password else None,
                active=True,
                created_at=datetime.now(UTC),
            )
            session.add(row)
            session.commit()
            return self._user(session, row)

    def set_password(self, email: str, password: str) -> None:
        if len(password) < 8:
            raise InvalidInput("a password needs at least 8 characters")
        with self.db.session(write=True) as session:
            row = self._row(session, email)
            row.password_hash = _hasher.hash(password)
            end_sessions_of(session, row.id)  # whoever knew the old password is signed out
            session.commit()

    def set_active(self, email: str, active: bool) -> User:
        """Disable (or enable again) a user: disabled, their sessions end and their tokens stop at once."""
        with self.db.session(write=True) as session:
            row = self._row(session, email)
            row.active = active
            if not active:
                end_sessions_of(session, row.id)
            session.commit()
            return self._user(session, row)

    def is_active(self, email: str) -> bool:
        with self.db.session() as session:
            return self._row(session, email).active

    def sign_out_everywhere(self, email: str) -> int:
        with self.db.session(write=True) as session:
            count = end_sessions_of(session, self._row(session, email).id)
            session.commit()
            return count

    def authenticate(self, email: str, password: str) -> User | None:
        """The user if the password is theirs; None otherwise (same cost whether or not the user exists)."""
        with self.db.session() as session:
            row = session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
            stored = row.password_hash if row and row.active and row.password_hash else None
            try:
                _hasher.verify(stored or dummy_hash(), password)
            except (VerificationError, InvalidHashError):
                return None
            if row is None or stored is None:
                return None
            if _hasher.check_needs_rehash(stored):
                row.password_hash = _hasher.hash(password)
                session.commit()
            return self._user(session, row)

    def get(self, user_id: int) -> User | None:
        with self.db.session() as session:
            row = session.get(UserRow, user_id)
            return self._user(session, row) if row and row.active else None

    def by_email(self, email: str) -> User | None:
        with self.db.session() as session:
            row = session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
            return self._user(session, row) if row and row.active else None

    def all(self) -> list[User]:
        with self.db.session() as session:
            return [self._user(session, r) for r in session.scalars(select(UserRow).order_by(UserRow.email))]

    def _row(self, session: Session, email: str) -> UserRow:
        row = session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
        if row is None:
            raise NotFound(f"no user {email}; `coach users list` shows them")
        return row

    @staticmethod
    def _user(session: Session, row: UserRow) -> User:
        memberships = session.scalars(select(MembershipRow).where(MembershipRow.user_id == row.id)).all()
        return User(
            row.id,
            row.email,
            row.name,
            row.role,
            tuple(sorted(m.team.name for m in memberships)),
            tuple(sorted(m.team.name for m in memberships if m.manages)),
            row.active,
        )

    # --- teams ----------------------------------------------------------------------------------
    def add_team(self, name: str) -> None:
        name = " ".join(name.split())
        if not name:
            raise InvalidInput("a team needs a name")
        with self.db.session(write=True) as session:
            if session.scalar(select(TeamRow).where(TeamRow.name == name)):
                raise InvalidInput(f"a team {name!r} exists already")
            session.add(TeamRow(name=name, created_at=datetime.now(UTC)))
            session.commit()

    def add_member(self, team: str, email: str, manages: bool = False) -> None:
        with self.db.session(write=True) as session:
            team_row = session.scalar(select(TeamRow).where(TeamRow.name == " ".join(team.split())))
            if team_row is None:
                raise NotFound(f"no team {team!r}; `coach teams list` shows them")
            user = self._row(session, email)
            existing = session.get(MembershipRow, (team_row.id, user.id))
            if existing:
                existing.manages = existing.manages or manages
            else:
                session.add(MembershipRow(team_id=team_row.id, user_id=user.id, manages=manages))
            session.commit()

    def remove_member(self, team: str, email: str) -> None:
        """Take a user out of a team: the team's accounts leave their view on their next request."""
        with self.db.session(write=True) as session:
            team_row = session.scalar(select(TeamRow).where(TeamRow.name == " ".join(team.split())))
            if team_row is None:
                raise NotFound(f"no team {team!r}; `coach teams list` shows them")
            user = self._row(session, email)
            membership = session.get(MembershipRow, (team_row.id, user.id))
            if membership is None:
                raise NotFound(f"{user.email} is not in {team_row.name}")
            session.delete(membership)
            session.commit()

    def teams(self) -> list[tuple[str, list[str], list[str]]]:
        """(team, members' e-mails, managers' e-mails) for every team."""
        with self.db.session() as session:
            out = []
            for team in session.scalars(select(TeamRow).order_by(TeamRow.name)):
                out.append(
                    (
                        team.name,
                        sorted(m.user.email for m in team.memberships if not m.manages),
                        sorted(m.user.email for m in team.memberships if m.manages),
                    )
                )
            return out

    # --- tokens ---------------------------------------------------------------------------------
    def create_token(self, email: str, name: str, delegate: bool = False) -> tuple[str, TokenInfo]:
        """A new token for the user: the token itself (shown once) and what is stored about it. A ``delegate``
        token (admins only, for the Slack bot) may act for any active user named in the request."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.session(write=True) as session:
            user = self._row(session, email)
            if delegate and user.role != "admin":
                raise InvalidInput(
                    "only an admin's token may act for other users (create a service admin for the bot)"
                )
            row = ApiTokenRow(
                user_id=user.id,
                name=name.strip() or "token",
                prefix=token[:12],
                token_hash=hash_token(token),
                created_at=datetime.now(UTC),
                delegate=delegate,
            )
            session.add(row)
            session.commit()
            return token, self._info(row, user.email)

    def revoke_token(self, token_id: int) -> TokenInfo:
        with self.db.session(write=True) as session:
            row = session.get(ApiTokenRow, token_id)
            if row is None:
                raise NotFound(f"no token {token_id}; `coach tokens list` shows them")
            row.revoked_at = row.revoked_at or datetime.now(UTC)
            session.commit()
            return self._info(row, row.user.email)

    def tokens(self) -> list[TokenInfo]:
        with self.db.session() as session:
            return [
                self._info(r, r.user.email)
                for r in session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.id))
            ]

    def user_for_token(self, token: str, on_behalf_of: str | None = None) -> User | None:
        """The active user a live token belongs to, or None (unknown, revoked, or the user deactivated).
        With ``on_behalf_of`` (an e-mail) a delegate token acts as that user; any other token is refused."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        digest = hash_token(token)
        with self.db.session() as session:
            row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == digest))
            if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at is not None:
                return None
            if not row.user.active:
                return None
            now = datetime.now(UTC)
            last = row.last_used_at
            user = self._user(session, row.user)
            token_id = row.id
            if on_behalf_of is not None:
                target = session.scalar(select(UserRow).where(UserRow.email == on_behalf_of.strip().lower()))
                if not row.delegate or target is None or not target.active:
                    return None
                user = self._user(session, target)
        if last is None or (now - (last if last.tzinfo else last.replace(tzinfo=UTC))).total_seconds() > 60:
            self._touch(token_id, now)  # at most once a minute: a busy client must not turn reads into writes
        return user

    def delegate_owner(self, token: str) -> User | None:
        """The (active admin) owner of a live delegate token: the Slack bot's own calls; None for any other."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        digest = hash_token(token)
        with self.db.session() as session:
            row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == digest))
            if row is None or row.revoked_at is not None or not row.delegate or not row.user.active:
                return None
            return self._user(session, row.user)

    def _touch(self, token_id: int, now: datetime) -> None:
        try:
            with self.db.session(write=True) as session:
                session.execute(
                    update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=now)
                )
                session.commit()
        except OperationalError:
            pass  # 'last used' is best effort: a busy store must not refuse the request

    @staticmethod
    def _info(row: ApiTokenRow, email: str) -> TokenInfo:
        return TokenInfo(
            row.id, row.name, row.prefix, email, row.created_at, row.last_used_at, row.revoked_at
        )


@cache
def dummy_hash() -> str:
    """A hash to verify against when the user does not exist: equalises the time of a failed sign-in. Made on
    first use (the web app's warm-up makes it at start), not at import: hashing costs a fraction of a second."""
    return _hasher.hash("not a real password: equalises the time of a failed sign-in")


class SignInThrottle:
    """Sign-in rate limiting, kept in the database so every API worker sees the same counts.

    After ``per_email`` failed attempts for one e-mail address, or ``per_address`` from one network address,
    within ``window`` seconds, further attempts are refused (before the password is even checked) until the
    oldest failure leaves the window. A successful sign-in does not erase earlier failures.
    """

    def __init__(self, db: Database, per_email: int = 5, per_address: int = 30, window: int = 900) -> None:
        self.db, self.per_email, self.per_address, self.window = db, per_email, per_address, window

    def wait(self, email: str, address: str) -> int:
        """Seconds until this e-mail / address may try again (0: now)."""
        from datetime import timedelta

        from sqlalchemy import func

        from coach.store.schema import SignInAttemptRow

        now = datetime.now(UTC)
        start = now - timedelta(seconds=self.window)
        email = email.strip().lower()[:320]
        waits = [0]
        with self.db.session() as session:
            for column, value, limit in (
                (SignInAttemptRow.email, email, self.per_email),
                (SignInAttemptRow.address, address[:64], self.per_address),
            ):
                failures = session.scalar(
                    select(func.count()).where(
                        column == value, SignInAttemptRow.at >= start, SignInAttemptRow.ok.is_(False)
                    )
                )
                if failures and failures >= limit:
                    oldest = session.scalars(
                        select(SignInAttemptRow.at)
                        .where(column == value, SignInAttemptRow.at >= start, SignInAttemptRow.ok.is_(False))
                        .order_by(SignInAttemptRow.at.desc())
                        .offset(limit - 1)
                        .limit(1)
                    ).first()
                    if oldest is not None:
                        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
                        waits.append(
                            max(1, int((oldest + timedelta(seconds=self.window) - now).total_seconds()) + 1)
                        )
        return max(waits)

    def note(self, email: str, address: str, ok: bool) -> None:
        from datetime import timedelta

        from sqlalchemy import delete

        from coach.store.schema import SignInAttemptRow

        now = datetime.now(UTC)
        with self.db.session(write=True) as session:
            session.add(
                SignInAttemptRow(at=now, email=email.strip().lower()[:320], address=address[:64], ok=ok)
            )
            # Old attempts are of no use: keep the table small.
            session.execute(delete(SignInAttemptRow).where(SignInAttemptRow.at < now - timedelta(days=1)))
            session.commit()
