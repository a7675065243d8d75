"""The Chroma index of interaction chunks: the one module that talks to Chroma.

The index holds vectors and just enough metadata to filter (account, interaction,
date, kind) and to point back at the text (character span). The relational store
is the record of truth; everything here can be rebuilt from it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np


def chunk_id(interaction_id: str, seq: int) -> str:
    """A chunk's id in the index: its interaction and position."""
    return f"{interaction_id}#{seq}"


@dataclass(frozen=True, slots=True)
class ChunkEntry:
    chunk_id: str
    interaction_id: str
    account_id: int
    seq: int
    start: int
    end: int
    text: str
    occurred_ts: int
    kind: str


@dataclass(frozen=True, slots=True)
class VectorHit:
    chunk_id: str
    interaction_id: str
    seq: int
    start: int
    end: int
    similarity: float


class ChunkIndex:
    def __init__(self, collection: str, path: Path | None = None, url: str | None = None) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if url:
            parsed = urlparse(url)
            self._client = chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or 8000,
                ssl=parsed.scheme == "https",
                settings=chroma_settings,
            )
        else:
            assert path is not None
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        self._name = collection
        self._collection = self._open()

    def _open(self) -> Any:
        return self._client.get_or_create_collection(
            self._name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    def upsert(self, entries: Sequence[ChunkEntry], vectors: np.ndarray) -> None:
        if not entries:
            return
        for start in range(0, len(entries), 2000):
            part = entries[start : start + 2000]
            self._collection.upsert(
                ids=[e.chunk_id for e in part],
                embeddings=vectors[start : start + len(part)],
                documents=[e.text for e in part],
                metadatas=[
                    {
                        "interaction": e.interaction_id,
                        "account": e.account_id,
                        "seq": e.seq,
                        "start": e.start,
                        "end": e.end,
                        "ts": e.occurred_ts,
                        "kind": e.kind,
                    }
                    for e in part
                ],
            )

    def delete_interactions(self, interaction_ids: Sequence[str]) -> None:
        if interaction_ids:
            self._collection.delete(where={"interaction": {"$in": list(interaction_ids)}})

    def query(
        self,
        vector: np.ndarray,
        k: int,
        account_ids: Sequence[int] | None = None,
        interaction_ids: Sequence[str] | None = None,
    ) -> list[VectorHit]:
        where = _where(account_ids, interaction_ids)
        result = self._collection.query(
            query_embeddings=[vector], n_results=k, where=where, include=["metadatas", "distances"]
        )
        hits = []
        for chunk_id, meta, distance in zip(
            result["ids"][0], result["metadatas"][0], result["distances"][0], strict=True
        ):
            hits.append(
                VectorHit(
                    chunk_id=chunk_id,
                    interaction_id=str(meta["interaction"]),
                    seq=int(meta["seq"]),
                    start=int(meta["start"]),
                    end=int(meta["end"]),
                    similarity=1.0 - float(distance),
                )
            )
        return hits

    def similarities(
        self, vector: np.ndarray, keys: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], float]:
        """Cosine of ``vector`` to each of these chunks, by (interaction id, seq), those the index holds, compared
        one by one (see ``vectors``)."""
        found = self.vectors(keys)
        if not found:
            return {}
        similarity = np.stack(list(found.values())) @ vector
        return dict(zip(found, similarity.tolist(), strict=True))

    def vectors(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], np.ndarray]:
        """The vectors of these chunks, by (interaction id, seq), those the index holds: read by id, without their
        metadata (for a few chunks of a large index, cheaper than a filtered query, which reads every record's)."""
        found: dict[tuple[str, int], np.ndarray] = {}
        by_id = {chunk_id(i, s): (i, s) for i, s in keys}
        ids = list(by_id)
        for start in range(0, len(ids), 5000):
            got = self._collection.get(ids=ids[start : start + 5000], include=["embeddings"])
            if len(got["ids"]):
                matrix = np.asarray(got["embeddings"], dtype=np.float32)
                found.update((by_id[i], row) for i, row in zip(got["ids"], matrix, strict=True))
        return found

    def interaction_chunk_counts(self) -> dict[str, int]:
        """How many chunks each interaction has in the index (to find what fell behind)."""
        counts: dict[str, int] = {}
        offset, page = 0, 5000
        while True:
            got = self._collection.get(include=["metadatas"], limit=page, offset=offset)
            for meta in got["metadatas"]:
                key = str(meta["interaction"])
                counts[key] = counts.get(key, 0) + 1
            if len(got["ids"]) < page:
                return counts
            offset += page

    def close(self) -> None:
        """Release the client (embedded Chroma keeps one system per folder per process until then)."""
        close = getattr(self._client, "close", None)
        if close is not None:
            close()

    def count(self) -> int:
        return int(self._collection.count())

    def reset(self) -> None:
        """Drop and recreate the collection (before a full rebuild)."""
        with contextlib.suppress(Exception):  # absent collection: nothing to drop
            self._client.delete_collection(self._name)
        self._collection = self._open()


def _where(account_ids: Sequence[int] | None, interaction_ids: Sequence[str] | None) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if account_ids is not None:
        clauses.append({"account": {"$in": list(account_ids)}})
    if interaction_ids is not None:
        clauses.append({"interaction": {"$in": list(interaction_ids)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class PassageIndex:
    """A small collection of reference passages (the playbook), kept in sync by content hash."""

    def __init__(self, index: ChunkIndex, name: str | None = None) -> None:
        self._client = index._client
        name = name or f"{index._name}_playbook"  # beside its interactions: one Chroma server, many stores
        self._collection = self._client.get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    def hashes(self) -> dict[str, str]:
        got = self._collection.get(include=["metadatas"])
        return {i: str(m.get("hash", "")) for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)}

    def replace(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
        vectors: np.ndarray,
    ) -> None:
        stale = [i for i in self.hashes() if i not in set(ids)]
        if stale:
            self._collection.delete(ids=stale)
        if ids:
            self._collection.upsert(
                ids=list(ids), documents=list(texts), metadatas=list(metadatas), embeddings=vectors
            )

    def query(self, vector: np.ndarray, k: int) -> list[tuple[str, float, dict[str, Any]]]:
        result = self._collection.query(
            query_embeddings=[vector], n_results=k, include=["metadatas", "distances"]
        )
        distances, metadatas = result["distances"] or [[]], result["metadatas"] or [[]]
        return [
            (i, 1.0 - float(d), dict(m))
            for i, d, m in zip(result["ids"][0], distances[0], metadatas[0], strict=True)
        ]
