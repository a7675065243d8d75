"""The guard switched off, to show the injection scenarios can fail: without it the obedient model is reached and
findings change. Used by the tests and the robustness bench as the baseline of the same run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import coach.analysis.service as service
import coach.evidence as evidence
import coach.guard as guard
import coach.llm as llm

# every module that took the guard's functions by name
_HOLDERS = (guard, llm, evidence)


@contextmanager
def guard_off() -> Iterator[None]:
    saved = [(m, m.blank, m.is_instruction) for m in _HOLDERS]

    def unchanged(text: str) -> str:
        return text

    def never(text: str) -> bool:
        return False

    for module in _HOLDERS:
        module.blank = unchanged  # type: ignore[attr-defined]
        module.is_instruction = never  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module, blank, is_instruction in saved:
            module.blank, module.is_instruction = blank, is_instruction  # type: ignore[attr-defined]
        assert service.guard is guard
