"""Weekly coaching digests for managers: built from the judged accounts, rendered, delivered once."""

from __future__ import annotations

from coach.digest.build import DigestBuilder, SectionSource, parse_week
from coach.digest.model import Digest, Finding, Section
from coach.workspace import Workspace

__all__ = ["Digest", "DigestBuilder", "Finding", "Section", "SectionSource", "digest_builder", "parse_week"]


def digest_builder(workspace: Workspace, engine: str | None = None) -> DigestBuilder:
    """The digest builder for ``engine`` (default: the settings'), as the CLI and the scheduled job use it."""
    from coach.engines import analyzer, for_workspace

    engines = for_workspace(workspace, engine)
    return DigestBuilder(workspace, analyzer=analyzer(workspace, engines), writer=engines.digest_writer)
