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
    # ALTER TABLE … DROP COLUMN (SQLite 3.35 on), not batch mode: on SQLite a batch copies the table and
    # drops the old one, which foreign keys refuse while sessions, mails or attempts refer to its rows.
    op.drop_column('mentoring_sessions', 'mentee_version_at_change')
    op.drop_column('mentoring_sessions', 'mentor_version_at_change')
    op.drop_column('users', 'sessions_version')
