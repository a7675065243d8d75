"""Who is on which side: our people (internal) versus the customer's."""

from __future__ import annotations

from collections.abc import Iterable

from coach.records import Participant, Side


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().strip(">").lower() or None


def is_internal_domain(domain: str | None, internal_domains: Iterable[str]) -> bool:
    if not domain:
        return False
    return any(domain == d or domain.endswith("." + d) for d in internal_domains)


def resolve_side(participant: Participant, internal_domains: Iterable[str], rep: str | None) -> Side | None:
    """An explicit side wins; then the e-mail domain; then being the rep; else unknown."""
    if participant.side:
        return participant.side
    domains = list(internal_domains)
    domain = email_domain(participant.email)
    if domain and domains:
        return "internal" if is_internal_domain(domain, domains) else "customer"
    if rep and rep.strip().casefold() in {participant.name.casefold(), (participant.email or "").casefold()}:
        return "internal"
    return None


def person_key(participant: Participant) -> str:
    """People match on e-mail when known, else on the case-folded name."""
    if participant.email:
        return participant.email.strip().lower()
    return " ".join(participant.name.split()).casefold()
