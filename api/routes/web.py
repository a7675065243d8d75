"""The web app's frame and a rep's morning: sign in, what needs attention, log a note.

Server-rendered Jinja2 (autoescaped), no build step. Every form carries a CSRF token tied to the signed session; a
form with an error comes back with everything the rep typed still in it, and so does a note submitted after the
session ended: the sign-in page keeps it and logs it once they are signed in. Pages speak to reps: no setting
names, command flags, file paths or engine words (``plain``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.deps import Services, ServicesDep, audit, check_csrf, csrf_token, session_user
from coach import account_names
from coach.attention import Attention, assess, by_attention
from coach.auth import User
from coach.citations import day
from coach.errors import Forbidden, InvalidInput, NotFound, NotVisible
from coach.store.repository import Repository, as_utc
from coach.store.schema import AccountRow

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
KINDS = ("note", "call", "meeting", "email")
KIND_NAMES = {"note": "note", "call": "call", "meeting": "meeting", "email": "e-mail"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_ID = 2**31 - 1  # account ids are INTEGER columns (32 bits on PostgreSQL)
ATTENTION_ACCOUNTS = 40  # the home page judges the most recently active accounts; the rest are listed
NOTE_FIELDS = ("account", "kind", "date", "participants", "series", "text")
# What a rep should never read: commands in backticks, settings, command-line flags, file paths, engine words.
_FOR_ADMINS = re.compile(
    r"`|\bCOACH_[A-Z_]+|(?<![\w-])--[a-z]|knowledge/|\.md\b|\bengine\b|\btokens?\b", re.I
)
templates.env.globals.update(day=day, kind_name=lambda k: KIND_NAMES.get(k, k))


def plain(message: str) -> str:
    """A message for a rep: its clauses that name a command, setting, flag, file or engine are left out (the
    README tells admins), and what is left reads as a sentence."""
    kept = re.sub(r"\s*\([^()]*\)", lambda m: "" if _FOR_ADMINS.search(m.group()) else m.group(), message)
    clauses = [c for c in re.split(r"(?<=[;.])\s+", kept) if c.strip() and not _FOR_ADMINS.search(c)]
    text = " ".join(clauses).strip().rstrip(";,: ")
    if not text:
        return "Something went wrong; try again, and tell an admin if it keeps happening."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


templates.env.filters["plain"] = plain


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/v1/", "/slack/")) and "text/html" in request.headers.get(
        "accept", ""
    )


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    svc: Services = request.app.state.services
    user = context.setdefault("user", session_user(request, svc))
    context["csrf"] = csrf_token(request)
    context.setdefault("nav", navigation(svc, user))
    return templates.TemplateResponse(request, name, context, status_code=status)


@dataclass(frozen=True, slots=True)
class NavLink:
    href: str
    label: str


def navigation(svc: Services, user: User | None) -> list[NavLink]:
    """The header's links for this user. Pages for managers add theirs here, one line each."""
    if user is None:
        return []
    links = [NavLink("/", "Accounts"), NavLink("/#log", "Log a note"), NavLink("/search", "Search")]
    if user.is_admin or user.manages:
        links.append(NavLink("/teams", "Team"))
        links.append(NavLink("/portfolio", "Portfolio"))
    links.append(NavLink("/playbook", "Playbook"))
    if user.is_admin or user.manages:
        links.append(NavLink("/access", "Access"))
    return links


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    titles = {404: "Not found", 403: "Not allowed", 413: "Too large", 422: "Check the input"}
    return page(
        request,
        "error.html",
        status=status,
        title=titles.get(status, "Something went wrong"),
        message=plain(message),
        status_code=status,
    )


def user_or_redirect(request: Request, svc: Services) -> User | RedirectResponse:
    """The signed-in user, or the way to sign in and come back to this page (with its query)."""
    user = session_user(request, svc)
    if user is None:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': back})}", status_code=303)
    return user


