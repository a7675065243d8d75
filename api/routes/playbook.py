"""The playbook as pages: every finding links the page that explains it and says what to do next (the digest links
them too, as ``/playbook/{code}``)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ServicesDep
from api.findings import short_title
from api.routes.web import page, user_or_redirect
from coach.errors import NotFound

router = APIRouter(include_in_schema=False)
GROUPS = (
    ("account_killer", "Relationship risks"),
    ("concept", "How the coach reads an account"),
    ("practice", "Practices"),
)
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def inline(text: str) -> list[tuple[str, bool]]:
    """A line of the playbook in pieces, the ``**bold**`` ones marked; backticks dropped (they name files)."""
    pieces = _BOLD.split(text.replace("`", ""))
    return [(piece, i % 2 == 1) for i, piece in enumerate(pieces) if piece]


@router.get("/playbook", response_class=HTMLResponse)
def playbook_index(request: Request, svc: ServicesDep) -> Response:
    user = user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    entries = svc.analyzer.judge.playbook.entries.values()
    groups = [
        (label, sorted((e for e in entries if e.kind == kind), key=lambda e: e.title))
        for kind, label in GROUPS
    ]
    known = {kind for kind, _ in GROUPS}
    groups.append(("More", sorted((e for e in entries if e.kind not in known), key=lambda e: e.title)))
    return page(request, "playbook.html", user=user, groups=[g for g in groups if g[1]], entry=None)


@router.get("/playbook/{code}", response_class=HTMLResponse)
def playbook_entry(request: Request, svc: ServicesDep, code: str) -> Response:
    user = user_or_redirect(request, svc)
    if isinstance(user, RedirectResponse):
        return user
    entry = svc.analyzer.judge.playbook.get(code)
    if entry is None:
        raise NotFound("there is no playbook page of that name")
    return page(
        request, "playbook.html", user=user, entry=entry, short=short_title(entry), inline=inline, groups=[]
    )
