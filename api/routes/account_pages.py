"""An account's pages: a note and what it changed, the account with what to do next about each finding, the prep
brief for its next meeting, its findings as CSV; and search across the accounts a rep sees."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import Services, ServicesDep, audit, search_detail
from api.findings import Cite, FindingShaper, Guide, cited_ids, guide, note_link, short_title
from api.routes.web import KINDS, account_row, page, user_or_redirect
from coach.analysis.changes import FindingChange, changes, without_speaker
from coach.attention import assess
from coach.auth import User
from coach.briefs import BriefRequest
from coach.briefs.model import Evidence as BriefEvidence
from coach.briefs.model import PrepBrief
from coach.citations import Citation, citations, day
from coach.errors import InvalidInput, NotFound, NotVisible
from coach.playbook import Playbook
from coach.store.repository import Repository, as_utc
from coach.store.schema import InteractionRow

router = APIRouter(include_in_schema=False)
ENGAGEMENTS = ("strategic", "tactical")


def _playbook(svc: Services) -> Playbook:
    return svc.analyzer.judge.playbook


def _on(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise InvalidInput("use a date like 2026-11-20") from None


# --- a note and what it changed ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ChangeShown:
    change: str
    kind: str
    text: str
    cite: Cite | None
    guide: Guide | None


@router.get("/interactions/{interaction_id}", response_class=HTMLResponse)
def interaction_page(
    request: Request,
    svc: ServicesDep,
    interaction_id: str,
    q: str = "",
    logged: str = "",
    span: Annotated[str, Query(max_length=24, pattern=r"^(\d+-\d+)?$")] = "",
) -> Response:
    """One interaction; ``q`` (a quote) or ``span`` (START-END of its clean text: a search passage) is marked.
    Right after it was logged (``logged``), what it changed in the account's findings."""
    user = user_or_redirect(request, svc)
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
        people = [(p.person.name, p.person.side, p.person.title) for p in row.participants]
        info = {"kind": row.kind, "date": when.date(), "rep": row.rep, "series": row.series, "people": people}
    analysis = svc.analyzer.account(account, max(date.today(), when.date()))
    audit(request, user, "read", account, f"interaction {interaction_id}")
    facts = next((j.facts for j in analysis.judged if j.view.id == interaction_id), None)
    shaper = _shaper(svc, cited_ids(analysis.report) | {interaction_id})
    changed = None
    if logged in ("added", "updated"):
        found = changes(svc.analyzer.without(analysis, interaction_id), analysis.report)
        changed = [_change(shaper, c) for c in found]
    return page(
        request,
        "interaction.html",
        user=user,
        info=info,
        citation=shaper.cited.get(interaction_id),
        account=account,
        account_id=account_id,
        segments=_highlight(text, q),
        facts=facts,
        report=analysis.report,
        findings=shaper.all(analysis.report),
        logged=logged,
        changed=changed,
    )


def _shaper(svc: Services, ids: set[str]) -> FindingShaper:
    with svc.workspace.db.session() as session:
        return FindingShaper(_playbook(svc), citations(session, ids))


