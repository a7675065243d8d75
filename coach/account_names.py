"""Near-duplicate account names: "Quaysde Elevators", "Quayside Elevator" and "Quayside-Elevators Ltd." are all
Quayside Elevators, typed in a hurry. Before a note creates a new account, the web form asks "did you mean ...?"
with the near names the rep can already see (never another team's).

Two names are near when, compared as they read (one alphabet, no accents or punctuation, ``&`` as "and", legal
suffixes and a leading "the" dropped, each word singular), they are the same, one is the other's first words, or
they differ by a typo (one or two letters added, dropped, changed or swapped, fewer in a short name).
"""

from __future__ import annotations

import re

from coach.records import account_key, account_skeleton

SUFFIXES = frozenset(
    {"inc", "ltd", "llc", "llp", "plc", "co", "corp", "corporation", "company", "limited", "gmbh", "ag", "sa"}
    | {"bv", "nv", "srl", "spa", "oy", "ab", "as", "pty", "group", "the"}
)
_WORD = re.compile(r"[^\W_]+")


def words(name: str) -> list[str]:
    """The name's words as it reads: Latin letters, no accents, no punctuation, singular, no legal suffix."""
    plain = account_skeleton(name).replace("&", " and ")
    found = [_singular(w) for w in _WORD.findall(plain)]
    return [w for w in found if w not in SUFFIXES] or found


def near(typed: str, known: list[str], limit: int = 3) -> list[str]:
    """The names in ``known`` that ``typed`` is probably meant to be, closest first; none when ``typed`` is one
    of them already (case and spacing aside)."""
    key = account_key(typed)
    if any(account_key(k) == key for k in known):
        return []
    mine = words(typed)
    if not mine:
        return []
    ranked = []
    for name in known:
        distance = _distance(mine, words(name))
        if distance is not None:
            ranked.append((distance, name.casefold(), name))
    return [name for *_, name in sorted(ranked)[:limit]]


def _distance(a: list[str], b: list[str]) -> int | None:
    """0: the same as they read; 1: one is the other's first words; 2+: typos (edits); None: not near."""
    joined_a, joined_b = "".join(a), "".join(b)
    if joined_a == joined_b:
        return 0
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    if longer[: len(shorter)] == shorter and len("".join(shorter)) >= 5:
        return 1
    allowed = 1 if min(len(joined_a), len(joined_b)) < 8 else 2
    edits = _edits(joined_a, joined_b, allowed)
    return 1 + edits if edits <= allowed else None


def _edits(a: str, b: str, cap: int) -> int:
    """Optimal string alignment distance (insert, delete, replace, swap two neighbours), stopping above ``cap``."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], previous2[j - 2] + 1)
        if min(row) > cap:
            return cap + 1
        previous2, previous = previous, row
    return previous[-1]


def _singular(word: str) -> str:
    if len(word) <= 3 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word
