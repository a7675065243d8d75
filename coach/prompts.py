"""Prompt templates: ``prompts/<name>.j2``, one Jinja2 environment, StrictUndefined, a version per template.

A template for a model states its version on its first line (``{#- version: extract-2 -#}``) and has two blocks:
``system`` (our instructions) and ``human`` (the data they apply to, untrusted); ``messages`` renders both.
Templates for people (``*.md.j2``, ``*.html.j2``, ``*.txt.j2``) render whole with ``render``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from coach.llm import Messages
from coach.resources import folder

_VERSION = re.compile(r"\{#-?\s*version:\s*(\S+)\s*-?#\}")


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(folder("prompts"))),
        undefined=StrictUndefined,
        # prompts and Markdown are plain text; *.html.j2 pages are escaped
        autoescape=select_autoescape(
            enabled_extensions=("html.j2",), default_for_string=False, default=False
        ),
        keep_trailing_newline=True,
    )


@lru_cache(maxsize=32)
def version(name: str) -> str:
    """The version a template states on its first line, e.g. ``{#- version: brief-1 -#}``."""
    source = (folder("prompts") / f"{name}.j2").read_text(encoding="utf-8")
    match = _VERSION.search(source)
    if not match:
        raise ValueError(f"prompts/{name}.j2 states no version ({{#- version: NAME -#}} on its first line)")
    return match.group(1)


def render(name: str, **values: Any) -> str:
    return environment().get_template(f"{name}.j2").render(**values)


def messages(name: str, **values: Any) -> Messages:
    """The template's ``system`` and ``human`` blocks, rendered with ``values``."""
    template = environment().get_template(f"{name}.j2")
    context = template.new_context(values)
    system = "".join(template.blocks["system"](context)).strip() + "\n"
    human = "".join(template.blocks["human"](template.new_context(values))).strip() + "\n"
    return Messages(system=system, human=human)
