"""members can retire and bring their own map shape

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 20:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('country', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('shape', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('country', schema=None) as batch_op:
        batch_op.drop_column('shape')
        batch_op.drop_column('retired_on')
