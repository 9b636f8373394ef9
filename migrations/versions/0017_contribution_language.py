"""contributions: the language each is written in

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 23:50:00.000000

Annotations (and replies), definition proposals, their comments and the editors' answers
to threads record the BCP 47 primary tag of the language their text is in, so that pages
mark it with `lang` for screen readers. Rows written before are English, the only
language the site offered. Downgrading drops the columns.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


TABLES = ('annotations', 'definition_proposals', 'proposal_comments', 'dispositions')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('language', sa.String(length=8), nullable=False, server_default='en')
            )


def downgrade():
    """The column is dropped in place: rebuilding a table on SQLite (batch mode) would drop
    the old one with foreign keys on, and with it the rows that cascade from it."""
    for table in reversed(TABLES):
        op.execute(f'ALTER TABLE {table} DROP COLUMN language')
