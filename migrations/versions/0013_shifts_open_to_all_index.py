"""partial index of the shifts open to all circles, by circle and start, for a district's list of open shifts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 23:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # Without a batch: SQLite creates an index in place, and a batch's rebuild of the table would drop the
    # triggers that keep the confirmed counts (0012).
    op.create_index(
        'ix_shifts_open_to_all_circle_id_starts_at',
        'shifts',
        ['circle_id', 'starts_at'],
        unique=False,
        postgresql_where=sa.text('open_to_all'),
        sqlite_where=sa.text('open_to_all = 1'),
    )


def downgrade():
    op.drop_index('ix_shifts_open_to_all_circle_id_starts_at', table_name='shifts')
