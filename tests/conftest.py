"""Shared fixtures: a fresh, initialised database per test, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from mcwg_dashboard.config import Settings, get_settings
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.services.setup import initialise

POSTGRES_URL = os.environ.get("MCWG_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def database_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    assert POSTGRES_URL
    reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """A database with no schema at all."""
    engine = make_engine(database_url(backend, tmp_path))
    yield engine
    engine.dispose()


class _Initialised:
    """The state right after `init`, built once per test session and restored before each test.

    Running the migrations and `initialise` takes most of a second; copying a SQLite file or reloading a
    few hundred PostgreSQL rows takes milliseconds, and gives every test the same starting point.
    """

    sqlite_file: Path | None = None
    postgres_rows: dict[str, list[dict[str, Any]]] | None = None
    postgres_revision: str | None = None
    postgres_tables: MetaData | None = None


def _initialise(engine: Engine) -> None:
    initialise(engine, Settings(database_url=str(engine.url.render_as_string(hide_password=False))))


def _sqlite_engine(tmp_path: Path, factory: pytest.TempPathFactory) -> Engine:
    if _Initialised.sqlite_file is None:
        template = factory.mktemp("initialised") / "template.sqlite3"
        built = make_engine(f"sqlite:///{template}")
        _initialise(built)
        built.dispose()  # the last connection closing checkpoints the WAL into the file
        _Initialised.sqlite_file = template
    target = tmp_path / "test.sqlite3"
    shutil.copyfile(_Initialised.sqlite_file, target)
    return make_engine(f"sqlite:///{target}")


def _postgres_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None


def _postgres_engine() -> Engine:
    assert POSTGRES_URL
    engine = make_engine(POSTGRES_URL)
    if _Initialised.postgres_rows is None or _postgres_revision(engine) != _Initialised.postgres_revision:
        reset_postgres(POSTGRES_URL)
        _initialise(engine)
        tables = MetaData()
        tables.reflect(engine)
        with engine.connect() as connection:
            _Initialised.postgres_rows = {
                table.name: [dict(row) for row in connection.execute(table.select()).mappings()]
                for table in tables.sorted_tables
            }
        _Initialised.postgres_revision = _postgres_revision(engine)
        _Initialised.postgres_tables = tables
        return engine
    reflected = _Initialised.postgres_tables
    assert reflected is not None
    with engine.begin() as connection:
        # DELETE beats TRUNCATE on tables this small (no new files, no fsync per table).
        for table in reversed(reflected.sorted_tables):
            connection.execute(table.delete())
        for table in reflected.sorted_tables:
            rows = _Initialised.postgres_rows.get(table.name, [])
            if rows:
                connection.execute(table.insert(), rows)
            if "id" in table.c and table.c["id"].autoincrement and table.c["id"].primary_key:
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                        f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                    )
                )
    return engine


@pytest.fixture
def engine(backend: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database after `init`: schema, checklist, members and one open round."""
    built = _sqlite_engine(tmp_path, tmp_path_factory) if backend == "sqlite" else _postgres_engine()
    yield built
    built.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Point the app's settings at a temporary embedded database (the default, demo-loading one)."""
    monkeypatch.delenv("MCWG_DATABASE_URL", raising=False)
    monkeypatch.setenv("MCWG_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def external_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A database named by MCWG_DATABASE_URL: the app must never put demo data into it."""
    url = f"sqlite:///{tmp_path / 'external.sqlite3'}"
    monkeypatch.setenv("MCWG_DATABASE_URL", url)
    get_settings.cache_clear()
    # As `python -m mcwg_dashboard init` leaves it: schema, checklist, members, a round and the first admin.
    engine = make_engine(url)
    initialise(engine, get_settings())
    engine.dispose()
    yield url
    get_settings.cache_clear()
