"""The data folders that ship with the coach: ``prompts/`` (templates) and ``knowledge/`` (the playbook).

They live at the top of the repository (the design card's layout) and are packed into the wheel as
``coach/_bundled/<name>``; an installed coach reads them from there with ``importlib.resources``, a development
checkout from the repository itself.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

Folder = Literal["prompts", "knowledge"]
_CHECKOUT = Path(__file__).resolve().parent.parent


def folder(name: Folder) -> Path:
    """Where ``name`` is: inside the installed package, or beside it in a checkout."""
    bundled = files("coach").joinpath("_bundled", name)
    if bundled.is_dir():
        return Path(str(bundled))
    here = _CHECKOUT / name
    if here.is_dir():
        return here
    raise RuntimeError(f"the coach's {name}/ folder is missing from this installation; reinstall the package")
