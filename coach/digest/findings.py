"""The report's findings as digest lines a manager reads: what happened and since when, what to do, one quote.

Each line names the account, says what happened in a sentence (who raised what and how long ago, which risk and
why, which meeting and what it keeps failing at), takes the next step from the playbook page behind it, and cites
one sentence of one interaction, linked into the web app. Playbook paths and interaction ids stay in the model for
links; the words never show them.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import quote as urlquote
from urllib.parse import urlencode

from coach.analysis.judged import LedgerEntry
from coach.analysis.report import Evidence, MeetingVerdict, OpenProblem, Risk
from coach.digest import words
from coach.digest.model import Finding, Link, Source
from coach.playbook import Entry, Playbook

PROBLEM = "unaddressed_problem"
_VERB = {
    "problem": "raised a problem",
    "complaint": "complained",
    "request": "made a request",
    "question": "asked a question",
}
_NOUN = {"problem": "problem", "complaint": "complaint", "request": "request", "question": "question"}
_HOW = {"fixed": "fixed", "planned": "a plan with an owner and a date", "answered": "answered"}
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


class AppLinks:
    """Where things are in the web app (``COACH_APP_URL``)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def account(self, account_id: int) -> str:
        return f"{self.base}/accounts/{account_id}"

    def interaction(self, interaction: str, quote: str) -> str:
        """The note's page with ``quote`` highlighted."""
        return f"{self.base}/interactions/{urlquote(interaction, safe='')}?{urlencode({'q': quote})}"

    def team(self, team_id: int, week: str) -> str:
        return f"{self.base}/teams/{team_id}?{urlencode({'week': week})}"

    def playbook(self, code: str) -> str:
        return f"{self.base}/playbook/{urlquote(code, safe='')}"


