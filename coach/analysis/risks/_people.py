"""Counting the people who took part (not only those mentioned), shared by the people risks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coach.analysis.judged import Judged


def active_people(items: Sequence[Judged], side: str) -> Counter[str]:
    """How many interactions each person of ``side`` spoke, wrote or attended in."""
    counts: Counter[str] = Counter()
    for j in items:
        counts.update({p.name for p in j.facts.people if p.side == side and p.active})
    return counts


def first_names(names: Iterable[str]) -> set[str]:
    """Our people by first name, so 'Ana' and 'Ana Lima' count as one."""
    firsts: dict[str, str] = {}
    for name in sorted(names, key=len, reverse=True):
        firsts.setdefault(name.split()[0].casefold(), name)
    return set(firsts.values())
