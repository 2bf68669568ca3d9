"""Each session's meeting: the chosen provider, and the Jitsi room or manual URL it is reached at.

Revision ID: 0002_session_meetings
Revises: 0001_initial_schema
Create Date: 2026-11-21 06:00:00

"""
import base64
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0002_session_meetings'
down_revision = '0001_initial_schema'
branch_labels = None
depends_on = None


def _room() -> str:
    # The same shape as meetapp.domain.video.new_room_name with the default prefix.
    return "meetapp-session-" + base64.b32encode(secrets.token_bytes(12)).decode().rstrip("=").lower()


def upgrade():
    with op.batch_alter_table('mentoring_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('video_provider', sa.String(length=16), server_default='jitsi', nullable=False))
        batch_op.add_column(sa.Column('meeting_kind', sa.String(length=16), server_default='jitsi', nullable=False))
        batch_op.add_column(sa.Column('meeting_room', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('meeting_url', sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column('meeting_external_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('meeting_notice', sa.String(length=300), nullable=True))

    # Sessions booked before meetings existed get a Jitsi room of their own.
    connection = op.get_bind()
    sessions = sa.table('mentoring_sessions', sa.column('id', sa.String), sa.column('meeting_room', sa.String))
    for (session_id,) in connection.execute(sa.select(sessions.c.id).where(sessions.c.meeting_room.is_(None))):
        connection.execute(sessions.update().where(sessions.c.id == session_id).values(meeting_room=_room()))

    with op.batch_alter_table('mentoring_sessions', schema=None) as batch_op:
        batch_op.create_check_constraint(
            'session_video_provider_known', "video_provider IN ('jitsi', 'google', 'zoom', 'manual')"
        )
        batch_op.create_check_constraint(
            'meeting_is_reachable',
            "(meeting_kind = 'jitsi' AND meeting_room IS NOT NULL) OR (meeting_kind = 'manual' AND meeting_url IS NOT NULL)",
        )


def downgrade():
    with op.batch_alter_table('mentoring_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mentoring_sessions_meeting_is_reachable'), type_='check')
        batch_op.drop_constraint(op.f('ck_mentoring_sessions_session_video_provider_known'), type_='check')
        batch_op.drop_column('meeting_notice')
        batch_op.drop_column('meeting_external_id')
        batch_op.drop_column('meeting_url')
        batch_op.drop_column('meeting_room')
        batch_op.drop_column('meeting_kind')
        batch_op.drop_column('video_provider')
