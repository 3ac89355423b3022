"""deployment profiles per member and round; answer stage and regions; SPP-01..03 answers become profiles

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 22:50:00

SPP-01, SPP-02 and SPP-03 asked which architecture (A, B, C) a member runs: a profile, not an adoption item.
Each survey that answered them, or whose member had architectures recorded, gets a deployment profile: an
architecture counts as run when it was answered Implemented, Implemented - variant or Partially implemented; the
stacks likewise from SPP-04 (XDS-I.b), SPP-05 (MHD) and SPP-06 (XCA-I) where the deck's pairing allows them.
The answers themselves stay where they are (nothing is lost); the profile's note quotes them, and an audit entry
records each profile made.
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNS = ('IMPL', 'VAR', 'PART')
ARCHITECTURE_ELEMENTS = {'SPP-01': 'A', 'SPP-02': 'B', 'SPP-03': 'C'}
# Stack -> (element that asked about it, architectures the deck pairs it with).
STACK_ELEMENTS = {'XDS-I.b': ('SPP-04', 'AC'), 'MHD': ('SPP-05', 'ABC'), 'XCA-I': ('SPP-06', 'B')}
LABELS = {
    'IMPL': 'Implemented', 'VAR': 'Implemented – variant', 'PART': 'Partially implemented', 'PLAN': 'Planned',
    'CONS': 'Under consideration', 'NOPL': 'Not planned', 'NA': 'Not applicable', 'UNK': 'Unknown / not answered',
}


def upgrade() -> None:
    op.create_table('deploymentprofile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('architectures', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('stacks', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('repositories', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('regions', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('carried_over', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['countrysurvey.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('survey_id')
    )
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default='')
        )
        batch_op.add_column(
            sa.Column('regions', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False, server_default='')
        )
    _profiles_from_answers()


def _profiles_from_answers() -> None:
    connection = op.get_bind()
    asked = (*ARCHITECTURE_ELEMENTS, *(element for element, _ in STACK_ELEMENTS.values()))
    answers: dict[int, dict[str, tuple[str, str]]] = {}
    for survey_id, element_id, status, note in connection.execute(
        sa.text('SELECT survey_id, element_id, status, note FROM answer WHERE element_id IN :ids').bindparams(
            sa.bindparam('ids', expanding=True)
        ),
        {'ids': list(asked)},
    ):
        answers.setdefault(survey_id, {})[element_id] = (status, note)
    surveys = connection.execute(
        sa.text(
            'SELECT s.id, s.country_code, r.name, c.architectures FROM countrysurvey s '
            'JOIN surveyround r ON r.id = s.round_id JOIN country c ON c.code = s.country_code ORDER BY s.id'
        )
    ).all()
    now = dt.datetime.now(dt.UTC)
    for survey_id, country_code, round_name, country_architectures in surveys:
        given = answers.get(survey_id, {})
        spp = {e: given[e] for e in ARCHITECTURE_ELEMENTS if e in given}
        if not spp and not country_architectures:
            continue
        runs = [arch for element, arch in ARCHITECTURE_ELEMENTS.items() if spp.get(element, ('', ''))[0] in RUNS]
        source = 'answers to SPP-01..03'
        if not runs and country_architectures:
            runs = sorted(set(country_architectures.split(',')) & set('ABC'))
            source = "the member's recorded architectures"
        stacks = [
            stack
            for stack, (element, pairs) in STACK_ELEMENTS.items()
            if given.get(element, ('', ''))[0] in RUNS and set(runs) & set(pairs)
        ]
        quoted = '; '.join(
            f"{element} {LABELS.get(status, status)}" + (f" ({note.strip()})" if note.strip() else '')
            for element, (status, note) in sorted(spp.items())
        )
        note = f"Made by the checklist update of December 2026 from {source}."
        if quoted:
            note += f" This round's answers were: {quoted}."
        values = {
            'survey_id': survey_id,
            'architectures': ','.join(runs),
            'stacks': ','.join(stacks),
            'repositories': '',
            'scope': 'national',
            'regions': '',
            'note': note[:2000],
            'version': 1,
            'carried_over': False,
            'updated_by': 'migration 0005',
            'updated_at': now,
        }
        connection.execute(
            sa.text(
                'INSERT INTO deploymentprofile (survey_id, architectures, stacks, repositories, scope, regions, note, '
                'version, carried_over, updated_by, updated_at) VALUES (:survey_id, :architectures, :stacks, '
                ':repositories, :scope, :regions, :note, :version, :carried_over, :updated_by, :updated_at)'
            ),
            values,
        )
        after = {k: values[k] for k in ('architectures', 'stacks', 'scope', 'note')}
        connection.execute(
            sa.text(
                'INSERT INTO auditentry (at, actor, action, entity, entity_key, before, after) '
                'VALUES (:at, :actor, :action, :entity, :entity_key, NULL, :after)'
            ).bindparams(sa.bindparam('after', type_=sa.JSON)),
            {
                'at': now,
                'actor': 'migration 0005',
                'action': 'save_profile',
                'entity': 'deploymentprofile',
                'entity_key': f'{round_name}/{country_code}',
                'after': after,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_column('regions')
        batch_op.drop_column('stage')
    op.drop_table('deploymentprofile')
