"""The mentee's "Your request was sent to …" mail.

Revision ID: 0007_request_sent_mail
Revises: 0006_accounts
Create Date: 2026-12-04 01:35:00

"""
from alembic import op

revision = '0007_request_sent_mail'
down_revision = '0006_accounts'
branch_labels = None
depends_on = None

BEFORE = (
    'booking_request', 'confirmation', 'reschedule', 'new_link', 'cancellation', 'reminder',
    'email_confirmation', 'registration_attempt', 'password_reset', 'password_changed',
    'login_lockout', 'mentor_approved', 'mentor_suspended',
)


def _mail_kinds(*kinds):
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_mail_kind'), type_='check')
        batch_op.create_check_constraint('mail_kind', _mail_kinds(*BEFORE, 'request_sent'))


def downgrade():
    op.execute("DELETE FROM outbox WHERE kind = 'request_sent'")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_mail_kind'), type_='check')
        batch_op.create_check_constraint('mail_kind', _mail_kinds(*BEFORE))
