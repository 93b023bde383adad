"""jobs: windows, retries and resolutions; audit log looked up by target

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tripl_core.db.base

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_from', tripl_core.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('time_to', tripl_core.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('retry_of_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('resolution', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', tripl_core.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('resolved_by_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_jobs_retry_of_id_jobs'), 'jobs', ['retry_of_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_jobs_resolved_by_id_users'), 'users', ['resolved_by_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_jobs_retry_of_id'), ['retry_of_id'], unique=False)
        batch_op.create_index('ix_jobs_created_at', ['created_at'], unique=False)
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_target', ['target_type', 'target_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_target')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_created_at')
        batch_op.drop_index(batch_op.f('ix_jobs_retry_of_id'))
        batch_op.drop_constraint(batch_op.f('fk_jobs_resolved_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_jobs_retry_of_id_jobs'), type_='foreignkey')
        batch_op.drop_column('resolved_by_id')
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('resolution')
        batch_op.drop_column('retry_of_id')
        batch_op.drop_column('time_to')
        batch_op.drop_column('time_from')
