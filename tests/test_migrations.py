"""The schema comes from Alembic migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

from mcwg_dashboard.db import NewerSchema, has_schema, migrate
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


def test_spp_01_to_03_answers_become_deployment_profiles(empty_engine: Engine) -> None:
    from alembic import command

    from mcwg_dashboard.db import alembic_config

    command.upgrade(alembic_config(empty_engine), "0004")
    answers = [
        # France: A and B in production or pilot, C not planned; XDS-I.b and XCA-I used.
        (1, "SPP-01", "IMPL", ""),
        (1, "SPP-02", "PART", "two regions federated"),
        (1, "SPP-03", "NOPL", ""),
        (1, "SPP-04", "IMPL", ""),
        (1, "SPP-06", "VAR", "gateway variant"),
        (1, "KOS-07", "IMPL", "kept"),
        # Norway: nothing on SPP-01..03; its recorded architectures stand.
        (2, "KOS-07", "PLAN", ""),
    ]
    rows = [
        "INSERT INTO country (code, name, architectures_are_demo) VALUES ('FR', 'France', false)",
        "INSERT INTO country (code, name, architectures, architectures_are_demo) VALUES ('NO', 'Norway', 'C', false)",
        "INSERT INTO country (code, name, architectures_are_demo) VALUES ('DK', 'Denmark', false)",
        "INSERT INTO checklistversion (id, label, content_hash, loaded_at, definition) "
        "VALUES (1, '2024.05', 'h', '2024-01-01 00:00:00', '{}')",
        "INSERT INTO surveyround (id, name, opens_on, checklist_version_id, state, is_demo) "
        "VALUES (1, 'r1', '2025-03-01', 1, 'closed', false)",
        *(
            "INSERT INTO countrysurvey (id, round_id, country_code, state, version, is_demo, updated_at, "
            f"state_comment) VALUES ({i}, 1, '{code}', 'published', 3, false, '2025-04-01 00:00:00', '')"
            for i, code in ((1, "FR"), (2, "NO"), (3, "DK"))
        ),
        *(
            "INSERT INTO answer (survey_id, element_id, status, note, evidence_url, version, answered_by, "
            f"answered_at, needs_reconfirmation, carried_over, element_changed) VALUES ({survey}, '{element}', "
            f"'{status}', '{note}', '', 1, 'x', '2025-03-03 00:00:00', false, false, false)"
            for survey, element, status, note in answers
        ),
    ]
    with empty_engine.begin() as connection:
        for row in rows:
            connection.execute(text(row))
    migrate(empty_engine)
    with empty_engine.connect() as connection:
        profiles = {
            row.survey_id: row
            for row in connection.execute(
                text("SELECT survey_id, architectures, stacks, scope, note, version FROM deploymentprofile")
            )
        }
        kept = connection.execute(text("SELECT count(*) FROM answer")).scalar()
        audited = connection.execute(
            text("SELECT entity_key, actor FROM auditentry WHERE action = 'save_profile' ORDER BY entity_key")
        ).all()
    assert set(profiles) == {1, 2}, "Denmark said nothing about its architecture: no profile is invented"
    assert (profiles[1].architectures, profiles[1].stacks, profiles[1].scope) == ("A,B", "XDS-I.b,XCA-I", "national")
    assert "SPP-02 Partially implemented (two regions federated)" in profiles[1].note
    assert "SPP-03 Not planned" in profiles[1].note
    assert (profiles[2].architectures, profiles[2].stacks) == ("C", "")
    assert "recorded architectures" in profiles[2].note
    assert kept == len(answers), "nothing is lost: the answers stay"
    assert [tuple(a) for a in audited] == [("r1/FR", "migration 0005"), ("r1/NO", "migration 0005")]


def test_a_database_set_up_by_a_newer_version_is_refused_untouched(empty_engine: Engine) -> None:
    migrate(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(NewerSchema, match=r"newer version of the app \(schema revision 0099; this version knows up"):
        migrate(empty_engine)
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0099"
