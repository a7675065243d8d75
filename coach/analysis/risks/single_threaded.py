"""Single-threaded: one customer person carries (nearly) all contact; no second contact or decision maker."""

from __future__ import annotations

from coach.analysis.report import Risk
from coach.analysis.risks import RiskContext, register
from coach.analysis.risks._people import active_people


@register
class SingleThreaded:
    code = "single_threaded"

    def check(self, context: RiskContext) -> Risk | None:
        items, t = context.items, context.thresholds
        if len(items) < t.min_interactions_for_people_risks:
            return None
        counts = active_people(items, "customer")
        if not counts:
            return None
        (top, n), *others = counts.most_common()
        with_contact = sum(1 for j in items if any(p.side == "customer" and p.active for p in j.facts.people))
        seniors = {
            p.name
            for j in items
            for p in j.facts.people
            if p.side == "customer" and p.active and p.seniority in ("executive", "senior")
        }
        if others and not (
            n / max(with_contact, 1) >= t.single_thread_share
            and all(c <= 1 for _, c in others)
            and not any(name in seniors for name, _ in others)
        ):
            return None
        evidence = [
            (j.view.id, s.quote) for j in items for s in j.facts.strategic if s.kind == "decision_process"
        ]
        evidence += [(j.view.id, j.facts.engagement_quote) for j in items[-2:] if j.facts.engagement_quote]
        return context.risk(
            self.code,
            "high" if not others else "medium",
            f"All customer contact runs through {top} ({n} of {len(items)} interactions); "
            "no second contact or decision maker engaged.",
            evidence,
        )
