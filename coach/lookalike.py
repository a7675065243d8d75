"""Look-alike names: what a name looks like to a reader, whatever alphabet or accents it was typed in.

"Согр" (all Cyrillic) and "Corp" are different strings that a reader cannot tell apart, and so are "Pìnecrest" and
"Pinecrest" at a glance. Their *skeleton* is the same: every letter mapped to the Latin letter it is confusable
with (Unicode's confusables table, through the maintained ``confusable_homoglyphs`` package), accents removed,
case folded. Two account names with one skeleton and different keys are look-alikes.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from confusable_homoglyphs import categories, confusables


def skeleton(name: str) -> str:
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
