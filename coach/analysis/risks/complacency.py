"""Complacency: the renewal is assumed and nobody talks with the customer about its future."""

from __future__ import annotations

from coach.analysis.report import Risk
from coach.analysis.risks import RiskContext, register


@register
class Complacency:
    code = "complacency"

    def check(self, context: RiskContext) -> Risk | None:
        items = context.items
        assumed = [(j.view.id, q) for j in items for q in j.facts.renewal_assumptions]
        if not assumed:
            return None
        tenure = [(j.view.id, q) for j in items for q in j.facts.tenure]
        recent = items[-4:]
        recent_strategic = sum(1 for j in recent if j.facts.engagement == "strategic") / len(recent)
        if not tenure and recent_strategic > 0.3:
            return None
        return context.risk(
            self.code,
            "high" if tenure and recent_strategic <= 0.25 else "medium",
            "The renewal is taken for granted and nobody is talking with the customer about its future.",
            assumed + tenure,
        )
