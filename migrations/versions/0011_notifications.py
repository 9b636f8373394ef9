"""notifications: notifications, settings per kind, follows

Notifications store what they point at by type and id, never the words; settings hold an
account's e-mail choice per kind (no row: the kind's default); a follow names a paper, a
section of it by key, or a glossary term, with `target_key` unique per account.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 17:37:24.372685

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('reply', 'answer', 'moderation', 'new_version', 'followed', name='notification_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('delivery', sa.Enum('immediate', 'digest', 'off', name='notification_delivery', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_settings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_settings')),
    sa.UniqueConstraint('user_id', 'kind', name=op.f('uq_notification_settings_user_id_kind'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('reply', 'answer', 'moderation', 'new_version', 'followed', name='notification_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('target_type', sa.Enum('annotation', 'proposal', 'comment', 'term', 'version', name='notification_target', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('digest_due', sa.Boolean(), nullable=False),
    sa.Column('mailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_notifications_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_digest_due_user_id', ['digest_due', 'user_id'], unique=False)
        batch_op.create_index('ix_notifications_user_id_id', ['user_id', 'id'], unique=False)
        batch_op.create_index('ix_notifications_user_id_read_at', ['user_id', 'read_at'], unique=False)

    op.create_table('follows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('target_type', sa.Enum('paper', 'section', 'term', name='follow_target', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('target_key', sa.String(length=160), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=True),
    sa.Column('section_key', sa.String(length=100), nullable=True),
    sa.Column('term_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], name=op.f('fk_follows_paper_id_papers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['term_id'], ['terms.id'], name=op.f('fk_follows_term_id_terms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_follows_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follows')),
    sa.UniqueConstraint('user_id', 'target_key', name=op.f('uq_follows_user_id_target_key'))
    )
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.create_index('ix_follows_paper_id_section_key', ['paper_id', 'section_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_follows_term_id'), ['term_id'], unique=False)



def downgrade():
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follows_term_id'))
        batch_op.drop_index('ix_follows_paper_id_section_key')

    op.drop_table('follows')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_id_read_at')
        batch_op.drop_index('ix_notifications_user_id_id')
        batch_op.drop_index('ix_notifications_digest_due_user_id')

    op.drop_table('notifications')
    op.drop_table('notification_settings')
