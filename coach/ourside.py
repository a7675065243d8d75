"""Who "we" are when an account is judged: never another team's records.

Our people and e-mail domains come from what the organisation declares (its coach users, ``COACH_INTERNAL_DOMAINS``
and ``coach org domains add``) and from the records of the account's own scope: the interactions logged by members
of the teams (and the users) the account is granted to. Records imported with no user (operator imports, e.g.
`coach ingest FILE` without ``--user``) form their own scope, which an account granted to nobody reads. So a rep
name, an internal participant or an internal domain that team A logs never turns team B's customer into one of
ours.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from coach.errors import InvalidInput, NotFound
from coach.people import email_domain
from coach.store.database import Database
from coach.store.schema import (
    AccountGrantRow,
    InteractionRow,
    MembershipRow,
    OrgDomainRow,
    ParticipationRow,
    PersonRow,
    UserRow,
)

Person = tuple[
    str, str, str | None, str | None
]  # (name, side, title, e-mail), as coach.signals.text reads it
_DOMAIN_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789.-")


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose records teach an account who we are: interactions logged by these users, or (None) by no one."""

    loggers: frozenset[int] | None


@dataclass(frozen=True, slots=True)
class Ours:
    people: tuple[Person, ...]
    domains: frozenset[str]


class OurSide:
    """Our people and domains per scope, each read at most every ``ttl`` seconds per process."""

    def __init__(self, declared_domains: Iterable[str] = (), ttl: float = 10.0) -> None:
        self.declared_domains = frozenset(d.lower() for d in declared_domains)
        self.ttl = ttl
        self._cache: dict[Scope, tuple[float, Ours]] = {}

    def forget(self) -> None:
        self._cache.clear()

    def for_account(self, session: Session, account_id: int) -> Ours:
        return self.of(session, scope_of(session, account_id))

    def of(self, session: Session, scope: Scope) -> Ours:
        now = time.monotonic()
        cached = self._cache.get(scope)
        if cached is None or now - cached[0] > self.ttl:
            cached = (now, self._read(session, scope))
            self._cache[scope] = cached
        return cached[1]

    def _read(self, session: Session, scope: Scope) -> Ours:
        people, reps = _learnt(session, scope)
        declared_people = [
            (name, "internal", None, email)
            for name, email in session.execute(
                select(UserRow.name, UserRow.email).where(UserRow.active.is_(True)).order_by(UserRow.id)
            )
        ]
        domains = {d for d in (email_domain(p[3]) for p in people) if d}
        return Ours(
            people=tuple([*people, *((r, "internal", None, None) for r in reps), *declared_people]),
            domains=frozenset(self.declared_domains | org_domains(session) | domains),
        )


def scope_of(session: Session, account_id: int) -> Scope:
    """The members of the teams granted the account and its personal grantees; no grant: the operator's scope."""
    grants = session.execute(
        select(AccountGrantRow.team_id, AccountGrantRow.user_id).where(
            AccountGrantRow.account_id == account_id
        )
    ).all()
    if not grants:
        return Scope(None)
    teams = [t for t, _ in grants if t is not None]
    members: list[int] = (
        list(session.scalars(select(MembershipRow.user_id).where(MembershipRow.team_id.in_(teams))))
        if teams
        else []
    )
    return Scope(frozenset([*members, *(u for _, u in grants if u is not None)]))


def scope_of_writer(session: Session, user_id: int | None) -> Scope:
    """The scope a writer's new accounts get: their teams' members (or themselves); the operator's for None."""
    if user_id is None:
        return Scope(None)
    teams = select(MembershipRow.team_id).where(MembershipRow.user_id == user_id)
    members = set(session.scalars(select(MembershipRow.user_id).where(MembershipRow.team_id.in_(teams))))
    return Scope(frozenset(members | {user_id}))


def _learnt(session: Session, scope: Scope) -> tuple[list[Person], list[str]]:
    logged = (
        InteractionRow.logged_by.is_(None)
        if scope.loggers is None
        else InteractionRow.logged_by.in_(sorted(scope.loggers))
    )
    people = session.scalars(
        select(PersonRow)
        .where(
            PersonRow.side == "internal",
            PersonRow.id.in_(
                select(ParticipationRow.person_id)
                .join(InteractionRow, InteractionRow.id == ParticipationRow.interaction_id)
                .where(logged)
            ),
        )
        .order_by(PersonRow.id)
    )
    reps = session.scalars(
        select(InteractionRow.rep)
        .where(logged, InteractionRow.rep.is_not(None))
        .distinct()
        .order_by(InteractionRow.rep)
    )
    return [(p.name, "internal", p.title, p.email) for p in people], [r for r in reps if r]


def org_domains(session: Session) -> set[str]:
    return set(session.scalars(select(OrgDomainRow.domain)))


class OrgDomains:
    """`coach org domains add|remove|list`: e-mail domains the organisation declares as its own."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, domain: str) -> str:
        domain = _domain(domain)
        with self.db.session(write=True) as session:
            if session.get(OrgDomainRow, domain) is None:
                session.add(OrgDomainRow(domain=domain, added_at=datetime.now(UTC)))
                session.commit()
        return domain

    def remove(self, domain: str) -> str:
        domain = _domain(domain)
        with self.db.session(write=True) as session:
            if not _count(session.execute(delete(OrgDomainRow).where(OrgDomainRow.domain == domain))):
                raise NotFound(f"{domain} is not one of our domains; `coach org domains list` shows them")
            session.commit()
        return domain

    def list(self) -> list[str]:
        with self.db.session() as session:
            return sorted(org_domains(session))


def _domain(value: str) -> str:
    domain = value.strip().lower().lstrip("@")
    if "." not in domain or not set(domain) <= _DOMAIN_CHARS or domain.startswith((".", "-")):
        raise InvalidInput(f"{value!r} is not an e-mail domain (e.g. acme.com)")
    return domain


def _count(result: Any) -> int:
    """Rows a DELETE or UPDATE touched."""
    return int(cast(CursorResult[Any], result).rowcount or 0)
