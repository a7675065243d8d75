"""The relational store's engine, sessions and migrations."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class Database:
    """One engine per store; schema brought to the newest migration on open."""

    def __init__(self, url: str, pool_size: int = 16) -> None:
        self.url = url
        _private_sqlite_files(url)
        # A request may hold two connections (a read and a short write); the pool covers every thread of a worker,
        # and waits rather than fails when it is briefly short (pool_timeout).
        self.engine: Engine = create_engine(
            url,
            future=True,
            pool_size=pool_size,
            max_overflow=pool_size // 2,
            pool_timeout=60,
            pool_pre_ping=not url.startswith("sqlite"),
        )
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Writers take SQLite's write lock when they begin (BEGIN IMMEDIATE), so two writers wait for each other
        # (busy_timeout) instead of failing when one's read snapshot is older than the other's commit.
        self._writers = sessionmaker(
            self.engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )

    def migrate(self, chunker: Callable[[], Any] | None = None) -> None:
        """Bring the schema to the newest migration. ``chunker`` makes the chunker that splits stored text when
        a migration fills the chunks table (the workspace's own, so spans match its vector index)."""
        config = alembic_config(self.url)
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            config.attributes["chunker"] = chunker
            command.upgrade(config, "head")

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """A session; ``write=True`` for one that will write (it holds the write lock from its start on SQLite)."""
        with (self._writers if write else self._sessions)() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _private_sqlite_files(url: str) -> None:
    """A SQLite store's file, created readable by its owner only (SQLite gives its -wal and -shm files the same
    mode); an existing one is tightened to that."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    if not path.exists() and path.parent.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part.exists() and part.stat().st_mode & 0o077 and os.access(part, os.W_OK):
            part.chmod(0o600)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the web app) run while ingest writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    # The sqlite3 module would commit before every DDL statement, so a failed migration left half a schema;
    # taking transaction control ourselves (SQLAlchemy's recipe) makes migrations all-or-nothing.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")
