"""stories: story_state, the clusterer's saved open window

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
import entrelignes.store.schema


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('story_state',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('saved_at', entrelignes.store.schema.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('story_state')
