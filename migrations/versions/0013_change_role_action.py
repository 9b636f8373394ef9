"""moderation log: admins' role changes are logged as "change_role"

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 18:45:00.000000

An admin who changes an account's role writes one row of the moderation log, with the
old and the new role as its states; the CHECK constraint of `moderation_log.action`
lists the new action. Downgrading removes those rows (no older action names them) and
the action with them: the log keeps no record of role changes before this revision.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


OLD_ACTIONS = ('approve', 'keep_published', 'reject', 'hide', 'restore', 'suspend',
               'reinstate', 'restrict', 'unrestrict')
NEW_ACTIONS = (*OLD_ACTIONS, 'change_role')
APPEND_ONLY_SQLITE = (
    "CREATE TRIGGER moderation_log_append_only BEFORE UPDATE ON moderation_log "
    "BEGIN SELECT RAISE(ABORT, 'moderation_log is append-only'); END"
)


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
    # The append-only triggers refuse updates only; removing rows needs no exception.
    op.execute("DELETE FROM moderation_log WHERE action = 'change_role'")
    _actions(OLD_ACTIONS)
