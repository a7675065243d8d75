"""Plain English for digests: real plurals, dates a manager reads, sentences that end once.

A digest is forwarded to people who never saw the coach: "2 interaction(s)", "Co.." or "2026-11-16" read like a
report generator. Everything a digest says about counts, dates and lists goes through here.
"""

from __future__ import annotations

from datetime import date

_IRREGULAR = {"person": "people", "is": "are", "has": "have", "was": "were", "this": "these"}
_KINDS = {"email": "e-mail", "note": "note", "call": "call", "meeting": "meeting"}


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 account', '3 accounts', '2 people'."""
    return f"{n:,} {word if n == 1 else many or _IRREGULAR.get(word) or _pluralise(word)}"


def verb(n: int, singular: str) -> str:
    """The verb that agrees with ``n``: verb(1, 'is') is 'is', verb(2, 'is') is 'are'."""
    return singular if n == 1 else _IRREGULAR.get(singular, singular)


def _pluralise(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def sentence(text: str) -> str:
    """``text`` as one sentence: a capital first letter and one closing full stop ("Co." stays "Co.")."""
    text = " ".join(text.split()).rstrip(" ;,:")
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" or text.endswith((".”", "?”", "!”")) else text + "."


def clause(text: str) -> str:
    """``text`` to sit inside a sentence: no closing full stop (unless it ends an abbreviation such as "Co.")."""
    text = " ".join(text.split()).rstrip(" ;,:")
    if text.endswith(".") and not _abbreviation(text):
        text = text[:-1]
    return text


_ABBREVIATIONS = frozenset(
    {"co.", "inc.", "ltd.", "corp.", "bros.", "plc.", "llc.", "ag.", "sa.", "gmbh.", "dr.", "mr.", "mrs."}
    | {"ms.", "st.", "jr.", "sr.", "etc.", "e.g.", "i.e.", "vs."}
)


def _abbreviation(text: str) -> bool:
    return text.rsplit(" ", 1)[-1].casefold() in _ABBREVIATIONS


def names(items: list[str], limit: int = 4) -> str:
    """'A', 'A and B', 'A, B and C', 'A, B, C, D and 3 more'."""
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def day(d: date, year: bool = True) -> str:
    """'8 July 2026' (or '8 July')."""
    return f"{d.day} {d:%B}" + (f" {d.year}" if year else "")


def short_day(d: date) -> str:
    """'8 Jul 2026', for citations."""
    return f"{d.day} {d:%b %Y}"


def span(start: date, end: date) -> str:
    """'16 to 22 November 2026', '28 December 2026 to 3 January 2027'."""
    if start.year != end.year:
        return f"{day(start)} to {day(end)}"
    if start.month != end.month:
        return f"{day(start, year=False)} to {day(end)}"
    return f"{start.day} to {day(end)}"


def kind(value: str) -> str:
    """An interaction's kind as people write it ('e-mail', not 'email')."""
    return _KINDS.get(value, value)


def ago(days: int) -> str:
    return "today" if days == 0 else "yesterday" if days == 1 else f"{days:,} days ago"


def share(part: int, whole: int, noun: str = "") -> str:
    """'5 of 14 interactions (36%)'; 'none' when there is nothing to share."""
    if not whole:
        return "none"
    counted = plural(whole, noun) if noun else f"{whole:,}"
    return f"{part:,} of {counted} ({round(100 * part / whole)}%)"
