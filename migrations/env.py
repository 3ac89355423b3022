"""Alembic environment: runs migrations on the engine handed over by mcwg_dashboard.db.migrate()."""

from alembic import context
from sqlmodel import SQLModel

import mcwg_dashboard.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import make_engine

config = context.config
target_metadata = SQLModel.metadata

engine = config.attributes.get("engine") or make_engine(get_settings().effective_database_url)
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
