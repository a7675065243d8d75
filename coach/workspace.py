"""A workspace: the relational store, the index and the models of one data folder, wired from settings."""

from __future__ import annotations

from functools import cached_property

from coach.chunking import Chunker
from coach.config import Settings
from coach.embedding import Embedder, default_embedder
from coach.store.database import Database
from coach.store.vectors import ChunkIndex
from coach.tokens import TokenCounter


class Workspace:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        settings.ensure_data_dir()
        self._embedder = embedder
        self.db = Database(settings.resolved_database_url, settings.resolved_pool_size)
        self.db.migrate(chunker=lambda: self.chunker)

    @cached_property
    def index(self) -> ChunkIndex:
        path = self.settings.resolved_chroma_path
        if not self.settings.chroma_url and not path.exists():
            path.mkdir(mode=0o700, parents=True)  # the index holds the notes' text: its owner's only
            path.chmod(0o700)
        return ChunkIndex(
            self.settings.collection,
            path=None if self.settings.chroma_url else self.settings.resolved_chroma_path,
            url=self.settings.chroma_url,
        )

    @cached_property
    def embedder(self) -> Embedder:
        if self._embedder is not None:
            return self._embedder
        return default_embedder(self.settings.embed_batch_size)

    @cached_property
    def chunker(self) -> Chunker:
        return Chunker(
            self.embedder.count_tokens,
            self.embedder.token_offsets,
            max_tokens=self.settings.chunk_tokens,
            overlap_tokens=self.settings.chunk_overlap_tokens,
        )

    @cached_property
    def tokens(self) -> TokenCounter:
        return TokenCounter(self.settings.llm_model, self.settings.data_dir / "cache" / "tiktoken")

    def close(self) -> None:
        if "index" in self.__dict__:
            self.index.close()
            del self.__dict__["index"]
        self.db.dispose()
