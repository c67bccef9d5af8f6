"""web: editors, API tokens, full-text search over articles

Revision ID: 0003
Revises: 0002

SQLite: an FTS5 table `article_search` (article id + title + text, accents folded) kept in step
with `articles` by triggers; its rowid mirrors the article's rowid. A later migration that
rebuilds `articles` in batch mode drops those triggers: `store.search.ensure_search_index`
recreates them (and refills the index) when the web app starts.
PostgreSQL: a GIN index on the `simple` text search vector of title and text.
An index on articles (outlet, published_at) serves the outlet pages.
"""
from alembic import op
import sqlalchemy as sa
import entrelignes.store.schema


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', entrelignes.store.schema.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', entrelignes.store.schema.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', entrelignes.store.schema.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', entrelignes.store.schema.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index('ix_articles_outlet_published', 'articles', ['outlet', 'published_at'], unique=False)
    from entrelignes.store.search import create_search_index

    create_search_index(op.get_bind())


def downgrade() -> None:
    from entrelignes.store.search import drop_search_index

    drop_search_index(op.get_bind())
    op.drop_index('ix_articles_outlet_published', table_name='articles')
    op.drop_table('api_tokens')
    op.drop_table('users')
