"""The relational store: migrations apply from scratch, from an older schema and back down, all or nothing, on
SQLite and on PostgreSQL (when COACH_TEST_POSTGRES_URL names a server: `.ci/services` starts one)."""

import uuid

import pytest
from sqlalchemy import inspect, text

from coach.store.database import Database, alembic_config
from tests.conftest import POSTGRES_URL, _admin, _database_url

HEAD = "0012"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """An empty database of each kind; the PostgreSQL one is skipped, loudly, only when no server was given."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'c.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip(
            "no PostgreSQL server: set COACH_TEST_POSTGRES_URL (.ci/services starts one; CI always does)"
        )
    name = f"coach_m_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield _database_url(name)
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrations_reach_head_and_ddl_is_transactional(store_url):
    db = Database(store_url)
    db.migrate()
    tables = set(inspect(db.engine).get_table_names())
    assert {
        "accounts",
        "interactions",
        "users",
        "teams",
        "memberships",
        "api_tokens",
        "audit_events",
        "sign_in_attempts",
        "slack_links",
        "account_grants",
        "access_requests",
        "web_sessions",
        "org_domains",
        "slack_link_codes",
        "slack_requests",
        "chunks",
        "account_measures",
        "alembic_version",
    } <= tables
    assert "logged_by" in {c["name"] for c in inspect(db.engine).get_columns("interactions")}
    with db.engine.connect() as connection:
        assert connection.execute(text("select version_num from alembic_version")).scalar() == HEAD
        connection.execute(text("create table scratch (x integer)"))
        connection.rollback()
    assert "scratch" not in inspect(db.engine).get_table_names()  # a failed migration leaves nothing behind
    db.migrate()  # idempotent
    db.dispose()


def test_an_older_store_is_upgraded_in_place(store_url):
    from alembic import command

    db = Database(store_url)
    config = alembic_config(store_url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    with db.engine.begin() as connection:
        connection.execute(
            text("insert into accounts (name, key, created_at) values ('A', 'a', '2026-01-01')")
        )
    db.migrate()
    with db.engine.connect() as connection:
        assert connection.execute(text("select count(*) from accounts")).scalar() == 1
        assert connection.execute(text("select version_num from alembic_version")).scalar() == HEAD
    db.dispose()


def test_every_migration_goes_down_and_up_again(store_url):
    from alembic import command

    db = Database(store_url)
    db.migrate()
    config = alembic_config(store_url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert "users" not in inspect(db.engine).get_table_names()
    db.migrate()
    with db.engine.connect() as connection:
        assert connection.execute(text("select version_num from alembic_version")).scalar() == HEAD
    db.dispose()


def test_the_models_match_the_migrations(store_url):
    """What the code maps is what the migrations built (no drift between schema.py and versions/)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from coach.store.schema import Base

    db = Database(store_url)
    db.migrate()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    db.dispose()
    if store_url.startswith(
        "sqlite"
    ):  # SQLite cannot add a foreign key to a table: 0003 adds it elsewhere only
        diff = [d for d in diff if not (d[0] == "add_fk" and d[1].parent.name == "interactions")]
    diff = [d for d in diff if not _full_text_structure(d)]
    assert diff == [], diff


