"""Rivals in a sentence: another vendor named beside something it does with the customer, and what kind of
mention it is.

- **active**: the rival is doing something with the customer now, whatever the verb: a demo, a meeting, a
  visit or walk-through, a quote or proposal, a trial, pilot or benchmark, talks, a cheaper offer.
- **past**: a vendor the customer used before, dropped or replaced.
- **hearsay**: conference or trade-show chatter, a rumour, a mention the customer dismissed or declined.

A name counts as a vendor when it reads as one (two capitalised words, a company-like suffix, a CamelCase
brand, or the object of "trialling", "switching to" ...) and is nobody and nothing we know (a person of the
account, the account's own name). The customer's own competitors ("their biggest competitor opened a plant")
are not ours, and neither is anything we demo, pitch or offer ourselves.
"""

from __future__ import annotations

import re
from typing import Literal

from coach.signals import lexicon as lx

Nature = Literal["active", "past", "hearsay"]

_NAME = r"[A-Z][\w&'’.-]*[\w&](?:\s+(?:[A-Z][\w&'’.-]*[\w&]|&))*"
_CAP_PHRASE = re.compile(rf"(?<![\w&'’-])({_NAME})")
_CAMEL = re.compile(r"^[A-Z][a-z]+[A-Z][A-Za-z]+$")
_OBJECT_OF = re.compile(
    r"\b(?:trialling|trialing|piloting|evaluating|benchmarking|testing|talking to|talking about|in talks with|"
    r"switch(?:ing|ed)? (?:to|from)|mov(?:e|ing|ed) (?:to|away from)|going with|dropped|replaced|used to use|"
    r"ripped out|got rid of|had|brought in|invited|hosted|met with|meeting with|met|vs\.?|versus|against|"
    r"(?:trial|pilot|demo|quote|proposal|bid|offer|benchmark|poc|"
    r"meeting|presentation|walk-?through|visit|pitch)s? (?:with|from|by|of))\s+(" + _NAME + ")"
)
# Right after a name: what a rival does with the customer, the name its subject ("X demoed", "X has a trial",
# "X's quote", "X reps cornered him"), within a few words and no punctuation between.
_SUBJECT_OF = re.compile(
    r"^(?:'s|’s)?\s+(?:[\w-]+\s+){0,3}?(?:demo\w*|met|meet\w*|visit\w*|walk\w*|quot\w*|propos\w*|bid\w*|"
    r"trial\w*|pilot\w*|poc|benchmark\w*|present\w*|pitch\w*|offer\w*|court\w*|corner\w*|approach\w*|"
    r"undercut\w*|sponsor\w*|install\w*|in talks|talking|reached out|came in|were in|was in|in the|"
    r"is cheaper|are cheaper|cheaper|dropped|replaced|used|ripped)\b",
    re.IGNORECASE,
)
# What a rival does with the customer (any tense): the words that make a mention "inside the account".
_ACTS = lx._rx(
    r"\btalking about\b",
    r"\brumou?rs?\b",
    r"\bdemo\w*\b",
    r"\bmeet(s|ing|ings)?\b",
    r"\bmet\b",
    r"\bvisit\w*\b",
    r"\bwalk(ed|ing|s)? (through|around|the|four|two|three|\d)\b",
    r"\bwalk-?through\b",
    r"\bquot(e|es|ed|ing)\b",
    r"\bpropos\w*\b",
    r"\bbid\w*\b",
    r"\bpric(e|es|ed|ing)\b",
    r"\btrial\w*\b",
    r"\bpilot\w*\b",
    r"\bpoc\b",
    r"\bproof of concept\b",
    r"\bbenchmark\w*\b",
    r"\bevaluat\w+\b",
    r"\btest(s|ed|ing)\b",
    r"\bshortlist\w*\b",
    r"\brfp\b",
    r"\bpresent\w*\b",
    r"\bpitch\w*\b",
    r"\boffer\w*\b",
    r"\bin talks\b",
    r"\btalk(ing|ed)? to\b",
    r"\bcourt\w*\b",
    r"\bcheaper\b",
    r"\bundercut\w*\b",
    r"\bswitch\w*\b",
    r"\breplac\w*\b",
    r"\balternatives?\b",
    r"\bcompetit\w+\b",
    r"\brival\b",
    r"\bvs\.?\b",
    r"\bversus\b",
    r"\bhad .{1,40} in\b",
    r"\bin (the|their) (building|plant|site|office)\b",
    r"\bsponsor\w*\b",
    r"\bdropped\b",
    r"\bused to\b",
)
_PAST = lx._rx(
    r"\bdropped\b",
    r"\bback in (19|20)\d\d\b",
    r"\bused to\b",
    r"\bformer(ly)?\b",
    r"\bpreviously\b",
    r"\breplaced\b",
    r"\bripped out\b",
    r"\bremoved\b",
    r"\bstalled\b",
    r"\bin (19|20)\d\d\b",
    r"\bold\b",
    r"\bbefore (us|we)\b",
    r"\b(years|months) ago\b",
    r"\bgot rid of\b",
    r"\bthrew out\b",
)
_HEARSAY = lx._rx(
    r"\bconference\b",
    r"\bconvention\b",
    r"\btrade[- ]?show\b",
    r"\bexpo\b",
    r"\bbooth\b",
    r"\bheard\b",
    r"\brumou?rs?\b",
    r"\bgossip\b",
    r"\bchatter\b",
    r"\beveryone .{0,30} talking\b",
    r"\bvaporware\b",
    r"\bnot (something )?(they'?re|we'?re|they are|he'?s|she'?s|he is|she is) (looking at|interested)\b",
    r"\bno interest\b",
    r"\bnot interested\b",
    r"\bdismiss\w*\b",
    r"\bshrugged\b",
    r"\blaughed (it )?off\b",
    r"\bwaved (it )?off\b",
    r"\bbrushed (it )?off\b",
    r"\bnot looking at\b",
    r"\bdeclin\w+\b",
    r"\bturned (it|them|down)\b",
    r"\bwebinar\b",
    r"\bnewsletter\b",
    r"\bapparently\b",
)
# The customer's own competition is their market, not a rival of ours.
_THEIR_COMPETITION = lx._rx(
    r"\b(their|its|the customer'?s) (own |main |biggest |largest |closest |new )?(competitors?|rivals?|competition)\b",
    r"\bcompetitors? of theirs\b",
    r"\b(they|customer) compete\w* (with|against)\b",
    r"\blost (share|business|a contract|an account|customers) to\b",
    r"\bmarket share\b",
)
_VERSUS_US = lx._rx(
    r"\b(than|vs\.?|versus|instead of|replace|against) (us|ours|our)\b", r"\bour (price|quote|proposal)\b"
)
_OURS = re.compile(
    r"^(?:i|we|our|i'll|we'll|i've|we've|we're)\b.{0,60}\b(pitched|offered|demoed|sold|presented|proposed|quoted)\b",
    re.IGNORECASE,
)
_NOT_VENDOR_WORDS = frozenset(
    [
        "ceo",
        "cfo",
        "coo",
        "cio",
        "cto",
        "cmo",
        "vp",
        "evp",
        "svp",
        "md",
        "gm",
        "poc",
        "sow",
        "sku",
        "kpi",
        "it",
        "qa",
        "hr",
        "pm",
        "ops",
        "rfp",
        "rfq",
        "po",
        "msa",
        "nda",
        "api",
        "sla",
        "control",
        "target",
        "goal",
        "plan",
        "budget",
        "forecast",
        "baseline",
        "last",
        "prior",
        "previous",
        "actual",
        "actuals",
        "the",
        "our",
        "their",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "his",
        "her",
        "its",
        "my",
        "your",
        "we",
        "they",
        "he",
        "she",
        "i",
        "it",
        "mr",
        "ms",
        "mrs",
        "dr",
        "fy",
        "q1",
        "q2",
        "q3",
        "q4",
        "h1",
        "h2",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "today",
        "tomorrow",
        "yesterday",
    ]
)
# Words that end or open a capitalised run without naming anyone ("the Hexa proposal", "Building 5").
_GENERIC = frozenset(
    [
        "building",
        "bldg",
        "site",
        "plant",
        "line",
        "option",
        "phase",
        "stage",
        "unit",
        "units",
        "team",
        "board",
        "committee",
        "council",
        "proposal",
        "quote",
        "trial",
        "pilot",
        "demo",
        "benchmark",
        "offer",
        "bid",
        "deal",
        "contract",
        "renewal",
        "meeting",
        "call",
        "review",
        "north",
        "south",
        "east",
        "west",
        "main",
        "new",
        "old",
        "also",
        "and",
        "but",
        "so",
        "then",
    ]
)


