"""late data: a scan config's data delay, set by users or learnt by the collections

Revision ID: 0013
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('scan_configs') as batch:
        batch.add_column(sa.Column('data_delay_minutes', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('learnt_data_delay_minutes', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('scan_configs') as batch:
        batch.drop_column('learnt_data_delay_minutes')
        batch.drop_column('data_delay_minutes')
