"""Account hoping: many touches ending in vague next steps, little strategy, no account plan."""

from __future__ import annotations

from coach.analysis.report import Risk
from coach.analysis.risks import RiskContext, register


@register
class AccountHoping:
    code = "account_hoping"

    def check(self, context: RiskContext) -> Risk | None:
        items, t, share = context.items, context.thresholds, context.share
        if not items:
            return None
        vague = [(j.view.id, q) for j in items for q in j.facts.vague_next_steps]
        touched = {i for i, _ in vague}
        fire = sum(1 for j in items if j.facts.firefighting)
        if (
            len(touched) < t.hoping_vague_steps
            or share > t.tactical_share
            or fire / len(items) >= t.firefighting_share
        ):
            return None
        return context.risk(
            self.code,
            "high" if len(touched) >= 4 else "medium",
            f"{len(items)} touches, {len(touched)} of them ending in a vague next step, and only "
            f"{share:.0%} strategic: activity without an account plan.",
            vague,
        )
