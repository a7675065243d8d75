"""The relational store: migrations apply from scratch and from an older schema, all or nothing."""

from sqlalchemy import inspect, text

from coach.store.database import Database


def test_migrations_reach_head_and_ddl_is_transactional(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    db.migrate()
    tables = set(inspect(db.engine).get_table_names())
    assert {"accounts", "interactions", "users", "teams", "memberships", "api_tokens", "audit_events",
            "sign_in_attempts", "alembic_version"} <= tables
    assert "logged_by" in {c["name"] for c in inspect(db.engine).get_columns("interactions")}
    with db.engine.connect() as connection:
        assert connection.execute(text("select version_num from alembic_version")).scalar() == "0007"
        connection.execute(text("create table scratch (x integer)"))
        connection.rollback()
    assert "scratch" not in inspect(db.engine).get_table_names()  # a failed migration leaves nothing behind
    db.migrate()  # idempotent
    db.dispose()


def test_an_older_store_is_upgraded_in_place(tmp_path):
    from alembic import command

    from coach.store.database import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    config = alembic_config(url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    with db.engine.begin() as connection:
        connection.execute(text("insert into accounts (name, key, created_at) values ('A', 'a', '2026-01-01')"))
    db.migrate()
    with db.engine.connect() as connection:
        assert connection.execute(text("select count(*) from accounts")).scalar() == 1
        assert connection.execute(text("select version_num from alembic_version")).scalar() == "0007"
    db.dispose()
