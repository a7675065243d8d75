"""The portfolio in the weekly digest: the team's top investment questions, as a digest section.

At most three decisions from the portfolio of the teams the digest's manager manages, one per account first. Each
is one digest line like every other: the decision asked as a question with the numbers behind it, the playbook's
next step and one quote, linked into the web app; the section ends with a link to the Portfolio page. A manager of
no team, or a portfolio with nothing to decide, adds no section.
"""

from __future__ import annotations

from coach.auth import Users
from coach.digest import words
from coach.digest.findings import AppLinks, FindingWriter, readable
from coach.digest.model import Digest, Finding, Link, Section
from coach.playbook import Playbook
from coach.playbook import load as load_playbook
from coach.portfolio.model import Decision
from coach.portfolio.service import PortfolioService, top_questions

LIMIT = 3
TITLE = "Top investment questions"
PAGE = "investment"


class InvestmentQuestions:
    """A ``SectionSource`` of the digest (``DigestBuilder(sections=...)``)."""

    def __init__(
        self, service: PortfolioService, playbook: Playbook | None = None, limit: int = LIMIT
    ) -> None:
        self.service = service
        self.users = Users(service.ws.db)
        self.playbook = playbook or load_playbook()
        self.limit = limit

    def section(self, digest: Digest) -> Section | None:
        manager = self.users.by_email(digest.manager_email)
        if manager is None or not manager.manages:
            return None
        portfolio = self.service.build(self.service.managed_scope(manager), digest.end)
        chosen = top_questions(portfolio, self.limit)
        if not chosen:
            return None
        links = AppLinks(digest.app_url)  # the digest's links: the e-mail's address, or the app previewing it
        writer = FindingWriter(self.playbook, links)
        days = portfolio.window_days
        return Section(
            title=TITLE,
            intro=f"Where the team's effort went in the last {days} days against what each account is worth: "
            f"the {words.plural(len(chosen), 'decision')} most at stake.",
            findings=[_finding(d, writer, links) for d in chosen],
            more=Link(label="The whole portfolio", url=f"{links.base}/portfolio"),
        )


def _finding(decision: Decision, writer: FindingWriter, links: AppLinks) -> Finding:
    entry = writer.entry(PAGE, decision.playbook)
    return Finding(
        account=decision.account,
        account_url=links.account(decision.account_id),
        code=f"investment_{decision.kind}",
        title=decision.title + (f": the {decision.series}" if decision.series else ""),
        what=words.sentence(readable(f"{decision.question} {decision.why}")),
        next_step=words.sentence(_own_words(decision)) if decision.next_step else None,
        guide=writer.guide(entry),
        playbook=decision.playbook or None,
        source=writer.source(decision.evidence[0] if decision.evidence else None),
        key=f"investment:{decision.kind}:{decision.account_id}:{decision.series or ''}",
    )


def _own_words(decision: Decision) -> str:
    """The playbook's step without its 'Habit:' label (the line's title already says it)."""
    return decision.next_step.removeprefix(f"{decision.title}:").strip()
