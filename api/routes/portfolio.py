"""The portfolio and account measures, under /v1 and as the managers' page. Thin: check, call coach, shape.

Reading an account's measures needs the account (as every read does); setting them, an admin or a manager of a
team that holds it (measures are management's data), with a token (every API write needs one). The portfolio is
for managers (the teams they manage) and admins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ApiUser, Services, ServicesDep, audit, session_user
from api.findings import Cite, FindingShaper, Guide, guide
from api.routes.v1 import visible_account
from api.routes.web import page
from api.schemas import ErrorPublic, MeasuresUpdate
from coach.citations import citations, day
from coach.errors import Forbidden, InvalidInput
from coach.measures import AccountMeasures, check_as_of, check_value
from coach.measures.book import Entry
from coach.portfolio import Decision, Portfolio

api = APIRouter(
    prefix="/v1",
    tags=["portfolio"],
    responses={
        400: {"description": "the request is not what the operation reads (e.g. a body that is not JSON)"},
        401: {"model": ErrorPublic, "description": "no valid token or session"},
        403: {
            "model": ErrorPublic,
            "description": "not a manager or admin (the portfolio; setting measures)",
        },
        404: {"model": ErrorPublic, "description": "no such account or team among those you may see"},
        422: {"description": "invalid input: the message says what to change"},
    },
)
pages = APIRouter(include_in_schema=False)
Day = Annotated[date | None, Query(description="default: today")]


@api.get(
    "/accounts/{account:path}/measures",
    response_model=AccountMeasures,
    summary="An account's measures, each with its history (missing ones: current null, history empty)",
)
def get_measures(
    account: str, user: ApiUser, svc: ServicesDep, request: Request, as_of: Day = None
) -> AccountMeasures:
    row = visible_account(svc, user, account)
    found = svc.measures.of(row.id, row.name, as_of or date.today())
    audit(request, user, "read", row.name, "measures")
    return found


@api.put(
    "/accounts/{account:path}/measures",
    response_model=AccountMeasures,
    summary="Set an account's measures as known on a day (the same day again: the last write wins)",
)
def put_measures(
    account: str, body: MeasuresUpdate, user: ApiUser, svc: ServicesDep, request: Request
) -> AccountMeasures:
    row = visible_account(svc, user, account)
    if not svc.grants.can_manage(user, row.id):
        raise Forbidden(f"only an admin or a manager of a team that holds {row.name!r} sets its measures")
    today = date.today()
    day = check_as_of(body.as_of or today, today)
    values = body.values()
    if not values:
        raise InvalidInput(
            "give at least one measure: " + ", ".join(n for n in MeasuresUpdate.model_fields if n != "as_of")
        )
    entries = [Entry(row.id, code, day, check_value(code, value), "api") for code, value in values.items()]
    written = svc.measures.put(entries, user.id)
    audit(
        request,
        user,
        "log",
        row.name,
        f"measures as of {day.isoformat()}: {', '.join(sorted(values))} "
        f"(added {written.added}, changed {written.changed}, unchanged {written.unchanged})",
    )
    return svc.measures.of(row.id, row.name, today)


@api.get(
    "/portfolio",
    response_model=Portfolio,
    summary="Effort against value: each account placed, decisions named",
)
def get_portfolio(
    user: ApiUser,
    svc: ServicesDep,
    request: Request,
    team: Annotated[
        str | None, Query(max_length=200, description="one team (default: the teams you manage)")
    ] = None,
    as_of: Day = None,
) -> Portfolio:
    scope = svc.portfolio.scope(user, team)
    result = svc.portfolio.build(scope, as_of or date.today())
    svc.audit.record_each(
        user,
        getattr(request.state, "channel", "api"),
        "read",
        [a.account for a in result.accounts],
        f"portfolio ({result.scope})",
    )
    return result


# --- the managers' page -------------------------------------------------------------------------------
@pages.get("/portfolio", response_class=HTMLResponse)
def portfolio_page(
    request: Request,
    svc: ServicesDep,
    team: Annotated[str, Query(max_length=200)] = "",
    on: Annotated[str, Query(alias="as_of", max_length=10)] = "",
) -> Response:
    user = session_user(request, svc)
    if user is None:
        return RedirectResponse("/login?next=/portfolio", status_code=303)
    if not (user.is_admin or user.manages):
        raise Forbidden("the portfolio is for team managers and admins")
    try:
        on_day = date.fromisoformat(on) if on else date.today()
    except ValueError:
        raise InvalidInput("the date must be YYYY-MM-DD") from None
    result = svc.portfolio.build(svc.portfolio.scope(user, team.strip() or None), on_day)
    svc.audit.record_each(
        user, "web", "read", [a.account for a in result.accounts], f"portfolio page ({result.scope})"
    )
    teams = [t for t, _, _ in svc.users.teams()] if user.is_admin else list(user.manages)
    return page(
        request,
        "portfolio.html",
        user=user,
        portfolio=result,
        decisions=_shown(svc, result),
        teams=teams,
        team=team.strip(),
        as_of=on_day.isoformat(),
    )


@dataclass(frozen=True, slots=True)
class DecisionView:
    """A decision as the page shows it: dates as people write them, its quotes cited by date, kind and title and
    linked to the sentence, and the playbook page behind its next step."""

    decision: Decision
    why: str
    cites: list[Cite]
    guide: Guide | None


_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _shown(svc: Services, result: Portfolio) -> list[DecisionView]:
    playbook = svc.analyzer.judge.playbook
    with svc.workspace.db.session() as session:
        cited = citations(session, {e.interaction for d in result.decisions for e in d.evidence})
    shaper = FindingShaper(playbook, cited)
    return [
        DecisionView(d, _dated(d.why), [shaper.cite(e) for e in d.evidence], guide(playbook, d.playbook))
        for d in result.decisions
    ]


def _dated(text: str) -> str:
    """'since 2026-06-09' as 'since 9 Jun 2026'."""

    def one(m: re.Match[str]) -> str:
        try:
            return day(date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:
            return m[0]

    return _ISO_DAY.sub(one, text)
