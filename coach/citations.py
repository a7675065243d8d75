"""How people see an interaction cited: its date, kind and title ("21 Oct 2026 · call · Pilot check-in with Mei"),
never its id ("int-fde13a…", "smp-013"), which stays in the link."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coach.store.repository import as_utc
from coach.store.schema import InteractionRow

TITLE_CHARS = 70
KINDS = {"email": "e-mail", "note": "note", "call": "call", "meeting": "meeting"}
_SENTENCE = re.compile(r".{12,}?[.!?](?=\s|$)")
_GREETING = re.compile(
    r"(?:(?:hi|hello|dear|hey)\s+)?[\w .'-]{1,40},", re.I
)  # "Mei," "Hi Gareth,": not a title


@dataclass(frozen=True, slots=True)
class Citation:
    interaction: str
    date: date
    kind: str
    title: str

    @property
    def label(self) -> str:
        return f"{day(self.date)} · {KINDS.get(self.kind, self.kind)} · {self.title}"


def day(when: date) -> str:
    """'21 Oct 2026': a date as people write it (a page, not a log)."""
    return f"{when.day} {when:%b %Y}"


def title_of(subject: str | None, series: str | None, text: str) -> str:
    """What a note is called: its subject (unless it is the name of the file it came from), its meeting series,
    or its first sentence, cut at a word."""
    if subject and " " not in subject.strip():
        subject = None  # 'quayside-weekly-2026-08-27': a file name
    title = " ".join((subject or series or "").split())
    if not title:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        first = next((line for line in lines if not _GREETING.fullmatch(line)), lines[0] if lines else "")
        match = _SENTENCE.match(first)
        title = (match.group(0) if match else first).rstrip(".")
    if len(title) > TITLE_CHARS:
        title = title[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:-") + "…"
    return title or "untitled"


def citations(session: Session, ids: Iterable[str]) -> dict[str, Citation]:
    """The citation of each interaction in ``ids`` that exists (read in pages of 500)."""
    wanted = sorted(set(ids))
    found: dict[str, Citation] = {}
    for start in range(0, len(wanted), 500):
        stmt = select(
            InteractionRow.id,
            InteractionRow.occurred_at,
            InteractionRow.kind,
            InteractionRow.subject,
            InteractionRow.series,
            func.substr(InteractionRow.raw_text, 1, 400),  # the title needs only the first sentence
        ).where(InteractionRow.id.in_(wanted[start : start + 500]))
        for id_, when, kind, subject, series, text in session.execute(stmt):
            found[id_] = Citation(id_, as_utc(when).date(), kind, title_of(subject, series, text))
    return found
