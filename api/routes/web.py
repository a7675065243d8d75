"""The reps' web pages: sign in, paste a note, read an account's flags, prep a meeting, search.

Server-rendered Jinja2 (autoescaped), no build step. Every form carries a CSRF
token tied to the signed session; a form with an error comes back with
everything the rep typed still in it.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.deps import Services, ServicesDep, audit, check_csrf, csrf_token, search_detail, session_user
from coach.auth import User
from coach.briefs import BriefRequest
from coach.errors import Forbidden, InvalidInput, NotFound, NotVisible
from coach.store.repository import Repository, as_utc
from coach.store.schema import AccountRow as _AccountRow

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
KINDS = ("note", "call", "meeting", "email")
MAX_ID = 2**31 - 1  # account ids are INTEGER columns (32 bits on PostgreSQL)


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/v1/", "/slack/")) and "text/html" in request.headers.get(
        "accept", ""
    )


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    svc: Services = request.app.state.services
    context.setdefault("user", session_user(request, svc))
    context["csrf"] = csrf_token(request)
    return templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    titles = {404: "Not found", 403: "Not allowed", 413: "Too large", 422: "Check the input"}
    return page(
        request,
        "error.html",
        status=status,
        title=titles.get(status, "Something went wrong"),
        message=message,
        status_code=status,
    )


def _user_or_redirect(request: Request, svc: Services) -> User | RedirectResponse:
    user = session_user(request, svc)
    if user is None:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return user


def _account_row(svc: Services, user: User, account_id: int):  # type: ignore[no-untyped-def]
    if not 1 <= account_id <= MAX_ID:  # beyond the id column's range: no such account (not a database error)
        raise NotFound("no such account (or not one of yours)")
    with svc.workspace.db.session() as session:
        row = session.get(_AccountRow, account_id)
        if row is None:
            raise NotFound("no such account (or not one of yours)")
        if not svc.accounts.can_see(user, row.id):
            raise NotVisible("no such account (or not one of yours)", row.name)
        return row


# --- signing in -----------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002 - the query parameter's name
    return page(request, "login.html", next=_safe_next(next), email="", error=None, user=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    svc: ServicesDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",  # noqa: A002 - the form field's name
) -> Response:
    check_csrf(request, csrf)
    address = request.client.host if request.client else "unknown"
    wait = svc.throttle.wait(email, address)
    if wait:
        minutes = max(1, round(wait / 60))
        response = page(
            request,
            "login.html",
            status=429,
            next=_safe_next(next),
            email=email,
            user=None,
            error=f"Too many failed sign-ins. Try again in about {minutes} minute(s), or ask an admin "
            "to reset the password (`coach users password EMAIL`).",
        )
        response.headers["Retry-After"] = str(wait)
        return response
    user = svc.users.authenticate(email, password)
    svc.throttle.note(email, address, ok=user is not None)
    if user is None:
        return page(
            request,
            "login.html",
            status=400,
            next=_safe_next(next),
            email=email,
            user=None,
            error="That e-mail and password do not match. Check both, or ask an admin to reset it "
            "(`coach users password EMAIL`).",
        )
    svc.sessions.end(request.session.get("sid"))  # a browser signing in again leaves no session behind
    request.session.clear()  # a new session on sign-in: no fixation
    request.session["sid"] = svc.sessions.start(user.id)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, svc: ServicesDep, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    svc.sessions.end(
        request.session.get("sid")
    )  # the session ends on the server too: a copied cookie is dead
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.post("/sessions/end-all")
def sign_out_everywhere(request: Request, svc: ServicesDep, csrf: Annotated[str, Form()] = "") -> Response:
    """Sign out every browser signed in as this user, this one included."""
    check_csrf(request, csrf)
    user = session_user(request, svc)
    if user is not None:
        count = svc.sessions.end_all(user.id)
        audit(request, user, "session", None, f"signed out everywhere ({count} session(s))")
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


# --- home: accounts and the paste form ----------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def home(request: Request, svc: ServicesDep, account: str = "") -> Response:
    user = _user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    return page(
        request,
        "home.html",
        user=user,
        accounts=_summaries(svc, user),
        form=_blank_form(account),
        errors={},
        kinds=KINDS,
    )


def _summaries(svc: Services, user: User) -> list[dict[str, Any]]:
    visible = svc.accounts.visible_ids(user)
    with svc.workspace.db.session() as session:
        rows = [s for s in Repository(session).account_summaries() if visible is None or s.id in visible]
    return [{"id": s.id, "name": s.name, "interactions": s.interactions, "last": s.last} for s in rows]


def _blank_form(account: str = "") -> dict[str, str]:
    return {
        "account": account,
        "kind": "note",
        "date": date.today().isoformat(),
        "participants": "",
        "text": "",
        "series": "",
    }


@router.post("/notes", response_class=HTMLResponse)
def log_note(
    request: Request,
    svc: ServicesDep,
    account: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "note",
    when: Annotated[str, Form(alias="date")] = "",
    participants: Annotated[str, Form()] = "",
    series: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    user = _user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    check_csrf(request, csrf)
    form = {
        "account": account,
        "kind": kind,
        "date": when,
        "participants": participants,
        "text": text,
        "series": series,
    }
    errors = _form_errors(form)
    if not errors:
        obj: dict[str, Any] = {
            "account": account.strip(),
            "kind": kind,
            "text": text,
            "rep": user.name,
            "participants": _participants(participants, user),
        }
        if when.strip():
            obj["date"] = when.strip()
        if series.strip():
            obj["series"] = series.strip()
        try:
            logged = svc.logbook.log_one(user, obj, origin="web")
        except (InvalidInput, NotFound, Forbidden) as exc:
            errors["form"] = str(exc)
            errors["status"] = "403" if isinstance(exc, Forbidden) else ""
            audit(
                request,
                user,
                "denied" if isinstance(exc, Forbidden) else "log",
                account.strip()[:300],
                f"refused: {exc}",
            )
        else:
            audit(request, user, "log", account.strip()[:300], f"interaction {logged.id} {logged.status}")
            return RedirectResponse(f"/interactions/{logged.id}?logged={logged.status}", status_code=303)
    status = 413 if "too large" in errors.get("text", "") else int(errors.pop("status", "") or 422)
    return page(
        request,
        "home.html",
        status=status,
        user=user,
        accounts=_summaries(svc, user),
        form=form,
        errors=errors,
        kinds=KINDS,
    )


def _form_errors(form: dict[str, str]) -> dict[str, str]:
    errors = {}
    if not form["account"].strip():
        errors["account"] = "Pick an account, or type a new account's name."
    if not form["text"].strip():
        errors["text"] = "Paste or type the note."
    if form["kind"] not in KINDS:
        errors["kind"] = "Choose note, call, meeting or e-mail."
    if form["date"].strip() and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", form["date"].strip()):
        errors["date"] = "Use the date picker, or YYYY-MM-DD."
    return errors


def _participants(value: str, user: User) -> list[dict[str, str]]:
    """'Ana Lima (customer), bob@acme.com' into contract participants; the rep is always one of them."""
    people = [{"name": user.name, "email": user.email, "side": "internal"}]
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        side = "internal" if re.search(r"\((us|ours?|internal)\)\s*$", part, re.I) else "customer"
        name = re.sub(r"\s*\([^)]*\)\s*$", "", part)
        if "@" in name:
            people.append({"name": name.split("@")[0].replace(".", " ").title(), "email": name, "side": side})
        elif name:
            people.append({"name": name[:300], "side": side})
    return people


# --- an interaction and its facts ----------------------------------------------------------------
@router.get("/interactions/{interaction_id}", response_class=HTMLResponse)
def interaction_page(
    request: Request,
    svc: ServicesDep,
    interaction_id: str,
    q: str = "",
    logged: str = "",
    span: Annotated[str, Query(max_length=24, pattern=r"^(\d+-\d+)?$")] = "",
) -> Response:
    """One interaction; ``q`` (a quote) or ``span`` (START-END of its clean text: a search passage) is marked."""
    user = _user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    with svc.workspace.db.session() as session:
        row = Repository(session).interaction(interaction_id)
        if row is None:
            raise NotFound("no such interaction (or not one of yours)")
        if not svc.accounts.can_see(user, row.account_id):
            raise NotVisible("no such interaction (or not one of yours)", row.account.name)
        account_id, account, text, when = (
            row.account_id,
            row.account.name,
            row.raw_text,
            as_utc(row.occurred_at),
        )
        if span:
            a, b = (int(x) for x in span.split("-"))
            q = row.clean_text[a:b] if a < b else q
        info = {
            "id": row.id,
            "kind": row.kind,
            "date": when.date(),
            "rep": row.rep,
            "series": row.series,
            "participants": [(p.person.name, p.person.side, p.person.title) for p in row.participants],
        }
    analysis = svc.analyzer.account(account, max(date.today(), when.date()))
    audit(request, user, "read", account, f"interaction {interaction_id}")
    facts = next((j.facts for j in analysis.judged if j.view.id == interaction_id), None)
    return page(
        request,
        "interaction.html",
        user=user,
        info=info,
        account=account,
        account_id=account_id,
        segments=_highlight(text, q),
        facts=facts,
        report=analysis.report,
        logged=logged,
    )


def _highlight(text: str, quote: str) -> list[tuple[str, bool]]:
    """The text in pieces, the quoted words marked (whitespace-insensitive); escaped by the template."""
    words = quote.split()
    if not words:
        return [(text, False)]
    match = re.search(r"\s+".join(re.escape(w) for w in words), text)
    if match is None:
        return [(text, False)]
    return [(text[: match.start()], False), (match.group(), True), (text[match.end() :], False)]


# --- an account -----------------------------------------------------------------------------------
@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def account_page(request: Request, svc: ServicesDep, account_id: int) -> Response:
    user = _user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    row = _account_row(svc, user, account_id)
    analysis = svc.analyzer.account(row.name, date.today())
    audit(request, user, "read", row.name, "account page")
    timeline = [
        {
            "id": j.view.id,
            "date": j.view.occurred_at.date(),
            "kind": j.view.kind,
            "series": j.view.series,
            "engagement": j.facts.engagement,
            "opening": " ".join(j.view.text.split())[:160],
        }
        for j in reversed(analysis.judged)
    ]
    trend = [1 if j.facts.engagement == "strategic" else 0 for j in analysis.judged][-12:]
    return page(
        request,
        "account.html",
        user=user,
        account_id=account_id,
        report=analysis.report,
        timeline=timeline,
        trend=trend,
    )


@router.get("/accounts/{account_id}/brief", response_class=HTMLResponse)
def brief_page(
    request: Request,
    svc: ServicesDep,
    account_id: int,
    meeting: Annotated[str, Query(max_length=300)] = "",
    attendees: Annotated[str, Query(max_length=2000)] = "",
    on: Annotated[str, Query(alias="date", max_length=10)] = "",
) -> Response:
    user = _user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    row = _account_row(svc, user, account_id)
    try:
        day = date.fromisoformat(on) if on else date.today()
    except ValueError:
        raise InvalidInput("the meeting date must be YYYY-MM-DD") from None
    people = [a.strip() for a in attendees.split(",") if a.strip()]
    brief = svc.briefs.brief(BriefRequest(row.name, meeting=meeting or None, attendees=people, date=day))
    audit(request, user, "brief", row.name, f"meeting={meeting!r}" if meeting else None)
    return page(
        request,
        "brief.html",
        user=user,
        account_id=account_id,
        brief=brief,
        form={"meeting": meeting, "attendees": attendees, "date": day.isoformat()},
    )


@router.get("/accounts/{account_id}/findings.csv")
def findings_download(request: Request, svc: ServicesDep, account_id: int) -> Response:
    """The account's findings as CSV (formula-looking cells escaped: see coach.analysis.spreadsheet)."""
    from coach.analysis.spreadsheet import findings_csv

    user = _user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    row = _account_row(svc, user, account_id)
    day = date.today()
    analysis = svc.analyzer.account(row.name, day)
    audit(request, user, "export", row.name, "findings.csv")
    filename = re.sub(r"[^A-Za-z0-9._-]+", "-", row.name).strip("-") or "account"
    return Response(
        findings_csv(analysis.as_report()),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}-findings-{day}.csv"'},
    )


# --- search ---------------------------------------------------------------------------------------
@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, svc: ServicesDep, q: Annotated[str, Query(max_length=500)] = ""
) -> Response:
    user = _user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    hits = []
    if q.strip():
        visible = svc.accounts.visible_ids(user)
        hits = svc.searcher.search(q, k=15, account_ids=None if visible is None else sorted(visible))
        audit(request, user, "search", None, search_detail(q, [h.account for h in hits]))
    return page(request, "search.html", user=user, q=q, hits=hits)
