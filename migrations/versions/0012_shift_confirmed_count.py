"""a shift's confirmed sign-ups, kept on the shift by triggers on the sign-ups

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 19:00:00

Lists of open shifts filter by free places and show them: counting every listed shift's sign-ups made up half of
what PostgreSQL did for a list. The count is kept by the database, so that every way a sign-up comes, changes or
goes (the app, a bulk load, a cascade from a deleted shift or account) keeps it right.

Later migrations beware: on SQLite, a batch operation that rebuilds `signups` drops these triggers (create them
anew after it), and one that rebuilds `shifts` fails while they refer to it (drop them first). TRUNCATE of
`signups` fires no row triggers on PostgreSQL. `tests/shifts/test_confirmed_count.py` checks that they exist.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# The status a sign-up has while it holds a place (app.shifts.models.SignupStatus.CONFIRMED).
CONFIRMED = "'confirmed'"

POSTGRESQL = [
    f"""
    CREATE FUNCTION shifts_count_confirmed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.status = {CONFIRMED} THEN
            UPDATE shifts SET confirmed_count = confirmed_count - 1 WHERE id = OLD.shift_id;
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.status = {CONFIRMED} THEN
            UPDATE shifts SET confirmed_count = confirmed_count + 1 WHERE id = NEW.shift_id;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE TRIGGER signups_count_insert AFTER INSERT ON signups FOR EACH ROW
    WHEN (NEW.status = {CONFIRMED}) EXECUTE FUNCTION shifts_count_confirmed()
    """,
    f"""
    CREATE TRIGGER signups_count_update AFTER UPDATE OF status, shift_id ON signups FOR EACH ROW
    WHEN ((OLD.status = {CONFIRMED} OR NEW.status = {CONFIRMED})
          AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.shift_id IS DISTINCT FROM NEW.shift_id))
    EXECUTE FUNCTION shifts_count_confirmed()
    """,
    f"""
    CREATE TRIGGER signups_count_delete AFTER DELETE ON signups FOR EACH ROW
    WHEN (OLD.status = {CONFIRMED}) EXECUTE FUNCTION shifts_count_confirmed()
    """,
]

SQLITE = [
    f"""
    CREATE TRIGGER signups_count_insert AFTER INSERT ON signups
    WHEN NEW.status = {CONFIRMED}
    BEGIN
        UPDATE shifts SET confirmed_count = confirmed_count + 1 WHERE id = NEW.shift_id;
    END
    """,
    f"""
    CREATE TRIGGER signups_count_update AFTER UPDATE OF status, shift_id ON signups
    WHEN (OLD.status = {CONFIRMED} OR NEW.status = {CONFIRMED})
         AND (OLD.status IS NOT NEW.status OR OLD.shift_id IS NOT NEW.shift_id)
    BEGIN
        UPDATE shifts SET confirmed_count = confirmed_count - 1 WHERE id = OLD.shift_id AND OLD.status = {CONFIRMED};
        UPDATE shifts SET confirmed_count = confirmed_count + 1 WHERE id = NEW.shift_id AND NEW.status = {CONFIRMED};
    END
    """,
    f"""
    CREATE TRIGGER signups_count_delete AFTER DELETE ON signups
    WHEN OLD.status = {CONFIRMED}
    BEGIN
        UPDATE shifts SET confirmed_count = confirmed_count - 1 WHERE id = OLD.shift_id;
    END
    """,
]

TRIGGERS = ("signups_count_insert", "signups_count_update", "signups_count_delete")


def upgrade():
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_count', sa.Integer(), server_default='0', nullable=False))
    op.execute(
        f"UPDATE shifts SET confirmed_count = (SELECT count(*) FROM signups"
        f" WHERE signups.shift_id = shifts.id AND signups.status = {CONFIRMED})"
    )
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON signups" if postgresql else f"DROP TRIGGER {name}")
    if postgresql:
        op.execute("DROP FUNCTION shifts_count_confirmed()")
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_column('confirmed_count')