def _change(shaper: FindingShaper, c: FindingChange) -> ChangeShown:
    cite = shaper.cite(c.evidence) if c.evidence else None
    return ChangeShown(
        c.change, c.kind, c.text, cite, guide(shaper.playbook, c.playbook) if c.playbook else None
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


# --- an account ------------------------------------------------------------------------------------
@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def account_page(
    request: Request,
    svc: ServicesDep,
    account_id: int,
    kind: Annotated[str, Query(max_length=10)] = "",
    engagement: Annotated[str, Query(max_length=10)] = "",
    since: Annotated[str, Query(alias="from", max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = "",
    until: Annotated[str, Query(alias="to", max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = "",
) -> Response:
    user = user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    row = account_row(svc, user, account_id)
    today = date.today()
    analysis = svc.analyzer.account(row.name, today)
    audit(request, user, "read", row.name, "account page")
    shaper = _shaper(svc, cited_ids(analysis.report))
    start, end = _on(since), _on(until)
    timeline = [
        {
            "id": j.view.id,
            "date": j.view.occurred_at.date(),
            "kind": j.view.kind,
            "title": found.title if (found := shaper.cited.get(j.view.id)) else j.view.kind,
            "engagement": j.facts.engagement,
            "opening": " ".join(j.view.text.split())[:160],
        }
        for j in reversed(analysis.judged)
        if (not kind or j.view.kind == kind)
        and (not engagement or j.facts.engagement == engagement)
        and (start is None or j.view.occurred_at.date() >= start)
        and (end is None or j.view.occurred_at.date() <= end)
    ]
    playbook = shaper.playbook
    entry = playbook.get("engagement")
    return page(
        request,
        "account.html",
        user=user,
        account_id=account_id,
        report=analysis.report,
        attention=assess(account_id, analysis.report, analysis.judged, today),
        findings=shaper.all(analysis.report),
        engagement_steps=entry.next_steps()
        if entry and analysis.report.engagement.label != "strategic"
        else [],
        engagement_guide=guide(playbook, entry.path, "what-to-do-next") if entry else None,
        timeline=timeline,
        total=len(analysis.judged),
        filters={"kind": kind, "engagement": engagement, "from": since, "to": until},
        kinds=KINDS,
        engagements=ENGAGEMENTS,
        trend=[1 if j.facts.engagement == "strategic" else 0 for j in analysis.judged][-12:],
    )


@router.get("/accounts/{account_id}/findings.csv")
def findings_download(request: Request, svc: ServicesDep, account_id: int) -> Response:
    """The account's findings as CSV (formula-looking cells escaped: see coach.analysis.spreadsheet)."""
    from coach.analysis.spreadsheet import findings_csv

    user = user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    row = account_row(svc, user, account_id)
    day = date.today()
    analysis = svc.analyzer.account(row.name, day)
    audit(request, user, "export", row.name, "findings.csv")
    filename = re.sub(r"[^A-Za-z0-9._-]+", "-", row.name).strip("-") or "account"
    return Response(
        findings_csv(analysis.as_report()),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}-findings-{day}.csv"'},
    )


# --- the prep brief --------------------------------------------------------------------------------
@router.get("/accounts/{account_id}/brief", response_class=HTMLResponse)
def brief_page(
    request: Request,
    svc: ServicesDep,
    account_id: int,
    meeting: Annotated[str, Query(max_length=300)] = "",
    attendee: Annotated[list[str] | None, Query(max_length=300)] = None,
    attendees: Annotated[str, Query(max_length=2000)] = "",
    on: Annotated[str, Query(alias="date", max_length=10)] = "",
) -> Response:
    """The brief for the account's next meeting; attendees are picked in the page (``attendee``, repeated) or
    given as one comma-separated list (``attendees``: links from elsewhere)."""
    user = user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    row = account_row(svc, user, account_id)
    day = _on(on) or date.today()
    people = list(dict.fromkeys(a.strip() for a in [*(attendee or []), *attendees.split(",")] if a.strip()))
    brief = svc.briefs.brief(BriefRequest(row.name, meeting=meeting or None, attendees=people, date=day))
    audit(request, user, "brief", row.name, f"meeting={meeting!r}" if meeting else None)
    with svc.workspace.db.session() as session:
        known = Repository(session).people_met(account_id)
        series = _series(session, account_id)
        cited = citations(session, _brief_ids(brief))
    return page(
        request,
        "brief.html",
        user=user,
        account_id=account_id,
        brief=brief,
        view=BriefView(brief, cited, _playbook(svc)),
        form={"meeting": meeting, "attendees": people, "date": day.isoformat()},
        known=known,
        series=series,
    )


def _series(session: Session, account_id: int) -> list[str]:
    stmt = (
        select(InteractionRow.series)
        .where(InteractionRow.account_id == account_id, InteractionRow.series.is_not(None))
        .distinct()
    )
    return sorted(s for s in session.scalars(stmt) if s)


def _brief_ids(brief: PrepBrief) -> set[str]:
    ids = {s.interaction for s in brief.sources} | {p.source for p in brief.context}
    ids |= {p.raised_in for p in brief.open_problems} | {c.made_in for c in brief.commitments}
    if brief.changes and brief.changes.since_interaction:
        ids.add(brief.changes.since_interaction)
    return ids


class BriefView:
    """What the brief page shows beyond the brief itself: citations as date, kind and title, playbook sections
    as pages in the app, "what changed" without repeats, and the agenda as plain text to copy."""

    def __init__(self, brief: PrepBrief, cited: dict[str, Citation], playbook: Playbook) -> None:
        self.brief, self.cited, self.playbook = brief, cited, playbook

    def cite(self, ev: BriefEvidence, speaker: str | None = None) -> Cite:
        """``speaker``: the person the line is about, whose name a transcript's quote need not repeat."""
        found = self.cited.get(ev.interaction)
        label = found.label if found else (day(ev.date) if ev.date else "a note")
        quote = without_speaker(" ".join(ev.quote.split()), speaker)
        return Cite(_note(ev.interaction, quote), quote, label)

    def cites(self, evidence: list[BriefEvidence], speaker: str | None = None) -> list[Cite]:
        return [self.cite(e, speaker) for e in evidence]

    def link(self, interaction: str, quote: str) -> str:
        return _note(interaction, quote)

    def label(self, interaction: str) -> str:
        found = self.cited.get(interaction)
        return found.label if found else "a note"

    def guide(self, source: str | None) -> Guide | None:
        return guide(self.playbook, source) if source else None

    def changes(self) -> list[tuple[str, Cite | None]]:
        """'What changed', each quote once: new problems, what was addressed, who was met first, then the notes
        logged since (those not quoted already)."""
        changes = self.brief.changes
        if changes is None:
            return []
        seen: set[str] = set()
        shown: list[tuple[str, Cite | None]] = []
        for what, items in (("New open problem", changes.new_problems), ("Addressed", changes.addressed)):
            for e in items:
                key = " ".join(e.quote.split()).casefold()
                if key not in seen:
                    seen.add(key)
                    shown.append((what, self.cite(e)))
        shown += [(f"First met: {name}", None) for name in dict.fromkeys(changes.new_people)]
        logged = {e.interaction for e in changes.new_problems + changes.addressed}
        for e in changes.interactions:
            key = " ".join(e.quote.split()).casefold()
            if key not in seen and e.interaction not in logged:
                seen.add(key)
                logged.add(e.interaction)
                shown.append(("Logged since", self.cite(e)))
        return shown

    def since(self) -> str:
        changes = self.brief.changes
        if changes is None:
            return ""
        what = changes.since_what.split(" (", 1)[0]
        if changes.since_interaction and changes.since_interaction in self.cited:
            return f"{what}: {self.cited[changes.since_interaction].label}"
        return what

    def agenda_text(self) -> str:
        lines = [f"Agenda: {self.brief.account}" + (f", {self.brief.meeting}" if self.brief.meeting else "")]
        lines += [f"{n}. {a.text}" for n, a in enumerate(self.brief.agenda, 1)]
        if self.brief.questions:
            lines += ["", "Questions to raise:"] + [f"- {q.question}" for q in self.brief.questions]
        return "\n".join(lines)

    def passage_guide(self, source: str) -> Guide | None:
        return guide(self.playbook, source)

    def entry_title(self, source: str) -> str:
        entry = self.playbook.by_path(source)
        return short_title(entry) if entry else "The playbook"


def _note(interaction: str, quote: str) -> str:
    return note_link(interaction, " ".join(quote.split()))


# --- search ----------------------------------------------------------------------------------------
@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    svc: ServicesDep,
    q: Annotated[str, Query(max_length=500)] = "",
    account: Annotated[str, Query(max_length=10, pattern=r"^\d*$")] = "",  # the form sends "" for all
    kind: Annotated[str, Query(max_length=10)] = "",
    since: Annotated[str, Query(alias="from", max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = "",
    until: Annotated[str, Query(alias="to", max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = "",
) -> Response:
    """Passages that answer the words, each with its matching words marked and a link to the sentence in its note;
    only those that clear the relevance floor; narrowed by account, kind and dates."""
    user = user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    accounts = _visible_accounts(svc, user)
    hits = []
    if q.strip():
        scope = _search_scope(svc, accounts, int(account) if account else None, kind, _on(since), _on(until))
        hits = svc.searcher.search(q, k=15, **scope) if scope is not None else []
        audit(request, user, "search", None, search_detail(q, [h.account for h in hits]))
    with svc.workspace.db.session() as session:
        cited = citations(session, {h.interaction_id for h in hits})
    return page(
        request,
        "search.html",
        user=user,
        q=q,
        hits=hits,
        cited=cited,
        accounts=accounts,
        kinds=KINDS,
        filters={"account": int(account) if account else None, "kind": kind, "from": since, "to": until},
    )


def _visible_accounts(svc: Services, user: User) -> list[tuple[int, str]]:
    visible = svc.accounts.visible_ids(user)
    with svc.workspace.db.session() as session:
        rows = Repository(session).account_summaries()
    return sorted(((s.id, s.name) for s in rows if visible is None or s.id in visible), key=lambda r: r[1])


def _search_scope(
    svc: Services,
    accounts: list[tuple[int, str]],
    account: int | None,
    kind: str,
    start: date | None,
    end: date | None,
) -> dict[str, Any] | None:
    """The searcher's scope: the accounts the user sees (or the one picked), and when a kind or dates are given,
    the interactions that match them. None: nothing can match."""
    ids = [i for i, _ in accounts if account is None or i == account]
    if not ids:
        return None
    if not (kind or start or end):
        return {"account_ids": ids}
    stmt = select(InteractionRow.id).where(InteractionRow.account_id.in_(ids))
    if kind:
        stmt = stmt.where(InteractionRow.kind == kind)
    if start:
        stmt = stmt.where(InteractionRow.occurred_at >= datetime.combine(start, time.min, tzinfo=UTC))
    if end:
        stmt = stmt.where(InteractionRow.occurred_at <= datetime.combine(end, time.max, tzinfo=UTC))
    with svc.workspace.db.session() as session:
        found = list(session.scalars(stmt))
    return {"account_ids": ids, "interaction_ids": found} if found else None
