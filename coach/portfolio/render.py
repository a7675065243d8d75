"""The portfolio for people (Markdown) and for a spreadsheet (CSV, one row per account, formulas escaped).

A measure nobody recorded prints as "not recorded" (Markdown) or an empty cell (CSV): never a guess.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from coach.analysis.spreadsheet import safe_cell
from coach.portfolio.model import Decision, Portfolio, PortfolioAccount

EFFORT_LEVELS = ("high", "medium", "low", "none")
VALUE_LEVELS = ("high", "medium", "low", "unknown")
MISSING = "not recorded"
CSV_COLUMNS = [
    "account",
    "effort",
    "value",
    "engagement_window",
    "effort_share",
    "value_share",
    "interactions",
    "interactions_before",
    "trend",
    "meeting_hours",
    "meetings_without_length",
    "our_people",
    "strategic_share",
    "arr",
    "arr_as_of",
    "arr_trend",
    "arr_change",
    "renewal_date",
    "renewal_in_days",
    "tier",
    "csat",
    "nps",
    "retention",
    "repeat_purchase",
    "lifetime_value",
    "engagement_all",
    "open_problems",
    "risks",
    "decisions",
]


def render_markdown(p: Portfolio) -> str:
    lines = [
        "# Portfolio: where the effort goes against where the value is",
        f"{p.scope[:1].upper() + p.scope[1:]}, as of {p.as_of.isoformat()}; effort over the {p.window_days} days since "
        f"{p.since.isoformat()}. {_totals(p)}",
        "",
    ]
    if not p.accounts:
        lines.append("No accounts in this portfolio yet: nothing is granted to it, or nothing is logged.")
        return "\n".join(lines) + "\n"
    lines += _decisions(p.decisions)
    lines += _grid(p)
    lines += _table(p)
    return "\n".join(lines) + "\n"


def _totals(p: Portfolio) -> str:
    t = p.totals
    text = (
        f"{t.accounts} account{'s' if t.accounts != 1 else ''}, {t.interactions} interactions and "
        f"{t.meeting_hours:.1f} meeting hours of our people in the window"
    )
    if t.accounts_without_arr:
        text += f"; ARR not recorded for {t.accounts_without_arr}"
    return text + "."


def _decisions(decisions: list[Decision]) -> list[str]:
    if not decisions:
        return ["## Investment decisions", "", "None stands out: effort and value are in line.", ""]
    lines = [f"## Investment decisions to make ({len(decisions)})", ""]
    for n, d in enumerate(decisions, 1):
        lines.append(
            f"{n}. **{_sentence(f'{d.title}: {d.account}' + (f' / {d.series}' if d.series else ''))}** {d.question}"
        )
        lines.append(f"   {d.why}")
        for e in d.evidence:
            lines.append(f"   > “{' '.join(e.quote.split())}” ({e.interaction})")
        if d.next_step:
            lines.append(f"   Next: {d.next_step}" + (f" ({d.playbook})" if d.playbook else ""))
        lines.append("")
    return lines


def _sentence(text: str) -> str:
    """Ends with a full stop, once ("Acme Co." stays "Acme Co.")."""
    return text if text.endswith((".", "!", "?")) else text + "."


def _grid(p: Portfolio) -> list[str]:
    lines = [
        "## Effort against value",
        "",
        "| value \\ effort | " + " | ".join(EFFORT_LEVELS) + " |",
        "|---|" + "---|" * len(EFFORT_LEVELS),
    ]
    for value in VALUE_LEVELS:
        cells = []
        for effort in EFFORT_LEVELS:
            names = [
                f"{a.account} ({a.placement.engagement})"
                for a in p.accounts
                if a.placement.value == value and a.placement.effort == effort
            ]
            cells.append(", ".join(names) or "–")
        label = "unknown (no ARR)" if value == "unknown" else value
        lines.append(f"| **{label}** | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _table(p: Portfolio) -> list[str]:
    lines = [
        "## Accounts",
        "",
        "| account | interactions (trend) | meeting hours | our people | strategic | ARR (trend) | renewal "
        "| tier | NPS | CSAT | retention | decisions |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for a in p.accounts:
        e, v = a.effort, a.value
        hours = f"{e.meeting_hours:.1f}" + (
            f" (+{e.unmeasured_meetings} unmeasured)" if e.unmeasured_meetings else ""
        )
        lines.append(
            f"| {a.account} | {e.interactions} ({e.trend}, {e.previous_interactions} before) | {hours} "
            f"| {len(e.our_people)} | {_share(e.strategic_share)} | {_arr(a)} | {_renewal(a)} "
            f"| {v.tier or MISSING} | {_num(v.nps)} | {_num(v.csat, '%')} | {_num(v.retention, '%')} "
            f"| {', '.join(d.replace('_', '-') for d in a.decisions) or '–'} |"
        )
    lines += ["", f"“{MISSING}”: nobody recorded it; the coach does not fill it in."]
    return lines


def _arr(a: PortfolioAccount) -> str:
    v = a.value
    if v.arr is None:
        return MISSING
    trend = f"{v.arr_trend} {v.arr_change:+.0%}" if v.arr_change is not None else "one value"
    return f"{v.arr:,.0f} ({trend})"


def _renewal(a: PortfolioAccount) -> str:
    v = a.value
    if v.renewal_date is None or v.renewal_in_days is None:
        return MISSING
    days = v.renewal_in_days
    return f"{v.renewal_date.isoformat()} ({f'in {days} days' if days >= 0 else f'{-days} days ago'})"


def _num(value: float | None, unit: str = "") -> str:
    return MISSING if value is None else f"{value:g}{unit}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def render_csv(p: Portfolio) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for a in p.accounts:
        e, v, pl = a.effort, a.value, a.placement
        row: list[object] = [
            a.account,
            pl.effort,
            pl.value,
            pl.engagement,
            pl.effort_share,
            pl.value_share,
            e.interactions,
            e.previous_interactions,
            e.trend,
            e.meeting_hours,
            e.unmeasured_meetings,
            len(e.our_people),
            e.strategic_share,
            v.arr,
            v.arr_as_of,
            v.arr_trend,
            v.arr_change,
            v.renewal_date,
            v.renewal_in_days,
            v.tier,
            v.csat,
            v.nps,
            v.retention,
            v.repeat_purchase,
            v.lifetime_value,
            a.engagement,
            a.open_problems,
            " ".join(a.risks),
            " ".join(a.decisions),
        ]
        writer.writerow([_cell(x) for x in row])
    return buffer.getvalue()


def _cell(value: object) -> str:
    """Numbers and dates as they are (a negative NPS is a number, not a formula); text escaped for spreadsheets."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(value)
