"""Reads and writes of the relational store, in the domain's terms."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from coach.people import person_key, resolve_side
from coach.records import InteractionRecord, Participant, Side, account_key, account_skeleton
from coach.store.schema import AccountRow, InteractionRow, ParticipationRow, PersonRow


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything the coach stores is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class AccountSummary:
    id: int
    name: str
    interactions: int
    first: datetime | None
    last: datetime | None


class Repository:
    """Domain-level access to one SQLAlchemy session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # People found or added through this repository, by (account, key): a batch of notes with the same people
        # looks each up once (rows of the session's own transaction, so they cannot go stale in it).
        self._people: dict[tuple[int | None, str], PersonRow] = {}

    # --- accounts -------------------------------------------------------------------------
    def account(self, name: str, create: bool = False) -> AccountRow | None:
        key = account_key(name)
        row = self.session.scalar(select(AccountRow).where(AccountRow.key == key))
        if row is None and create:
            row = AccountRow(
                name=" ".join(name.split()),
                key=key,
                skeleton=account_skeleton(name)[:300],
                created_at=datetime.now(UTC),
            )
            self.session.add(row)
            self.session.flush()
        return row

    def accounts_by_id(self, ids: Iterable[int]) -> list[AccountRow]:
        """These accounts, by name (ids that do not exist are left out); one query per 500 ids."""
        wanted = sorted(set(ids))
        found: list[AccountRow] = []
        for start in range(0, len(wanted), 500):
            found += self.session.scalars(
                select(AccountRow).where(AccountRow.id.in_(wanted[start : start + 500]))
            )
        return sorted(found, key=lambda r: (r.name.casefold(), r.id))

    def account_names(self) -> list[str]:
        return list(self.session.scalars(select(AccountRow.name).order_by(AccountRow.name)))

    def account_summaries(self) -> list[AccountSummary]:
        stmt = (
            select(
                AccountRow.id,
                AccountRow.name,
                func.count(InteractionRow.id),
                func.min(InteractionRow.occurred_at),
                func.max(InteractionRow.occurred_at),
            )
            .outerjoin(InteractionRow, InteractionRow.account_id == AccountRow.id)
            .group_by(AccountRow.id, AccountRow.name)
            .order_by(AccountRow.name)
        )
        return [
            AccountSummary(
                id=i, name=n, interactions=c, first=as_utc(f) if f else None, last=as_utc(la) if la else None
            )
            for i, n, c, f, la in self.session.execute(stmt)
        ]

    def people_met(self, account_id: int) -> list[tuple[str, str | None, str | None]]:
        """(name, side, title) of everyone who took part in an interaction of the account, most often first."""
        seen = func.count(ParticipationRow.interaction_id)
        stmt = (
            select(PersonRow.name, PersonRow.side, PersonRow.title)
            .join(ParticipationRow, ParticipationRow.person_id == PersonRow.id)
            .join(InteractionRow, InteractionRow.id == ParticipationRow.interaction_id)
            .where(InteractionRow.account_id == account_id)
            .group_by(PersonRow.id, PersonRow.name, PersonRow.side, PersonRow.title)
            .order_by(seen.desc(), PersonRow.name)
        )
        return [(name, side, title) for name, side, title in self.session.execute(stmt)]

    def account_for_domain(self, domain: str) -> AccountRow | None:
        """The account whose customer people use this e-mail domain, if exactly one does."""
        rows = self.session.scalars(
            select(AccountRow)
            .join(PersonRow, PersonRow.account_id == AccountRow.id)
            .where(PersonRow.email.like(f"%@{domain}"))
            .distinct()
        ).all()
        return rows[0] if len(rows) == 1 else None

    # --- interactions ---------------------------------------------------------------------
    def hashes(self, ids: Iterable[str]) -> dict[str, str]:
        ids = list(ids)
        if not ids:
            return {}
        rows = self.session.execute(
            select(InteractionRow.id, InteractionRow.content_hash).where(InteractionRow.id.in_(ids))
        )
        return {i: h for i, h in rows}

    def account_ids_of(self, ids: Sequence[str]) -> dict[str, int]:
        """The account each of these stored interactions is in."""
        if not ids:
            return {}
        rows = self.session.execute(
            select(InteractionRow.id, InteractionRow.account_id).where(InteractionRow.id.in_(list(ids)))
        )
        return {i: a for i, a in rows}

    def account_of(self, interaction_id: str) -> int | None:
        return self.session.scalar(
            select(InteractionRow.account_id).where(InteractionRow.id == interaction_id)
        )

    def interaction(self, interaction_id: str) -> InteractionRow | None:
        return self.session.get(
            InteractionRow,
            interaction_id,
            options=[selectinload(InteractionRow.participants).selectinload(ParticipationRow.person)],
        )

    def interactions(
        self,
        account_ids: Sequence[int] | None = None,
        ids: Sequence[str] | None = None,
        until: datetime | None = None,
    ) -> list[InteractionRow]:
        stmt = select(InteractionRow).options(
            selectinload(InteractionRow.participants).selectinload(ParticipationRow.person),
            selectinload(InteractionRow.account),
        )
        if account_ids is not None:
            stmt = stmt.where(InteractionRow.account_id.in_(account_ids))
        if ids is not None:
            stmt = stmt.where(InteractionRow.id.in_(ids))
        if until is not None:
            stmt = stmt.where(InteractionRow.occurred_at <= until)
        return list(self.session.scalars(stmt.order_by(InteractionRow.occurred_at, InteractionRow.id)))

    def iter_all(self, page: int = 200) -> Iterator[InteractionRow]:
        last = ""
        while True:
            rows = list(
                self.session.scalars(
                    select(InteractionRow)
                    .options(selectinload(InteractionRow.account))
                    .where(InteractionRow.id > last)
                    .order_by(InteractionRow.id)
                    .limit(page)
                )
            )
            yield from rows
            if len(rows) < page:
                return
            last = rows[-1].id

    def chunk_counts(self) -> dict[str, int]:
        return {i: n for i, n in self.session.execute(select(InteractionRow.id, InteractionRow.chunk_count))}

    def count_interactions(self) -> int:
        return int(self.session.scalar(select(func.count(InteractionRow.id))) or 0)

    def delete_interactions(self, ids: Sequence[str]) -> list[str]:
        """Delete these interactions (their people stay; chunks and cached facts go with them). Returns the ids
        that were stored."""
        gone = []
        for interaction_id in ids:
            row = self.session.get(InteractionRow, interaction_id)
            if row is not None:
                self.session.delete(row)
                gone.append(interaction_id)
        self.session.flush()
        return gone

    def save(
        self,
        record: InteractionRecord,
        interaction_id: str,
        content_hash: str,
        chunk_count: int,
        internal_domains: set[str],
        now: datetime,
        logged_by: int | None = None,
    ) -> InteractionRow:
        """Insert or replace one interaction with its account and people (flushed, not committed)."""
        account = self.account(record.account, create=True)
        assert account is not None
        row = self.session.get(InteractionRow, interaction_id)
        new = row is None
        if row is None:
            row = InteractionRow(id=interaction_id, created_at=now)
            self.session.add(row)
        row.account_id = account.id
        row.kind = record.kind
        row.occurred_at = record.occurred_at or now
        row.date_given = record.occurred_at is not None
        row.rep = record.rep
        row.subject = record.subject
        row.series = record.series
        row.duration_minutes = record.duration_minutes
        row.raw_text = record.text
        row.clean_text = record.analysis_text
        row.quoted_text = record.quoted_text
        row.content_hash = content_hash
        row.origin = record.origin[:1000]
        row.extra = record.extra
        row.chunk_count = chunk_count
        row.logged_by = row.logged_by or logged_by  # whoever logged it first keeps it visible to their teams
        row.updated_at = now
        if not new:  # its old participants go before the new ones are added (one person appears once)
            row.participants.clear()
            self.session.flush()
        seen: set[int] = set()
        for position, participant in enumerate(record.participants):
            side = resolve_side(participant, internal_domains, record.rep)
            person = self._person(account.id if side != "internal" else None, participant, side)
            if person.id not in seen:
                seen.add(person.id)
                row.participants.append(ParticipationRow(person_id=person.id, position=position))
        self.session.flush()
        return row

    def _person(self, account_id: int | None, participant: Participant, side: Side | None) -> PersonRow:
        key = person_key(participant)
        person = self._people.get((account_id, key))
        if person is None:
            stmt = select(PersonRow).where(PersonRow.key == key)
            stmt = stmt.where(
                PersonRow.account_id.is_(None) if account_id is None else PersonRow.account_id == account_id
            )
            person = self.session.scalar(stmt)
        if person is None:
            person = PersonRow(account_id=account_id, key=key, name=participant.name.strip())
            self.session.add(person)
        # Newer records can fill in what older ones did not say.
        person.email = person.email or (participant.email.strip().lower() if participant.email else None)
        person.title = participant.title or person.title
        person.side = side or person.side
        if len(participant.name.strip()) > len(person.name):
            person.name = participant.name.strip()
        if person.id is None:
            self.session.flush()  # its id, for the participation rows
        self._people[(account_id, key)] = person
        return person
