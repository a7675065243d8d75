"""The manager's team page: the team's accounts by what needs attention, each rep with their coaching points, and
the weekly digest for any week, previewed in the page through the same builder and template as the e-mail. The
e-mailed digest links here as ``/teams/{team_id}?week=2026-W47``.

The digest is an e-mail: its HTML carries inline styles, which the app's pages do not allow. It is served as its
own document (``/teams/{team_id}/digest``) with a policy of its own (styles inline, no script, framed only by the
app) and shown in a frame of the team page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import Services, ServicesDep, audit
from api.findings import Cite, Guide, guide, note_link
from api.routes.web import attention_detail, attention_of, page, user_or_redirect
from coach.auth import User
from coach.errors import NotFound
from coach.teams import Team, Teams

if TYPE_CHECKING:
    from coach.digest import Digest, DigestBuilder, Finding
    from coach.playbook import Playbook

router = APIRouter(include_in_schema=False)
WeekParam = Annotated[str, Query(max_length=10, pattern=r"^(\d{4}-W\d{1,2})?$")]
DIGEST_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'self'; "
    "form-action 'none'; base-uri 'self'"
)


@dataclass(frozen=True, slots=True)
class Week:
    label: str
    start: date
    end: date
    note: str = ""

    @property
    def previous(self) -> str:
        return _label(self.start - timedelta(days=7))

    @property
    def following(self) -> str | None:
        after = self.start + timedelta(days=7)
        return _label(after) if after <= date.today() else None


@dataclass(frozen=True, slots=True)
class Point:
    """A coaching point as the digest words it: the playbook's next step, the account and the finding behind it,
    the sentence that shows it, and the playbook page."""

    step: str
    account: str
    account_href: str
    what: str
    cite: Cite | None
    guide: Guide | None


@dataclass(frozen=True, slots=True)
class RepCard:
    name: str
    accounts: int
    points: list[Point]


def _label(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


@router.get("/teams", response_class=HTMLResponse)
def teams_index(request: Request, svc: ServicesDep) -> Response:
    """The teams a manager manages (one: straight to it)."""
    user = user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    teams = Teams(svc.workspace.db).visible_to(user)
    if len(teams) == 1:
        return RedirectResponse(f"/teams/{teams[0][0]}", status_code=303)
    return page(request, "teams.html", user=user, teams=teams)


@router.get("/teams/{team_id}", response_class=HTMLResponse)
def team_page(request: Request, svc: ServicesDep, team_id: int, week: WeekParam = "") -> Response:
    user = user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    team = _team(svc, user, team_id)
    when = _week(svc, team, week)
    manager = _manager(user, team)
    _, attention, rest = attention_of(svc, user, Teams(svc.workspace.db).accounts(team.id))
    reps: list[RepCard] = []
    if manager is not None:
        digest = _builder(request, svc).build(manager, when.label)
        reps = _reps(svc, digest, team)
    audit(request, user, "digest", None, f"team page {team.name}, week {when.label}")
    audit(request, user, "read", None, attention_detail(f"team page {team.name}", attention))
    return page(
        request,
        "team.html",
        user=user,
        team=team,
        week=when,
        manager=manager,
        attention=attention,
        rest=rest,
        reps=reps,
        today=date.today(),
    )


@router.get("/teams/{team_id}/digest", response_class=HTMLResponse)
def digest_preview(request: Request, svc: ServicesDep, team_id: int, week: WeekParam = "") -> Response:
    """The digest e-mail of the week, as the manager receives it (charts inline)."""
    from coach.digest.render import render_digest

    user = user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    team = _team(svc, user, team_id)
    manager = _manager(user, team)
    if manager is None:
        raise NotFound("this team has no manager, so no digest is sent")
    digest = _builder(request, svc).build(manager, _week(svc, team, week).label)
    html = render_digest(digest, "html").replace("<head>", '<head><base target="_top">', 1)
    headers = {"Content-Security-Policy": DIGEST_CSP, "X-Frame-Options": "SAMEORIGIN"}
    return HTMLResponse(html, headers=headers)


def _team(svc: Services, user: User, team_id: int) -> Team:
    """The team, if the user may open its page (they manage it, or are an admin); else 404."""
    teams = Teams(svc.workspace.db)
    team = teams.get(team_id) if 1 <= team_id <= 2**31 - 1 else None
    if team is None or not (user.is_admin or team.name in user.manages):
        raise NotFound("no such team (or not one you manage)")
    return team


def _manager(user: User, team: Team) -> str | None:
    """Whose digest the page shows: the viewer's if they manage the team, else its first manager's."""
    if team.name in user.manages:
        return user.email
    return team.managers[0].email if team.managers else None


def _week(svc: Services, team: Team, asked: str) -> Week:
    """The week asked for; by default the last complete week, or, when the team logged nothing in it, the latest
    week it logged something in."""
    from coach.digest import parse_week

    label, start, end = parse_week(asked or None)
    if asked:
        return Week(label, start, end)
    latest = Teams(svc.workspace.db).last_logged(team, end)
    if latest is None or latest >= start:
        return Week(label, start, end)
    label, start, end = parse_week(_label(latest))
    note = f"Nothing was logged last week, so this is {label}, the latest week with notes."
    return Week(label, start, end, note)


def _builder(request: Request, svc: Services) -> DigestBuilder:
    """The digest builder the e-mail uses, made once per app (with the engines' digest writer and the portfolio's
    investment questions); its links stay in this app (the e-mail's go to the configured public address)."""
    builder: DigestBuilder | None = getattr(request.app.state, "digests", None)
    if builder is None:
        from coach.digest import DigestBuilder
        from coach.engines import for_workspace
        from coach.portfolio.digest_section import InvestmentQuestions

        writer = for_workspace(svc.workspace).digest_writer
        builder = DigestBuilder(
            svc.workspace,
            analyzer=svc.analyzer,
            writer=writer,
            app_url="",
            sections=[InvestmentQuestions(svc.portfolio)],
        )
        request.app.state.digests = builder
    return builder


def _reps(svc: Services, digest: Digest, team: Team) -> list[RepCard]:
    """The team's reps as the digest coaches them (the digest covers every team the manager manages)."""
    members = {p.email for p in team.members}
    accounts = {a.account: f"/accounts/{a.account_id}" for a in digest.accounts}
    playbook = svc.analyzer.judge.playbook
    return [
        RepCard(rep.rep, len(rep.accounts), [_point(c, accounts, playbook) for c in rep.coaching])
        for rep in digest.reps
        if rep.email in members
    ]


def _point(finding: Finding, accounts: dict[str, str], playbook: Playbook) -> Point:
    """One coaching point, its citation (dated, kind and title, as the digest filled it) linked to the sentence."""
    source = finding.source
    cite = Cite(note_link(source.interaction, source.quote), source.quote, source.label) if source else None
    return Point(
        finding.next_step or "",
        finding.account,
        accounts.get(finding.account, ""),
        f"{finding.title}. {finding.what}",
        cite,
        guide(playbook, finding.playbook) if finding.playbook else None,
    )
