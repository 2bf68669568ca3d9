"""Declined sessions, the mentee's "declined" mail, the log of admin actions, and built-in
session types that fit one-to-one sessions.

Revision ID: 0008_declines_and_admin_log
Revises: 0007_request_sent_mail
Create Date: 2026-12-04 03:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0008_declines_and_admin_log'
down_revision = '0007_request_sent_mail'
branch_labels = None
depends_on = None

MAIL_KINDS_BEFORE = (
    'booking_request', 'confirmation', 'reschedule', 'new_link', 'cancellation', 'reminder',
    'email_confirmation', 'registration_attempt', 'password_reset', 'password_changed',
    'login_lockout', 'mentor_approved', 'mentor_suspended', 'request_sent',
)
STATUSES_BEFORE = ('pending', 'confirmed', 'cancelled')
# Built-in session types renamed: old name, old windows -> new name, new windows. A type an admin
# has changed keeps its windows; one whose new name is taken already is left alone.
RENAMED_TYPES = (
    ('Group therapy', (30, 60), 'Extended session', (15, 30)),
    ('Emergency consultation', (60, 120), 'Follow-up', (10, 15)),
)


def _rename_types(renames):
    for old, (old_early, old_late), new, (early, late) in renames:
        taken = f"NOT EXISTS (SELECT 1 FROM session_types AS other WHERE other.name = '{new}')"
        op.execute(
            f"UPDATE session_types SET early_access_minutes = {early}, late_access_minutes = {late}"
            f" WHERE name = '{old}' AND early_access_minutes = {old_early} AND late_access_minutes = {old_late}"
            f" AND {taken}"
        )
        op.execute(f"UPDATE session_types SET name = '{new}' WHERE name = '{old}' AND {taken}")


def _one_of(column, values):
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade():
    with op.batch_alter_table('mentoring_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mentoring_sessions_session_status'), type_='check')
        batch_op.create_check_constraint('session_status', _one_of('status', (*STATUSES_BEFORE, 'declined')))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_mail_kind'), type_='check')
        batch_op.create_check_constraint('mail_kind', _one_of('kind', (*MAIL_KINDS_BEFORE, 'declined')))
    op.create_table(
        'admin_actions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('admin_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=80), nullable=False),
        sa.Column('detail', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['admin_id'], ['users.id'], name=op.f('fk_admin_actions_admin_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_actions')),
    )
    with op.batch_alter_table('admin_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_actions_at'), ['at'], unique=False)
    _rename_types(RENAMED_TYPES)


def downgrade():
    _rename_types((new, windows, old, old_windows) for old, old_windows, new, windows in RENAMED_TYPES)
    with op.batch_alter_table('admin_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_actions_at'))
    op.drop_table('admin_actions')
    op.execute("DELETE FROM outbox WHERE kind = 'declined'")
    # A declined session was a request that ended: down here it reads as a cancelled one.
    op.execute("UPDATE mentoring_sessions SET status = 'cancelled' WHERE status = 'declined'")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_mail_kind'), type_='check')
        batch_op.create_check_constraint('mail_kind', _one_of('kind', MAIL_KINDS_BEFORE))
    with op.batch_alter_table('mentoring_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mentoring_sessions_session_status'), type_='check')
        batch_op.create_check_constraint('session_status', _one_of('status', STATUSES_BEFORE))
