"""The portfolio service: whose accounts (a scope), each read once, then placed against the others and argued.

Reading is one pass over the accounts in one read session (``Analyzer.analyses``), keeping a small reading per
account; placement and decisions need the team's totals, so they follow in a second pass over the readings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from coach.analysis.report import EngineUsed
from coach.analysis.service import Analyzer
from coach.auth import User, visible_account_ids
from coach.errors import Forbidden, NotFound
from coach.measures import account_measures
from coach.measures.book import MeasureBook
from coach.parts import Records
from coach.playbook import Playbook
from coach.playbook import load as load_playbook
from coach.portfolio.decide import Decider, Totals, place
from coach.portfolio.model import Decision, Portfolio, PortfolioAccount
from coach.portfolio.model import Totals as TotalsPublic
from coach.portfolio.reading import AccountReading, read_account
from coach.portfolio.thresholds import PortfolioThresholds
from coach.store.schema import AccountGrantRow, AccountRow, MembershipRow, TeamRow


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose accounts a portfolio covers: their ids (None: every account) and how to say it."""

    label: str  # the team's name, the managed teams' names, or "all accounts"
    ids: frozenset[int] | None


class PortfolioService:
    def __init__(
        self,
        workspace: Records,
        analyzer: Analyzer,
        book: MeasureBook | None = None,
        playbook: Playbook | None = None,
        thresholds: PortfolioThresholds | None = None,
    ) -> None:
        self.ws = workspace
        self.analyzer = analyzer
        self.book = book or MeasureBook(workspace.db)
        self.t = thresholds or PortfolioThresholds.from_settings(workspace.settings)
        self.decider = Decider(playbook or load_playbook(), self.t)

    # --- whose accounts ---------------------------------------------------------------------------------
    def scope(self, user: User | None, team: str | None = None) -> Scope:
        """The operator (None) and admins: every account, or one team's. A manager: the teams they manage, or
        one of them. Anyone else: refused (the portfolio is management's view)."""
        if user is not None and not user.is_admin and not user.manages:
            raise Forbidden("the portfolio is for team managers and admins")
        if team is None:
            return Scope("all accounts", None) if user is None or user.is_admin else self.managed_scope(user)
        name = " ".join(team.split())
        if user is not None and not user.is_admin and name not in user.manages:
            raise NotFound(f"no team {team!r} among the teams you manage")
        with self.ws.db.session() as session:
            found = (
                session.scalar(select(TeamRow.id).where(TeamRow.name == name)) if _printable(name) else None
            )
        if found is None:
            raise NotFound(f"no team {team!r}; `coach teams list` shows them")
        return self._teams_scope([found], name, user)

    def managed_scope(self, user: User) -> Scope:
        """The accounts granted to the teams ``user`` manages (for an admin too: their digest is their teams')."""
        with self.ws.db.session() as session:
            teams = list(
                session.scalars(
                    select(MembershipRow.team_id).where(
                        MembershipRow.user_id == user.id, MembershipRow.manages.is_(True)
                    )
                )
            )
        return self._teams_scope(teams, ", ".join(user.manages), user)

    def _teams_scope(self, teams: list[int], label: str, user: User | None) -> Scope:
        with self.ws.db.session() as session:
            stmt = select(AccountGrantRow.account_id).where(AccountGrantRow.team_id.in_(teams))
            ids = set(session.scalars(stmt))
            if user is not None and not user.is_admin:
                ids &= visible_account_ids(session, user.id)
        return Scope(label, frozenset(ids))

    # --- the portfolio ----------------------------------------------------------------------------------
    def build(self, scope: Scope, as_of: date, on_account: Callable[[str], None] | None = None) -> Portfolio:
        ids = scope.ids if scope.ids is not None else self._every_account()
        points = self.book.points(ids)
        readings: list[AccountReading] = []
        engine: EngineUsed | None = None
        for analysis in self.analyzer.analyses(as_of, ids=ids, on_account=on_account):
            account_id = analysis.account_id or 0
            measures = account_measures(analysis.name, as_of, points.get(account_id, {}))
            readings.append(read_account(analysis, account_id, measures, self.t))
            engine = analysis.engine if engine is None else engine.merged(analysis.engine)
        return self._assemble(
            scope, as_of, readings, engine.label if engine else self.analyzer.extractor.engine
        )

    def _assemble(self, scope: Scope, as_of: date, readings: list[AccountReading], engine: str) -> Portfolio:
        totals = Totals.of(readings)
        accounts: list[PortfolioAccount] = []
        decisions: list[Decision] = []
        for r in readings:
            placement = place(r, totals, self.t)
            found = self.decider.decide(r, placement, totals)
            decisions += found
            accounts.append(
                PortfolioAccount(
                    account=r.account,
                    account_id=r.account_id,
                    placement=placement,
                    effort=r.effort,
                    value=r.value,
                    engagement=r.engagement,
                    open_problems=len(r.problems),
                    risks=[x.code for x in r.risks],
                    decisions=[d.kind for d in found],
                    measures=r.measures,
                )
            )
        accounts.sort(key=lambda a: (-a.placement.effort_share, a.account.casefold()))
        decisions.sort(key=lambda d: (-d.weight, d.kind, d.account.casefold(), d.series or ""))
        return Portfolio(
            as_of=as_of,
            scope=scope.label,
            window_days=self.t.window_days,
            since=as_of - timedelta(days=self.t.window_days - 1),
            totals=TotalsPublic(
                accounts=totals.accounts,
                interactions=totals.interactions,
                meeting_hours=round(totals.hours, 2),
                arr=totals.arr,
                accounts_without_arr=totals.accounts - totals.arr_accounts,
            ),
            decisions=decisions,
            accounts=accounts,
            engine=engine,
        )

    def _every_account(self) -> frozenset[int]:
        with self.ws.db.session() as session:
            return frozenset(session.scalars(select(AccountRow.id)))


def _printable(text: str) -> bool:
    return bool(text) and text.isprintable()


def top_questions(portfolio: Portfolio, limit: int = 3) -> list[Decision]:
    """The decisions most at stake, one per account first (a digest names a few, not one account's three)."""
    chosen: list[Decision] = []
    for spread in (True, False):
        for decision in portfolio.decisions:
            if len(chosen) == limit:
                return chosen
            if decision in chosen or (spread and any(c.account_id == decision.account_id for c in chosen)):
                continue
            chosen.append(decision)
    return chosen
