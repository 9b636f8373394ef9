"""page revisions: counters that move whenever what a paper's public pages show changes

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 21:00:00.000000

One row per paper (`scope` = the paper's id) and one for the whole site (`scope` 0):
`revision`, raised in the transaction of every change that shows on those pages, and
`changed_at`. The pages cached for anonymous readers and their ETags are keyed on them
(`app.core.revisions`). The upgrade starts a row for each paper already stored and for the
site, so that their pages can be cached from the first request.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'page_revisions',
        sa.Column('scope', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('scope', name=op.f('pk_page_revisions')),
    )
    op.execute(
        "INSERT INTO page_revisions (scope, revision, changed_at) "
        "SELECT 0, 1, CURRENT_TIMESTAMP UNION ALL "
        "SELECT id, 1, CURRENT_TIMESTAMP FROM papers"
    )


def downgrade():
    op.drop_table('page_revisions')
