"""Who holds which account (coach.tenancy): grants and access requests, for admins and the managers of the teams
that hold an account, as pages and under /v1. Writes through the API need a token, as every API write does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ApiUser, Services, ServicesDep, audit, check_csrf, session_user
from api.routes.web import page
from api.schemas import AccessDecision, AccessRequestPublic, ErrorPublic, GrantCreate, GrantPublic
from coach.auth import User
from coach.errors import CoachError, Forbidden, NotFound
from coach.tenancy import AccessRequest, GrantInfo

api = APIRouter(
    prefix="/v1",
    tags=["access"],
    responses={
        400: {"description": "the request is not what the operation reads (e.g. a body that is not JSON)"},
        401: {"model": ErrorPublic, "description": "no valid token or session"},
        403: {
            "model": ErrorPublic,
            "description": "only an admin or a manager of a team holding the account",
        },
        404: {"model": ErrorPublic, "description": "no such account (or request) among those you may see"},
        422: {"description": "invalid input: the message says what to change"},
    },
)
pages = APIRouter(include_in_schema=False)


def _grant_public(g: GrantInfo) -> GrantPublic:
    return GrantPublic(
        account=g.account, team=g.team, user=g.user, granted_by=g.granted_by, granted_at=g.granted_at
    )


def _request_public(r: AccessRequest) -> AccessRequestPublic:
    return AccessRequestPublic(
        id=r.id,
        account=r.account,
        user=r.user,
        name=r.name,
        status=r.status,
        requested_at=r.requested_at,
    )


@api.get("/accounts/{account:path}/grants", response_model=list[GrantPublic], summary="Who holds an account")
def list_grants(account: str, user: ApiUser, svc: ServicesDep) -> list[GrantPublic]:
    return [_grant_public(g) for g in svc.grants.of(user, account)]


@api.post(
    "/accounts/{account:path}/grants",
    status_code=201,
    response_model=GrantPublic,
    summary="Give an account to a team or a user",
)
def add_grant(
    account: str, body: GrantCreate, user: ApiUser, svc: ServicesDep, request: Request
) -> GrantPublic:
    info = svc.grants.grant(user, account, body.team, body.user)
    audit(request, user, "grant", info.account, f"granted to {info.holder}")
    return _grant_public(info)


@api.delete(
    "/accounts/{account:path}/grants", status_code=204, summary="Take an account from a team or a user"
)
def remove_grant(
    account: str,
    user: ApiUser,
    svc: ServicesDep,
    request: Request,
    team: Annotated[str | None, Query(max_length=200)] = None,
    email: Annotated[str | None, Query(alias="user", max_length=320)] = None,
) -> Response:
    svc.grants.revoke(user, account, team, email)
    audit(request, user, "grant", account, f"revoked from {f'team {team}' if team else email}")
    return Response(status_code=204)


@api.get(
    "/access-requests", response_model=list[AccessRequestPublic], summary="Access requests you may answer"
)
def list_requests(user: ApiUser, svc: ServicesDep) -> list[AccessRequestPublic]:
    if not (user.is_admin or user.manages):
        raise Forbidden("only admins and team managers answer access requests")
    return [_request_public(r) for r in svc.grants.requests(user)]


@api.post(
    "/access-requests/{request_id}",
    response_model=AccessRequestPublic,
    summary="Grant or decline an access request",
)
def answer_request(
    request_id: Annotated[int, FastPath(ge=1, le=2**31 - 1)],
    body: AccessDecision,
    user: ApiUser,
    svc: ServicesDep,
    request: Request,
) -> AccessRequestPublic:
    found = svc.grants.resolve(user, request_id, body.decision == "grant")
    audit(request, user, "grant", found.account, f"access request of {found.user}: {found.status}")
    return _request_public(found)


# --- pages ----------------------------------------------------------------------------------------
def _manager(request: Request, svc: Services) -> User | RedirectResponse:
    user = session_user(request, svc)
    if user is None:
        return RedirectResponse("/login?next=/access", status_code=303)
    if not (user.is_admin or user.manages):
        raise Forbidden("only admins and team managers manage access to accounts")
    return user


@pages.get("/access", response_class=HTMLResponse)
def access_page(
    request: Request, svc: ServicesDep, account: Annotated[str, Query(max_length=300)] = "", message: str = ""
) -> Response:
    user = _manager(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    return _render(request, svc, user, account, message=message)


def _render(
    request: Request,
    svc: Services,
    user: User,
    account: str,
    message: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    grants: list[GrantInfo] = []
    if account.strip():
        try:
            grants = svc.grants.of(user, account)
        except CoachError as exc:
            error = error or str(exc)
    return page(
        request,
        "access.html",
        status=status,
        user=user,
        requests=svc.grants.requests(user),
        account=account,
        grants=grants,
        message=message,
        error=error,
    )


@pages.post("/access/requests/{request_id}")
def answer_page(
    request: Request,
    svc: ServicesDep,
    request_id: Annotated[int, FastPath(ge=1, le=2**31 - 1)],
    decision: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    user = _manager(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    found = svc.grants.resolve(user, request_id, decision == "grant")
    audit(request, user, "grant", found.account, f"access request of {found.user}: {found.status}")
    return RedirectResponse(f"/access?message={found.user}+{found.status}", status_code=303)


@pages.post("/access/grants")
def change_grant(
    request: Request,
    svc: ServicesDep,
    account: Annotated[str, Form(max_length=300)] = "",
    team: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    action: Annotated[str, Form()] = "grant",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    user = _manager(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    try:
        if action == "revoke":
            svc.grants.revoke(user, account, team.strip() or None, email.strip() or None)
            done = f"{account} taken from {team or email}"
        else:
            info = svc.grants.grant(user, account, team.strip() or None, email.strip() or None)
            done = f"{info.account} granted to {info.holder}"
    except CoachError as exc:
        status = 403 if isinstance(exc, Forbidden) else 404 if isinstance(exc, NotFound) else 422
        return _render(request, svc, user, account, error=str(exc), status=status)
    audit(request, user, "grant", account, done)
    return _render(request, svc, user, account, message=done)
