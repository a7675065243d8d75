"""Data without strategy: reports and dashboards keep arriving, no decision comes out of them.

A read-out counts when it is read from a report, dashboard, deck or pack: going down a ticket or work-order list
is status (or firefighting), not data that should have become insight."""

from __future__ import annotations

from coach.analysis.report import Risk
from coach.analysis.risks import RiskContext, register
from coach.signals import lexicon as lx


@register
class DataNotStrategy:
    code = "data_not_strategy"

    def check(self, context: RiskContext) -> Risk | None:
        items = context.items
        reports = [
            j
            for j in items
            if j.facts.data_report_cues >= 2
            and any(lx.REPORT_ARTIFACT.search(q.text) for q in j.facts.data_reports)
            and j.facts.engagement == "tactical"
            and not any(not d.deferred for d in j.facts.decisions)
        ]
        if len(reports) < 2 or len(reports) / len(items) < context.thresholds.data_report_share:
            return None
        return context.risk(
            self.code,
            "medium" if len(reports) < 4 else "high",
            f"{len(reports)} interactions are reports, dashboards or usage decks with no decision or "
            "insight coming out of them.",
            [(j.view.id, j.facts.data_reports[0]) for j in reports],
        )