def readable(text: str) -> str:
    """An engine's sentence with its ISO dates as people write them ('5 October 2026')."""

    def day(match: re.Match[str]) -> str:
        try:
            return words.day(date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            return match[0]

    return _ISO_DATE.sub(day, text)


class FindingWriter:
    def __init__(self, playbook: Playbook, links: AppLinks) -> None:
        self.playbook = playbook
        self.links = links
        self._by_path = {e.path: e for e in playbook.entries.values()}

    # --- the playbook ------------------------------------------------------------------------------------
    def entry(self, code: str | None = None, path: str | None = None) -> Entry | None:
        if path:
            found = self._by_path.get(path.split("#")[0])
            if found is not None:
                return found
        return self.playbook.get(code) if code else None

    def name(self, entry: Entry | None, code: str) -> str:
        """A risk's short name: the playbook title before its dash ('Going dark', 'Single-threaded')."""
        title = entry.title if entry else code.replace("_", " ")
        return title.split(" - ")[0].strip()

    def next_step(self, entry: Entry | None, verdict: str | None = None) -> str | None:
        steps = entry.next_steps() if entry else []
        if not steps:
            return None
        if verdict:
            prefix = f"{verdict.capitalize()}:"
            chosen = next((s for s in steps if s.startswith(prefix)), steps[0])
            return words.sentence(chosen.removeprefix(prefix).strip())
        return words.sentence(steps[0])

    def guide(self, entry: Entry | None) -> Link | None:
        if entry is None:
            return None
        return Link(label=entry.title.split(" - ")[0].strip(), url=self.links.playbook(entry.code))

    def source(self, evidence: Evidence | None) -> Source | None:
        """A stub: the date, kind and title are filled in for every cited interaction at once (``fill``)."""
        if evidence is None:
            return None
        quote = " ".join(evidence.quote.split())
        return Source(
            interaction=evidence.interaction,
            quote=quote,
            url=self.links.interaction(evidence.interaction, quote),
        )

    # --- findings ----------------------------------------------------------------------------------------
    def risk(self, account: str, account_url: str, risk: Risk) -> Finding:
        entry = self.entry(risk.code, risk.playbook)
        name = self.name(entry, risk.code)
        return Finding(
            account=account,
            account_url=account_url,
            code=risk.code,
            title=f"{name} ({risk.severity})",
            what=words.sentence(readable(risk.why)),
            next_step=self.next_step(entry),
            guide=self.guide(entry),
            playbook=risk.playbook or (entry.path if entry else None),
            source=self.source(risk.evidence[0] if risk.evidence else None),
            severity=risk.rank,
            key=f"risk:{risk.code}",
        )

    def problem(
        self, account: str, account_url: str, problem: OpenProblem, turned: int | None = None
    ) -> Finding:
        """An open problem: who raised what and when, and the answer it got; ``turned``: the age (30, 60, 90
        days) it reached this week."""
        entry = self.entry(PROBLEM, problem.playbook)
        who = problem.raised_by or "The customer"
        answer = "only a vague answer followed" if problem.response == "vague" else "nobody has answered it"
        raised = f"{who} {_VERB.get(problem.kind, 'raised a problem')} on {words.day(problem.raised_on)}"
        if turned is None:
            what = f"{raised}, {words.ago(problem.days_open)}; {answer}"
        else:
            birthday = problem.raised_on + timedelta(days=turned)
            what = f"{raised}; it turned {turned} days old on {words.day(birthday, year=False)} and {answer}"
        return Finding(
            account=account,
            account_url=account_url,
            code=PROBLEM,
            title=f"Unanswered {_NOUN.get(problem.kind, 'problem')}",
            what=words.sentence(what),
            next_step=self.next_step(entry),
            guide=self.guide(entry),
            playbook=problem.playbook,
            source=self.source(problem.evidence[0]),
            days_open=problem.days_open,
            key=f"problem:{problem.raised_in}:{problem.evidence[0].quote}",
        )

    def meeting(self, account: str, account_url: str, verdict: MeetingVerdict, since: date | None) -> Finding:
        entry = self.entry("meetings", verdict.playbook)
        why = words.clause(readable(verdict.why))
        return Finding(
            account=account,
            account_url=account_url,
            code="meetings",
            title=f"{verdict.verdict.capitalize()} the {verdict.series}",
            what=words.sentence(f"Since {words.day(since)}, {why}" if since else why),
            next_step=self.next_step(entry, verdict.verdict),
            guide=self.guide(entry),
            playbook=verdict.playbook,
            source=self.source(verdict.evidence[0] if verdict.evidence else None),
            verdict=verdict.verdict,
            key=f"meeting:{verdict.series.casefold()}",
        )

    def engagement(self, account: str, account_url: str, strategic: int, total: int, label: str) -> Finding:
        entry = self.entry("engagement")
        what = f"{strategic} of {words.plural(total, 'interaction')} {words.verb(strategic, 'was')} strategic"
        if label != "tactical":
            what += ", and fewer in the last four weeks than in the eight before"
        return Finding(
            account=account,
            account_url=account_url,
            code="engagement",
            title="Tactical" if label == "tactical" else "Drifting tactical",
            what=words.sentence(what),
            next_step=self.next_step(entry),
            guide=self.guide(entry),
            playbook=entry.path if entry else None,
            key="engagement",
        )

    # --- what was resolved, and how -------------------------------------------------------------------------
    def risk_cleared(self, account: str, account_url: str, risk: Risk, latest: Evidence | None) -> Finding:
        """A risk no longer flagged: the playbook page says what clears it (``cleared``), and the week's latest
        interaction is cited when there was one."""
        entry = self.entry(risk.code, risk.playbook)
        how = str(entry.meta.get("cleared", "")) if entry else ""
        what = (how or "the latest notes no longer show it") if latest is not None else "no longer flagged"
        return Finding(
            account=account,
            account_url=account_url,
            code=risk.code,
            title=f"{self.name(entry, risk.code)} resolved",
            what=words.sentence(what),
            guide=self.guide(entry),
            playbook=risk.playbook,
            source=self.source(latest),
            key=f"risk:{risk.code}",
        )

    def problem_closed(
        self,
        account: str,
        account_url: str,
        problem: OpenProblem,
        entry: LedgerEntry | None,
        how: str | None,
        on: date | None,
    ) -> Finding:
        """A problem the ledger closed this week: the fix, plan or answer that closed it, and how long it was open."""
        who = problem.raised_by or "The customer"
        noun = _NOUN.get(problem.kind, "problem")
        raised = f"{who} raised it on {words.day(problem.raised_on)}"
        if entry is not None and entry.addressed_by is not None:
            how = how if how in _HOW else "answered"
            title = f"{noun.capitalize()} {'owned' if how == 'planned' else how}"
            days = (on - problem.raised_on).days if on else None
            what = f"{raised}; it was open {words.plural(days, 'day')}" if days is not None else raised
            source = self.source(
                Evidence(interaction=entry.addressed_by[0], quote=entry.addressed_by[1].text)
            )
        else:
            title, what = f"{noun.capitalize()} closed", f"{raised}; it is no longer open"
            source = self.source(problem.evidence[0])
        return Finding(
            account=account,
            account_url=account_url,
            code=PROBLEM,
            title=title,
            what=words.sentence(what),
            playbook=problem.playbook,
            source=source,
            key=f"problem:{problem.raised_in}:{problem.evidence[0].quote}",
        )
