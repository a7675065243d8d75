"""Shared fixtures: a fresh data folder per test, the real embedding model loaded once.

Backends: by default every test runs on SQLite and embedded Chroma in its own data folder. With
``COACH_TEST_BACKEND=server`` (what the second pass of ``.ci/run`` sets, with the URLs ``.ci/services`` prints)
every test runs instead on a fresh PostgreSQL database (copied from a migrated template) and its own collection on
a Chroma server, through the same ``COACH_DATABASE_URL`` / ``COACH_CHROMA_URL`` settings a deployment uses.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from coach.config import Settings
from coach.embedding import default_embedder
from coach.ingest import read_file
from coach.ingest.pipeline import IngestPipeline, IngestReport
from coach.workspace import Workspace
from tests.embedders import HashEmbedder, MemoEmbedder

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


SERVER = os.environ.get("COACH_TEST_BACKEND") == "server"
POSTGRES_URL = os.environ.get("COACH_TEST_POSTGRES_URL")
CHROMA_URL = os.environ.get("COACH_TEST_CHROMA_URL")
# One template per xdist worker: CREATE DATABASE ... TEMPLATE refuses a template another session is using.
TEMPLATE = f"coach_test_template_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(app, port: int | None = None) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """``app`` under a real uvicorn on a loopback port, in a thread, until the block ends; yields its base URL."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _admin():  # type: ignore[no-untyped-def]
    import psycopg

    assert POSTGRES_URL
    return psycopg.connect(POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def _database_url(name: str) -> str:
    assert POSTGRES_URL
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def server_template() -> Iterator[None]:
    """A migrated PostgreSQL database that each test's database is copied from (CREATE DATABASE ... TEMPLATE)."""
    if not SERVER:
        yield
        return
    if not POSTGRES_URL or not CHROMA_URL:
        pytest.fail(
            "COACH_TEST_BACKEND=server needs COACH_TEST_POSTGRES_URL and COACH_TEST_CHROMA_URL "
            "(run .ci/services)"
        )
    from coach.store.database import Database

    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
    db = Database(_database_url(TEMPLATE))
    db.migrate()
    db.dispose()
    yield
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')


@contextmanager
def server_store(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """A fresh PostgreSQL database (copied from the migrated template) and Chroma collection, as the settings a
    deployment would give (``database_url``, ``chroma_url``, ``collection``); dropped afterwards."""
    request.getfixturevalue("server_template")
    name = f"coach_t_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    try:
        yield {"database_url": _database_url(name), "chroma_url": CHROMA_URL or "", "collection": name}
    finally:
        _drop_server_store(name)


@pytest.fixture(autouse=True)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """On the server backend: a fresh database and collection for this test, set the way a deployment sets them."""
    if not SERVER:
        yield
        return
    with server_store(request) as store:
        for key, value in store.items():
            monkeypatch.setenv(f"COACH_{key.upper()}", value)
        yield


def _drop_server_store(name: str) -> None:
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    try:
        from urllib.parse import urlparse

        import chromadb

        parsed = urlparse(CHROMA_URL)
        client = chromadb.HttpClient(host=parsed.hostname, port=parsed.port)
        for collection in client.list_collections():
            if collection.name.startswith(name):
                client.delete_collection(collection.name)
    except Exception:  # noqa: BLE001 - a leftover collection on a throwaway server is harmless
        pass


@pytest.fixture(scope="session", autouse=True)
def embedder() -> Iterator[MemoEmbedder]:
    """The real model, loaded once and shared by every test, each text embedded once per session. Workspaces
    built from settings alone (the CLI's, the app's) use it too."""
    memo = MemoEmbedder(default_embedder(32))
    patch = pytest.MonkeyPatch()
    patch.setattr("coach.workspace.default_embedder", lambda batch_size=32: memo)
    yield memo
    patch.undo()


@pytest.fixture(scope="session", autouse=True)
def production_password_hasher() -> Iterator[object]:
    """Passwords hashed with cheap Argon2 parameters in this process (the usual practice for test suites: the
    product's cost, about 0.15 s a hash, was a sixth of the suite's time). Yields the product's own hasher, whose
    parameters ``test_tokens`` pins; the CLI and servers the tests start as subprocesses keep it."""
    from argon2 import PasswordHasher

    import coach.auth

    product = coach.auth._hasher
    patch = pytest.MonkeyPatch()
    patch.setattr(coach.auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    coach.auth.dummy_hash.cache_clear()
    yield product
    patch.undo()
    coach.auth.dummy_hash.cache_clear()


@pytest.fixture(scope="session")
def hash_embedder() -> HashEmbedder:
    """A small deterministic embedder, for tests about durability, scale or access rather than meaning."""
    return HashEmbedder()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", internal_domains=["atlasfieldcloud.com"], _env_file=None)


@pytest.fixture
def workspace(settings: Settings, embedder: MemoEmbedder) -> Iterator[Workspace]:
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


@pytest.fixture
def another_store(tmp_path: Path) -> Iterator[Settings]:
    """Settings of a second, empty store on the same backend as this test's (for export/import round trips)."""
    folder = tmp_path / "another"
    if not SERVER:
        yield Settings(
            data_dir=folder,
            internal_domains=["atlasfieldcloud.com"],
            _env_file=None,
            database_url=f"sqlite:///{(folder / 'coach.db').resolve()}",
            chroma_url=None,
            chroma_path=folder / "chroma",
            collection="interaction_chunks",
        )
        return
    name = f"coach_t_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    yield Settings(
        data_dir=folder,
        internal_domains=["atlasfieldcloud.com"],
        _env_file=None,
        database_url=_database_url(name),
        chroma_url=CHROMA_URL,
        collection=name,
    )
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[tuple[object, int, Path]]:
    """A real SMTP server on loopback (STARTTLS, login): ``(inbox, port, certificate)``; see tests/smtp_server.py."""
    from tests.smtp_server import smtp_server

    with smtp_server(tmp_path, free_port()) as server:
        yield server
