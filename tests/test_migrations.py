"""The schema comes from Alembic migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from mcwg_dashboard.db import has_schema, migrate
from mcwg_dashboard.models import Answer  # noqa: F401  (registers the tables)


def test_migrations_build_the_whole_schema_on_an_empty_database(empty_engine: Engine) -> None:
    assert not has_schema(empty_engine)
    migrate(empty_engine)
    assert has_schema(empty_engine)
    tables = set(inspect(empty_engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables


def test_models_and_migrations_agree(empty_engine: Engine) -> None:
    migrate(empty_engine)
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], "a model changed without a migration: run `alembic revision --autogenerate`"


def test_migrating_twice_is_harmless(empty_engine: Engine) -> None:
    migrate(empty_engine)
    migrate(empty_engine)
    assert has_schema(empty_engine)
