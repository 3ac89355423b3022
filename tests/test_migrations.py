"""The schema comes from Alembic migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
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


def test_upgrade_keeps_answers_given_before_it(empty_engine: Engine) -> None:
    from alembic import command

    from mcwg_dashboard.db import alembic_config

    command.upgrade(alembic_config(empty_engine), "0001")
    rows = [
        "INSERT INTO country (code, name, architectures_are_demo) VALUES ('FR', 'France', false)",
        "INSERT INTO checklistversion (id, label, content_hash, loaded_at, definition) "
        "VALUES (1, 'v1', 'h', '2024-01-01 00:00:00', '{}')",
        "INSERT INTO surveyround (id, name, opens_on, checklist_version_id, state, is_demo) "
        "VALUES (1, 'r1', '2024-01-01', 1, 'open', false)",
        "INSERT INTO countrysurvey (id, round_id, country_code, state, version, is_demo, updated_at) "
        "VALUES (1, 1, 'FR', 'draft', 1, false, '2024-01-02 00:00:00')",
        "INSERT INTO answer (id, survey_id, element_id, status, note, evidence_url, version, answered_by, "
        "answered_at, needs_reconfirmation) VALUES (1, 1, 'SPP-01', 'IMPL', 'kept', '', 1, 'x', "
        "'2024-01-03 00:00:00', false)",
    ]
    with empty_engine.begin() as connection:
        for row in rows:
            connection.execute(text(row))
    migrate(empty_engine)
    with empty_engine.connect() as connection:
        answer = connection.execute(text("SELECT note, carried_over FROM answer WHERE id = 1")).one()
        comment = connection.execute(text("SELECT state_comment FROM countrysurvey WHERE id = 1")).scalar()
    assert answer.note == "kept"
    assert answer.carried_over in (False, 0)
    assert comment == ""