def account_row(svc: Services, user: User, account_id: int) -> AccountRow:
    if not 1 <= account_id <= MAX_ID:  # beyond the id column's range: no such account (not a database error)
        raise NotFound("no such account (or not one of yours)")
    with svc.workspace.db.session() as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            raise NotFound("no such account (or not one of yours)")
        if not svc.accounts.can_see(user, row.id):
            raise NotVisible("no such account (or not one of yours)", row.name)
        return row


# --- signing in -----------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002 - the query parameter's name
    return page(request, "login.html", next=_safe_next(next), email="", error=None, user=None, pending=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    svc: ServicesDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",  # noqa: A002 - the form field's name
    pending_note: Annotated[str, Form()] = "",
    account: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "note",
    when: Annotated[str, Form(alias="date")] = "",
    participants: Annotated[str, Form()] = "",
    series: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    pending = NoteForm(account, kind, when, participants, series, text) if pending_note == "yes" else None
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
            pending=pending,
            error=f"Too many failed sign-ins. Try again in about {minutes} "
            f"minute{'' if minutes == 1 else 's'}, or ask an admin to reset your password.",
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
            pending=pending,
            error="That e-mail and password do not match. Check both, or ask an admin to reset your password.",
        )
    svc.sessions.end(request.session.get("sid"))  # a browser signing in again leaves no session behind
    request.session.clear()  # a new session on sign-in: no fixation
    request.session["sid"] = svc.sessions.start(user.id)
    request.state.session_user = user
    if pending is not None:  # the note typed before the session ended: logged now, as the user who signed in
        return submit_note(request, svc, user, pending)
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


# --- home: what needs attention, then the paste form -----------------------------------------------
@router.get("/", response_class=HTMLResponse)
def home(request: Request, svc: ServicesDep, account: str = "") -> Response:
    user = user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    return _home(request, svc, user, NoteForm.blank(account))


def _home(
    request: Request,
    svc: Services,
    user: User,
    form: NoteForm,
    errors: dict[str, str] | None = None,
    status: int = 200,
    suggestions: list[str] | None = None,
) -> HTMLResponse:
    names, attention, rest = attention_of(svc, user)
    audit(request, user, "read", None, attention_detail("home page", attention))
    return page(
        request,
        "home.html",
        status=status,
        user=user,
        names=names,
        attention=attention,
        rest=rest,
        form=form,
        errors=errors or {},
        kinds=KINDS,
        suggestions=suggestions or [],
        today=date.today(),
    )


def attention_of(
    svc: Services, user: User, account_ids: set[int] | None = None
) -> tuple[list[str], list[Attention], list[tuple[int, str]]]:
    """The names of the accounts the user sees, the most recently active judged for attention (most in need
    first), and the rest (id, name) beyond that many. ``account_ids``: only these (a team's)."""
    visible = svc.accounts.visible_ids(user)
    with svc.workspace.db.session() as session:
        rows = [
            s
            for s in Repository(session).account_summaries()
            if (visible is None or s.id in visible) and (account_ids is None or s.id in account_ids)
        ]
    active = sorted(
        (s for s in rows if s.interactions), key=lambda s: as_utc(s.last) if s.last else EPOCH, reverse=True
    )
    today = date.today()
    judged = []
    for summary in active[:ATTENTION_ACCOUNTS]:
        analysis = svc.analyzer.account(summary.name, today)
        judged.append(assess(summary.id, analysis.report, analysis.judged, today))
    rest = sorted(((s.id, s.name) for s in active[ATTENTION_ACCOUNTS:]), key=lambda r: r[1].casefold())
    return sorted(s.name for s in rows), by_attention(judged), rest


def attention_detail(where: str, shown: list[Attention]) -> str:
    """What an audit event says of a page that summarises accounts: which ones (their findings in brief)."""
    names = ", ".join(a.account for a in shown)
    return f"{where}: what needs attention in {len(shown)} account(s): {names[:600]}"


