"""Building a manager's weekly digest from the judged accounts of the reps in the teams they manage.

Each account the team's reps logged is judged at the end of the week, and again at the end of the week before
from the same facts (``Analyzer.earlier``): the difference is this week's news (new flags, flags resolved and
how, problems turning 30, 60 or 90 days old, new customer contacts). Then per rep up to three coaching points
from the playbook, each citing its evidence, and the interactions they logged per week; per account where it
stands. A manager with no team gets a one-line digest saying so; a team with no activity this week still hears
about its ageing problems, because they do not stop ageing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import select

from coach.analysis.judged import LedgerEntry
from coach.analysis.report import Evidence, OpenProblem
from coach.analysis.service import AccountAnalysis, Analyzer
from coach.auth import Accounts, User, Users
from coach.digest import words
from coach.digest.chart import week_chart
from coach.digest.findings import AppLinks, FindingWriter
from coach.digest.model import AccountWeek, Digest, Finding, Link, RepWeek, Section, Source, WeekCount
from coach.errors import InvalidInput, NotFound
from coach.parts import AnalysisParts
from coach.playbook import Playbook
from coach.playbook import load as load_playbook
from coach.store.schema import AccountRow, InteractionRow, MembershipRow, TeamRow, UserRow

WEEKS = 12
MARKS = (30, 60, 90)  # an open problem turning this many days old is news
TITLE_CHARS = 60


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


class SectionSource(Protocol):
    """Something else the coach knows that a manager should read weekly (the portfolio's top investment
    questions, ...): given the built digest, a section to show after "This week", or None."""

    def section(self, digest: Digest) -> Section | None: ...


@dataclass(frozen=True, slots=True)
class _Week:
    label: str
    start: date
    end: date

    def holds(self, when: datetime) -> bool:
        return self.start <= when.date() <= self.end

    def ends(self) -> list[date]:
        """The last day of each of the twelve weeks, oldest first."""
        return [self.end - timedelta(days=7 * back) for back in range(WEEKS - 1, -1, -1)]


class DigestBuilder:
    def __init__(
        self,
        workspace: AnalysisParts,
        analyzer: Analyzer | None = None,
        playbook: Playbook | None = None,
        charts: bool = True,
        writer: Any = None,
        sections: Sequence[SectionSource] = (),
        app_url: str | None = None,
    ) -> None:
        """``app_url``: where the links point (default ``COACH_APP_URL``); the web app previews the digest with
        ``""``, links within the app that serves the preview, whatever host and port it answers on."""
        self.ws = workspace
        self.writer = writer
        self.analyzer = analyzer or Analyzer(workspace)
        self.playbook = playbook or load_playbook()
        self.users = Users(workspace.db)
        self.charts = charts
        self.sections = list(sections)
        self.links = AppLinks(workspace.settings.app_url if app_url is None else app_url)
        self.findings = FindingWriter(self.playbook, self.links)

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
        when = _Week(*parse_week(week))
        digest = Digest(
            manager=manager.name,
            manager_email=manager.email,
            teams=list(manager.manages),
            week=when.label,
            start=when.start,
            end=when.end,
            app_url=self.links.base,
        )
        if not manager.manages:
            digest.notes.append(f"{manager.name} manages no team, so there is nothing to send.")
            digest.headline.append("No team to report on.")
            return digest
        digest.team_pages = self._team_pages(manager.manages, when.label)
        self._team(digest, manager, when)
        digest.headline = self._headline(digest)
        digest.sections = [s for source in self.sections if (s := source.section(digest)) is not None]
        return self._written(digest)

    def _team(self, digest: Digest, manager: User, when: _Week) -> None:
        """Each rep's accounts judged (each account once), their coaching points and charts, the team's chart."""
        visible = Accounts(self.ws.db).visible_ids(
            manager
        )  # an account taken from the team leaves its digest
        accounts: dict[int, AccountWeek | None] = {}
        analyses: dict[int, AccountAnalysis] = {}
        reps = self._reps(manager)
        logged = self._logged([r[0] for r in reps], when)
        for rep in reps:
            digest.reps.append(self._rep(rep, when, visible, accounts, analyses, logged.get(rep[0], set())))
        digest.accounts = sorted(
            (a for a in accounts.values() if a is not None), key=lambda a: (-a.attention, a.account)
        )
        if self.charts and digest.accounts:
            team_weeks = _sum_weeks([a.weeks for a in digest.accounts], when)
            digest.team_chart = week_chart(team_weeks, words.names(digest.teams), height_px=190)
        for n, chart in enumerate(digest.images):
            chart.cid = f"chart-{n}"

    def _written(self, digest: Digest) -> Digest:
        """The LLM's opening paragraph (with the writer), and every citation's date, kind and title."""
        cited = self._cited(digest)
        if self.writer is not None:
            digest = self.writer.write(digest, {i: c.raw_text for i, c in cited.items()})
            digest.narrative_sources = [
                source for e in digest.narrative_evidence if (source := self.findings.source(e)) is not None
            ]
        self._fill(digest, cited)
        return digest

    # --- who --------------------------------------------------------------------------------------
    def _team_pages(self, teams: Iterable[str], week: str) -> list[Link]:
        with self.ws.db.session() as session:
            rows = session.execute(select(TeamRow.id, TeamRow.name).where(TeamRow.name.in_(list(teams))))
            return [
                Link(label=name, url=self.links.team(i, week)) for i, name in sorted(rows, key=lambda r: r[1])
            ]

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
            return [(i, n) for i, n in session.execute(stmt)]

    def _logged(self, rep_ids: list[int], when: _Week) -> dict[int, set[str]]:
        """The interactions each rep logged in the twelve weeks (their chart counts these)."""
        since = datetime.combine(when.end - timedelta(days=7 * WEEKS - 1), time.min, tzinfo=UTC)
        until = datetime.combine(when.end, time.max, tzinfo=UTC)
        found: dict[int, set[str]] = defaultdict(set)
        with self.ws.db.session() as session:
            stmt = select(InteractionRow.logged_by, InteractionRow.id).where(
                InteractionRow.logged_by.in_(rep_ids),
                InteractionRow.occurred_at >= since,
                InteractionRow.occurred_at <= until,
            )
            for rep_id, interaction in session.execute(stmt):
                if rep_id is not None:
                    found[rep_id].add(interaction)
        return found

    # --- one rep ----------------------------------------------------------------------------------
    def _rep(
        self,
        rep: tuple[int, str, str],
        when: _Week,
        visible: set[int] | None,
        accounts: dict[int, AccountWeek | None],
        analyses: dict[int, AccountAnalysis],
        logged: set[str],
    ) -> RepWeek:
        rep_id, name, email = rep
        section = RepWeek(rep=name, email=email)
        for account_id, account in self._accounts_of(rep_id):
            if visible is not None and account_id not in visible:
                continue
            if account_id not in accounts:  # reps share accounts: judge each once per digest
                accounts[account_id] = self._account(account_id, account, when, analyses)
            week = accounts[account_id]
            if week is not None:
                week.reps.append(name)
                section.accounts.append(week)
        section.accounts.sort(key=lambda a: (-a.attention, a.account))
        mine = [
            j
            for i in (a.account_id for a in section.accounts)
            for j in analyses[i].judged
            if j.view.id in logged
        ]
        section.weeks = _count_weeks(((j.view.occurred_at, j.facts.engagement) for j in mine), when)
        section.coaching = self._coaching(section.accounts)
        if self.charts:
            section.chart = week_chart(section.weeks, name)
        return section

    def _account(
        self, account_id: int, name: str, when: _Week, analyses: dict[int, AccountAnalysis]
    ) -> AccountWeek | None:
        now = self.analyzer.account(name, when.end)
        if not now.judged:
            return None
        analyses[account_id] = now
        before = self.analyzer.earlier(now, when.start - timedelta(days=1))
        report, url = now.report, self.links.account(account_id)
        risks = [self.findings.risk(name, url, r) for r in sorted(report.risks, key=lambda r: -r.rank)]
        problems = {p.key: self.findings.problem(name, url, p) for p in report.unaddressed_problems}
        prior_risks = {r.code for r in before.report.risks}
        prior_open = {p.key for p in before.report.unaddressed_problems}
        weeks = _count_weeks(((j.view.occurred_at, j.facts.engagement) for j in now.judged), when)
        return AccountWeek(
            account=name,
            account_id=account_id,
            url=url,
            engagement=report.engagement.label,
            strategic=report.engagement.strategic,
            judged=report.engagement.total,
            interactions_this_week=sum(1 for j in now.judged if when.holds(j.view.occurred_at)),
            weeks=weeks,
            drifting_tactical=report.engagement.label == "tactical" or _drifting(weeks),
            new_flags=[r for r in risks if r.code not in prior_risks]
            + [problems[p.key] for p in report.unaddressed_problems if p.key not in prior_open],
            resolved=self._resolved(url, now, before, when),
            crossed=[
                self.findings.problem(name, url, p, turned=mark)
                for p in report.unaddressed_problems
                for mark in MARKS
                if when.start <= p.raised_on + timedelta(days=mark) <= when.end
            ],
            new_stakeholders=_new_contacts(now, when),
            risks=risks,
            ageing_problems=[
                problems[p.key]
                for p in sorted(report.unaddressed_problems, key=lambda p: -p.days_open)
                if p.days_open >= self.ws.settings.digest_ageing_days
            ],
            meetings=self._meetings(url, now),
            single_threaded=report.risk("single_threaded") is not None,
        )

    def _resolved(
        self, url: str, now: AccountAnalysis, before: AccountAnalysis, when: _Week
    ) -> list[Finding]:
        """Risks flagged a week ago and not now, and problems open then and closed now, each saying how."""
        this_week = [j for j in now.judged if when.holds(j.view.occurred_at)]
        latest = (
            Evidence(interaction=this_week[-1].view.id, quote=_opening(this_week[-1].view.text))
            if this_week
            else None
        )
        open_now = {p.key for p in now.report.unaddressed_problems}
        cleared = [
            self.findings.risk_cleared(now.name, url, r, latest)
            for r in before.report.risks
            if now.report.risk(r.code) is None
        ]
        return cleared + [
            self.findings.problem_closed(now.name, url, p, *self._closing(now, p))
            for p in before.report.unaddressed_problems
            if p.key not in open_now
        ]

    def _meetings(self, url: str, now: AccountAnalysis) -> list[Finding]:
        """Series to reinvent or kill, each with the date it first met."""
        first = _first_meetings(now)
        return [
            self.findings.meeting(now.name, url, m, first.get(" ".join(m.series.split()).casefold()))
            for m in now.report.meetings
            if m.verdict in ("reinvent", "kill")
        ]

    @staticmethod
    def _closing(
        now: AccountAnalysis, problem: OpenProblem
    ) -> tuple[LedgerEntry | None, str | None, date | None]:
        """The ledger entry that closed ``problem``, how (fixed, planned or answered) and on which day."""
        entry = next(
            (
                e
                for e in now.ledger
                if e.raised_in.view.id == problem.raised_in
                and e.evidence[0][1].text == problem.evidence[0].quote
            ),
            None,
        )
        if entry is None or entry.addressed_by is None:
            return entry, None, None
        interaction, said = entry.addressed_by
        closing = next((j for j in now.judged if j.view.id == interaction), None)
        on = closing.view.occurred_at.date() if closing else None
        if interaction == problem.raised_in and entry.problem.response in ("fixed", "planned", "answered"):
            return entry, entry.problem.response, on
        kinds = [r.kind for r in closing.facts.resolutions if r.quote.start == said.start] if closing else []
        return entry, kinds[0] if kinds else "answered", on

    # --- coaching -----------------------------------------------------------------------------------
    def _coaching(self, accounts: list[AccountWeek]) -> list[Finding]:
        """Up to three points, the most pressing first, each the playbook's next step with its evidence: one
        per account and per kind of finding first, then filled up."""
        candidates: list[tuple[float, Finding]] = []
        for a in accounts:
            fresh = {f.key for f in a.new_flags}
            for risk in a.risks:
                weight = 3.0 if risk.severity >= 3 else 1.6
                candidates.append((weight + (0.5 if risk.key in fresh else 0.0), risk))
            candidates += [(2.0 + min(p.days_open or 0, 180) / 360, p) for p in a.ageing_problems]
            candidates += [(1.5, m) for m in a.meetings]
            if a.drifting_tactical:
                candidates.append(
                    (1.0, self.findings.engagement(a.account, a.url, a.strategic, a.judged, a.engagement))
                )
        ranked = [c for _, c in sorted(candidates, key=lambda c: -c[0]) if c.next_step]
        chosen: list[Finding] = []
        for spread in (True, False):
            for finding in ranked:
                if len(chosen) == 3:
                    return chosen
                if finding in chosen or any(c.code == finding.code for c in chosen):
                    continue
                if spread and any(c.account == finding.account for c in chosen):
                    continue
                chosen.append(finding)
        return chosen

    # --- headline -----------------------------------------------------------------------------------
    @staticmethod
    def _headline(digest: Digest) -> list[str]:
        accounts = digest.accounts
        if not accounts:
            return ["No account activity logged by the team yet."]
        lines = []
        active = sum(a.interactions_this_week for a in accounts)
        touched = sum(1 for a in accounts if a.interactions_this_week)
        lines.append(
            f"{words.plural(active, 'interaction')} logged this week on {words.plural(touched, 'account')} of "
            f"{len(accounts)}."
            if active
            else f"No interactions logged this week on the team's {words.plural(len(accounts), 'account')}."
        )
        drifting = [a.account for a in accounts if a.drifting_tactical]
        if drifting:
            lines.append(
                words.sentence(
                    f"{words.plural(len(drifting), 'account')} {words.verb(len(drifting), 'is')} tactical "
                    f"or drifting tactical: {words.names(drifting)}"
                )
            )
        ageing = [c for a in accounts for c in a.ageing_problems]
        if ageing:
            oldest = max(ageing, key=lambda c: c.days_open or 0)
            lines.append(
                f"{words.plural(len(ageing), 'customer problem')} {words.verb(len(ageing), 'has')} gone "
                f"unanswered for two weeks or more; the oldest, at {words.clause(oldest.account)}, for "
                f"{words.plural(oldest.days_open or 0, 'day')}."
            )
        meetings = [c for a in accounts for c in a.meetings]
        if meetings:
            kill = sum(1 for c in meetings if c.verdict == "kill")
            counted = words.plural(len(meetings), "recurring meeting")
            if kill in (0, len(meetings)):
                series = [c.title.split(" the ", 1)[-1] for c in meetings]
                lines.append(
                    words.sentence(f"{counted} to {'kill' if kill else 'reinvent'}: {words.names(series)}")
                )
            else:
                lines.append(f"{counted} to fix: {kill} to kill, {len(meetings) - kill} to reinvent.")
        single = [a.account for a in accounts if a.single_threaded]
        if single:
            lines.append(
                words.sentence(
                    f"{words.plural(len(single), 'relationship')} {words.verb(len(single), 'hangs')} on one "
                    f"customer contact: {words.names(single)}"
                )
            )
        return lines

    # --- citations ------------------------------------------------------------------------------------
    def _cited(self, digest: Digest) -> dict[str, InteractionRow]:
        """Every interaction the digest cites, read once (their date, kind, title, and text for the writer)."""
        ids = sorted({s.interaction for s in _sources(digest)})
        found: dict[str, InteractionRow] = {}
        with self.ws.db.session() as session:
            for start in range(0, len(ids), 500):
                rows = session.scalars(
                    select(InteractionRow).where(InteractionRow.id.in_(ids[start : start + 500]))
                )
                for row in rows:
                    session.expunge(row)
                    found[row.id] = row
        return found

    @staticmethod
    def _fill(digest: Digest, cited: dict[str, InteractionRow]) -> None:
        for source in _sources(digest):
            row = cited.get(source.interaction)
            if row is not None:
                source.date = row.occurred_at.date()
                source.kind = row.kind
                source.title = _title(row.subject, row.series, row.raw_text)


def _sources(digest: Digest) -> list[Source]:
    findings = [f for a in digest.accounts for f in a.new_flags + a.resolved + a.crossed + a.risks]
    findings += [f for a in digest.accounts for f in a.ageing_problems + a.meetings]
    findings += [f for r in digest.reps for f in r.coaching] + [
        f for s in digest.sections for f in s.findings
    ]
    return [f.source for f in findings if f.source is not None] + list(digest.narrative_sources)


def _title(subject: str | None, series: str | None, text: str) -> str:
    """What a note is called: its subject (unless it is a file's name), its meeting series, or its first line,
    cut at a word."""
    if subject and " " not in subject.strip():
        subject = None  # 'quayside-weekly-2026-08-27': the name of the file it came from
    title = " ".join((subject or series or "").split())
    if not title:
        title = _opening(text).rstrip(".")
    if len(title) > TITLE_CHARS:
        title = title[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:-") + "…"
    return title


def _opening(text: str) -> str:
    """The first sentence of an interaction: what a line citing the interaction as a whole quotes."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), text.strip())
    match = re.match(r".{12,}?[.!?](?=\s|$)", first)
    return (match.group(0) if match else first)[:200]


def _count_weeks(items: Iterable[tuple[datetime, str]], when: _Week) -> list[WeekCount]:
    ends = when.ends()
    weeks = [WeekCount(end=e) for e in ends]
    first = ends[0] - timedelta(days=6)
    for occurred, engagement in items:
        day = occurred.date()
        if first <= day <= when.end:
            week = weeks[(day - first).days // 7]
            if engagement == "strategic":
                week.strategic += 1
            else:
                week.tactical += 1
    return weeks


def _sum_weeks(series: list[list[WeekCount]], when: _Week) -> list[WeekCount]:
    total = [WeekCount(end=e) for e in when.ends()]
    for weeks in series:
        for i, w in enumerate(weeks):
            total[i].strategic += w.strategic
            total[i].tactical += w.tactical
    return total


def _drifting(weeks: list[WeekCount]) -> bool:
    """The last four weeks' strategic share more than 20 points below the eight weeks' before."""
    recent = sum(w.strategic for w in weeks[-4:]), sum(w.total for w in weeks[-4:])
    earlier = sum(w.strategic for w in weeks[:-4]), sum(w.total for w in weeks[:-4])
    return bool(recent[1] and earlier[1] and recent[0] / recent[1] < earlier[0] / earlier[1] - 0.2)


def _first_meetings(now: AccountAnalysis) -> dict[str, date]:
    first: dict[str, date] = {}
    for j in now.judged:
        if j.view.series:
            first.setdefault(" ".join(j.view.series.split()).casefold(), j.view.occurred_at.date())
    return first


def _new_contacts(now: AccountAnalysis, when: _Week) -> list[str]:
    met_before = {
        p.name
        for j in now.judged
        if j.view.occurred_at.date() < when.start
        for p in j.facts.people
        if p.side == "customer" and p.active
    }
    return sorted(
        {
            p.name
            for j in now.judged
            if when.holds(j.view.occurred_at)
            for p in j.facts.people
            if p.side == "customer" and p.active and p.name not in met_before
        }
    )
