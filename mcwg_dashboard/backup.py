"""Backups of the embedded SQLite database, and restoring one into an empty database.

SQLite's online backup API copies a consistent database while the app runs (readers and writers wait only for the
pages being copied). PostgreSQL has its own well-kept tools: `pg_dump --format=custom` and `pg_restore`; the
commands here say so rather than imitate them. A backup holds its Alembic revision: a restore refuses a backup
made by a newer version of the app, and upgrades an older one with the migrations.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, select
from sqlmodel import Session

from mcwg_dashboard.config import PROJECT_ROOT
from mcwg_dashboard.db import make_engine, migrate
from mcwg_dashboard.models import Answer, AuditEntry, ChangeProposal, CountrySurvey
from mcwg_dashboard.services import audit
from mcwg_dashboard.services.actors import CLI_ACTOR, Actor, require_admin
from mcwg_dashboard.services.transaction import transaction

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HINT = (
    "backups of a PostgreSQL database are made with PostgreSQL's own tools: "
    "`pg_dump --format=custom --file=mcwg.dump DBNAME`, restored with `pg_restore --dbname=DBNAME mcwg.dump` "
    "(see the README's Deployment section)."
)


class BackupError(ValueError):
    """A backup or restore that was refused; nothing was written."""


@dataclass(frozen=True)
class Contents:
    revision: str
    answers: int
    surveys: int
    proposals: int
    audit_entries: int

    def describe(self) -> str:
        return (
            f"{self.answers} answers, {self.surveys} surveys, {self.proposals} change proposals, "
            f"{self.audit_entries} audit entries; schema revision {self.revision}"
        )


def contents(engine: Engine) -> Contents:
    with Session(engine) as session:

        def count(model: type) -> int:
            return int(session.execute(select(func.count()).select_from(model)).scalar_one())

        revision = session.connection().exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
        return Contents(str(revision), count(Answer), count(CountrySurvey), count(ChangeProposal), count(AuditEntry))


def backup(engine: Engine, out: Path, *, actor: Actor) -> Contents:
    """Copy the whole database to `out` (a new file), audited in the database and therefore in the copy."""
    if engine.dialect.name != "sqlite":
        raise BackupError(f"backup works on the embedded SQLite database; {PG_DUMP_HINT}")
    if out.exists():
        raise BackupError(f"{out} exists already: a backup never overwrites a file; choose a new name.")
    if not out.parent.is_dir():
        raise BackupError(f"the folder {out.parent} does not exist.")
    with Session(engine) as session:
        require_admin(session, actor)
        with transaction(session):
            audit.record(
                session,
                actor=actor,
                action="backup",
                entity="database",
                entity_key=out.name[:120],
                before=None,
                after=None,
            )
    raw = engine.raw_connection()
    target = sqlite3.connect(out)
    try:
        raw.driver_connection.backup(target)  # type: ignore[union-attr]
    finally:
        target.close()
        raw.close()
    return contents_of_file(out)


def contents_of_file(path: Path) -> Contents:
    engine = make_engine(f"sqlite:///{path}")
    try:
        return contents(engine)
    finally:
        engine.dispose()


def restore(source: Path, engine: Engine, *, actor: Actor = CLI_ACTOR) -> Contents:
    """Copy a backup into an empty embedded database, upgrade it to this version's schema, and audit the restore."""
    if engine.dialect.name != "sqlite":
        raise BackupError(f"restore works into the embedded SQLite database; {PG_DUMP_HINT}")
    revision = _checked_backup(source)
    if inspect(engine).get_table_names():
        raise BackupError(
            "the database to restore into is not empty: restore only into a new, empty database (move the old "
            "file aside first, or point MCWG_DATA_DIR / MCWG_DATABASE_URL at a new one)."
        )
    copy = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    raw = engine.raw_connection()
    try:
        copy.backup(raw.driver_connection)  # type: ignore[arg-type]
    finally:
        raw.close()
        copy.close()
    migrate(engine)  # a backup from an older version gets this version's schema
    with Session(engine) as session, transaction(session):
        audit.record(
            session,
            actor=actor,
            action="restore",
            entity="database",
            entity_key=source.name[:120],
            before=None,
            after={"from_revision": revision},
        )
    return contents(engine)


def _checked_backup(source: Path) -> str:
    """The backup's schema revision, or BackupError: not a file, not SQLite, not ours, or from a newer version."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file.")
    with source.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"{source} is not a backup of this app: it is not an SQLite database.")
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as connection:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        raise BackupError(f"{source} is not a backup of this app: it has no schema revision.") from None
    if row is None:
        raise BackupError(f"{source} is not a backup of this app: it has no schema revision.")
    revision = str(row[0])
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    scripts = ScriptDirectory.from_config(config)
    if revision not in {script.revision for script in scripts.walk_revisions()}:
        raise BackupError(
            f"{source} was made by a newer version of the app (schema revision {revision}; this version knows up "
            f"to {scripts.get_current_head()}): upgrade the app first."
        )
    return revision
