"""Accounts that hold: login versions, confirmed addresses, mentor approval, reset requests, account mails.

Revision ID: 0006_accounts
Revises: 0005_provider_meetings
Create Date: 2026-12-03 23:50:00

Everyone who exists already keeps working: their addresses count as confirmed (from when they
registered) and every existing mentor as approved.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_accounts'
down_revision = '0005_provider_meetings'
branch_labels = None
depends_on = None

SESSION_MAILS = ('booking_request', 'confirmation', 'reschedule', 'new_link', 'cancellation', 'reminder')
ACCOUNT_MAILS = (
    'email_confirmation', 'registration_attempt', 'password_reset', 'password_changed',
    'login_lockout', 'mentor_approved', 'mentor_suspended',
)


def _mail_kinds(*kinds):
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('login_version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE users SET email_confirmed_at = created_at")

    with op.batch_alter_table('mentor_profiles', schema=None) as batch_op:
        # Existing mentors were bookable before approval existed: they stay approved.
        batch_op.add_column(sa.Column(
            'approval',
            sa.Enum('pending', 'approved', 'suspended', name='mentor_approval', native_enum=False,
                    create_constraint=True, length=16),
            server_default='approved', nullable=False,
        ))
        batch_op.add_column(sa.Column('approval_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('approval_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('approval_changed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_mentor_profiles_approval_changed_by_id_users'), 'users', ['approval_changed_by_id'], ['id'],
            ondelete='SET NULL',
        )
    with op.batch_alter_table('mentor_profiles', schema=None) as batch_op:
        batch_op.alter_column('approval', server_default='pending')

    op.create_table(
        'password_reset_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_requests')),
    )

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('session_id', existing_type=sa.String(length=32), nullable=True)
        batch_op.drop_constraint(op.f('ck_outbox_mail_kind'), type_='check')
        batch_op.create_check_constraint('mail_kind', _mail_kinds(*SESSION_MAILS, *ACCOUNT_MAILS))


def downgrade():
    op.execute("DELETE FROM outbox WHERE session_id IS NULL")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_mail_kind'), type_='check')
        batch_op.create_check_constraint('mail_kind', _mail_kinds(*SESSION_MAILS))
        batch_op.alter_column('session_id', existing_type=sa.String(length=32), nullable=False)

    op.drop_table('password_reset_requests')

    with op.batch_alter_table('mentor_profiles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_mentor_profiles_approval_changed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('approval_changed_by_id')
        batch_op.drop_column('approval_changed_at')
        batch_op.drop_column('approval_reason')
        batch_op.drop_constraint(batch_op.f('ck_mentor_profiles_mentor_approval'), type_='check')
        batch_op.drop_column('approval')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_confirmed_at')
        batch_op.drop_column('login_version')
