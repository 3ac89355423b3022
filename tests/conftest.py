"""Shared fixtures: a fresh, initialised database per test, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
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
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database with no schema at all."""
    engine = make_engine(database_url(request.param, tmp_path))
    yield engine
    engine.dispose()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """A database after `init`: schema, checklist, members and one open round."""
    initialise(empty_engine, Settings(database_url=str(empty_engine.url.render_as_string(hide_password=False))))
    return empty_engine


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
