"""Accounts, session types (with the four built-in ones), mentoring sessions, API tokens, attendance.

Revision ID: 0001_initial_schema
Revises: 
Create Date: 2026-11-21 05:26:07.166549

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0001_initial_schema'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    session_types = op.create_table('session_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('default_duration_minutes', sa.Integer(), nullable=False),
    sa.Column('early_access_minutes', sa.Integer(), nullable=True),
    sa.Column('late_access_minutes', sa.Integer(), nullable=True),
    sa.CheckConstraint('default_duration_minutes BETWEEN 15 AND 240', name=op.f('ck_session_types_duration_range')),
    sa.CheckConstraint('early_access_minutes >= 0', name=op.f('ck_session_types_early_not_negative')),
    sa.CheckConstraint('late_access_minutes >= 0', name=op.f('ck_session_types_late_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_types')),
    sa.UniqueConstraint('name', name=op.f('uq_session_types_name'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.Enum('mentor', 'mentee', 'admin', name='user_role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('mentor_profiles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('video_provider', sa.String(length=16), server_default='jitsi', nullable=False),
    sa.Column('manual_meeting_url', sa.String(length=2048), nullable=True),
    sa.Column('auto_confirm', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('schedule_version', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint("video_provider IN ('jitsi', 'google', 'zoom', 'manual')", name=op.f('ck_mentor_profiles_video_provider_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mentor_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_mentor_profiles'))
    )
    op.create_table('mentoring_sessions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('session_type_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'confirmed', 'cancelled', name='session_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('link_version', sa.Integer(), nullable=False),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_mentoring_sessions_ends_after_start')),
    sa.CheckConstraint('link_version >= 1', name=op.f('ck_mentoring_sessions_link_version_positive')),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_mentoring_sessions_cancelled_by_id_users')),
    sa.ForeignKeyConstraint(['mentee_id'], ['users.id'], name=op.f('fk_mentoring_sessions_mentee_id_users')),
    sa.ForeignKeyConstraint(['mentor_id'], ['users.id'], name=op.f('fk_mentoring_sessions_mentor_id_users')),
    sa.ForeignKeyConstraint(['session_type_id'], ['session_types.id'], name=op.f('fk_mentoring_sessions_session_type_id_session_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentoring_sessions'))
    )
    with op.batch_alter_table('mentoring_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentoring_sessions_mentee_id'), ['mentee_id'], unique=False)
        batch_op.create_index('ix_mentoring_sessions_mentor_id_starts_at', ['mentor_id', 'starts_at'], unique=False)

    op.create_table('attendance_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.CheckConstraint("outcome IN ('joined', 'denied')", name=op.f('ck_attendance_events_outcome_known')),
    sa.ForeignKeyConstraint(['session_id'], ['mentoring_sessions.id'], name=op.f('fk_attendance_events_session_id_mentoring_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attendance_events_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_events'))
    )
    with op.batch_alter_table('attendance_events', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_events_session_id_at', ['session_id', 'at'], unique=False)

    # The built-in session types; early/late are minutes of the join window around the session.
    op.bulk_insert(session_types, [
        {'name': 'Standard', 'default_duration_minutes': 60, 'early_access_minutes': 15, 'late_access_minutes': 30},
        {'name': 'Quick check-up', 'default_duration_minutes': 15, 'early_access_minutes': 5, 'late_access_minutes': 15},
        {'name': 'Group therapy', 'default_duration_minutes': 90, 'early_access_minutes': 30, 'late_access_minutes': 60},
        {'name': 'Emergency consultation', 'default_duration_minutes': 30, 'early_access_minutes': 60, 'late_access_minutes': 120},
    ])



def downgrade():
    with op.batch_alter_table('attendance_events', schema=None) as batch_op:
        batch_op.drop_index('ix_attendance_events_session_id_at')

    op.drop_table('attendance_events')
    with op.batch_alter_table('mentoring_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_mentoring_sessions_mentor_id_starts_at')
        batch_op.drop_index(batch_op.f('ix_mentoring_sessions_mentee_id'))

    op.drop_table('mentoring_sessions')
    op.drop_table('mentor_profiles')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('session_types')
