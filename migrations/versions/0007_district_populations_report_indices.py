"""district populations per year (Stuttgarter Weg), indices for the circle and district reports

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('district_populations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('population >= 0', name=op.f('ck_district_populations_population_not_negative')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_district_populations_district_id_districts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_district_populations_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_district_populations')),
    sa.UniqueConstraint('district_id', 'year', name=op.f('uq_district_populations_district_id_year'))
    )
    with op.batch_alter_table('district_populations', schema=None) as batch_op:
        batch_op.create_index('ix_district_populations_year', ['year'], unique=False)
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.create_index('ix_shifts_circle_id_starts_at', ['circle_id', 'starts_at'], unique=False)
    with op.batch_alter_table('dialogs', schema=None) as batch_op:
        batch_op.create_index('ix_dialogs_accommodation_id_starts_at', ['accommodation_id', 'starts_at'], unique=False)


def downgrade():
    with op.batch_alter_table('dialogs', schema=None) as batch_op:
        batch_op.drop_index('ix_dialogs_accommodation_id_starts_at')
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_index('ix_shifts_circle_id_starts_at')
    with op.batch_alter_table('district_populations', schema=None) as batch_op:
        batch_op.drop_index('ix_district_populations_year')
    op.drop_table('district_populations')
