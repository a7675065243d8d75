"""Reactive firefighting: most interactions are escalations, outages and complaints handled after the fact."""

from __future__ import annotations

from coach.analysis.report import Risk
from coach.analysis.risks import RiskContext, register


@register
class ReactiveFirefighting:
    code = "reactive_firefighting"

    def check(self, context: RiskContext) -> Risk | None:
        items = context.items
        fires = [j for j in items if j.facts.firefighting and j.facts.engagement == "tactical"]
        if len(fires) < 3 or len(fires) / len(items) < context.thresholds.firefighting_share:
            return None
        return context.risk(
            self.code,
            "high" if len(fires) / len(items) >= 0.6 else "medium",
            f"{len(fires)} of {len(items)} interactions are escalations, outages or complaints handled "
            "after the fact.",
            [(j.view.id, j.facts.firefighting[0]) for j in fires],
        )
