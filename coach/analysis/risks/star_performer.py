"""Star performer: nearly every interaction goes through one person on our side."""

from __future__ import annotations

from collections import Counter

from coach.analysis.report import Risk
from coach.analysis.risks import RiskContext, register
from coach.analysis.risks._people import first_names


@register
class StarPerformer:
    code = "star_performer"

    def check(self, context: RiskContext) -> Risk | None:
        items, t = context.items, context.thresholds
        if len(items) < t.min_interactions_for_people_risks:
            return None
        counts: Counter[str] = Counter()
        for j in items:
            names = {p.name for p in j.facts.people if p.side == "internal" and p.active}
            if j.view.rep:
                names.add(j.view.rep)
            counts.update(first_names(names))
        if not counts:
            return None
        (top, n), *others = counts.most_common()
        if n / len(items) < t.star_performer_share or any(c > 1 for _, c in others):
            return None
        evidence = [(j.view.id, j.facts.engagement_quote) for j in items[-3:] if j.facts.engagement_quote]
        return context.risk(
            self.code,
            "medium" if others else "high",
            f"{top} carries {n} of {len(items)} interactions; nobody else on our side knows the customer.",
            evidence,
        )
