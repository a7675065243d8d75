"""What a rep types, read for search: words, quoted phrases, names and numbers.

- A phrase in quotes ("entrapment log") is required: only passages holding those words in that order answer.
- Names (a capitalised word inside the query, an acronym, a CamelCase product) and numbers (an invoice, a PO, a
  percentage) are what embeddings blur: a passage holding all of them ranks above one that does not.
- Question words and other function words are left to the meaning side; the rest are the lexical side's words.
- A number written with separators (4,000 or 12.5) is looked for as its parts in a row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coach.store.fulltext import TextQuery

_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”')
_TOKEN = re.compile(r"[^\W_]+(?:[.,'’][^\W_]+)*", re.UNICODE)
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_PART = re.compile(r"[^\W_]+", re.UNICODE)
_CAMEL = re.compile(r"^[A-Z][a-z]+[A-Z]")
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "that",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "about",
        "into",
        "than",
        "then",
        "there",
        "these",
        "those",
        "been",
        "being",
        "also",
        "just",
        "can",
        "could",
        "would",
        "should",
        "um",
        "uh",
        "mm",
        "hmm",
        "yeah",
        "okay",
        "ok",
        "any",
        "anyone",
        "anything",
        "some",
        "someone",
        "something",
        "say",
        "said",
        "says",
        "tell",
        "told",
        "talk",
        "talked",
        "discuss",
        "discussed",
        "mention",
        "mentioned",
        "come",
        "came",
        "up",  # "what came up": how a question asks, not what it asks about
    ]
)


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    text: str  # the query without its quote marks: what the meaning side embeds
    words: tuple[str, ...]  # lower-case content words, each once
    phrases: tuple[tuple[str, ...], ...]  # quoted phrases, lower-case words: required
    names: tuple[str, ...]  # lower-case names and acronyms
    numbers: tuple[tuple[str, ...], ...]  # each number as its digit groups

    @property
    def empty(self) -> bool:
        return not self.text.strip()

    @property
    def specifics(self) -> tuple[tuple[str, ...], ...]:
        """What a passage should hold to outrank the rest: the names and numbers, each as words in a row."""
        return tuple((n,) for n in self.names) + self.numbers

    def text_query(self) -> TextQuery:
        """Any word or number, every quoted phrase."""
        words = self.words + tuple(n[0] for n in self.numbers if len(n) == 1)
        return TextQuery(
            words=tuple(dict.fromkeys(words)),
            phrases=tuple(n for n in self.numbers if len(n) > 1),
            required=self.phrases,
        )


def tokenize(text: str) -> list[str]:
    """Lower-case content words of ``text`` (what two texts are compared by when words matter)."""
    return [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]


def words_of(text: str) -> tuple[str, ...]:
    """Every lower-case word of ``text``, in order, stop words included (a phrase keeps them)."""
    return tuple(_PART.findall(text.lower()))


def parse(query: str) -> ParsedQuery:
    phrases = [words_of(m.group(1) or m.group(2)) for m in _QUOTED.finditer(query)]
    phrases = [p for p in phrases if p]
    unquoted = _QUOTED.sub(" ", query)
    names: list[str] = []
    numbers: list[tuple[str, ...]] = []
    words: list[str] = []
    for position, match in enumerate(_TOKEN.finditer(unquoted)):
        token = match.group()
        if any(ch.isdigit() for ch in token):
            numbers.append(words_of(token))
            continue
        name = _is_name(token, first=position == 0)
        if name:
            names.append(token.lower())
        words += [w for w in words_of(token) if name or (len(w) > 1 and w not in STOP_WORDS)]
    text = " ".join(query.replace("“", " ").replace("”", " ").replace('"', " ").split())
    return ParsedQuery(
        text=text,
        words=tuple(dict.fromkeys(words)),
        phrases=tuple(dict.fromkeys(phrases)),
        names=tuple(dict.fromkeys(names)),
        numbers=tuple(dict.fromkeys(n for n in numbers if n)),
    )


def _is_name(token: str, first: bool) -> bool:
    if len(token) < 2 or not token[0].isupper():
        return False
    if token.isupper() or _CAMEL.match(token):
        return True  # an acronym or a product name, wherever it stands
    return not first and token.lower() not in STOP_WORDS
