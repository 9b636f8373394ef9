"""users: the interface language an account chose

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 00:10:00.000000

`users.locale` holds the language of the account's pages and mail ("fr", "de", "en_GB");
empty until the account chooses one, when the browser's language applies. Downgrading
drops the column and with it the choices.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('locale', sa.String(length=16), nullable=True))


def downgrade():
    """Dropped in place: rebuilding `users` on SQLite (batch mode) would drop the old table
    with foreign keys on, and with it every row that cascades from an account."""
    op.execute('ALTER TABLE users DROP COLUMN locale')
