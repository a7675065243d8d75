"""Building a manager's weekly digest from the judged accounts of the reps in the teams they manage.

For each rep, the accounts they logged interactions on; for each account, the
report at the end of the week against the report at the end of the week before:
new and resolved flags, new stakeholders, ageing problems, the engagement trend
over twelve weeks and the meetings to reinvent or kill. Then one to three
coaching points per rep from the playbook, each citing its evidence, and a
headline. A manager with no team gets a one-line digest saying so; a team with no
activity this week still hears about its ageing problems.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from coach.analysis.report import Evidence
from coach.analysis.service import AccountAnalysis, Analyzer
from coach.auth import Accounts, User, Users
from coach.digest.chart import rep_chart
from coach.digest.model import AccountWeek, Cited, Digest, RepWeek
from coach.errors import InvalidInput, NotFound
from coach.playbook import Playbook
from coach.playbook import load as load_playbook
from coach.store.schema import AccountRow, InteractionRow, MembershipRow, TeamRow, UserRow
from coach.workspace import Workspace

WEEKS = 12
SEVERITY = {"high": 3, "medium": 2, "low": 1}


def parse_week(week: str | None, today: date | None = None) -> tuple[str, date, date]:
    """'2026-W47' to (label, Monday, Sunday); default: the last complete week."""
    if not week:
        day = (today or date.today()) - timedelta(days=7)
    else:
        m = re.fullmatch(r"(\d{4})-W(\d{1,2})", week.strip().upper())
        if not m:
            raise InvalidInput(f"{week!r} is not an ISO week; use the form 2026-W47")
        try:
            day = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            raise InvalidInput(f"{week!r} is not a week of that year") from None
    year, number, _ = day.isocalendar()
    monday = date.fromisocalendar(year, number, 1)
    return f"{year}-W{number:02d}", monday, monday + timedelta(days=6)


class DigestBuilder:
    def __init__(
        self,
        workspace: Workspace,
        analyzer: Analyzer | None = None,
        playbook: Playbook | None = None,
        charts: bool = True,
        writer: Any = None,
    ) -> None:
        self.ws = workspace
        self.writer = writer
        self.analyzer = analyzer or Analyzer(workspace)
        self.playbook = playbook or load_playbook()
        self.users = Users(workspace.db)
        self.charts = charts

    def _page(self, code: str) -> str:
        entry = self.playbook.get(code)
        return entry.path if entry else ""

    def managers(self, team: str | None = None) -> list[User]:
        """Everyone who manages a team (or the given team)."""
        with self.ws.db.session() as session:
            stmt = select(MembershipRow.user_id).where(MembershipRow.manages.is_(True))
            if team:
                stmt = stmt.join(TeamRow).where(TeamRow.name == team)
            ids = sorted(set(session.scalars(stmt)))
        return [u for i in ids if (u := self.users.get(i)) is not None]

    def build(self, manager_email: str, week: str | None = None) -> Digest:
        manager = self.users.by_email(manager_email)
        if manager is None:
            raise NotFound(f"no user {manager_email}; `coach users list` shows them")
        label, start, end = parse_week(week)
        digest = Digest(
            manager=manager.name,
            manager_email=manager.email,
            teams=list(manager.manages),
            week=label,
            start=start,
            end=end,
            app_url=self.ws.settings.app_url.rstrip("/"),
        )
        if not manager.manages:
            digest.notes.append(
                f"{manager.name} manages no team, so there is nothing to digest. Add one with "
                f"`coach teams add-member TEAM {manager.email} --manager`."
            )
            digest.headline.append("No team to report on.")
            return digest
        visible = Accounts(self.ws.db).visible_ids(
            manager
        )  # an account taken from the team leaves its digest
        for rep in self._reps(manager):
            digest.reps.append(self._rep(rep, start, end, visible))
        digest.headline = self._headline(digest)
        if self.writer is not None:
            digest = self.writer.write(digest, self._texts(digest))
        return digest

    def _texts(self, digest: Digest) -> dict[str, str]:
        ids = {
            c.interaction
            for r in digest.reps
            for a in r.accounts
            for c in a.new_flags + a.ageing_problems + a.meetings
            if c.interaction
        }
        ids |= {c.interaction for r in digest.reps for c in r.coaching if c.interaction}
        with self.ws.db.session() as session:
            rows = session.scalars(select(InteractionRow).where(InteractionRow.id.in_(ids or {""})))
            return {r.id: r.raw_text for r in rows}

    # --- who --------------------------------------------------------------------------------------
    def _reps(self, manager: User) -> list[tuple[int, str, str]]:
        with self.ws.db.session() as session:
            teams = select(TeamRow.id).where(TeamRow.name.in_(manager.manages))
            stmt = (
                select(UserRow.id, UserRow.name, UserRow.email)
                .join(MembershipRow, MembershipRow.user_id == UserRow.id)
                .where(
                    MembershipRow.team_id.in_(teams),
                    MembershipRow.manages.is_(False),
                    UserRow.active.is_(True),
                )
                .distinct()
                .order_by(UserRow.name)
            )
            return [(i, n, e) for i, n, e in session.execute(stmt) if i != manager.id]

    def _accounts_of(self, rep_id: int) -> list[tuple[int, str]]:
        with self.ws.db.session() as session:
            stmt = (
                select(AccountRow.id, AccountRow.name)
                .join(InteractionRow, InteractionRow.account_id == AccountRow.id)
                .where(InteractionRow.logged_by == rep_id)
                .distinct()
                .order_by(AccountRow.name)
            )
            return list(session.execute(stmt))

    # --- one rep ----------------------------------------------------------------------------------
    def _rep(self, rep: tuple[int, str, str], start: date, end: date, visible: set[int] | None) -> RepWeek:
        rep_id, name, email = rep
        section = RepWeek(rep=name, email=email)
        for account_id, account in self._accounts_of(rep_id):
            if visible is not None and account_id not in visible:
                continue
            now = self.analyzer.account(account, end)
            if not now.judged:
                continue
            before = self.analyzer.account(account, start - timedelta(days=1))
            section.accounts.append(self._account(account_id, now, before, start, end))
        section.accounts.sort(key=lambda a: (-len(a.new_flags) - len(a.ageing_problems), a.account))
        section.coaching = self._coaching(section.accounts)
        if self.charts and section.accounts:
            section.chart_png = rep_chart([a.trend for a in section.accounts], end, WEEKS)
        return section

    def _account(
        self, account_id: int, now: AccountAnalysis, before: AccountAnalysis, start: date, end: date
    ) -> AccountWeek:
        report, prior = now.report, before.report
        this_week = [j for j in now.judged if start <= j.view.occurred_at.date() <= end]
        prior_risks = {r.code for r in prior.risks}
        prior_open = {p.key for p in prior.unaddressed_problems}
        open_now = {p.key for p in report.unaddressed_problems}
        new_flags = [
            self._cite(
                f"{r.code.replace('_', ' ')} ({r.severity}): {r.why}", r.evidence, r.playbook, r.code, r.rank
            )
            for r in report.risks
            if r.code not in prior_risks
        ]
        new_flags += [
            self._cite(f"new unaddressed problem: {p.summary}", p.evidence, p.playbook, "unaddressed_problem")
            for p in report.unaddressed_problems
            if p.key not in prior_open
        ]
        resolved = [
            self._cite(f"{r.code.replace('_', ' ')} no longer flagged", r.evidence, r.playbook, r.code)
            for r in prior.risks
            if report.risk(r.code) is None
        ]
        resolved += [
            self._cite(f"addressed: {p.summary}", p.evidence, p.playbook, "unaddressed_problem")
            for p in prior.unaddressed_problems
            if p.key not in open_now
        ]
        met_before = {
            p.name
            for j in now.judged
            if j.view.occurred_at.date() < start
            for p in j.facts.people
            if p.side == "customer" and p.active
        }
        stakeholders = sorted(
            {
                p.name
                for j in this_week
                for p in j.facts.people
                if p.side == "customer" and p.active and p.name not in met_before
            }
        )
        ageing = [
            self._cite(
                f"{p.days_open} days open: {p.summary}",
                p.evidence,
                p.playbook,
                "unaddressed_problem",
                days_open=p.days_open,
            )
            for p in sorted(report.unaddressed_problems, key=lambda p: -p.days_open)
            if p.days_open >= self.ws.settings.digest_ageing_days
        ]
        meetings = [
            self._cite(
                f"{m.series}: {m.verdict}. {m.why}", m.evidence, m.playbook, "meetings", verdict=m.verdict
            )
            for m in report.meetings
            if m.verdict in ("reinvent", "kill")
        ]
        trend = self._trend(now, end)
        recent = [t for t in trend[-4:] if t is not None]
        earlier = [t for t in trend[:-4] if t is not None]
        drifting = report.engagement.label == "tactical" or bool(
            recent and earlier and sum(recent) / len(recent) < sum(earlier) / len(earlier) - 0.2
        )
        return AccountWeek(
            account=now.name,
            account_id=account_id,
            engagement=report.engagement.label,
            engagement_why=report.engagement.why,
            interactions_this_week=len(this_week),
            trend=trend,
            drifting_tactical=drifting,
            new_flags=new_flags,
            resolved=resolved,
            new_stakeholders=stakeholders,
            ageing_problems=ageing,
            meetings=meetings,
            single_threaded=report.risk("single_threaded") is not None,
        )

    @staticmethod
    def _cite(
        text: str,
        evidence: list[Evidence],
        playbook: str | None,
        code: str,
        severity: int = 0,
        days_open: int | None = None,
        verdict: str | None = None,
    ) -> Cited:
        first = evidence[0] if evidence else None
        return Cited(
            text=text,
            interaction=first.interaction if first else None,
            quote=first.quote if first else None,
            playbook=playbook,
            code=code,
            severity=severity,
            days_open=days_open,
            verdict=verdict,
        )

    @staticmethod
    def _trend(now: AccountAnalysis, end: date) -> list[float | None]:
        shares: list[float | None] = []
        for back in range(WEEKS - 1, -1, -1):
            week_end = end - timedelta(days=7 * back)
            week = [
                j for j in now.judged if week_end - timedelta(days=6) <= j.view.occurred_at.date() <= week_end
            ]
            shares.append(
                round(sum(j.facts.engagement == "strategic" for j in week) / len(week), 3) if week else None
            )
        return shares

    # --- coaching -----------------------------------------------------------------------------------
    def _coaching(self, accounts: list[AccountWeek]) -> list[Cited]:
        """Up to three points, most severe first, each the playbook's next step with the evidence behind it."""
        candidates: list[tuple[float, str, Cited]] = []
        for a in accounts:
            for flag in a.new_flags + a.ageing_problems + a.meetings:
                code = flag.code or ""
                weight = 3.0 if flag.severity >= 3 else 2.0 if flag.days_open is not None else 1.5
                step = self._next_step(flag.playbook, flag.verdict)
                if step:
                    candidates.append(
                        (
                            weight,
                            code,
                            Cited(
                                text=f"{a.account}: {step}",
                                interaction=flag.interaction,
                                quote=flag.quote,
                                playbook=flag.playbook,
                            ),
                        )
                    )
            if a.drifting_tactical:
                step = self._next_step(self._page("engagement"))
                if step:
                    candidates.append(
                        (
                            1.0,
                            "engagement",
                            Cited(text=f"{a.account}: {step}", playbook=self._page("engagement")),
                        )
                    )
        chosen: list[Cited] = []
        codes: set[str] = set()
        ranked = sorted(candidates, key=lambda c: -c[0])
        for spread in (True, False):  # first one point per account, then fill up
            for _, code, cited in ranked:
                account = cited.text.split(": ", 1)[0]
                if code in codes or (spread and any(c.text.startswith(account + ": ") for c in chosen)):
                    continue
                codes.add(code)
                chosen.append(cited)
        return chosen[:3]

    def _next_step(self, playbook: str | None, verdict: str | None = None) -> str | None:
        entry = next(
            (e for e in self.playbook.entries.values() if e.path == (playbook or "").split("#")[0]), None
        )
        steps = entry.next_steps() if entry else []
        if not steps:
            return None
        prefix = f"{verdict.capitalize()}:" if verdict else None
        return next((s for s in steps if prefix and s.startswith(prefix)), steps[0])

    # --- headline -----------------------------------------------------------------------------------
    @staticmethod
    def _headline(digest: Digest) -> list[str]:
        # Reps share accounts: count each account once.
        accounts = list({a.account_id: a for r in digest.reps for a in r.accounts}.values())
        if not accounts:
            return ["No account activity logged by the team yet."]
        lines = []
        active = sum(a.interactions_this_week for a in accounts)
        lines.append(
            f"{active} interaction(s) logged this week across {len(accounts)} account(s)."
            if active
            else "No interactions logged this week."
        )
        drifting = [a.account for a in accounts if a.drifting_tactical]
        if drifting:
            lines.append(f"{len(drifting)} account(s) tactical or drifting tactical: {_names(drifting)}.")
        ageing = [(a.account, c) for a in accounts for c in a.ageing_problems]
        if ageing:
            oldest = max(c.days_open or 0 for _, c in ageing)
            lines.append(f"{len(ageing)} customer problem(s) ageing unanswered, the oldest {oldest} days.")
        meetings = [c for a in accounts for c in a.meetings]
        if meetings:
            kill = sum(1 for c in meetings if c.verdict == "kill")
            lines.append(
                f"{len(meetings)} recurring meeting(s) to fix: {kill} to kill, {len(meetings) - kill} to reinvent."
            )
        single = [a.account for a in accounts if a.single_threaded]
        if single:
            lines.append(f"{len(single)} relationship(s) hang on one person: {_names(single)}.")
        new = sum(len(a.new_flags) for a in accounts)
        resolved = sum(len(a.resolved) for a in accounts)
        if new or resolved:
            lines.append(f"This week: {new} new flag(s), {resolved} resolved.")
        return lines


def _names(names: list[str], limit: int = 4) -> str:
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")
