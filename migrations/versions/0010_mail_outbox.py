"""mail outbox: every e-mail stored before it is handed to the mail server, and retried

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 17:40:00.000000

Mail queued before this revision lived only in the memory of the process that made it,
so there is nothing to carry over; downgrading drops the table and what it still holds.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outgoing_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('message', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'failed', name='mail_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_mail')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outgoing_mail_message_id'))
    )
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_mail_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_outgoing_mail_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)



def downgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_index('ix_outgoing_mail_status_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_outgoing_mail_created_at'))

    op.drop_table('outgoing_mail')
