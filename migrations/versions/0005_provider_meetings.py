"""Real Zoom and Google Meet meetings: the mentor's provider account, and sessions whose meeting is still to be made.

Revision ID: 0005_provider_meetings
Revises: 0004_outbox
Create Date: 2026-11-21 10:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0005_provider_meetings'
down_revision = '0004_outbox'
branch_labels = None
depends_on = None

REACHABLE_BEFORE = (
    "(meeting_kind = 'jitsi' AND meeting_room IS NOT NULL) OR (meeting_kind = 'manual' AND meeting_url IS NOT NULL)"
)
REACHABLE = (
    REACHABLE_BEFORE
    + " OR (meeting_kind IN ('zoom', 'google') AND meeting_url IS NOT NULL AND meeting_external_id IS NOT NULL)"
)


def upgrade():
    with op.batch_alter_table('mentor_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zoom_user', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('google_user', sa.String(length=254), nullable=True))

    with op.batch_alter_table('mentoring_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_password', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('meeting_code', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('meeting_retry_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('meeting_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_mentoring_sessions_meeting_retry_at'), ['meeting_retry_at'], unique=False)
        batch_op.drop_constraint(op.f('ck_mentoring_sessions_meeting_is_reachable'), type_='check')
        batch_op.create_check_constraint('meeting_is_reachable', REACHABLE)


def downgrade():
    with op.batch_alter_table('mentoring_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mentoring_sessions_meeting_is_reachable'), type_='check')
        batch_op.create_check_constraint('meeting_is_reachable', REACHABLE_BEFORE)
        batch_op.drop_index(batch_op.f('ix_mentoring_sessions_meeting_retry_at'))
        batch_op.drop_column('meeting_attempts')
        batch_op.drop_column('meeting_retry_at')
        batch_op.drop_column('meeting_code')
        batch_op.drop_column('meeting_password')

    with op.batch_alter_table('mentor_profiles', schema=None) as batch_op:
        batch_op.drop_column('google_user')
        batch_op.drop_column('zoom_user')
