"""search index and service settings

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tripl_core.db.base

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The lexical index beside `search_documents` (names weigh more than the rest); see tripl_core/search/lexical.py.
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(names, body, extra, content='search_documents', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, names, body, extra) VALUES (new.id, new.names, new.body, new.extra); END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, names, body, extra) "
    "VALUES ('delete', old.id, old.names, old.body, old.extra); END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE OF names, body, extra ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, names, body, extra) "
    "VALUES ('delete', old.id, old.names, old.body, old.extra); "
    "INSERT INTO search_fts(rowid, names, body, extra) VALUES (new.id, new.names, new.body, new.extra); END",
]
POSTGRES_FTS = ("CREATE INDEX ix_search_documents_fts ON search_documents USING gin "
                "((setweight(to_tsvector('simple', names), 'A') || setweight(to_tsvector('simple', body), 'B') || "
                "setweight(to_tsvector('simple', extra), 'C')))")


def upgrade() -> None:
    op.create_table('search_documents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('branch_id', sa.Uuid(), nullable=False),
    sa.Column('doc_type', sa.String(length=16), nullable=False),
    sa.Column('entity_id', sa.Uuid(), nullable=False),
    sa.Column('event_type_id', sa.Uuid(), nullable=True),
    sa.Column('event_id', sa.Uuid(), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('names', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('extra', sa.Text(), nullable=False),
    sa.Column('snippet', sa.String(length=300), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('indexed_at', tripl_core.db.base.UTCDateTime(), nullable=False),
    sa.Column('embedding', sa.LargeBinary(), nullable=True),
    sa.Column('embedding_model', sa.String(length=200), nullable=True),
    sa.Column('embedded_hash', sa.String(length=64), nullable=True),
    sa.Column('embedded_at', tripl_core.db.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_search_documents_branch_id_branches'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                            name=op.f('fk_search_documents_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents')),
    sa.UniqueConstraint('branch_id', 'doc_type', 'entity_id', name=op.f('uq_search_documents_branch_id_doc_type_entity_id')),
    )
    op.create_index('ix_search_documents_event_type', 'search_documents', ['branch_id', 'event_type_id'])
    op.create_index('ix_search_documents_indexed', 'search_documents', ['branch_id', 'indexed_at'])
    op.create_index('ix_search_documents_embedded', 'search_documents', ['branch_id', 'embedded_at'])
    op.create_index(op.f('ix_search_documents_branch_id'), 'search_documents', ['branch_id'])
    op.create_index(op.f('ix_search_documents_project_id'), 'search_documents', ['project_id'])
    op.create_table('service_setting_overrides',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('secret_encrypted', sa.Text(), nullable=True),
    sa.Column('updated_at', tripl_core.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                            name=op.f('fk_service_setting_overrides_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_service_setting_overrides')),
    )
    if op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_FTS:
            op.execute(statement)
    else:
        op.execute(POSTGRES_FTS)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table('service_setting_overrides')
    op.drop_index(op.f('ix_search_documents_project_id'), table_name='search_documents')
    op.drop_index(op.f('ix_search_documents_branch_id'), table_name='search_documents')
    op.drop_index('ix_search_documents_embedded', table_name='search_documents')
    op.drop_index('ix_search_documents_indexed', table_name='search_documents')
    op.drop_index('ix_search_documents_event_type', table_name='search_documents')
    op.drop_table('search_documents')
