"""change proposals, element_changed flag

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 20:58:30.923883
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing answers were never carried over onto a changed element.
    op.create_table('changeproposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('submitter_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('submitted_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('country_code', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=True),
    sa.Column('set_code', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('problem', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
    sa.Column('proposed_change', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
    sa.Column('rationale', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('focus_group', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('decision_reason', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('applied_version_id', sa.Integer(), nullable=True),
    sa.Column('external_body', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('external_reference', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('external_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('state_since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['applied_version_id'], ['checklistversion.id'], ),
    sa.ForeignKeyConstraint(['country_code'], ['country.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('changeproposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_changeproposal_number'), ['number'], unique=True)
        batch_op.create_index(batch_op.f('ix_changeproposal_state'), ['state'], unique=False)

    op.create_table('proposalelement',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('element_id', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['changeproposal.id'], ),
    sa.PrimaryKeyConstraint('proposal_id', 'element_id')
    )
    with op.batch_alter_table('proposalelement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposalelement_element_id'), ['element_id'], unique=False)

    op.create_table('proposalevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('from_state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('to_state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['changeproposal.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('proposalevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposalevent_proposal_id'), ['proposal_id'], unique=False)

    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('element_changed', sa.Boolean(), nullable=False, server_default=sa.false()))



def downgrade() -> None:
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_column('element_changed')

    with op.batch_alter_table('proposalevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposalevent_proposal_id'))

    op.drop_table('proposalevent')
    with op.batch_alter_table('proposalelement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposalelement_element_id'))

    op.drop_table('proposalelement')
    with op.batch_alter_table('changeproposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_changeproposal_state'))
        batch_op.drop_index(batch_op.f('ix_changeproposal_number'))

    op.drop_table('changeproposal')
