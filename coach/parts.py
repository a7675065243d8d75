"""What a service is given: the parts of a workspace it uses, each a read-only protocol.

A service declares the parts it needs (``AnalysisParts``: the database, the settings and the embedder) instead of
taking the whole :class:`coach.workspace.Workspace`; a workspace has every part, so callers pass one, and a test or
another host can pass anything that has just those parts. Services import this module, never the workspace.
"""

from __future__ import annotations

from typing import Protocol

from coach.chunking import Chunker
from coach.config import Settings
from coach.embedding import Embedder
from coach.store.database import Database
from coach.store.vectors import ChunkIndex
from coach.tokens import TokenCounter


class Records(Protocol):
    """The relational store and the settings it was opened with."""

    @property
    def db(self) -> Database: ...

    @property
    def settings(self) -> Settings: ...


class Embedding(Protocol):
    @property
    def embedder(self) -> Embedder: ...


class Indexed(Protocol):
    @property
    def index(self) -> ChunkIndex: ...


class Chunking(Protocol):
    @property
    def chunker(self) -> Chunker: ...


class Counting(Protocol):
    @property
    def tokens(self) -> TokenCounter: ...


class AnalysisParts(Records, Embedding, Protocol):
    """Judging accounts: the records and the embedder (the offline extractor's and the linker's)."""


class SearchParts(Records, Embedding, Indexed, Protocol):
    """Searching: the records, the embedder and the vector index."""


class BriefParts(Records, Embedding, Indexed, Counting, Protocol):
    """Writing a brief: search's parts and the tokenizer that keeps the prompt in its budget."""


class IngestParts(Records, Embedding, Indexed, Chunking, Protocol):
    """Logging records: the store, the index, and the chunker and embedder that fill it."""
