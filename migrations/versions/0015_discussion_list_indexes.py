"""annotations: indexes that answer the margin's and the section page's lists from the index

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 21:10:00.000000

The paper page counts and ranks every thread placed on a version, and counts the replies
of the threads it draws. `ix_annotations_placed` holds all a version's roots with what
deciding their visibility and their place in the text needs (status, author, offsets),
so that those reads stay in the index; `ix_annotations_root_id_status_author_id` does the
same for a thread's visible replies. Downgrading drops them; nothing else changes.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_annotations_placed',
        'annotations',
        ['version_id', 'parent_id', 'section_key', 'quote_start', 'quote_end', 'status',
         'author_id'],
    )
    op.create_index(
        'ix_annotations_root_id_status_author_id',
        'annotations',
        ['root_id', 'status', 'author_id'],
    )


def downgrade():
    op.drop_index('ix_annotations_root_id_status_author_id', table_name='annotations')
    op.drop_index('ix_annotations_placed', table_name='annotations')
