"""Durable ingest: records go into the relational store and the index together, or into neither.

Records are taken in batches. For each batch: records whose id and content are
already stored are counted unchanged; the rest are chunked and embedded, then
written in one database transaction that commits only after the index holds
their chunks. If the commit fails, the chunks just added are removed again; if
the process dies in between, ``reindex`` finds and repairs the difference. A
batch that fails is retried record by record, so one bad record cannot keep
the good ones out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from coach.chunking import Chunk
from coach.ingest.common import SourceDefaults
from coach.ourside import OurSide, scope_of_writer
from coach.parts import IngestParts
from coach.people import email_domain
from coach.records import InteractionRecord, Rejection
from coach.store import chunk_vectors, fulltext
from coach.store.repository import Repository, as_utc
from coach.store.schema import InteractionRow
from coach.store.vectors import ChunkEntry, chunk_id
from coach.tenancy import AccountGate, Refusal, Writer

log = logging.getLogger(__name__)
FILL_PAGE = 2000  # chunk rows given their vector per transaction by ``fill_vectors``


@dataclass(slots=True)
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    chunks: int = 0
    accounts: set[str] = field(default_factory=set)

    @property
    def stored(self) -> list[str]:
        return self.added + self.updated

    def merge(self, other: IngestReport) -> None:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += other.rejected
        self.skipped += other.skipped
        self.chunks += other.chunks
        self.accounts |= other.accounts


@dataclass(slots=True)
class _Pending:
    record: InteractionRecord
    interaction_id: str
    content_hash: str
    writer: Writer = field(default_factory=lambda: Writer(None))


class IngestPipeline:
    def __init__(self, workspace: IngestParts) -> None:
        self.ws = workspace
        self._ourside = OurSide(workspace.settings.internal_domains, ttl=0.0)  # a write reads them fresh

    def defaults(self, **kwargs: Any) -> SourceDefaults:
        """Source defaults wired to this store (our domains as the operator's imports know them, accounts by
        domain)."""
        defaults = SourceDefaults(
            max_text_bytes=self.ws.settings.max_text_bytes,
            max_future_days=self.ws.settings.api_max_future_days,
            **kwargs,
        )
        defaults.internal_domains = self._our_domains(None)
        defaults.account_for_domain = self._account_for_domain
        return defaults

    def ingest(
        self,
        items: Iterable[InteractionRecord | Rejection],
        on_item: Callable[[], None] | None = None,
        logged_by: int | Callable[[InteractionRecord], int | None] | None = None,
        checked: bool = False,
    ) -> IngestReport:
        """Store the records (embedded first, then written; see the module docstring). ``logged_by`` is the
        coach user who logs them (or a function naming one per record). ``checked``: they write as themselves
        (web, API, Slack) and only into accounts they can see; otherwise the operator imports for them and
        their teams are granted the accounts (coach.tenancy)."""
        report = IngestReport()
        batch: list[_Pending] = []
        for item in items:
            if on_item:
                on_item()
            if isinstance(item, Rejection):
                report.rejected.append(item)
                continue
            who = logged_by(item) if callable(logged_by) else logged_by
            pending = _Pending(item, item.interaction_id(), item.content_hash(), Writer(who, checked))
            if any(p.interaction_id == pending.interaction_id for p in batch):
                self._flush(batch, report)
                batch = []
            batch.append(pending)
            if len(batch) >= self.ws.settings.ingest_batch_records:
                self._flush(batch, report)
                batch = []
        self._flush(batch, report)
        return report

    def _flush(self, batch: list[_Pending], report: IngestReport) -> None:
        if not batch:
            return
        with self.ws.db.session() as session:
            repo = Repository(session)
            stored = repo.hashes(p.interaction_id for p in batch)
            owners = repo.account_ids_of([p.interaction_id for p in batch if p.writer.checked])
            gate = AccountGate(session)
            taken = {
                p.interaction_id
                for p in batch
                if p.interaction_id in owners and not gate.may_overwrite(owners[p.interaction_id], p.writer)
            }
        fresh = []
        for pending in batch:
            if pending.interaction_id in taken:
                report.rejected.append(Rejection(pending.record.origin, _taken(pending.interaction_id)))
            elif stored.get(pending.interaction_id) == pending.content_hash:
                report.unchanged.append(pending.interaction_id)
            else:
                fresh.append(pending)
        if not fresh:
            return
        try:
            self._write(fresh, stored, report)
        except Exception as exc:  # noqa: BLE001 - any failure of the batch: retry one by one
            if len(fresh) == 1:
                log.warning("could not store %s: %s", fresh[0].interaction_id, exc)
                report.rejected.append(Rejection(fresh[0].record.origin, f"could not be stored: {exc}"))
                return
            for pending in fresh:
                self._flush([pending], report)

    def _write(self, fresh: list[_Pending], stored: dict[str, str], report: IngestReport) -> None:
        now = datetime.now(UTC)
        chunk_lists = [self.ws.chunker.split(p.record.analysis_text) for p in fresh]
        vectors = self.ws.embedder.embed([c.text for chunks in chunk_lists for c in chunks])
        with self.ws.db.session(write=True) as session:
            repo, gate = Repository(session), AccountGate(session)
            ourside = OurSide(self.ws.settings.internal_domains, ttl=float("inf"))  # once per scope and batch
            domains: dict[tuple[int, int | None], set[str]] = {}  # per account and writer, once a batch
            entries: list[ChunkEntry] = []
            kept: list[int] = []  # rows of ``vectors`` whose records are written
            saved: list[_Pending] = []
            start = 0
            for pending, chunks in zip(fresh, chunk_lists, strict=True):
                own_rows, start = list(range(start, start + len(chunks))), start + len(chunks)
                # The access check and the account's creation happen here, in the transaction that writes.
                account = gate.claim(pending.record.account, pending.writer)
                if isinstance(account, Refusal):
                    report.rejected.append(Rejection(pending.record.origin, account.reason, account.access))
                    continue
                owner = repo.account_of(pending.interaction_id) if pending.interaction_id in stored else None
                if owner is not None and not gate.may_overwrite(owner, pending.writer):
                    report.rejected.append(Rejection(pending.record.origin, _taken(pending.interaction_id)))
                    continue
                key = (account.id, pending.writer.user_id)
                if key not in domains:
                    domains[key] = _save_domains(ourside, session, account.id, pending, fresh)
                row = repo.save(
                    pending.record,
                    pending.interaction_id,
                    pending.content_hash,
                    len(chunks),
                    domains[key],
                    now,
                    logged_by=pending.writer.user_id,
                )
                entries.extend(_entries(row, chunks))
                kept.extend(own_rows)
                saved.append(pending)
            ids = [p.interaction_id for p in saved]
            # the chunk rows (the lexical side, and each chunk's vector for scoped search), in this transaction
            fulltext.replace_chunks(session, ids, entries, chunk_vectors.encode(vectors[kept]))
            self.ws.index.delete_interactions([i for i in ids if i in stored])
            if entries:
                self.ws.index.upsert(entries, vectors[kept])
            try:
                session.commit()
            except Exception:
                self.ws.index.delete_interactions(ids)
                raise
        for pending in saved:
            (report.updated if pending.interaction_id in stored else report.added).append(
                pending.interaction_id
            )
            report.accounts.add(pending.record.account)
        report.chunks += len(entries)

    def delete(self, interaction_ids: list[str]) -> list[str]:
        """Delete interactions from the store (their chunk rows go in the same transaction), then from the index;
        a crash in between leaves only index entries without a record, which search ignores and repair removes."""
        with self.ws.db.session(write=True) as session:
            gone = Repository(session).delete_interactions(interaction_ids)
            session.commit()
        self.ws.index.delete_interactions(gone)
        return gone

    def reindex(
        self,
        full: bool = True,
        on_item: Callable[[], None] | None = None,
        on_vectors: Callable[[int], None] | None = None,
    ) -> dict[str, int]:
        """Rebuild the index from the relational store (``full``), or repair only what differs.

        Repair finds interactions whose chunks are missing or incomplete in the index,
        and chunks whose interaction is not in the store (left by an interrupted write).
        ``on_item`` is called per interaction written again, ``on_vectors`` with each page of vectors copied.
        """
        targets: set[str] | None = None
        text_only: set[str] = set()  # vectors in step, chunk rows not: written again without embedding
        orphans: list[str] = []
        if full:
            self.ws.index.reset()
        else:
            with self.ws.db.session() as session:
                expected = Repository(session).chunk_counts()
                rows = fulltext.chunk_counts(session)
            actual = self.ws.index.interaction_chunk_counts()
            targets = {i for i, n in expected.items() if actual.get(i, 0) != n or rows.get(i, 0) != n}
            text_only = {i for i in targets if actual.get(i, 0) == expected[i]}
            orphans = sorted(set(actual) - set(expected))
            self.ws.index.delete_interactions(orphans)
            self.ws.index.delete_interactions(sorted(targets - text_only))
        indexed = chunks = 0
        with self.ws.db.session() as session:
            batches: dict[bool, list[InteractionRow]] = {True: [], False: []}  # by whether to embed
            for row in Repository(session).iter_all():
                if targets is not None and row.id not in targets:
                    continue
                embed = row.id not in text_only
                batches[embed].append(row)
                if len(batches[embed]) >= self.ws.settings.ingest_batch_records:
                    chunks += self._index_rows(session, batches[embed], on_item, embed)
                    indexed, batches[embed] = indexed + len(batches[embed]), []
            for embed, batch in batches.items():
                chunks += self._index_rows(session, batch, on_item, embed)
                indexed += len(batch)
            if not fulltext.healthy(session):
                fulltext.rebuild(session)
            session.commit()
        filled = self.fill_vectors(on_vectors)
        return {
            "interactions": indexed,
            "chunks": chunks,
            "orphans_removed": len(orphans),
            "vectors_copied": filled,
        }

    def _index_rows(
        self,
        session: Session,
        rows: list[InteractionRow],
        on_item: Callable[[], None] | None,
        embed: bool = True,
    ) -> int:
        chunk_lists = [self.ws.chunker.split(row.clean_text) for row in rows]
        entries = []
        for row, chunks in zip(rows, chunk_lists, strict=True):
            row.chunk_count = len(chunks)
            entries.extend(_entries(row, chunks))
            if on_item:
                on_item()
        if not embed:  # the index holds their vectors: ``fill_vectors`` copies them to the new rows
            fulltext.replace_chunks(session, [row.id for row in rows], entries)
            return len(entries)
        vectors = self.ws.embedder.embed([e.text for e in entries])
        fulltext.replace_chunks(session, [row.id for row in rows], entries, chunk_vectors.encode(vectors))
        self.ws.index.upsert(entries, vectors)
        return len(entries)

    def fill_vectors(self, on_page: Callable[[int], None] | None = None) -> int:
        """Copy each chunk row's vector from the index where the row has none (a store older than migration
        0012, or rows written again from the stored text): nothing is embedded. Rows whose chunk the index does not
        hold stay without (search asks the index, which has none either; repair re-embeds their interaction).
        ``on_page`` is told how many rows each page looked at. Returns how many rows got their vector."""
        filled, after = 0, 0
        while True:
            with self.ws.db.session(write=True) as session:
                rows = chunk_vectors.missing(session, after, FILL_PAGE)
                if not rows:
                    return filled
                found = self.ws.index.vectors([(interaction, seq) for _, interaction, seq in rows])
                chunk_vectors.write(session, {i: found[(k, s)] for i, k, s in rows if (k, s) in found})
                session.commit()
            filled += sum((k, s) in found for _, k, s in rows)
            after = rows[-1][0]
            if on_page:
                on_page(len(rows))

    def _our_domains(self, user_id: int | None) -> set[str]:
        with self.ws.db.session() as session:
            return set(self._ourside.of(session, scope_of_writer(session, user_id)).domains)

    def _account_for_domain(self, domain: str) -> str | None:
        with self.ws.db.session() as session:
            row = Repository(session).account_for_domain(domain)
            return row.name if row else None


def _entries(row: InteractionRow, chunks: list[Chunk]) -> list[ChunkEntry]:
    ts = int(as_utc(row.occurred_at).timestamp())
    return [
        ChunkEntry(
            chunk_id(row.id, c.seq), row.id, row.account_id, c.seq, c.start, c.end, c.text, ts, row.kind
        )
        for c in chunks
    ]


def _save_domains(
    ourside: OurSide, session: Session, account_id: int, pending: _Pending, batch: list[_Pending]
) -> set[str]:
    """Our domains as the account's scope knows them (never another team's records), plus those the batch's
    records from the same writer declare."""
    same = [p for p in batch if p.writer.user_id == pending.writer.user_id]
    return set(ourside.for_account(session, account_id).domains) | _declared_domains(same)


def _taken(interaction_id: str) -> str:
    return f"the id {interaction_id!r} is taken; leave 'id' out to have one derived"


def _declared_domains(batch: list[_Pending]) -> set[str]:
    """Domains of people a record itself calls internal: they tell us who 'we' are."""
    found = set()
    for pending in batch:
        for p in pending.record.participants:
            if p.side == "internal" and (d := email_domain(p.email)):
                found.add(d)
    return found
