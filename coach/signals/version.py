"""Versions that invalidate the facts cache, derived from what decides the facts, never bumped by hand.

The offline engine's version is a digest of its own code and data files (the rules, lexicons and shipped models
in ``coach/signals/``, the guard that decides what the engines read, the evidence check); an extractor adds what
else shapes its answers (the embedding model's name; for the LLM engine, the prompt's version and the model).
Change any of them and every interaction is read again on its next report.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

_SIGNALS = Path(__file__).resolve().parent
_COACH = _SIGNALS.parent


@lru_cache(maxsize=1)
def offline_code_version() -> str:
    files = [p for p in sorted(_SIGNALS.glob("*.py")) if p.name != "llm.py"]
    files += [*sorted(_SIGNALS.glob("*.json")), _COACH / "guard.py", _COACH / "evidence.py"]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"offline-{digest.hexdigest()[:12]}"


@lru_cache(maxsize=1)
def reader_code_version() -> str:
    """The LLM read step's own code: how a model's answer becomes facts."""
    return "read-" + hashlib.sha256((_SIGNALS / "llm.py").read_bytes()).hexdigest()[:12]
