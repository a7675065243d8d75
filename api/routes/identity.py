"""Proving who a Slack person is (coach.slackbot.links): the bot's own endpoints under /v1/slack (its delegate token
only), and the page where a signed-in coach user confirms a link that `/coach link` gave them."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ServicesDep, audit, check_csrf, session_user
from api.routes.web import page
from coach.auth import User
from coach.errors import InvalidInput
from coach.slackbot.links import CODE_LIFETIME, SlackLinks

router = APIRouter(include_in_schema=False)
_bearer = HTTPBearer(auto_error=False)


class LinkCodeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slack_user: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    slack_name: str | None = Field(default=None, max_length=300)


def the_bot(
    request: Request,
    svc: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """Only the bot's delegate token may ask who a Slack user is, or start a link."""
    owner = svc.users.delegate_owner(credentials.credentials) if credentials else None
    if owner is None:
        raise HTTPException(403, "only the Slack bot's delegate token may call this")
    request.state.user, request.state.channel = owner, "slack"
    request.state.slack_user = request.headers.get("x-coach-slack-user")
    return owner


TheBot = Annotated[User, Depends(the_bot)]


def _links(svc: Any) -> SlackLinks:
    return SlackLinks(svc.workspace.db)


@router.get("/v1/slack/links/{slack_user}")
def linked(slack_user: str, _bot: TheBot, svc: ServicesDep) -> dict[str, str]:
    email = _links(svc).linked_email(slack_user)
    if email is None:
        raise HTTPException(404, f"{slack_user} has no confirmed link")
    return {"email": email}


@router.post("/v1/slack/link-codes")
def link_code(body: LinkCodeCreate, bot: TheBot, svc: ServicesDep, request: Request) -> dict[str, Any]:
    code = _links(svc).new_code(body.slack_user, body.slack_name)
    audit(request, bot, "link", None, f"link code issued to Slack user {body.slack_user}")
    url = svc.workspace.settings.app_url.rstrip("/") + "/slack-link?code=" + quote(code)
    return {"url": url, "expires_in": int(CODE_LIFETIME.total_seconds())}


@router.delete("/v1/slack/links/{slack_user}", status_code=204)
def unlink(slack_user: str, bot: TheBot, svc: ServicesDep, request: Request) -> Response:
    if not _links(svc).unlink(slack_user):
        raise HTTPException(404, f"{slack_user} has no link")
    audit(request, bot, "link", None, f"Slack user {slack_user} unlinked")
    return Response(status_code=204)


@router.get("/slack-link", response_class=HTMLResponse)
def confirm_form(request: Request, svc: ServicesDep, code: str = "") -> Response:
    user = session_user(request, svc)
    if user is None:
        target = "/slack-link?code=" + quote(code)
        return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
    pending = _links(svc).pending(code) if code else None
    return page(request, "slack_link.html", user=user, code=code, pending=pending, done=None, error=None)


@router.post("/slack-link", response_class=HTMLResponse)
def confirm(
    request: Request,
    svc: ServicesDep,
    code: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    user = session_user(request, svc)
    if user is None:
        raise HTTPException(401, "sign in first, then open the link from Slack again")
    try:
        slack_user = _links(svc).confirm(code, user.id)
    except InvalidInput as exc:
        return page(
            request,
            "slack_link.html",
            status=422,
            user=user,
            code="",
            pending=None,
            done=None,
            error=str(exc),
        )
    audit(
        request,
        user,
        "link",
        None,
        f"linked Slack user {slack_user} to {user.email} (confirmed in the web app)",
    )
    return page(request, "slack_link.html", user=user, code="", pending=None, done=slack_user, error=None)
