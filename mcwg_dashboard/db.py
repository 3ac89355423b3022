"""Engine factory, sessions and schema migrations (Alembic) for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, inspect, text
from sqlmodel import Session, create_engine

from mcwg_dashboard.config import PROJECT_ROOT


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        if ":///" in url and not url.endswith(":memory:"):
            Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        # Streamlit serves each session from its own thread, so connections cross threads.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["engine"] = engine
    return config


class NewerSchema(ValueError):
    """The database was set up by a newer version of the app: this one leaves it untouched."""


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration; refuse a database a newer version of the app set up
    (after a rollback to older code), rather than fail inside Alembic."""
    config = alembic_config(engine)
    scripts = ScriptDirectory.from_config(config)
    if has_schema(engine):
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        known = {script.revision for script in scripts.walk_revisions()}
        if stored is not None and stored not in known:
            raise NewerSchema(
                f"The database was set up by a newer version of the app (schema revision {stored}; this version "
                f"knows up to {scripts.get_current_head()}): run that version, or restore a backup taken before "
                "the upgrade into a new database."
            )
    command.upgrade(config, "head")


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
