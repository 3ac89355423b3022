"""Backup of the embedded database and restore into an empty one: every row comes back; bad files are refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from mcwg_dashboard.backup import BackupError, backup, restore
from mcwg_dashboard.cli import main
from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.services.actors import CLI_ACTOR

TABLES = ["answer", "countrysurvey", "changeproposal", "proposalevent", "deploymentprofile", "user", "auditentry"]


def _rows(engine: Engine, table: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(f'SELECT * FROM "{table}" ORDER BY 1'))]


def test_a_backup_restored_into_an_empty_database_holds_every_row(
    isolated_settings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    out = tmp_path / "backup.sqlite3"
    assert main(["backup", "--out", str(out)]) == 0
    assert f"Backed up to {out}:" in capsys.readouterr().out
    source = make_engine(get_settings().effective_database_url)
    before = {table: _rows(source, table) for table in TABLES}
    source.dispose()
    assert len(before["answer"]) > 1000 and before["changeproposal"]
    assert before["auditentry"][-1][3:6] == ("backup", "database", "backup.sqlite3"), "the backup is audited"

    empty = tmp_path / "restored.sqlite3"
    target = make_engine(f"sqlite:///{empty}")
    restored = restore(out, target)
    after = {table: _rows(target, table) for table in TABLES}
    assert restored.answers == len(before["answer"])
    for table in TABLES[:-1]:
        assert after[table] == before[table], table
    assert after["auditentry"][:-1] == before["auditentry"]
    assert after["auditentry"][-1][3:6] == ("restore", "database", "backup.sqlite3")
    target.dispose()


def test_backup_never_overwrites_and_refuses_postgresql(engine: Engine, tmp_path: Path) -> None:
    out = tmp_path / "exists.sqlite3"
    out.write_bytes(b"mine")
    if engine.dialect.name == "sqlite":
        with pytest.raises(BackupError, match="never overwrites"):
            backup(engine, out, actor=CLI_ACTOR)
        assert out.read_bytes() == b"mine"
    else:
        with pytest.raises(BackupError, match="pg_dump --format=custom"):
            backup(engine, tmp_path / "new.sqlite3", actor=CLI_ACTOR)


def _restore_refused(source: Path, tmp_path: Path) -> str:
    target = make_engine(f"sqlite:///{tmp_path / 'target.sqlite3'}")
    try:
        with pytest.raises(BackupError) as caught:
            restore(source, target)
        with target.connect() as connection:
            assert not connection.execute(text("SELECT name FROM sqlite_master")).all(), "nothing was written"
    finally:
        target.dispose()
    return str(caught.value)


def test_restore_refuses_what_is_not_a_backup_or_is_from_a_newer_version(
    engine: Engine, tmp_path: Path, isolated_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("backups are of the embedded SQLite database")
    spreadsheet = tmp_path / "survey.xlsx"
    spreadsheet.write_bytes(b"PK\x03\x04 not a database")
    assert "not an SQLite database" in _restore_refused(spreadsheet, tmp_path)

    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    assert "has no schema revision" in _restore_refused(other, tmp_path)

    newer = tmp_path / "newer.sqlite3"
    backup(engine, newer, actor=CLI_ACTOR)
    with sqlite3.connect(newer) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    assert "made by a newer version of the app (schema revision 9999" in _restore_refused(newer, tmp_path)

    good = tmp_path / "good.sqlite3"
    backup(engine, good, actor=CLI_ACTOR)
    with pytest.raises(BackupError, match="not empty"):
        restore(good, engine)  # the live database
    assert main(["restore", str(spreadsheet)]) == 1
    assert capsys.readouterr().err.startswith("error: ")
