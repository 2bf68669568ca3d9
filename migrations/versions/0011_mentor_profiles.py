"""Mentor profiles and availability: a headline, a bio, specialty and language tags and the session
types offered; weekly hours with dated exceptions, buffer, notice and horizon.

Revision ID: 0011_mentor_profiles
Revises: 0010_presence
Create Date: 2026-12-04 16:55:13

"""
import sqlalchemy as sa
from alembic import op

revision = '0011_mentor_profiles'
down_revision = '0010_presence'
branch_labels = None
depends_on = None


def upgrade():
    # First, while no other table refers to mentor_profiles: SQLite adds the CHECKs by copying it.
    with op.batch_alter_table('mentor_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headline', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('bio', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('availability_timezone', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('weekly_hours', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        batch_op.add_column(sa.Column('hour_exceptions', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column('buffer_minutes', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('minimum_notice_minutes', sa.Integer(), server_default='240', nullable=False))
        batch_op.add_column(sa.Column('horizon_days', sa.Integer(), server_default='60', nullable=False))
        batch_op.create_check_constraint('buffer_range', 'buffer_minutes BETWEEN 0 AND 240')
        batch_op.create_check_constraint('notice_range', 'minimum_notice_minutes BETWEEN 0 AND 43200')
        batch_op.create_check_constraint('horizon_range', 'horizon_days BETWEEN 1 AND 365')

    op.create_table('mentor_languages',
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('name_key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['mentor_id'], ['mentor_profiles.user_id'], name=op.f('fk_mentor_languages_mentor_id_mentor_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('mentor_id', 'name_key', name=op.f('pk_mentor_languages'))
    )
    with op.batch_alter_table('mentor_languages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentor_languages_name_key'), ['name_key'], unique=False)

    op.create_table('mentor_session_types',
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('session_type_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['mentor_id'], ['mentor_profiles.user_id'], name=op.f('fk_mentor_session_types_mentor_id_mentor_profiles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_type_id'], ['session_types.id'], name=op.f('fk_mentor_session_types_session_type_id_session_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('mentor_id', 'session_type_id', name=op.f('pk_mentor_session_types'))
    )
    op.create_table('mentor_specialties',
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('name_key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['mentor_id'], ['mentor_profiles.user_id'], name=op.f('fk_mentor_specialties_mentor_id_mentor_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('mentor_id', 'name_key', name=op.f('pk_mentor_specialties'))
    )
    with op.batch_alter_table('mentor_specialties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentor_specialties_name_key'), ['name_key'], unique=False)



def downgrade():
    with op.batch_alter_table('mentor_specialties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentor_specialties_name_key'))

    op.drop_table('mentor_specialties')
    op.drop_table('mentor_session_types')
    with op.batch_alter_table('mentor_languages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentor_languages_name_key'))

    op.drop_table('mentor_languages')

    with op.batch_alter_table('mentor_profiles', schema=None) as batch_op:
        for name in ('buffer_range', 'notice_range', 'horizon_range'):
            batch_op.drop_constraint(op.f(f'ck_mentor_profiles_{name}'), type_='check')
        batch_op.drop_column('horizon_days')
        batch_op.drop_column('minimum_notice_minutes')
        batch_op.drop_column('buffer_minutes')
        batch_op.drop_column('hour_exceptions')
        batch_op.drop_column('weekly_hours')
        batch_op.drop_column('availability_timezone')
        batch_op.drop_column('bio')
        batch_op.drop_column('headline')
