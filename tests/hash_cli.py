"""``python -m tests.hash_cli ARGS``: the coach CLI with the small deterministic test embedder instead of the real
model, for subprocess tests about durability at scale (a bulk import killed midway), where meaning plays no part
and embedding thousands of records with the real model would be most of the test's time."""

from __future__ import annotations

import coach.workspace
from tests.embedders import HashEmbedder

_EMBEDDER = HashEmbedder()
coach.workspace.default_embedder = lambda batch_size=32: _EMBEDDER  # type: ignore[assignment]

if __name__ == "__main__":
    from coach.cli import main

    main()
