"""moderation log: "keep published" is an action of its own

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 15:00:00.000000

A moderator who keeps a flagged published item published was logged as "approve"; the
action now has its name, and the CHECK constraint of `moderation_log.action` lists it.
Downgrading turns such rows back into "approve", the name they had before: the
append-only trigger is lifted for that one statement.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


OLD_ACTIONS = ('approve', 'reject', 'hide', 'restore', 'suspend', 'reinstate', 'restrict',
               'unrestrict')
NEW_ACTIONS = ('approve', 'keep_published', 'reject', 'hide', 'restore', 'suspend',
               'reinstate', 'restrict', 'unrestrict')
APPEND_ONLY_SQLITE = (
    "CREATE TRIGGER moderation_log_append_only BEFORE UPDATE ON moderation_log "
    "BEGIN SELECT RAISE(ABORT, 'moderation_log is append-only'); END"
)
BACK_TO_APPROVE = "UPDATE moderation_log SET action = 'approve' WHERE action = 'keep_published'"


def _actions(actions):
    """Let log rows name the given actions (a new CHECK constraint).

    On SQLite the table is rebuilt, which drops the log's append-only trigger: it is
    made again."""
    listed = ", ".join(f"'{action}'" for action in actions)
    with op.batch_alter_table('moderation_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_moderation_log_moderation_action'), type_='check')
        batch_op.create_check_constraint('moderation_action', f"action IN ({listed})")
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS moderation_log_append_only")
        op.execute(APPEND_ONLY_SQLITE)


def upgrade():
    _actions(NEW_ACTIONS)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE moderation_log DISABLE TRIGGER moderation_log_append_only")
        op.execute(BACK_TO_APPROVE)
        op.execute("ALTER TABLE moderation_log ENABLE TRIGGER moderation_log_append_only")
    else:
        op.execute("DROP TRIGGER IF EXISTS moderation_log_append_only")
        op.execute(BACK_TO_APPROVE)
    _actions(OLD_ACTIONS)
