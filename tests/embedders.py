"""Embedders for tests, speaking the same interface as ``coach.embedding.MiniLMEmbedder``.

- ``MemoEmbedder`` wraps the real model and remembers each text's vector for the whole test session: the same
  sample notes are ingested by dozens of tests, and each is embedded once. Behaviour is the real model's.
- ``HashEmbedder`` is small and deterministic (no model run): words and word pairs hashed into 384 signed
  dimensions. Texts sharing words are close, others are not. For tests about durability, access, scale or pages,
  not about meaning. It tokenises with the real model's tokenizer, so chunks are cut exactly as in production.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise

import numpy as np

from coach.embedding import DIMENSIONS, MiniLMEmbedder, model_files

_WORD = re.compile(r"[a-z0-9]+")


class MemoEmbedder:
    """The real model, with every text's vector remembered (thread-safe: the app embeds from request threads)."""

    def __init__(self, model: MiniLMEmbedder) -> None:
        self.model = model
        self.name = model.name
        self.batch_size = model.batch_size
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            vectors = self.model.embed(missing)
            with self._lock:
                self._vectors.update(zip(missing, vectors, strict=True))
        with self._lock:
            if not texts:
                return np.zeros((0, DIMENSIONS), dtype=np.float32)
            return np.stack([self._vectors[t] for t in texts]).astype(np.float32)

    def count_tokens(self, text: str) -> int:
        return self.model.count_tokens(text)

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        return self.model.token_offsets(text)


@lru_cache(maxsize=1)
def _tokenizer():  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_files()[1]))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


class HashEmbedder:
    """Deterministic bag-of-words vectors: the same text always gives the same vector, on any machine."""

    name = "test-hash-384"
    batch_size = 32

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            for feature in [*words, *(f"{a} {b}" for a, b in pairwise(words))]:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                slot = int.from_bytes(digest[:4], "little") % DIMENSIONS
                out[row, slot] += 1.0 if digest[4] & 1 else -1.0
            norm = float(np.linalg.norm(out[row]))
            out[row] = out[row] / norm if norm else 1.0 / np.sqrt(DIMENSIONS)
        return out

    def count_tokens(self, text: str) -> int:
        return len(_tokenizer().encode(text).ids)

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        return list(_tokenizer().encode(text, add_special_tokens=False).offsets)
