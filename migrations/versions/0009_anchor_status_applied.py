"""anchor status "applied": a suggestion whose proposed wording a later version took up

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 15:00:00.000000

The status is a VARCHAR with a CHECK constraint (`enum_column`), so the constraint is
replaced by one that admits the new value. Downgrading turns applied anchors into fuzzy
ones (their words differ from the quote, as a fuzzy anchor's do) before the narrower
constraint comes back.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD = ('exact', 'moved', 'fuzzy', 'orphaned')
NEW = ('exact', 'moved', 'fuzzy', 'applied', 'orphaned')


def _status(values):
    return sa.Enum(*values, name='anchor_status', native_enum=False, create_constraint=True, length=32)


def upgrade():
    with op.batch_alter_table('anchors', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=_status(OLD), type_=_status(NEW), existing_nullable=False)


def downgrade():
    op.execute("UPDATE anchors SET status = 'fuzzy' WHERE status = 'applied'")
    with op.batch_alter_table('anchors', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=_status(NEW), type_=_status(OLD), existing_nullable=False)
