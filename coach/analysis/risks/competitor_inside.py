"""A competitor inside: a named rival is active with the customer (pilot, benchmark, meetings, quotes)."""

from __future__ import annotations

from collections import Counter

from coach.analysis.report import Risk
from coach.analysis.risks import RiskContext, register


@register
class CompetitorInside:
    code = "competitor_inside"

    def check(self, context: RiskContext) -> Risk | None:
        active = [(j.view.id, c) for j in context.items for c in j.facts.competitors if c.nature == "active"]
        if not active:
            return None
        name = Counter(c.name for _, c in active).most_common(1)[0][0]
        where = {i for i, _ in active}
        return context.risk(
            self.code,
            "high" if len(where) >= 2 else "medium",
            f"A rival ({name}) is active inside the account: mentioned in {len(where)} "
            f"{'interaction' if len(where) == 1 else 'interactions'} "
            "with a pilot, benchmark or meetings with our stakeholders.",
            [(i, c.quote) for i, c in active],
        )
