"""The guard switched off, to show the injection scenarios can fail: without it the obedient model is reached and
findings change. Used by the tests and the robustness bench as the baseline of the same run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import coach.analysis.service as service
import coach.guard as guard
import coach.llm as llm


@contextmanager
def guard_off() -> Iterator[None]:
    saved = guard.blank, guard.is_instruction, llm.blank, llm.is_instruction

    def unchanged(text: str) -> str:
        return text

    def never(text: str) -> bool:
        return False

    guard.blank = llm.blank = unchanged  # type: ignore[assignment]
    guard.is_instruction = llm.is_instruction = never  # type: ignore[assignment]
    try:
        yield
    finally:
        guard.blank, guard.is_instruction, llm.blank, llm.is_instruction = saved  # type: ignore[assignment]
        assert service.guard is guard
