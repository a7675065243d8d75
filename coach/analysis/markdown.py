"""The report for people: one section per account, findings first, each with its evidence."""

from __future__ import annotations

from coach.analysis.report import Evidence, Report
from coach.playbook import load as load_playbook

_VERDICTS = {"keep": "KEEP", "reinvent": "REINVENT", "kill": "KILL"}


def _quote(ev: Evidence) -> str:
    text = " ".join(ev.quote.split())
    return f"> “{text}” ({ev.interaction})"


def render_summary(report: Report) -> str:
    """One line per account: engagement, and the headline of each flag with its strongest quote."""
    lines = []
    for a in report.accounts:
        e = a.engagement
        lines.append(f"{a.account}: {e.label} ({e.strategic_share:.0%} strategic)")
        for r in a.risks:
            lines.append(f"  - {r.title or r.code} [{r.severity}]")
        for p in sorted(a.unaddressed_problems, key=lambda p: -p.days_open)[:2]:
            quote = " ".join(p.evidence[0].quote.split())
            lines.append(f"  - open {p.days_open} days: “{quote[:110]}{'…' if len(quote) > 110 else ''}”")
        for m in a.meetings:
            lines.append(f"  - {m.verdict.upper()}: {m.series}")
    return "\n".join(lines) or "No accounts yet."


def render_markdown(report: Report) -> str:
    lines = [f"# Coaching report as of {report.as_of}", f"_engine: {report.engine}_", ""]
    if not report.accounts:
        lines.append(
            "No accounts to report on. Import notes first: `coach ingest FILE` or `coach analyze FILE`."
        )
        return "\n".join(lines)
    lines += [
        "| account | engagement | strategic | open problems | risks | meetings to fix |",
        "|---|---|---|---|---|---|",
    ]
    for a in report.accounts:
        e = a.engagement
        fix = sum(1 for m in a.meetings if m.verdict != "keep")
        lines.append(
            f"| {a.account} | {e.label} | {e.strategic_share:.0%} | {len(a.unaddressed_problems)} "
            f"| {', '.join(r.code for r in a.risks) or '–'} | {fix} |"
        )
    for a in report.accounts:
        e = a.engagement
        lines += [
            "",
            f"## {a.account}",
            "",
            f"**Engagement: {e.label}**: {e.why} ({e.strategic_share:.0%}).",
            "",
        ]
        strategic = [i for i in a.interactions if i.engagement == "strategic" and i.evidence]
        if strategic and strategic[-1].evidence:
            lines.append("Most recent strategic conversation:")
            lines.append(_quote(strategic[-1].evidence))
            lines.append("")
        if a.risks:
            lines.append("### Relationship risks")
            for r in a.risks:
                lines.append(f"- **{r.title or r.code}** ({r.severity}): {r.why}")
                lines += [f"  {_quote(ev)}" for ev in r.evidence[:2]]
                entry = load_playbook().get(r.code)
                if entry and entry.next_steps():
                    lines.append(f"  What to do next: {entry.next_steps()[0]} (`{entry.path}`)")
            lines.append("")
        if a.unaddressed_problems:
            lines.append("### Customer problems nobody owned")
            for p in sorted(a.unaddressed_problems, key=lambda p: -p.days_open):
                lines.append(
                    f"- **{p.days_open} days open** (raised {p.raised_on} in {p.raised_in}): {p.summary}"
                )
                lines += [f"  {_quote(ev)}" for ev in p.evidence[:2]]
            lines.append("")
        if a.meetings:
            lines.append("### Recurring meetings")
            for m in a.meetings:
                lines.append(f"- **{_VERDICTS[m.verdict]}: {m.series}**: {m.why}")
                lines += [f"  {_quote(ev)}" for ev in m.evidence[:2]]
            lines.append("")
        if not (a.risks or a.unaddressed_problems or a.meetings):
            lines.append("No risks, open problems or recurring meetings to fix.")
    return "\n".join(lines)
