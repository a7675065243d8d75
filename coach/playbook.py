"""The coaching playbook (``knowledge/*.md``): parsed, looked up by code, and searchable by meaning."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from coach import resources

if TYPE_CHECKING:
    from coach.embedding import Embedder
    from coach.store.vectors import PassageIndex

_FRONT = re.compile(r"^---\n(.*?)\n---\n", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Section:
    code: str
    title: str
    heading: str
    text: str
    path: str

    def items(self) -> list[str]:
        """The section's bullet points, each joined with its wrapped continuation lines."""
        items: list[str] = []
        for line in self.text.splitlines():
            if line.startswith("- "):
                items.append(line[2:].strip())
            elif items and line.startswith("  ") and line.strip():
                items[-1] += " " + line.strip()
        return items

    @property
    def id(self) -> str:
        return f"{self.code}#{self.slug}"

    @property
    def slug(self) -> str:
        """The section's anchor, as briefs cite it (``knowledge/x.md#what-to-do-next``)."""
        return self.heading.casefold().replace(" ", "-")

    def blocks(self) -> list[Block]:
        """The section as paragraphs and lists, for reading in the web app."""
        blocks: list[Block] = []
        for part in re.split(r"\n\s*\n", self.text):
            lines = [line for line in part.splitlines() if line.strip()]
            if not lines:
                continue
            if lines[0].startswith("- "):
                items = Section(self.code, self.title, self.heading, part, self.path).items()
                blocks.append(Block("list", tuple(items)))
            else:
                blocks.append(Block("paragraph", (" ".join(line.strip() for line in lines),)))
        return blocks


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph (one text) or a list (its items) of a playbook section; ``**bold**`` marks stay in the text."""

    kind: Literal["paragraph", "list"]
    texts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    code: str
    title: str
    kind: str
    summary: str
    path: str
    sections: tuple[Section, ...]
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def prep_question(self) -> tuple[str, float, bool] | None:
        """For a risk: the heading of its question in the prep-questions page, its weight among a brief's
        questions, and whether it is a strategic item (front matter ``prep_question``, ``prep_weight``,
        ``prep_strategic``)."""
        heading = self.meta.get("prep_question")
        if not heading:
            return None
        return str(heading), float(self.meta.get("prep_weight", 70)), bool(self.meta.get("prep_strategic"))

    def section(self, heading: str) -> Section | None:
        return next((s for s in self.sections if s.heading.casefold() == heading.casefold()), None)

    def next_steps(self, verdict: str | None = None) -> list[str]:
        """The "What to do next" items; for a meeting verdict, only those for it ("Kill: ..."), without the label."""
        section = self.section("What to do next")
        items = section.items() if section else []
        if verdict is None:
            return items
        label = f"{verdict.capitalize()}:"
        chosen = [i.removeprefix(label).strip() for i in items if i.startswith(label)]
        return [i[:1].upper() + i[1:] for i in chosen]


class Playbook:
    def __init__(self, folder: Path | None = None) -> None:
        folder = folder or resources.folder("knowledge")
        self.folder = folder
        self.entries: dict[str, Entry] = {}
        for path in sorted(folder.rglob("*.md")):
            if path.name.lower() == "readme.md":
                continue
            entry = _parse(path, folder)
            self.entries[entry.code] = entry

    def get(self, code: str) -> Entry | None:
        return self.entries.get(code)

    def by_path(self, path: str) -> Entry | None:
        """The entry a finding's ``playbook`` field names (``knowledge/x.md``, maybe with ``#section``)."""
        file = path.split("#", 1)[0]
        return next((e for e in self.entries.values() if e.path == file), None)

    def sections(self) -> list[Section]:
        return [s for e in self.entries.values() for s in e.sections]

    def sync_index(self, index: PassageIndex, embedder: Embedder) -> int:
        """Embed changed sections into the playbook collection; returns how many were (re)embedded."""
        sections = self.sections()
        hashes = {s.id: hashlib.sha256(s.text.encode()).hexdigest()[:16] for s in sections}
        stored = index.hashes()
        changed = [s for s in sections if stored.get(s.id) != hashes[s.id]]
        if not changed and set(stored) == set(hashes):
            return 0
        vectors = embedder.embed([f"{s.title}. {s.heading}. {s.text}" for s in sections])
        index.replace(
            [s.id for s in sections],
            [s.text for s in sections],
            [{"code": s.code, "heading": s.heading, "path": s.path, "hash": hashes[s.id]} for s in sections],
            vectors,
        )
        return len(changed)


def _parse(path: Path, root: Path) -> Entry:
    raw = path.read_text(encoding="utf-8")
    match = _FRONT.match(raw)
    meta = yaml.safe_load(match.group(1)) if match else {}
    body = raw[match.end() :] if match else raw
    relative = f"knowledge/{path.relative_to(root).as_posix()}"
    title = str(meta.get("title") or path.stem)
    code = str(meta.get("code") or path.stem)
    sections = []
    for part in re.split(r"^## ", body, flags=re.MULTILINE)[1:]:
        heading, _, text = part.partition("\n")
        sections.append(Section(code, title, heading.strip(), text.strip(), relative))
    return Entry(
        code,
        title,
        str(meta.get("kind", "concept")),
        str(meta.get("summary", "")),
        relative,
        tuple(sections),
        dict(meta),
    )


@lru_cache(maxsize=4)
def load(folder: str | None = None) -> Playbook:
    return Playbook(Path(folder) if folder else None)
