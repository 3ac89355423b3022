"""vendors, products, integration statements and product surveys

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 20:23:48.990490
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('vendor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('contact_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('contact_email', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('product_type', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('statement_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('statement_date', sa.Date(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendor.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('vendor_id', 'name', 'version')
    )
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('connectathonresult',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('profile', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('product_id', 'year', 'profile', 'actor')
    )
    with op.batch_alter_table('connectathonresult', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connectathonresult_product_id'), ['product_id'], unique=False)

    op.create_table('integrationstatementline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('profile', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('option', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('product_id', 'profile', 'actor', 'option')
    )
    with op.batch_alter_table('integrationstatementline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integrationstatementline_product_id'), ['product_id'], unique=False)

    op.create_table('productsurvey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('checklist_version_id', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('submitted_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('validated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('validated_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('published_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('state_comment', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['checklist_version_id'], ['checklistversion.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('product_id', 'checklist_version_id')
    )
    with op.batch_alter_table('productsurvey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_productsurvey_product_id'), ['product_id'], unique=False)

    op.create_table('productanswer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('element_id', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('release', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('evidence', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('answered_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('answered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['productsurvey.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('survey_id', 'element_id')
    )
    with op.batch_alter_table('productanswer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_productanswer_survey_id'), ['survey_id'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vendor_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_user_vendor_id_vendor', 'vendor', ['vendor_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint('fk_user_vendor_id_vendor', type_='foreignkey')
        batch_op.drop_column('vendor_id')

    with op.batch_alter_table('productanswer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_productanswer_survey_id'))

    op.drop_table('productanswer')
    with op.batch_alter_table('productsurvey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_productsurvey_product_id'))

    op.drop_table('productsurvey')
    with op.batch_alter_table('integrationstatementline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integrationstatementline_product_id'))

    op.drop_table('integrationstatementline')
    with op.batch_alter_table('connectathonresult', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connectathonresult_product_id'))

    op.drop_table('connectathonresult')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_vendor_id'))

    op.drop_table('product')
    op.drop_table('vendor')