def rivals(text: str, known: set[str], account_words: set[str]) -> list[tuple[str, Nature]]:
    """The rivals ``text`` names, each with its nature; ``known`` holds the words of the account's people's names,
    ``account_words`` those of the account's own name (both case-folded)."""
    if not _ACTS.search(text) or _OURS.search(text):
        return []
    if _THEIR_COMPETITION.search(text) and not _VERSUS_US.search(text):
        return []
    nature: Nature = "past" if _PAST.search(text) else "hearsay" if _HEARSAY.search(text) else "active"
    return [(name, nature) for name in vendor_names(text, known, account_words)][:2]


def vendor_names(text: str, known: set[str], account_words: set[str]) -> list[str]:
    """Capitalised names that read as another vendor, are nobody and nothing we know, and are tied to what a
    rival does: its subject ("X demoed ...", "X has a trial ...", "X's quote"), or its object ("a trial with X",
    "switching to X", "benchmark vs X")."""
    names: list[str] = []
    for m in _OBJECT_OF.finditer(text):
        name = _trimmed(m.group(1))
        if name and _plausible(name, known, account_words, strict=False) and name not in names:
            names.append(name)
    for m in _CAP_PHRASE.finditer(text):
        name = _trimmed(m.group(1))
        if not name or name in names:
            continue
        words = name.split()
        at_start = m.start() == 0 or text[max(0, m.start() - 2) : m.start()].strip() in (
            ".",
            ":",
            "-",
            "–",
            '"',
        )
        if at_start and len(words) < 2 and not (_CAMEL.match(name) or lx.ORG_SUFFIX.search(name)):
            continue
        end = m.start() + m.group(1).find(name) + len(name)
        if not _SUBJECT_OF.match(text[end:]):
            continue
        if (len(words) >= 2 or lx.ORG_SUFFIX.search(name) or _CAMEL.match(name)) and _plausible(
            name, known, account_words, strict=True
        ):
            names.append(name)
    return names


def _trimmed(name: str) -> str:
    """The name without trailing generic words ("Hexa proposal" stays "Hexa")."""
    words = name.split()
    edge = _NOT_VENDOR_WORDS | _GENERIC
    while words and words[-1].casefold().strip(".") in edge:
        words.pop()
    while words and words[0].casefold() in edge:
        words.pop(0)
    return " ".join(words).strip(" .,'’")


def _plausible(name: str, known: set[str], account_words: set[str], strict: bool) -> bool:
    words = [w.casefold().strip(".'’") for w in name.split()]
    if not words or any(w in known or w in account_words for w in words):
        return False
    if any(w in _NOT_VENDOR_WORDS for w in words):
        return False
    if any(ch.isdigit() for ch in name):
        return False
    if name.isupper() and len(name) <= 5:  # an acronym: a department, a standard, a unit
        return False
    if not strict:
        return re.fullmatch(r"[A-Z][a-z][\w&'’-]+(?:\s+[A-Z][\w&'’-]+)*", name) is not None
    return True
