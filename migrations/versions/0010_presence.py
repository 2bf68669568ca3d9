"""Who really came: the providers' presence events, the finalised attendance reports and their
changes, each Zoom participant's own registration, the worker's reads of Google Meet records,
the no-show mail, and two things about people (an admin's no-show mails, a Google account id).

Revision ID: 0010_presence
Revises: 0009_live_changes
Create Date: 2026-12-04 13:51:36

"""
import sqlalchemy as sa
from alembic import op

revision = '0010_presence'
down_revision = '0009_live_changes'
branch_labels = None
depends_on = None

MAIL_KINDS_BEFORE = (
    'booking_request', 'confirmation', 'reschedule', 'new_link', 'cancellation', 'reminder',
    'email_confirmation', 'registration_attempt', 'password_reset', 'password_changed',
    'login_lockout', 'mentor_approved', 'mentor_suspended', 'request_sent', 'declined',
)


def _one_of(column, values):
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade():
    op.create_table('attendance_report_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('before', sa.String(length=80), nullable=False),
    sa.Column('after', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['mentoring_sessions.id'], name=op.f('fk_attendance_report_changes_session_id_mentoring_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_report_changes'))
    )
    with op.batch_alter_table('attendance_report_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_report_changes_session_id'), ['session_id'], unique=False)

    op.create_table('attendance_reports',
    sa.Column('session_id', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('mentor_state', sa.String(length=24), nullable=False),
    sa.Column('mentee_state', sa.String(length=24), nullable=False),
    sa.Column('minutes_together', sa.Integer(), nullable=False),
    sa.Column('presence_source', sa.String(length=8), nullable=True),
    sa.Column('finalised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['mentoring_sessions.id'], name=op.f('fk_attendance_reports_session_id_mentoring_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_attendance_reports'))
    )
    with op.batch_alter_table('attendance_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_reports_finalised_at'), ['finalised_at'], unique=False)

    op.create_table('presence_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('participant_key', sa.String(length=255), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('display_name', sa.String(length=120), nullable=True),
    sa.Column('delivery_key', sa.String(length=255), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind = 'ended' OR participant_key IS NOT NULL", name=op.f('ck_presence_events_presence_has_participant')),
    sa.CheckConstraint("kind IN ('joined', 'left', 'ended')", name=op.f('ck_presence_events_presence_kind_known')),
    sa.CheckConstraint("source IN ('jitsi', 'jaas', 'zoom', 'google')", name=op.f('ck_presence_events_presence_source_known')),
    sa.CheckConstraint('user_id IS NULL OR display_name IS NULL', name=op.f('ck_presence_events_presence_name_only_if_unmatched')),
    sa.ForeignKeyConstraint(['session_id'], ['mentoring_sessions.id'], name=op.f('fk_presence_events_session_id_mentoring_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_presence_events_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presence_events')),
    sa.UniqueConstraint('delivery_key', name=op.f('uq_presence_events_delivery_key'))
    )
    with op.batch_alter_table('presence_events', schema=None) as batch_op:
        batch_op.create_index('ix_presence_events_received_at', ['received_at'], unique=False)
        batch_op.create_index('ix_presence_events_session_id_at', ['session_id', 'at'], unique=False)

    op.create_table('presence_fetches',
    sa.Column('session_id', sa.String(length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['mentoring_sessions.id'], name=op.f('fk_presence_fetches_session_id_mentoring_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_presence_fetches'))
    )
    with op.batch_alter_table('presence_fetches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_presence_fetches_next_attempt_at'), ['next_attempt_at'], unique=False)

    op.create_table('zoom_registrants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.String(length=255), nullable=False),
    sa.Column('registrant_id', sa.String(length=255), nullable=False),
    sa.Column('join_url', sa.String(length=2048), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['mentoring_sessions.id'], name=op.f('fk_zoom_registrants_session_id_mentoring_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_zoom_registrants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zoom_registrants')),
    sa.UniqueConstraint('session_id', 'user_id', 'meeting_id', name='uq_zoom_registrant')
    )
    with op.batch_alter_table('zoom_registrants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zoom_registrants_registrant_id'), ['registrant_id'], unique=False)

    # Plain ADD COLUMN and CREATE INDEX: a batch would copy `users`, which every other table refers to.
    op.add_column('users', sa.Column('mail_no_shows', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('users', sa.Column('google_account_id', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_users_google_account_id'), 'users', ['google_account_id'], unique=True)
    # The presence webhooks find a session by its Jitsi room or its Zoom meeting id.
    op.create_index('ix_mentoring_sessions_meeting_room', 'mentoring_sessions', ['meeting_room'], unique=False)
    op.create_index(
        'ix_mentoring_sessions_meeting_external_id', 'mentoring_sessions', ['meeting_external_id'], unique=False
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_mail_kind'), type_='check')
        batch_op.create_check_constraint('mail_kind', _one_of('kind', (*MAIL_KINDS_BEFORE, 'no_show')))


def downgrade():
    op.execute("DELETE FROM outbox WHERE kind = 'no_show'")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_mail_kind'), type_='check')
        batch_op.create_check_constraint('mail_kind', _one_of('kind', MAIL_KINDS_BEFORE))
    op.drop_index('ix_mentoring_sessions_meeting_external_id', table_name='mentoring_sessions')
    op.drop_index('ix_mentoring_sessions_meeting_room', table_name='mentoring_sessions')
    op.drop_index(op.f('ix_users_google_account_id'), table_name='users')
    op.drop_column('users', 'google_account_id')
    op.drop_column('users', 'mail_no_shows')
    with op.batch_alter_table('zoom_registrants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zoom_registrants_registrant_id'))

    op.drop_table('zoom_registrants')
    with op.batch_alter_table('presence_fetches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_presence_fetches_next_attempt_at'))

    op.drop_table('presence_fetches')
    with op.batch_alter_table('presence_events', schema=None) as batch_op:
        batch_op.drop_index('ix_presence_events_session_id_at')
        batch_op.drop_index('ix_presence_events_received_at')

    op.drop_table('presence_events')
    with op.batch_alter_table('attendance_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_reports_finalised_at'))

    op.drop_table('attendance_reports')
    with op.batch_alter_table('attendance_report_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_report_changes_session_id'))

    op.drop_table('attendance_report_changes')
