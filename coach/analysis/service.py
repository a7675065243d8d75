"""The analysis service: facts for every interaction (cached), judged per account, as one report."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from coach import guard
from coach.analysis.closing import offline_linker
from coach.analysis.judge import AccountJudge
from coach.analysis.judged import Judged, LedgerEntry
from coach.analysis.links import Linker, Links
from coach.analysis.report import AccountReport, EngineUsed, Fallback, Report
from coach.analysis.thresholds import Thresholds
from coach.errors import NotFound
from coach.llm import Usage
from coach.ourside import Ours, OurSide
from coach.parts import AnalysisParts
from coach.people import email_domain
from coach.playbook import Playbook
from coach.signals.facts import InteractionFacts
from coach.signals.offline import InteractionView, OfflineExtractor
from coach.signals.text import Directory, directory_from
from coach.store.repository import Repository, as_utc
from coach.store.schema import AccountRow, FactsRow, InteractionRow


@dataclass(slots=True)
class AccountAnalysis:
    name: str
    as_of: date
    report: AccountReport
    judged: list[Judged]
    directory: Directory
    engine: EngineUsed
    ledger: list[LedgerEntry] = field(default_factory=list)
    links: Links | None = None
    account_id: int | None = None

    def as_report(self) -> Report:
        """This account alone, as the report contract."""
        return Report(
            as_of=self.as_of, engine=self.engine.label, engine_detail=self.engine, accounts=[self.report]
        )


OURS_TTL = 10.0
EXTRACT_BATCH = 200  # interactions an engine that reads several together reads at once


class Extractor(Protocol):
    engine: str
    version: str

    def extract(self, view: InteractionView, directory: Directory) -> InteractionFacts: ...


def view_of(row: InteractionRow) -> InteractionView:
    """What the engines read of an interaction: the text with instructions aimed at an AI blanked (offsets kept,
    see ``coach.guard``), and without participants whose names read as instructions."""
    return InteractionView(
        id=row.id,
        account=row.account.name,
        kind=row.kind,
        occurred_at=as_utc(row.occurred_at),
        text=guard.blank(row.raw_text),
        rep=row.rep,
        series=row.series,
        duration_minutes=row.duration_minutes,
        participants=trusted_participants(row),
    )


def trusted_participants(row: InteractionRow) -> list[tuple[str, str | None, str | None, str | None]]:
    return [
        (p.person.name, p.person.side, p.person.title, p.person.email)
        for p in row.participants
        if not guard.is_instruction(p.person.name) and not guard.is_instruction(p.person.title or "")
    ]


class Analyzer:
    def __init__(
        self,
        workspace: AnalysisParts,
        extractor: Extractor | None = None,
        thresholds: Thresholds | None = None,
        playbook: Playbook | None = None,
        linker: Linker | None = None,
    ) -> None:
        self.ws = workspace
        self.extractor = extractor or OfflineExtractor(workspace.embedder)
        self.linker = linker if linker is not None else offline_linker(self.extractor)
        self.judge = AccountJudge(thresholds or Thresholds(), playbook)
        self.ourside = OurSide(workspace.settings.internal_domains, OURS_TTL)

    def report(
        self, as_of: date, accounts: list[str] | None = None, on_account: Callable[[str], None] | None = None
    ) -> Report:
        results: list[AccountReport] = []
        engine = self._used([], [], Usage())
        for analysis in self.analyses(as_of, accounts, on_account=on_account):
            engine = engine.merged(analysis.engine)
            results.append(analysis.report)
        return Report(as_of=as_of, engine=engine.label, engine_detail=engine, accounts=results)

    def analyses(
        self,
        as_of: date,
        accounts: list[str] | None = None,
        ids: Collection[int] | None = None,
        on_account: Callable[[str], None] | None = None,
    ) -> Iterator[AccountAnalysis]:
        """Each account judged as of a date, one after another in one read session: the named accounts, those
        with these ids, or all (by name). Newly extracted facts are cached as it goes."""
        fresh: list[FactsRow] = []
        self.ourside.forget()  # a run reads our people once per scope, fresh
        try:
            with self.ws.db.session() as session:
                repo = Repository(session)
                for account in self._accounts(repo, accounts, ids):
                    if on_account:
                        on_account(account.name)
                    yield self._analyse(session, repo, account, as_of, fresh)
                    if len(fresh) >= 1000:  # cache as we go: a long run that stops keeps what it extracted
                        self._store(fresh)
                        fresh.clear()
        finally:
            self._store(fresh)

    def account(self, name: str, as_of: date) -> AccountAnalysis:
        """One account judged as of a date, with the facts behind the report (for briefs and digests)."""
        fresh: list[FactsRow] = []
        with self.ws.db.session() as session:
            repo = Repository(session)
            (account,) = self._accounts(repo, [name])
            analysis = self._analyse(session, repo, account, as_of, fresh)
        self._store(fresh)
        return analysis

    def earlier(self, analysis: AccountAnalysis, as_of: date) -> AccountAnalysis:
        """The same account judged as of an earlier date from the facts already read: no store reads, no
        extraction, no model calls. Comparing the two (a digest's week over week) then shows what the interactions
        and the dates changed, never a difference in how the notes were read."""
        until = datetime.combine(as_of, time.max, tzinfo=UTC)
        judged = [j for j in analysis.judged if j.view.occurred_at <= until]
        report, ledger = self.judge.assess(analysis.name, judged, as_of, analysis.links)
        return AccountAnalysis(
            analysis.name,
            as_of,
            report,
            judged,
            analysis.directory,
            analysis.engine,
            ledger,
            analysis.links,
            analysis.account_id,
        )

    def _store(self, fresh: list[FactsRow]) -> None:
        """Cache newly extracted facts in one short write transaction (reading never holds the write lock)."""
        if not fresh:
            return
        latest = {row.interaction_id: row for row in fresh}  # one row per interaction, the last made
        try:
            with self.ws.db.session(write=True) as session:
                held = self._cached(session, list(latest))  # fresh rows are all this extractor's engine
                for interaction_id, row in latest.items():
                    old = held.get(interaction_id)
                    if old is None:
                        session.add(row)
                    else:
                        old.key, old.data, old.created_at = row.key, row.data, row.created_at
                session.commit()
        except (IntegrityError, OperationalError):  # another request cached them first, or the store is busy
            pass

    def _analyse(
        self, session: Session, repo: Repository, account: AccountRow, as_of: date, fresh: list[FactsRow]
    ) -> AccountAnalysis:
        until = datetime.combine(as_of, time.max, tzinfo=UTC)
        interactions = repo.interactions(account_ids=[account.id], until=until)
        ours = self.ourside.for_account(session, account.id)  # never another team's records: coach.ourside
        directory = self._directory(account.name, interactions, ours)
        cache = self._cached(session, [r.id for r in interactions])
        fingerprint = json.dumps(
            [sorted((p.name, p.side) for p in directory.people), sorted(directory.internal_domains)],
            ensure_ascii=False,
        )
        before = self._usage()
        facts = self._facts(interactions, directory, fingerprint, cache, fresh)
        judged = [Judged(view_of(r), facts[r.id]) for r in interactions]
        links = self.linker.links(account.name, judged) if self.linker is not None else None
        report, ledger = self.judge.assess(account.name, judged, as_of, links)
        used = self._used(judged, links.fallbacks if links else [], self._usage().minus(before))
        if used.requested == "llm":
            report.llm_usage = used.usage
        return AccountAnalysis(
            account.name, as_of, report, judged, directory, used, ledger, links, account.id
        )

    def without(self, analysis: AccountAnalysis, interaction_id: str) -> AccountReport:
        """The account's report had ``interaction_id`` not been logged: judged again from the facts and links
        already read (no extraction, no model call), to show what one note changed."""
        rest = [j for j in analysis.judged if j.view.id != interaction_id]
        return self.judge.judge(analysis.name, rest, analysis.as_of, analysis.links)

    def _usage(self) -> Usage:
        """What the model steps have cost so far (calls, cached and recorded answers, tokens)."""
        total = Usage()
        for step in (getattr(self.extractor, "call", None), getattr(self.linker, "call", None)):
            if step is not None:
                total = total.plus(step.usage)
        return total

    def _used(self, judged: list[Judged], link_fallbacks: list[str], usage: Usage) -> EngineUsed:
        """Which engine read these interactions, and where (and why) a step fell back to offline."""
        llm = self.extractor.engine.startswith("llm:")
        reasons = Counter(("read", j.facts.fallback) for j in judged if j.facts.fallback)
        reasons.update(("link", r) for r in link_fallbacks)
        return EngineUsed(
            requested="llm" if llm else "offline",
            model=self.extractor.engine.split(":", 1)[1] if llm else None,
            fallbacks=[Fallback(step=s, reason=r, count=n) for (s, r), n in sorted(reasons.items())],
            answered=sum(1 for j in judged if not j.facts.fallback),
            usage=usage.as_dict(),
        )

    def _accounts(
        self, repo: Repository, names: list[str] | None, ids: Collection[int] | None = None
    ) -> list[AccountRow]:
        if ids is not None:
            return repo.accounts_by_id(ids)
        if not names:
            return [row for s in repo.account_summaries() if (row := repo.account(s.name))]
        found: list[AccountRow] = []
        for name in names:
            row = repo.account(name)
            if row is None:
                raise NotFound(f"no account named {name!r}; `coach accounts` lists them")
            found.append(row)
        return found

    @staticmethod
    def _directory(account: str, rows: list[InteractionRow], ours: Ours) -> Directory:
        """Our side (see coach.ourside), the account's own reps and domains, then everyone its records name."""
        people = [person for r in rows for person in trusted_participants(r)]
        reps = [(r.rep, "internal", None, None) for r in rows if r.rep]
        domains = {d for p in people if p[1] == "internal" and (d := email_domain(p[3]))}
        return directory_from([*ours.people, *reps, *people], ours.domains | domains, account)

    def _cached(self, session: Session, ids: list[str]) -> dict[str, FactsRow]:
        """The cached facts of these interactions for this engine, in one query per 500 ids."""
        found: dict[str, FactsRow] = {}
        for start in range(0, len(ids), 500):
            stmt = select(FactsRow).where(
                FactsRow.engine == self.extractor.engine,
                FactsRow.interaction_id.in_(ids[start : start + 500]),
            )
            found.update({f.interaction_id: f for f in session.scalars(stmt)})
        return found

    def _facts(
        self,
        rows: list[InteractionRow],
        directory: Directory,
        fingerprint: str,
        cache: dict[str, FactsRow],
        fresh: list[FactsRow],
    ) -> dict[str, InteractionFacts]:
        """Each interaction's facts: cached when read before with the same engine, text and people; the others
        extracted (a batch at a time when the engine reads several together) and added to ``fresh``."""
        found: dict[str, InteractionFacts] = {}
        todo: list[tuple[InteractionRow, str]] = []
        for row in rows:
            key = hashlib.sha256(
                f"{self.extractor.version}|{row.content_hash}|{fingerprint}".encode()
            ).hexdigest()
            cached = cache.get(row.id)
            if cached is not None and cached.key == key:
                found[row.id] = InteractionFacts.model_validate(cached.data)
            else:
                todo.append((row, key))
        many = getattr(self.extractor, "extract_many", None)
        step = EXTRACT_BATCH if many is not None else 1
        for start in range(0, len(todo), step):
            batch = todo[start : start + step]
            views = [view_of(row) for row, _ in batch]
            read = many(views, directory) if many else [self.extractor.extract(views[0], directory)]
            for (row, key), facts in zip(batch, read, strict=True):
                found[row.id] = facts
                if facts.fallback:
                    continue  # a fallback answer is not cached: the next run asks the model again
                fresh.append(
                    FactsRow(
                        interaction_id=row.id,
                        engine=self.extractor.engine,
                        key=key,
                        data=facts.model_dump(mode="json"),
                        created_at=datetime.now(UTC),
                    )
                )
        return found
