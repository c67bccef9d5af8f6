"""ingest: source origin (trust) and first URL, feed item state

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import entrelignes.store.schema


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=16), nullable=False, server_default='config'))
        batch_op.add_column(sa.Column('added_url', sa.String(length=2000), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_sources_added_url'), ['added_url'], unique=False)
    op.create_table('feed_items',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('article_id', sa.String(length=32), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('first_seen_at', entrelignes.store.schema.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_attempt_at', entrelignes.store.schema.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('feed_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_items_source_id'), ['source_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('feed_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_items_source_id'))
    op.drop_table('feed_items')
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sources_added_url'))
        batch_op.drop_column('added_url')
        batch_op.drop_column('origin')
