"""Weekly coaching digests for managers: built from the judged accounts, rendered, delivered once."""

from __future__ import annotations

from coach.digest.build import DigestBuilder, SectionSource, parse_week
from coach.digest.model import Digest, Finding, Section
from coach.workspace import Workspace

__all__ = ["Digest", "DigestBuilder", "Finding", "Section", "SectionSource", "digest_builder", "parse_week"]


def digest_builder(workspace: Workspace, engine: str | None = None) -> DigestBuilder:
    """The digest builder for ``engine`` (default: the settings'), as the CLI and the scheduled job use it, with
    the portfolio's top investment questions as a section."""
    from coach.engines import analyzer, for_workspace
    from coach.portfolio import PortfolioService
    from coach.portfolio.digest_section import InvestmentQuestions

    engines = for_workspace(workspace, engine)
    judged = analyzer(workspace, engines)
    questions = InvestmentQuestions(PortfolioService(workspace, judged))
    return DigestBuilder(workspace, analyzer=judged, writer=engines.digest_writer, sections=[questions])
