"""The JSON API under /v1: interactions, accounts (report, brief), search. Thin: check, call coach, shape."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.deps import ApiUser, Services, ServicesDep, audit, search_detail
from api.schemas import (
    AccountPublic,
    BatchItemPublic,
    BatchPublic,
    ErrorPublic,
    InteractionBatchCreate,
    InteractionCreate,
    InteractionCreated,
    InteractionPublic,
    ParticipantPublic,
    PassagePublic,
    SearchHitPublic,
    SpanPublic,
)
from coach.analysis.report import Report
from coach.auth import User
from coach.briefs import BriefRequest, PrepBrief
from coach.errors import AccessNeeded, InvalidInput, NotFound, NotVisible, TooLarge
from coach.store.repository import Repository, as_utc
from coach.store.schema import AccountRow, InteractionRow

router = APIRouter(
    prefix="/v1",
    responses={
        400: {"description": "the request is not what the operation reads (e.g. a body that is not JSON)"},
        401: {"model": ErrorPublic, "description": "no valid token or session"},
        404: {"model": ErrorPublic, "description": "no such account or interaction among those you may see"},
        422: {"description": "invalid input: the message says what to change"},
        429: {
            "model": ErrorPublic,
            "description": "too many requests; retry after the Retry-After header's seconds",
        },
    },
)


def public(row: InteractionRow) -> InteractionPublic:
    return InteractionPublic(
        id=row.id,
        account=row.account.name,
        kind=row.kind,
        date=as_utc(row.occurred_at),
        rep=row.rep,
        series=row.series,
        subject=row.subject,
        duration_minutes=row.duration_minutes,
        text=row.raw_text,
        participants=[
            ParticipantPublic(
                name=p.person.name, side=p.person.side, title=p.person.title, email=p.person.email
            )
            for p in row.participants
        ],
    )


def visible_account(svc: Services, user: User, name: str) -> AccountRow:
    """The account row if it exists and the user may see it; 404 otherwise (the same answer either way)."""
    with svc.workspace.db.session() as session:
        row = Repository(session).account(name)
        if row is None:
            raise NotFound(f"no account named {name!r}")
        if not svc.accounts.can_see(user, row.id):
            raise NotVisible(f"no account named {name!r}", row.name)
        return row


@router.post(
    "/interactions",
    status_code=201,
    response_model=InteractionCreated,
    responses={
        200: {"model": InteractionCreated, "description": "already stored: unchanged or updated"},
        413: {"model": ErrorPublic, "description": "the note is larger than the limit"},
    },
    summary="Log one interaction",
)
def create_interaction(body: InteractionCreate, user: ApiUser, svc: ServicesDep, request: Request) -> Any:
    try:
        logged = svc.logbook.log_one(user, body.model_dump(exclude_none=True))
    except InvalidInput as exc:
        audit(request, user, "log", body.account, f"refused: {exc}")
        raise
    with svc.workspace.db.session() as session:
        row = Repository(session).interaction(logged.id or "")
        assert row is not None and logged.status in ("added", "updated", "unchanged")  # refusals raised above
        result = InteractionCreated(interaction=public(row), status=logged.status)
    audit(request, user, "log", result.interaction.account, f"interaction {logged.id} {logged.status}")
    return JSONResponse(result.model_dump(mode="json"), status_code=201 if logged.status == "added" else 200)


@router.post(
    "/interactions/batch",
    response_model=BatchPublic,
    responses={413: {"model": ErrorPublic}},
    summary="Log many interactions; each is accepted or rejected on its own",
)
def create_batch(
    body: InteractionBatchCreate, user: ApiUser, svc: ServicesDep, request: Request
) -> BatchPublic:
    limit = svc.workspace.settings.api_max_batch
    if len(body.interactions) > limit:
        raise TooLarge(
            f"{len(body.interactions)} interactions in one batch; the limit is {limit} "
            "(COACH_API_MAX_BATCH): send several batches"
        )
    allowed = set(InteractionCreate.model_fields)
    objects: list[dict[str, Any]] = []
    unknown: dict[int, str] = {}
    for index, obj in enumerate(body.interactions):
        if not isinstance(obj, dict):
            unknown[index] = f"expected an interaction object, got {type(obj).__name__}"
        elif extra := sorted(set(obj) - allowed):
            unknown[index] = f"unknown field(s): {', '.join(extra)}"
        objects.append(obj if index not in unknown else {})
    results = svc.logbook.log(user, [o for i, o in enumerate(objects) if i not in unknown])
    kept = iter(results)
    items = []
    denied: set[int] = set()
    for index in range(len(objects)):
        if index in unknown:
            items.append(BatchItemPublic(index=index, status="rejected", reason=unknown[index]))
        else:
            r = next(kept)
            if isinstance(r.error, AccessNeeded):
                denied.add(index)
            items.append(
                BatchItemPublic(
                    index=index,
                    status="rejected"
                    if r.status == "pending"
                    else r.status,  # every pending one is settled by now
                    id=r.id if r.status != "rejected" else None,
                    reason=r.reason,
                )
            )

    def count(status: str) -> int:
        return sum(1 for i in items if i.status == status)

    audit_batch(request, user, objects, items, denied)
    return BatchPublic(
        added=count("added"),
        updated=count("updated"),
        unchanged=count("unchanged"),
        rejected=count("rejected"),
        items=items,
    )


def audit_batch(
    request: Request, user: User, objects: list[Any], items: list[BatchItemPublic], denied: set[int]
) -> None:
    """One audit event per account the batch named (what was stored in it or refused), and one per record refused
    for lack of access."""
    per: dict[str, list[str]] = {}
    for obj, item in zip(objects, items, strict=True):
        account = str(obj.get("account", ""))[:300] if isinstance(obj, dict) else ""
        if item.index in denied:
            audit(request, user, "denied", account, f"403 batch item {item.index}: {item.reason}")
            continue
        per.setdefault(account, []).append(f"{item.id or f'#{item.index}'} {item.status}")
    for account, outcomes in per.items():
        audit(request, user, "log", account or None, f"batch: {', '.join(outcomes)}"[:1000])


@router.get("/interactions/{interaction_id}", response_model=InteractionPublic, summary="One interaction")
def get_interaction(
    interaction_id: str, user: ApiUser, svc: ServicesDep, request: Request
) -> InteractionPublic:
    with svc.workspace.db.session() as session:
        row = Repository(session).interaction(interaction_id)
        if row is None:
            raise NotFound(f"no interaction {interaction_id!r}")
        if not svc.accounts.can_see(user, row.account_id):
            raise NotVisible(f"no interaction {interaction_id!r}", row.account.name)
        result = public(row)
    audit(request, user, "read", result.account, f"interaction {interaction_id}")
    return result


@router.get("/accounts", response_model=list[AccountPublic], summary="The accounts you can see")
def list_accounts(user: ApiUser, svc: ServicesDep) -> list[AccountPublic]:
    visible = svc.accounts.visible_ids(user)
    with svc.workspace.db.session() as session:
        return [
            AccountPublic(name=s.name, interactions=s.interactions, first=s.first, last=s.last)
            for s in Repository(session).account_summaries()
            if visible is None or s.id in visible
        ]


@router.get(
    "/accounts/{account:path}/interactions",
    response_model=list[InteractionPublic],
    summary="An account's interactions, newest first",
)
def account_interactions(
    account: str,
    user: ApiUser,
    svc: ServicesDep,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[InteractionPublic]:
    row = visible_account(svc, user, account)
    with svc.workspace.db.session() as session:
        rows = Repository(session).interactions(account_ids=[row.id])
        result = [public(r) for r in list(reversed(rows))[offset : offset + limit]]
    audit(request, user, "read", row.name, f"{len(result)} interaction(s)")
    return result


@router.get(
    "/accounts/{account:path}/report",
    response_model=Report,
    response_model_exclude_none=True,
    summary="The account's report, as in contract/report.schema.json",
)
def account_report(
    account: str,
    user: ApiUser,
    svc: ServicesDep,
    request: Request,
    as_of: Annotated[date | None, Query(description="default: today")] = None,
) -> Report:
    row = visible_account(svc, user, account)
    day = as_of or date.today()
    analysis = svc.analyzer.account(row.name, day)
    audit(request, user, "read", row.name, "report")
    return analysis.as_report()


@router.get("/accounts/{account:path}/brief", response_model=PrepBrief, summary="A meeting prep brief")
def account_brief(
    account: str,
    user: ApiUser,
    svc: ServicesDep,
    request: Request,
    meeting: Annotated[str | None, Query(max_length=300)] = None,
    attendees: Annotated[str | None, Query(max_length=2000, description="comma-separated")] = None,
    on: Annotated[date | None, Query(alias="date", description="meeting date; default today")] = None,
) -> PrepBrief:
    row = visible_account(svc, user, account)
    people = [a.strip() for a in (attendees or "").split(",") if a.strip()]
    brief = svc.briefs.brief(
        BriefRequest(row.name, meeting=meeting, attendees=people, date=on or date.today())
    )
    audit(request, user, "brief", row.name, f"meeting={meeting!r}" if meeting else None)
    return brief


@router.get(
    "/search", response_model=list[SearchHitPublic], summary="Search by meaning in the accounts you can see"
)
def search(
    user: ApiUser,
    svc: ServicesDep,
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    account: Annotated[str | None, Query(max_length=300)] = None,
    k: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[SearchHitPublic]:
    visible = svc.accounts.visible_ids(user)
    ids = None if visible is None else sorted(visible)
    if account is not None:
        ids = [visible_account(svc, user, account).id]
    hits = svc.searcher.search(q, k=k, account_ids=ids)
    audit(request, user, "search", account, search_detail(q, [h.account for h in hits]))
    return [
        SearchHitPublic(
            interaction=h.interaction_id,
            account=h.account,
            date=h.occurred_at,
            kind=h.kind,
            excerpt=h.excerpt,
            score=h.score,
            start=h.start,
            end=h.end,
            passage=PassagePublic(
                text=h.passage.text,
                start=h.passage.start,
                end=h.passage.end,
                marks=[SpanPublic(start=a, end=b) for a, b in h.passage.marks],
            ),
        )
        for h in hits
    ]
