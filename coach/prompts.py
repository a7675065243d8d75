"""Prompt templates: ``prompts/<name>.j2``, one Jinja2 environment, StrictUndefined, a version per template."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
_VERSION = re.compile(r"\{#-?\s*version:\s*(\S+)\s*-?#\}")


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(PROMPTS_DIR)),
        undefined=StrictUndefined,
        autoescape=False,  # prompts are plain text for a model, not HTML
        keep_trailing_newline=True,
    )


def version(name: str) -> str:
    source = (PROMPTS_DIR / f"{name}.j2").read_text(encoding="utf-8")
    match = _VERSION.search(source)
    if not match:
        raise ValueError(f"prompts/{name}.j2 states no version ({{#- version: NAME -#}} on its first line)")
    return match.group(1)


def render(name: str, **values: Any) -> str:
    return environment().get_template(f"{name}.j2").render(**values)
