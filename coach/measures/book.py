"""Where account measures are kept: read with their history, written (the same account, measure and date again
replaces the value: the last one wins), and imported from rows that name accounts, which must exist already.

Access is the caller's to check for one account (the API: the account must be visible, and the writer an admin or
a manager of a team that holds it); an import checks each row's account against what its user may see, and an
account it may not see is reported exactly as one that does not exist.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coach.auth import User, visible_account_ids
from coach.measures.model import AccountMeasures, MeasurePoint, MeasureRow, account_measures
from coach.measures.spec import MEASURES, Value
from coach.records import Rejection, account_key
from coach.store.database import Database
from coach.store.schema import AccountMeasureRow, AccountRow

CHUNK = 500


@dataclass(frozen=True, slots=True)
class Entry:
    """One value to keep: an account's measure on a date."""

    account_id: int
    measure: str
    as_of: date
    value: Value
    source: str


@dataclass(slots=True)
class Written:
    added: int = 0
    changed: int = 0
    unchanged: int = 0


@dataclass(slots=True)
class MeasureImport:
    """What an import did: values added, changed and unchanged; and everything it refused, with the reason."""

    written: Written = field(default_factory=Written)
    accounts: set[str] = field(default_factory=set)
    rejected: list[Rejection] = field(default_factory=list)
    unknown: dict[str, list[str]] = field(default_factory=dict)  # the name as written: the rows naming it
    suggestions: dict[str, list[str]] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.rejected or self.unknown)


class MeasureBook:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- reading --------------------------------------------------------------------------------------
    def points(self, account_ids: Collection[int]) -> dict[int, dict[str, list[MeasurePoint]]]:
        """Every recorded value of these accounts, per account and measure (one query per 500 accounts)."""
        found: dict[int, dict[str, list[MeasurePoint]]] = {}
        ids = sorted(account_ids)
        with self.db.session() as session:
            for start in range(0, len(ids), CHUNK):
                stmt = select(AccountMeasureRow).where(
                    AccountMeasureRow.account_id.in_(ids[start : start + CHUNK])
                )
                for row in session.scalars(stmt):
                    found.setdefault(row.account_id, {}).setdefault(row.measure, []).append(_point(row))
        return found

    def of(self, account_id: int, name: str, as_of: date) -> AccountMeasures:
        return account_measures(name, as_of, self.points([account_id]).get(account_id, {}))

    # --- writing --------------------------------------------------------------------------------------
    def put(self, entries: list[Entry], recorded_by: int | None) -> Written:
        """Keep these values in one transaction; the same account, measure and date again replaces the value."""
        for attempt in (1, 2):
            try:
                with self.db.session(write=True) as session:
                    written = _write(session, entries, recorded_by)
                    session.commit()
                    return written
            except IntegrityError:  # another writer added the same key meanwhile: read it, and replace it
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def import_rows(
        self, rows: Iterable[MeasureRow | Rejection], user: User | None, recorded_by: int | None = None
    ) -> MeasureImport:
        """Rows naming accounts by name: each account must exist (and be visible to ``user``, if given); unknown
        names are listed, never created. A later row for the same account and date wins, and is reported."""
        result = MeasureImport()
        names = self._names(user)
        chosen: dict[tuple[int, date], tuple[str, dict[str, Value]]] = {}
        for row in rows:
            if isinstance(row, Rejection):
                result.rejected.append(row)
                continue
            result.rejected += [Rejection(row.origin, p) for p in row.problems]
            account = names.get(account_key(row.account))
            if account is None:
                result.unknown.setdefault(row.account, []).append(row.origin)
                continue
            if not row.values:
                continue
            key = (account[0], row.as_of)
            if key in chosen:
                first, earlier = chosen[key]
                result.duplicates.append(
                    f"{row.origin} repeats {first} ({account[1]}, {row.as_of.isoformat()}): the later row's "
                    "values are kept"
                )
                chosen[key] = (row.origin, {**earlier, **row.values})
            else:
                chosen[key] = (row.origin, dict(row.values))
            result.accounts.add(account[1])
        known = sorted({n for _, n in names.values()})
        for name in result.unknown:
            result.suggestions[name] = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        entries = [
            Entry(account_id, code, as_of, value, origin[:300])
            for (account_id, as_of), (origin, values) in chosen.items()
            for code, value in values.items()
        ]
        if entries:
            result.written = self.put(entries, recorded_by)
        return result

    def _names(self, user: User | None) -> dict[str, tuple[int, str]]:
        """The accounts an import may write into, by name key: all of them, or those the user may see."""
        with self.db.session() as session:
            visible = None if user is None or user.is_admin else visible_account_ids(session, user.id)
            rows = session.execute(select(AccountRow.id, AccountRow.key, AccountRow.name))
            return {key: (i, name) for i, key, name in rows if visible is None or i in visible}


def _write(session: Session, entries: list[Entry], recorded_by: int | None) -> Written:
    now = datetime.now(UTC)
    ids = sorted({e.account_id for e in entries})
    existing: dict[tuple[int, str, date], AccountMeasureRow] = {}
    for start in range(0, len(ids), CHUNK):
        stmt = select(AccountMeasureRow).where(AccountMeasureRow.account_id.in_(ids[start : start + CHUNK]))
        existing.update({(r.account_id, r.measure, r.as_of): r for r in session.scalars(stmt)})
    written = Written()
    for entry in entries:
        number, text = (
            (None, str(entry.value)) if isinstance(entry.value, str) else (float(entry.value), None)
        )
        row = existing.get((entry.account_id, entry.measure, entry.as_of))
        if row is None:
            row = AccountMeasureRow(account_id=entry.account_id, measure=entry.measure, as_of=entry.as_of)
            session.add(row)
            existing[(entry.account_id, entry.measure, entry.as_of)] = row
            written.added += 1
        elif (row.number, row.text) == (number, text):
            written.unchanged += 1
            continue
        else:
            written.changed += 1
        row.number, row.text, row.source = number, text, entry.source
        row.recorded_by, row.recorded_at = recorded_by, now
    session.flush()
    return written


def _point(row: AccountMeasureRow) -> MeasurePoint:
    value: Value = row.text if row.text is not None else float(row.number or 0.0)
    return MeasurePoint(as_of=row.as_of, value=value, source=row.source)


__all__ = ["MEASURES", "Entry", "MeasureBook", "MeasureImport", "Written"]
