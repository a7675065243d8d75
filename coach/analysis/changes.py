"""What one note changed in its account's findings: the report with the note against the report without it.

"New: Mei Tanaka asked ... (no answer yet)", "Resolved: Gareth's question: answered", "New risk: single-threaded",
"Engagement: now mixed (was strategic)". Shown right after a rep logs a note, so they see what their words did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from coach.analysis.report import AccountReport, Evidence, OpenProblem

Change = Literal["new", "resolved", "changed"]
RAISED = {
    "problem": "raised a problem",
    "complaint": "complained",
    "request": "made a request",
    "question": "asked a question",
}
Kind = Literal["problem", "risk", "meeting", "engagement"]


@dataclass(frozen=True, slots=True)
class FindingChange:
    change: Change
    kind: Kind
    text: str
    evidence: Evidence | None = None
    playbook: str = ""


def changes(before: AccountReport, after: AccountReport) -> list[FindingChange]:
    """New findings first, then what changed, then what resolved."""
    found = _problems(before, after) + _risks(before, after) + _meetings(before, after)
    found += _engagement(before, after)
    order = {"new": 0, "changed": 1, "resolved": 2}
    return sorted(found, key=lambda c: order[c.change])


def _problems(before: AccountReport, after: AccountReport) -> list[FindingChange]:
    was = {p.key: p for p in before.unaddressed_problems}
    now = {p.key: p for p in after.unaddressed_problems}
    found = [_problem("new", p) for key, p in now.items() if key not in was]
    return found + [_problem("resolved", p) for key, p in was.items() if key not in now]


def _problem(change: Change, p: OpenProblem) -> FindingChange:
    who = p.raised_by or "The customer"
    if change == "new":
        text = f"{who} {RAISED.get(p.kind, 'raised a problem')}; nobody owned it yet"
    else:
        text = f"{who}’s {p.kind} is owned now: fixed, planned with an owner and a date, or answered"
    return FindingChange(change, "problem", text, p.evidence[0], p.playbook)


def _risks(before: AccountReport, after: AccountReport) -> list[FindingChange]:
    found = []
    for risk in after.risks:
        earlier = before.risk(risk.code)
        name = _name(risk.title, risk.code)
        first = risk.evidence[0] if risk.evidence else None
        if earlier is None:
            found.append(
                FindingChange("new", "risk", f"{name} ({risk.severity}): {risk.why}", first, risk.playbook)
            )
        elif earlier.severity != risk.severity:
            text = f"{name}: now {risk.severity} (was {earlier.severity}). {risk.why}"
            found.append(FindingChange("changed", "risk", text, first, risk.playbook))
    for risk in before.risks:
        if after.risk(risk.code) is None:
            name = _name(risk.title, risk.code)
            found.append(FindingChange("resolved", "risk", f"{name}: no longer flagged", None, risk.playbook))
    return found


def _meetings(before: AccountReport, after: AccountReport) -> list[FindingChange]:
    was = {m.series: m for m in before.meetings}
    found = []
    for m in after.meetings:
        first = m.evidence[0] if m.evidence else None
        earlier = was.get(m.series)
        if earlier is None and m.verdict != "keep":
            found.append(
                FindingChange("new", "meeting", f"{m.series}: {m.verdict}. {m.why}", first, m.playbook)
            )
        elif earlier is not None and earlier.verdict != m.verdict:
            change: Change = "resolved" if m.verdict == "keep" else "changed"
            text = f"{m.series}: now {m.verdict} (was {earlier.verdict}). {m.why}"
            found.append(FindingChange(change, "meeting", text, first, m.playbook))
    return found


def _engagement(before: AccountReport, after: AccountReport) -> list[FindingChange]:
    was, now = before.engagement, after.engagement
    if was.label == now.label:
        return []
    text = f"now {now.label} (was {was.label}): {now.why}"
    return [FindingChange("changed", "engagement", text, None, now.playbook)]


def _name(title: str, code: str) -> str:
    """A risk's short name: 'Star performer' of 'Star performer - one of us holds all the keys'."""
    return (title or code.replace("_", " ").capitalize()).split(" - ", 1)[0]


def without_speaker(text: str, speaker: str | None) -> str:
    """``text`` without a leading speaker label that repeats ``speaker`` (or their first name)."""
    head, sep, rest = text.partition(":")
    if not sep or not speaker or len(head) > 60:
        return text
    names = {speaker.casefold(), speaker.split()[0].casefold()}
    return rest.strip() if head.strip().casefold() in names else text
