"""What ingest produces: one ``InteractionRecord`` per interaction, or a ``Rejection`` saying why not."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from confusable_homoglyphs import categories, confusables

Kind = Literal["meeting", "call", "email", "note"]
Side = Literal["customer", "internal"]
KINDS: tuple[str, ...] = ("meeting", "call", "email", "note")


@dataclass(slots=True)
class Participant:
    name: str
    email: str | None = None
    title: str | None = None
    side: Side | None = None


@dataclass(slots=True)
class InteractionRecord:
    """One interaction as a source gave it, before it is stored.

    ``text`` is kept exactly as written; ``clean_text`` is what analysis reads
    (for an e-mail: the newest message, without quoted history or signature);
    ``quoted_text`` is the earlier conversation an e-mail carried along.
    """

    account: str
    text: str
    origin: str
    kind: Kind = "note"
    occurred_at: datetime | None = None
    source_id: str | None = None
    rep: str | None = None
    subject: str | None = None
    series: str | None = None
    duration_minutes: float | None = None
    participants: list[Participant] = field(default_factory=list)
    clean_text: str | None = None
    quoted_text: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def analysis_text(self) -> str:
        return self.clean_text if self.clean_text is not None else clean(self.text)

    def content_hash(self) -> str:
        """Hash of everything that makes the record what it is; equal hashes mean nothing changed."""
        parts = [
            account_key(self.account),
            self.kind,
            self.occurred_at.isoformat() if self.occurred_at else "",
            self.rep or "",
            self.subject or "",
            self.series or "",
            "" if self.duration_minutes is None else f"{self.duration_minutes:g}",
            "|".join(f"{p.name}/{p.email or ''}/{p.title or ''}/{p.side or ''}" for p in self.participants),
            self.text,
        ]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()

    def interaction_id(self) -> str:
        """The source's own id when it has one, else one derived from the account, date and text.

        The derived id leaves out anything the import adds (time of import, file
        name), so re-importing the same record finds the same id.
        """
        if self.source_id:
            return self.source_id.strip()
        basis = "\x1f".join(
            [
                account_key(self.account),
                self.occurred_at.date().isoformat() if self.occurred_at else "",
                self.text,
            ]
        )
        return "int-" + hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Rejection:
    origin: str
    reason: str
    access: bool = False  # refused because the account is another team's (an access request was recorded)


def account_key(name: str) -> str:
    """Accounts match on case-folded, whitespace-collapsed names: 'ACME  corp' is 'Acme Corp'."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", name)).strip().casefold()


# Look-alike names: what a name looks like to a reader, whatever alphabet or accents it was typed in. "Согр" (all
# Cyrillic) and "Corp" are different strings a reader cannot tell apart, and so are "Pìnecrest" and "Pinecrest" at
# a glance. Their skeleton is the same: every letter mapped to the Latin letter it is confusable with (Unicode's
# confusables table, through the maintained confusable_homoglyphs package), accents removed, case folded. Two
# account names with one skeleton and different keys are look-alikes.
def account_skeleton(name: str) -> str:
    """The name as it looks: Latin look-alikes for other scripts' letters, no accents, case folded, single spaces."""
    latin = "".join(_latin(ch) for ch in unicodedata.normalize("NFKC", name))
    bare = "".join(c for c in unicodedata.normalize("NFKD", latin) if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


@lru_cache(maxsize=4096)
def _latin(ch: str) -> str:
    if not ch.isalpha() or ch.isascii():
        return ch
    found = confusables.is_confusable(ch, greedy=True, preferred_aliases=["latin"]) or []
    for entry in found:
        for glyph in entry["homoglyphs"]:
            if all(categories.alias(c) == "LATIN" for c in glyph["c"] if c.isalpha()):
                return str(glyph["c"])
    return ch


# Unicode category Cc (C0 and C1 controls) less tab and newline.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """Text for analysis: newlines unified, control characters and trailing spaces removed.

    Nothing is reworded, so a quote taken from the clean text is still verbatim.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = _CONTROL.sub("", text)
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
