"""Change counters for the live pages: each person's `sessions_version`, and on each session the
version of its mentor and of its mentee at its last change (meetapp.services.changes).

Revision ID: 0009_live_changes
Revises: 0008_declines_and_admin_log
Create Date: 2026-12-04 09:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0009_live_changes'
down_revision = '0008_declines_and_admin_log'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('sessions_version', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('mentoring_sessions') as batch_op:
        batch_op.add_column(sa.Column('mentor_version_at_change', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('mentee_version_at_change', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('mentoring_sessions') as batch_op:
        batch_op.drop_column('mentee_version_at_change')
        batch_op.drop_column('mentor_version_at_change')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('sessions_version')
