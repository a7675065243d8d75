"""Shared fixtures: a fresh data folder per test, the real embedding model loaded once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.config import Settings
from coach.embedding import MiniLMEmbedder, default_embedder
from coach.ingest import read_file
from coach.ingest.pipeline import IngestPipeline, IngestReport
from coach.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    return default_embedder(32)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", internal_domains=["atlasfieldcloud.com"], _env_file=None)


@pytest.fixture
def workspace(settings: Settings, embedder: MiniLMEmbedder) -> Iterator[Workspace]:
    ws = Workspace(settings, embedder=embedder)
    yield ws
    ws.close()


@pytest.fixture
def pipeline(workspace: Workspace) -> IngestPipeline:
    return IngestPipeline(workspace)


def ingest_path(pipeline: IngestPipeline, path: Path, **defaults: object) -> IngestReport:
    return pipeline.ingest(read_file(path, pipeline.defaults(**defaults)))


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def shared_or_skip(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: ../shared is only beside the project in CI and development checkouts")
    return path
