"""sign-in throttle per client and username instead of an account lock

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # An account lock let anyone keep a known account shut and told which usernames exist; the counts now
    # belong to the client (services/sign_in_throttle.py). Pending locks end with the upgrade.
    op.create_table('signinthrottle',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('blocked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('signinthrottle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signinthrottle_client'), ['client'], unique=False)
        batch_op.create_index(batch_op.f('ix_signinthrottle_username'), ['username'], unique=False)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_attempts')


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table('signinthrottle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signinthrottle_username'))
        batch_op.drop_index(batch_op.f('ix_signinthrottle_client'))
    op.drop_table('signinthrottle')
