"""Weekly coaching digests for managers: built from the judged accounts, rendered, delivered once."""

from __future__ import annotations

from coach.digest.build import DigestBuilder, parse_week
from coach.digest.model import Digest
from coach.workspace import Workspace

__all__ = ["Digest", "DigestBuilder", "digest_builder", "parse_week"]


def digest_builder(workspace: Workspace, engine: str | None = None) -> DigestBuilder:
    """The digest builder for ``engine`` (default: the settings'), as the CLI and the scheduled job use it."""
    from coach.analysis.service import Analyzer
    from coach.engines import build_engines

    engines = build_engines(workspace.settings, workspace.embedder, workspace.tokens, engine)
    return DigestBuilder(
        workspace, analyzer=Analyzer(workspace, extractor=engines.extractor), writer=engines.digest_writer
    )
