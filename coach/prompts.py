"""Prompt templates: ``prompts/<name>.j2``, one Jinja2 environment, StrictUndefined, a version per template."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
_VERSION = re.compile(r"\{#-?\s*version:\s*(\S+)\s*-?#\}")


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(PROMPTS_DIR)),
        undefined=StrictUndefined,
        # prompts and Markdown are plain text; *.html.j2 pages are escaped
        autoescape=select_autoescape(
            enabled_extensions=("html.j2",), default_for_string=False, default=False
        ),
        keep_trailing_newline=True,
    )


def version(name: str) -> str:
    """The version a template states on its first line, e.g. ``{#- version: brief-1 -#}``."""
    source = (PROMPTS_DIR / f"{name}.j2").read_text(encoding="utf-8")
    match = _VERSION.search(source)
    if not match:
        raise ValueError(f"prompts/{name}.j2 states no version ({{#- version: NAME -#}} on its first line)")
    return match.group(1)


def render(name: str, **values: Any) -> str:
    return environment().get_template(f"{name}.j2").render(**values)
