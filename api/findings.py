"""Findings as the pages show them: what happened, since when, what to do next (from the playbook), the playbook
page to read, and the sentences behind it cited by date, kind and title, each linked to the sentence in the note.

Pages never show interaction ids, file paths or engine words; the links carry the ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from coach.analysis.changes import RAISED, without_speaker
from coach.analysis.report import AccountReport, Evidence, MeetingVerdict, OpenProblem, Risk
from coach.citations import Citation, day
from coach.playbook import Entry, Playbook

RESPONSE = {"none": "nobody answered it", "vague": "only a vague answer followed"}
VERDICT_TAG = {"keep": "strategic", "reinvent": "medium", "kill": "high"}


@dataclass(frozen=True, slots=True)
class Cite:
    href: str
    quote: str
    label: str


@dataclass(frozen=True, slots=True)
class Guide:
    """A playbook page (or one of its sections) in the web app."""

    href: str
    label: str


@dataclass(slots=True)
class Finding:
    kind: str  # problem, risk, meeting
    title: str
    tag: str
    tag_class: str
    what: str
    next_steps: list[str] = field(default_factory=list)
    guide: Guide | None = None
    cites: list[Cite] = field(default_factory=list)


def short_title(entry: Entry) -> str:
    """'Single-threaded' of 'Single-threaded - one contact away from collapse'."""
    return entry.title.split(" - ", 1)[0]


def guide(playbook: Playbook, path: str, section: str | None = None) -> Guide | None:
    """The web app's page for a finding's ``playbook`` path (``knowledge/x.md`` or ``knowledge/x.md#section``)."""
    entry = playbook.by_path(path)
    if entry is None:
        return None
    anchor = section or (path.split("#", 1)[1] if "#" in path else "")
    heading = next((s.heading for s in entry.sections if s.slug == anchor), None)
    label = short_title(entry) + (f" › {heading}" if heading else "")
    return Guide(f"/playbook/{quote(entry.code)}" + (f"#{anchor}" if anchor else ""), label)


def note_link(interaction: str, quote_text: str = "") -> str:
    path = f"/interactions/{quote(interaction, safe='')}"
    return f"{path}?{urlencode({'q': quote_text})}#quote" if quote_text else path


class FindingShaper:
    """Shapes one account's report for a page, given the citations of the interactions it cites."""

    def __init__(self, playbook: Playbook, cited: dict[str, Citation]) -> None:
        self.playbook = playbook
        self.cited = cited

    def cite(self, ev: Evidence, speaker: str | None = None) -> Cite:
        shown = without_speaker(" ".join(ev.quote.split()), speaker)
        found = self.cited.get(ev.interaction)
        return Cite(note_link(ev.interaction, shown), shown, found.label if found else "a note")

    def all(self, report: AccountReport) -> list[Finding]:
        problems = sorted(report.unaddressed_problems, key=lambda p: -p.days_open)
        return (
            [self.problem(p) for p in problems]
            + [self.risk(r) for r in sorted(report.risks, key=lambda r: -r.rank)]
            + [self.meeting(m) for m in report.meetings]
        )

    def problem(self, p: OpenProblem) -> Finding:
        who = p.raised_by or "The customer"
        entry = self.playbook.by_path(p.playbook)
        return Finding(
            kind="problem",
            title=f"{who} {RAISED.get(p.kind, 'raised a problem')}",
            tag=f"{p.days_open} days open",
            tag_class="high" if p.days_open >= 30 else "medium",
            what=f"Raised on {day(p.raised_on)}; {RESPONSE.get(p.response, 'nobody owned it')}.",
            next_steps=entry.next_steps() if entry else [],
            guide=guide(self.playbook, p.playbook, "what-to-do-next"),
            cites=[self.cite(p.evidence[0], p.raised_by)] + [self.cite(e) for e in p.evidence[1:3]],
        )

    def risk(self, r: Risk) -> Finding:
        entry = self.playbook.get(r.code) or self.playbook.by_path(r.playbook)
        return Finding(
            kind="risk",
            title=short_title(entry) if entry else r.title or r.code.replace("_", " ").capitalize(),
            tag=r.severity,
            tag_class=r.severity,
            what=r.why,
            next_steps=entry.next_steps() if entry else [],
            guide=guide(self.playbook, entry.path if entry else r.playbook, "what-to-do-next"),
            cites=[self.cite(e) for e in r.evidence[:2]],
        )

    def meeting(self, m: MeetingVerdict) -> Finding:
        entry = self.playbook.by_path(m.playbook)
        return Finding(
            kind="meeting",
            title=m.series,
            tag=m.verdict,
            tag_class=VERDICT_TAG[m.verdict],
            what=m.why,
            next_steps=entry.next_steps(m.verdict) if entry else [],
            guide=guide(self.playbook, m.playbook, m.verdict),
            cites=[self.cite(e) for e in m.evidence[:2]],
        )


def cited_ids(report: AccountReport) -> set[str]:
    found = {e.interaction for p in report.unaddressed_problems for e in p.evidence}
    found |= {e.interaction for r in report.risks for e in r.evidence}
    found |= {e.interaction for m in report.meetings for e in m.evidence}
    return found | {i.id for i in report.interactions}
