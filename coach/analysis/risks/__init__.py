"""Relationship risks as registered checks: one module per risk in this package, one playbook page per risk.

A check is any object with a ``code`` and a ``check(context) -> Risk | None`` (``RiskCheck``); ``@register`` adds
it to the registry, and every module in this package is imported when the registry is first read, so a new risk
is one module here plus one page in ``knowledge/`` whose front matter names the same ``code`` (its ``title`` and
page become the finding's; ``prep_question`` and ``prep_weight`` put it among a prep brief's questions).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from coach.analysis.report import Evidence, Risk, Severity
from coach.analysis.thresholds import Thresholds
from coach.evidence import Quote

if TYPE_CHECKING:
    from coach.analysis.judged import Judged, LedgerEntry

MAX_EVIDENCE = 4


@dataclass(frozen=True, slots=True)
class RiskContext:
    """What a check reads: the account's judged interactions (oldest first), the date, the strategic share, the
    problem ledger and the thresholds."""

    items: Sequence[Judged]
    as_of: date
    share: float
    ledger: Sequence[LedgerEntry]
    thresholds: Thresholds

    def risk(self, code: str, severity: Severity, why: str, evidence: Sequence[tuple[str, Quote]]) -> Risk:
        """A finding with its evidence (each quote once, at most four); title and page are added by the judge."""
        seen: set[tuple[str, int]] = set()
        cited: list[Evidence] = []
        for interaction, quote in evidence:
            if (interaction, quote.start) not in seen:
                seen.add((interaction, quote.start))
                cited.append(Evidence(interaction=interaction, quote=quote.text))
        return Risk(code=code, severity=severity, why=why, evidence=cited[:MAX_EVIDENCE])


class RiskCheck(Protocol):
    code: str

    def check(self, context: RiskContext) -> Risk | None: ...


_REGISTRY: dict[str, RiskCheck] = {}
_loaded = False


def register(check: type[RiskCheck] | RiskCheck) -> type[RiskCheck] | RiskCheck:
    """Class decorator (or call with an instance): the check joins the registry under its code."""
    instance = check() if isinstance(check, type) else check
    _REGISTRY[instance.code] = instance
    return check


def unregister(code: str) -> None:
    _REGISTRY.pop(code, None)


def checks() -> list[RiskCheck]:
    """Every registered check, built-in ones first in their module order."""
    global _loaded
    if not _loaded:
        for module in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
            importlib.import_module(f"{__name__}.{module}")
        _loaded = True
    return list(_REGISTRY.values())
