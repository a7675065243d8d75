"""Accounts belong to teams by explicit grant, as in a CRM.

An account is granted to teams (their members and managers see it and log into it) or to single users; admins see
everything. Whoever creates an account gives it to their team(s) (a user in no team gets a personal grant);
admins and the managers of a team that holds an account grant and revoke it. Someone whose write names an account
another team holds is told so (nothing about what is in it) and an access request is recorded for its managers.

``AccountGate`` decides inside the write transaction of an ingest batch: the account is created there, relying on
the unique account key (a concurrent creator's insert fails and the check runs again against the winner's
grants), so a check and a write can never be split by another team's write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coach.auth import User, visible_account_ids
from coach.errors import Forbidden, InvalidInput, NotFound
from coach.records import account_key, account_skeleton
from coach.store.database import Database
from coach.store.repository import as_utc
from coach.store.schema import (
    AccessRequestRow,
    AccountGrantRow,
    AccountRow,
    MembershipRow,
    TeamRow,
    UserRow,
)


@dataclass(frozen=True, slots=True)
class Writer:
    """Who writes a record: a coach user (``user_id``) or the operator's import (None). ``checked``: the user writes
    as themselves (web, API, Slack) and may write only into accounts they can see; unchecked, the operator
    imports on the user's behalf (`coach ingest --user`) and the user's teams are granted the accounts."""

    user_id: int | None
    checked: bool = False


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str
    access: bool = False  # the account is another team's: an access request was recorded


class AccountGate:
    """Inside one write transaction: may this writer put a record into the account it names (created if new)?"""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._admins: dict[int, bool] = {}
        self._granted: set[tuple[int, int]] = (
            set()
        )  # (account, user) whose teams hold the account: a bulk import

    def claim(self, name: str, writer: Writer) -> AccountRow | Refusal:
        key = account_key(name)
        row = self._find(key)
        if row is None:
            refusal = self._lookalike(name, key, writer)
            if refusal is not None:
                return refusal
            row = self._create(name, key, writer)
            if row is not None:
                return row
            row = self._find(key)  # another transaction created it first: check against its grants
            assert row is not None
        return self._enter(row, writer)

    def may_overwrite(self, account_id: int, writer: Writer) -> bool:
        """May the writer replace an interaction stored in this account (an id it names that exists already)?"""
        return not writer.checked or self._sees(account_id, writer)

    def _find(self, key: str) -> AccountRow | None:
        return self.session.scalar(select(AccountRow).where(AccountRow.key == key))

    def _create(self, name: str, key: str, writer: Writer) -> AccountRow | None:
        row = AccountRow(
            name=" ".join(name.split()),
            key=key,
            skeleton=account_skeleton(name)[:300],
            created_at=datetime.now(UTC),
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            return None
        if writer.user_id is not None:
            grant_to_teams_of(self.session, row.id, writer.user_id, writer.user_id)
        return row

    def _enter(self, row: AccountRow, writer: Writer) -> AccountRow | Refusal:
        if writer.user_id is None:
            return row
        if not writer.checked:
            if (row.id, writer.user_id) not in self._granted:  # once per account and user in a transaction
                grant_to_teams_of(self.session, row.id, writer.user_id, None)
                self._granted.add((row.id, writer.user_id))
            return row
        if self._sees(row.id, writer):
            return row
        self._request_access(row.id, writer.user_id)
        return Refusal(
            f"an account named {row.name!r} belongs to another team, so nothing was logged. Your request for "
            "access is recorded: its team's managers (or an admin) can grant it, and then log the note again. "
            "If you meant a different account, use a name that tells them apart.",
            access=True,
        )

    def _sees(self, account_id: int, writer: Writer) -> bool:
        if writer.user_id is None:
            return True
        if writer.user_id not in self._admins:
            user = self.session.get(UserRow, writer.user_id)
            self._admins[writer.user_id] = bool(user and user.role == "admin")
        return self._admins[writer.user_id] or bool(
            visible_account_ids(self.session, writer.user_id, account_id)
        )

    def _lookalike(self, name: str, key: str, writer: Writer) -> Refusal | None:
        twin = self.session.scalar(
            select(AccountRow)
            .where(AccountRow.skeleton == account_skeleton(name)[:300], AccountRow.key != key)
            .limit(1)
        )
        if twin is None:
            return None
        shown = repr(twin.name) if self._sees(twin.id, writer) else "one another team holds"
        return Refusal(
            f"the account name {name!r} looks like an existing account's ({shown}) but is spelt with other "
            "letters or accents; type the existing name exactly, in one alphabet, or choose a clearly different name"
        )

    def _request_access(self, account_id: int, user_id: int) -> None:
        now = datetime.now(UTC)
        found = self.session.scalar(
            select(AccessRequestRow).where(
                AccessRequestRow.account_id == account_id, AccessRequestRow.user_id == user_id
            )
        )
        if found is not None:
            if found.status != "pending":
                found.status, found.requested_at, found.resolved_at, found.resolved_by = (
                    "pending",
                    now,
                    None,
                    None,
                )
            return
        try:
            with self.session.begin_nested():
                self.session.add(
                    AccessRequestRow(
                        account_id=account_id, user_id=user_id, status="pending", requested_at=now
                    )
                )
                self.session.flush()
        except IntegrityError:
            pass  # the same request, recorded a moment ago by another write


def grant_to_teams_of(session: Session, account_id: int, user_id: int, granted_by: int | None) -> None:
    """Grant the account to every team the user is in, or to the user alone if they are in none."""
    teams = list(session.scalars(select(MembershipRow.team_id).where(MembershipRow.user_id == user_id)))
    for team_id in teams:
        _grant(session, account_id, granted_by, team_id=team_id)
    if not teams:
        _grant(session, account_id, granted_by, user_id=user_id)


def _grant(
    session: Session,
    account_id: int,
    granted_by: int | None,
    team_id: int | None = None,
    user_id: int | None = None,
) -> bool:
    column = AccountGrantRow.team_id == team_id if team_id is not None else AccountGrantRow.user_id == user_id
    if session.scalar(select(AccountGrantRow.id).where(AccountGrantRow.account_id == account_id, column)):
        return False
    try:
        with session.begin_nested():
            session.add(
                AccountGrantRow(
                    account_id=account_id,
                    team_id=team_id,
                    user_id=user_id,
                    granted_by=granted_by,
                    granted_at=datetime.now(UTC),
                )
            )
            session.flush()
    except IntegrityError:
        return False  # granted by another transaction just now
    return True


@dataclass(frozen=True, slots=True)
class GrantInfo:
    account: str
    team: str | None
    user: str | None
    granted_by: str | None
    granted_at: datetime

    @property
    def holder(self) -> str:
        return f"team {self.team}" if self.team else f"user {self.user}"


RequestStatus = Literal["pending", "granted", "declined"]


@dataclass(frozen=True, slots=True)
class AccessRequest:
    id: int
    account: str
    user: str
    name: str
    status: RequestStatus
    requested_at: datetime


class Grants:
    """Granting and revoking accounts, and access requests: for the CLI (the operator, ``by=None``), the web app
    and the API (a signed-in admin, or a manager of a team that holds the account)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def of(self, by: User | None, account: str) -> list[GrantInfo]:
        with self.db.session() as session:
            row = self._account(session, by, account)
            return self._grants(session, row)

    def grant(
        self, by: User | None, account: str, team: str | None = None, email: str | None = None
    ) -> GrantInfo:
        with self.db.session(write=True) as session:
            row = self._managed(session, by, account)
            team_id, user_id = self._holder(session, team, email)
            _grant(session, row.id, by.id if by else None, team_id=team_id, user_id=user_id)
            if user_id is not None:
                self._resolve_requests(session, row.id, [user_id], by, "granted")
            else:
                members = list(
                    session.scalars(select(MembershipRow.user_id).where(MembershipRow.team_id == team_id))
                )
                self._resolve_requests(session, row.id, members, by, "granted")
            session.commit()
            holder = " ".join((team or "").split()) if team else (email or "").strip().lower()
            return next(g for g in self._grants(session, row) if (g.team if team else g.user) == holder)

    def revoke(self, by: User | None, account: str, team: str | None = None, email: str | None = None) -> int:
        """Remove a grant; returns how many grants the account keeps."""
        with self.db.session(write=True) as session:
            row = self._managed(session, by, account)
            team_id, user_id = self._holder(session, team, email)
            column = AccountGrantRow.team_id == team_id if team_id else AccountGrantRow.user_id == user_id
            gone = _count(
                session.execute(delete(AccountGrantRow).where(AccountGrantRow.account_id == row.id, column))
            )
            if not gone:
                raise NotFound(f"{row.name!r} is not granted to {f'team {team}' if team else email}")
            session.commit()
            return len(self._grants(session, row))

    def requests(self, by: User | None) -> list[AccessRequest]:
        """Pending access requests this person may resolve (all of them for admins and the operator)."""
        with self.db.session() as session:
            stmt = (
                select(AccessRequestRow, AccountRow.name, UserRow.email, UserRow.name)
                .join(AccountRow, AccountRow.id == AccessRequestRow.account_id)
                .join(UserRow, UserRow.id == AccessRequestRow.user_id)
                .where(AccessRequestRow.status == "pending")
                .order_by(AccessRequestRow.requested_at, AccessRequestRow.id)
            )
            if by is not None and not by.is_admin:
                stmt = stmt.where(AccessRequestRow.account_id.in_(_managed_ids(by.id)))
            return [
                AccessRequest(
                    r.id, account, email, name, cast(RequestStatus, r.status), as_utc(r.requested_at)
                )
                for r, account, email, name in session.execute(stmt)
            ]

    def resolve(self, by: User | None, request_id: int, grant: bool) -> AccessRequest:
        with self.db.session(write=True) as session:
            found = session.get(AccessRequestRow, request_id)
            if found is None or (
                by is not None and not by.is_admin and not self._manages(session, by, found.account_id)
            ):
                raise NotFound(f"no access request {request_id} among those you may answer")
            if grant:
                _grant(session, found.account_id, by.id if by else None, user_id=found.user_id)
            self._resolve_requests(
                session, found.account_id, [found.user_id], by, "granted" if grant else "declined"
            )
            session.commit()
            account = session.get(AccountRow, found.account_id)
            user = session.get(UserRow, found.user_id)
            assert account is not None and user is not None
            status = cast(RequestStatus, found.status)
            return AccessRequest(
                found.id, account.name, user.email, user.name, status, as_utc(found.requested_at)
            )

    def can_manage(self, by: User, account_id: int) -> bool:
        with self.db.session() as session:
            return by.is_admin or self._manages(session, by, account_id)

    # --- helpers ----------------------------------------------------------------------------------
    def _account(self, session: Session, by: User | None, name: str) -> AccountRow:
        row = session.scalar(select(AccountRow).where(AccountRow.key == account_key(name)))
        if row is None or (
            by is not None and not by.is_admin and not visible_account_ids(session, by.id, row.id)
        ):
            raise NotFound(f"no account named {name!r}")
        return row

    def _managed(self, session: Session, by: User | None, name: str) -> AccountRow:
        row = self._account(session, by, name)
        if by is not None and not by.is_admin and not self._manages(session, by, row.id):
            raise Forbidden(
                f"only an admin or a manager of a team that holds {row.name!r} can change who has it; "
                "ask one of them"
            )
        return row

    @staticmethod
    def _manages(session: Session, by: User, account_id: int) -> bool:
        return bool(
            session.scalar(
                select(AccountGrantRow.id).where(
                    AccountGrantRow.account_id == account_id,
                    AccountGrantRow.team_id.in_(_managed_teams(by.id)),
                )
            )
        )

    @staticmethod
    def _holder(session: Session, team: str | None, email: str | None) -> tuple[int | None, int | None]:
        if bool(team) == bool(email):
            raise InvalidInput("name either a team (--team) or a user (--user), not both")
        if team:
            found = session.scalar(select(TeamRow.id).where(TeamRow.name == " ".join(team.split())))
            if found is None:
                raise NotFound(f"no team {team!r}; `coach teams list` shows them")
            return found, None
        user = session.scalar(select(UserRow.id).where(UserRow.email == (email or "").strip().lower()))
        if user is None:
            raise NotFound(f"no user {email}; `coach users list` shows them")
        return None, user

    @staticmethod
    def _grants(session: Session, row: AccountRow) -> list[GrantInfo]:
        out = []
        for grant in session.scalars(
            select(AccountGrantRow).where(AccountGrantRow.account_id == row.id).order_by(AccountGrantRow.id)
        ):
            team = session.get(TeamRow, grant.team_id) if grant.team_id else None
            user = session.get(UserRow, grant.user_id) if grant.user_id else None
            by = session.get(UserRow, grant.granted_by) if grant.granted_by else None
            out.append(
                GrantInfo(
                    row.name,
                    team.name if team else None,
                    user.email if user else None,
                    by.email if by else None,
                    as_utc(grant.granted_at),
                )
            )
        return out

    @staticmethod
    def _resolve_requests(
        session: Session, account_id: int, user_ids: list[int], by: User | None, status: str
    ) -> None:
        for found in session.scalars(
            select(AccessRequestRow).where(
                AccessRequestRow.account_id == account_id,
                AccessRequestRow.user_id.in_(user_ids),
                AccessRequestRow.status == "pending",
            )
        ):
            found.status, found.resolved_at, found.resolved_by = (
                status,
                datetime.now(UTC),
                by.id if by else None,
            )


def _managed_teams(user_id: int) -> Select[int]:
    return select(MembershipRow.team_id).where(
        MembershipRow.user_id == user_id, MembershipRow.manages.is_(True)
    )


def _managed_ids(user_id: int) -> Select[int]:
    return select(AccountGrantRow.account_id).where(AccountGrantRow.team_id.in_(_managed_teams(user_id)))


def _count(result: Any) -> int:
    """Rows a DELETE or UPDATE touched."""
    return int(cast(CursorResult[Any], result).rowcount or 0)