def test_0009_backfills_grants_so_nobody_loses_access_and_drops_unproven_slack_links(store_url):
    """A store at 0007 (visibility from who logged what) upgraded: every rep still sees what they saw."""
    from alembic import command

    from coach.auth import Accounts, Users

    url = store_url
    db = Database(url)
    config = alembic_config(url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
    _old_store(db, text)
    db.migrate()
    users = Users(db)
    seen = {u.email: Accounts(db).visible_ids(u) for u in users.all()}
    assert seen["ana@x.example"] == {1} and seen["mia@x.example"] == {1}
    assert seen["ben@x.example"] == {2} and seen["solo@x.example"] == {3}
    with db.engine.connect() as connection:
        assert connection.execute(text("select count(*) from slack_links")).scalar() == 0  # unproven: gone
    db.dispose()


def _old_store(db, text):
    with db.engine.begin() as c:
        for i, (email, role) in enumerate(
            [
                ("ana@x.example", "rep"),
                ("mia@x.example", "manager"),
                ("ben@x.example", "rep"),
                ("solo@x.example", "rep"),
            ],
            1,
        ):
            c.execute(
                text(
                    "insert into users (id, email, name, role, active, created_at) values (:i, :e, :e, :r, true, '2026-01-01')"
                ),
                {"i": i, "e": email, "r": role},
            )
        c.execute(
            text(
                "insert into teams (id, name, created_at) values (1, 'A', '2026-01-01'), (2, 'B', '2026-01-01')"
            )
        )
        c.execute(
            text(
                "insert into memberships (team_id, user_id, manages) values (1, 1, false), (1, 2, true), (2, 3, false)"
            )
        )
        for i, name in enumerate(["Alpha", "Bravo", "Solo Co", "Nobody's"], 1):
            c.execute(
                text("insert into accounts (id, name, key, created_at) values (:i, :n, :k, '2026-01-01')"),
                {"i": i, "n": name, "k": name.lower()},
            )
        for n, (account, logger) in enumerate([(1, 1), (2, 3), (3, 4), (4, None)], 1):
            c.execute(
                text(
                    "insert into interactions (id, account_id, kind, occurred_at, date_given, raw_text, clean_text, "
                    "content_hash, origin, extra, chunk_count, logged_by, created_at, updated_at) values "
                    "(:id, :a, 'note', '2026-01-01', true, 't', 't', 'h', 'o', '{}', 0, :l, '2026-01-01', '2026-01-01')"
                ),
                {"id": f"i{n}", "a": account, "l": logger},
            )
        c.execute(
            text(
                "insert into slack_links (slack_user, email, updated_at) values ('U1', 'mia@x.example', '2026-01-01')"
            )
        )


def _full_text_structure(difference) -> bool:  # type: ignore[no-untyped-def]
    """The full-text index is the database's own (FTS5 tables, a tsvector column and its GIN index), built by
    migration 0010 and outside the models on purpose."""
    from coach.store.fulltext import POSTGRES_COLUMNS, SQLITE_OBJECTS

    kind, target = difference[0], difference[1:]
    if kind == "remove_table":
        return target[0].name in SQLITE_OBJECTS
    if kind == "remove_column":
        return target[1] == "chunks" and target[2].name in POSTGRES_COLUMNS
    if kind == "remove_index":
        return target[0].name == "ix_chunks_tsv"
    return False


def test_the_full_text_migration_fills_the_chunks_of_an_existing_store(store_url, embedder):
    """A store from before the full-text index gets its chunks and their index from its stored text."""
    from alembic import command

    from coach.chunking import Chunker
    from coach.store import fulltext
    from coach.store.fulltext import Scope, TextQuery

    db = Database(store_url)
    config = alembic_config(store_url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0009")
    note = "Steering call. The depot manager asked for a gearbox audit before the winter shutdown."
    with db.engine.begin() as connection:
        connection.execute(
            text("insert into accounts (id, name, key, created_at) values (1, 'A', 'a', '2026-01-01')")
        )
        connection.execute(
            text(
                "insert into interactions (id, account_id, kind, occurred_at, date_given, raw_text, clean_text, "
                "content_hash, origin, extra, chunk_count, created_at, updated_at) values ('n-1', 1, 'call', "
                "'2026-02-01', true, :t, :t, 'h', 'test', '{}', 1, '2026-02-01', '2026-02-01')"
            ),
            {"t": note},
        )
    db.migrate(chunker=lambda: Chunker(embedder.count_tokens, embedder.token_offsets))
    with db.session() as session:
        (hit,) = fulltext.search(session, TextQuery(words=("gearbox",)), Scope(account_ids=[1]), 5)
        (chunk,) = fulltext.stored_chunks(session, [("n-1", 0)]).values()
    assert (hit.interaction_id, hit.seq) == ("n-1", 0)
    assert (chunk.start, chunk.end, chunk.text, chunk.account) == (0, len(note), note, "A")
    db.dispose()
