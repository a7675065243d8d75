"""Going dark: no interaction for a long stretch while business is pending."""

from __future__ import annotations

from coach.analysis.report import Risk
from coach.analysis.risks import RiskContext, register


@register
class GoingDark:
    code = "going_dark"

    def check(self, context: RiskContext) -> Risk | None:
        items, limit = context.items, context.thresholds.going_dark_days
        if not items:
            return None
        last = items[-1]
        days = (context.as_of - last.view.occurred_at.date()).days
        if days < limit:
            return None
        pending = [(j.view.id, q) for j in items[-3:] for q in j.facts.pending_business]
        open_items = [e for e in context.ledger if e.addressed_by is None]
        if not pending and not open_items:
            return None
        evidence = pending[-2:] or [(open_items[-1].raised_in.view.id, open_items[-1].problem.quote)]
        return context.risk(
            self.code,
            "high" if days >= 2 * limit else "medium",
            f"No interaction for {days} days (last {last.view.occurred_at.date()}) while business is pending.",
            evidence,
        )
