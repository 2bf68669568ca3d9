"""The client address on each join attempt, for spotting repeated refused attempts.

Revision ID: 0003_attendance_address
Revises: 0002_session_meetings
Create Date: 2026-11-21 06:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0003_attendance_address'
down_revision = '0002_session_meetings'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attendance_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=45), nullable=True))


def downgrade():
    with op.batch_alter_table('attendance_events', schema=None) as batch_op:
        batch_op.drop_column('address')
