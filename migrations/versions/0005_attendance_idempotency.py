"""attendance submissions by idempotency key, so a form sent again from an offline queue is stored once

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attendance_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('payload_digest', sa.String(length=64), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_attendance_submissions_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shift_id'], ['shifts.id'], name=op.f('fk_attendance_submissions_shift_id_shifts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_submissions')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_attendance_submissions_idempotency_key'))
    )
    with op.batch_alter_table('attendance_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_submissions_shift_id'), ['shift_id'], unique=False)


def downgrade():
    with op.batch_alter_table('attendance_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_submissions_shift_id'))

    op.drop_table('attendance_submissions')