# --- logging a note ---------------------------------------------------------------------------------
@dataclass(slots=True)
class NoteForm:
    account: str
    kind: str
    date: str
    participants: str
    series: str
    text: str

    @classmethod
    def blank(cls, account: str = "") -> NoteForm:
        return cls(account, "note", date.today().isoformat(), "", "", "")

    def errors(self) -> dict[str, str]:
        errors = {}
        if not self.account.strip():
            errors["account"] = "Pick an account, or type a new account's name."
        if not self.text.strip():
            errors["text"] = "Paste or type the note."
        if self.kind not in KINDS:
            errors["kind"] = "Choose note, call, meeting or e-mail."
        if self.date.strip() and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.date.strip()):
            errors["date"] = "Use the date picker, or YYYY-MM-DD."
        return errors


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
    use_account: Annotated[str, Form()] = "",
    create_account: Annotated[str, Form()] = "",
) -> Response:
    form = NoteForm(use_account or account, kind, when, participants, series, text)
    user = session_user(request, svc)
    if user is None:
        return _sign_in_to_finish(request, csrf, form)
    check_csrf(request, csrf)
    return submit_note(request, svc, user, form, confirmed_new=create_account == "yes")


def _sign_in_to_finish(request: Request, csrf: str, form: NoteForm) -> Response:
    """The session ended while the rep typed: the sign-in page keeps the note and logs it after signing in.
    Only for a form posted from this app (its CSRF token, or the browser's Origin): another site cannot make a
    rep log its words by sending them to sign in."""
    expected = request.session.get("csrf")
    origin = request.headers.get("origin") or request.headers.get("referer") or ""
    ours = (isinstance(expected, str) and expected == csrf) or (
        urlsplit(origin).netloc == request.url.netloc and urlsplit(origin).netloc != ""
    )
    if not ours or not form.text.strip():
        return RedirectResponse("/login", status_code=303)
    message = (
        "Your session ended before the note was logged. Sign in and it is logged, exactly as you typed it."
    )
    return page(request, "login.html", status=401, next="/", email="", error=message, user=None, pending=form)


def submit_note(
    request: Request, svc: Services, user: User, form: NoteForm, confirmed_new: bool = False
) -> Response:
    errors = form.errors()
    if errors:
        return _home(request, svc, user, form, errors, status=422)
    if not confirmed_new:
        suggestions = _near_accounts(svc, user, form.account)
        if suggestions:
            return _home(request, svc, user, form, status=200, suggestions=suggestions)
    limit = svc.workspace.settings.api_max_text_bytes
    if len(form.text.encode("utf-8", "surrogatepass")) > limit:
        errors["text"] = f"The note is over {limit // 1000:,} kB: split it into parts and log each."
        return _home(request, svc, user, form, errors, status=413)
    try:
        logged = svc.logbook.log_one(user, _record(form, user), origin="web")
    except (InvalidInput, NotFound, Forbidden) as exc:
        audit(
            request,
            user,
            "denied" if isinstance(exc, Forbidden) else "log",
            form.account.strip()[:300],
            f"refused: {exc}",
        )
        status = 403 if isinstance(exc, Forbidden) else 422
        return _home(request, svc, user, form, {"form": plain(str(exc))}, status=status)
    audit(request, user, "log", form.account.strip()[:300], f"interaction {logged.id} {logged.status}")
    return RedirectResponse(f"/interactions/{logged.id}?logged={logged.status}", status_code=303)


def _near_accounts(svc: Services, user: User, typed: str) -> list[str]:
    """Accounts the user sees whose names the typed one is probably meant to be (none if it is one of them)."""
    visible = svc.accounts.visible_ids(user)
    with svc.workspace.db.session() as session:
        names = [
            s.name for s in Repository(session).account_summaries() if visible is None or s.id in visible
        ]
    return account_names.near(typed, names)


def _record(form: NoteForm, user: User) -> dict[str, Any]:
    record: dict[str, Any] = {
        "account": form.account.strip(),
        "kind": form.kind,
        "text": form.text,
        "rep": user.name,
        "participants": participants(form.participants, user),
    }
    if form.date.strip():
        record["date"] = form.date.strip()
    if form.series.strip():
        record["series"] = form.series.strip()
    return record


def participants(value: str, user: User) -> list[dict[str, str]]:
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
