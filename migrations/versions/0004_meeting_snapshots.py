"""meeting snapshots: the answers of a round frozen at a plenary (read-only)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 21:09:06.286608
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('meetingsnapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('meeting_date', sa.Date(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('round_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('states', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('answer_count', sa.Integer(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('meetingsnapshot')
