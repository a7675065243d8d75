"""What routes depend on: the services (built once per app) and the signed-in user."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from coach.analysis.service import Analyzer
from coach.audit import Audit
from coach.auth import Accounts, SignInThrottle, User, Users
from coach.briefs import BriefService
from coach.config import Settings
from coach.engines import analyzer as engine_analyzer
from coach.engines import for_workspace
from coach.logbook import Logbook
from coach.measures.book import MeasureBook
from coach.portfolio import PortfolioService
from coach.search import Searcher
from coach.sessions import WebSessions
from coach.tenancy import Grants
from coach.workspace import Workspace


@dataclass
class Services:
    workspace: Workspace
    users: Users
    accounts: Accounts
    logbook: Logbook
    analyzer: Analyzer
    briefs: BriefService
    searcher: Searcher
    audit: Audit
    throttle: SignInThrottle
    sessions: WebSessions
    grants: Grants
    measures: MeasureBook
    portfolio: PortfolioService

    @classmethod
    def build(cls, workspace: Workspace, settings: Settings | None = None) -> Services:
        settings = settings or workspace.settings
        engines = for_workspace(workspace)
        analyzer = engine_analyzer(workspace, engines)
        writer = engines.brief_writer
        accounts = Accounts(workspace.db)
        throttle = SignInThrottle(
            workspace.db,
            settings.sign_in_max_failures,
            settings.sign_in_max_failures_per_address,
            settings.sign_in_window_seconds,
        )
        measures = MeasureBook(workspace.db)
        return cls(
            workspace,
            Users(workspace.db),
            accounts,
            Logbook(workspace, accounts),
            analyzer,
            BriefService(workspace, analyzer=analyzer, writer=writer),
            Searcher(workspace),
            Audit(workspace.db),
            throttle,
            WebSessions(workspace.db),
            Grants(workspace.db),
            measures,
            PortfolioService(workspace, analyzer, measures),
        )


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]
_bearer = HTTPBearer(auto_error=False, description="An API token from `coach tokens create EMAIL`.")


def api_user(
    request: Request,
    svc: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The caller of the JSON API: a bearer token, or the web session of a signed-in user."""
    if credentials is not None:
        behalf = request.headers.get("x-coach-on-behalf-of")
        user = svc.users.user_for_token(credentials.credentials, on_behalf_of=behalf)
        if (
            user is None
            and behalf is not None
            and svc.users.user_for_token(credentials.credentials) is not None
        ):
            raise HTTPException(403, f"no coach user {behalf} (or this token may not act for others)")
        if user is None:
            raise HTTPException(401, "invalid or revoked token", headers={"WWW-Authenticate": "Bearer"})
        request.state.channel = "slack" if behalf is not None else "api"  # delegate tokens: the Slack bot
        if behalf is not None:  # the Slack person the bot acts for, for the audit trail
            request.state.slack_user = request.headers.get("x-coach-slack-user")
        request.state.user = user
        return user
    # A session cookie authorises reads only: writes need a token, so no other site can post as the user.
    user = session_user(request, svc) if request.method in ("GET", "HEAD") else None
    if user is None:
        raise HTTPException(
            401,
            "send 'Authorization: Bearer <token>' (`coach tokens create EMAIL`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.channel = "web"
    return user


def audit(
    request: Request, user: User | None, action: str, account: str | None = None, detail: str | None = None
) -> None:
    """Record what ``user`` did (or was refused) through this request's channel (web, api or slack)."""
    svc: Services = request.app.state.services
    svc.audit.record(
        user,
        getattr(request.state, "channel", "web"),
        action,
        account,
        detail,
        slack_user=getattr(request.state, "slack_user", None),
    )


def audit_denied(request: Request, status: int, account: str | None = None, detail: str = "") -> None:
    """A refused attempt (401, 403, or 404 for lack of access), with whoever the request was, if known."""
    user = getattr(request.state, "user", None) or getattr(request.state, "session_user", None)
    what = f"{status} {request.method} {request.url.path}" + (f": {detail[:300]}" if detail else "")
    audit(request, user, "denied", account, what)


def session_user(request: Request, svc: Services) -> User | None:
    """The signed-in user of a live server-side session (coach.sessions), looked up once per request."""
    if not hasattr(request.state, "session_user"):
        user_id = svc.sessions.user_id(request.session.get("sid"))
        request.state.session_user = svc.users.get(user_id) if user_id is not None else None
    found: User | None = request.state.session_user
    return found


ApiUser = Annotated[User, Depends(api_user)]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not submitted or not secrets.compare_digest(expected, submitted):
        raise HTTPException(403, "the form expired or came from another site; reload the page and try again")


def search_detail(query: str, accounts: list[str]) -> str:
    """What an audit event says of a search: the query and the accounts its hits came from."""
    shown = sorted(set(accounts))
    return f"query {query[:200]!r}; {len(accounts)} hit(s) in {', '.join(shown) if shown else 'no account'}"
