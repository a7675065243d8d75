"""A digest as HTML (e-mail-safe), Markdown or plain text, from ``prompts/digest.*.j2``.

The plain text stands on its own (the e-mail's text part): its links are numbered in the lines and listed at the
end, as plain-text mail has always done, so a sentence is never broken by a long address.
"""

from __future__ import annotations

import base64
from typing import Literal

from coach import prompts
from coach.digest import words
from coach.digest.chart import caption
from coach.digest.model import AccountWeek, Digest, RepWeek

Format = Literal["html", "md", "text"]
FORMATS: tuple[Format, ...] = ("html", "md", "text")


class Limits:
    """How much of a big team's week an e-mail lists before it points to the team page: mail clients clip long
    messages (Gmail at 102 kB of HTML), and nobody reads sixty flags in one sitting."""

    news = 8  # lines per kind of news (new, resolved, turning 30/60/90 days)
    accounts = 15  # accounts in the appendix, those needing attention first
    items = 5  # lines per account there


class Refs:
    """Numbered links for plain text: ``ref(url)`` gives '[3]', ``items`` lists them in order."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str]] = []
        self._numbers: dict[str, int] = {}

    def ref(self, url: str) -> str:
        if url not in self._numbers:
            self._numbers[url] = len(self.items) + 1
            self.items.append((self._numbers[url], url))
        return f"[{self._numbers[url]}]"


def rep_summary(rep: RepWeek) -> str:
    """'On 3 accounts. Strategic in the last four weeks: 2 of 5 interactions (40%); the four before, ...'"""
    if not rep.accounts:
        return "No accounts logged yet."
    accounts = f"On {words.plural(len(rep.accounts), 'account')}"
    if not any(w.total for w in rep.weeks):
        return f"{accounts}; nothing logged in the last twelve weeks."
    return f"{accounts}. {caption(rep.weeks)}"


def account_summary(account: AccountWeek) -> str:
    parts = [
        f"{account.strategic} of {words.plural(account.judged, 'interaction')} strategic",
        f"{account.interactions_this_week} this week"
        if account.interactions_this_week
        else "nothing this week",
    ]
    if account.reps:
        parts.append(words.names(account.reps))
    return "; ".join(parts)


def render_digest(digest: Digest, format_: str, images: dict[str, str] | None = None) -> str:
    """html (charts as data: URIs unless ``images`` maps each chart's cid to another source), md or text."""
    if format_ not in FORMATS:
        raise ValueError(f"unknown digest format {format_!r}: use html, md or text")
    helpers = {"rep_summary": rep_summary, "account_summary": account_summary, "limit": Limits}
    if format_ == "html":
        if images is None:
            images = {
                c.cid: "data:image/png;base64," + base64.b64encode(c.png).decode() for c in digest.images
            }
        return prompts.render("digest.html", digest=digest, images=images, **helpers)
    name = "digest.md" if format_ == "md" else "digest.txt"
    return prompts.render(name, digest=digest, refs=Refs(), **helpers)
