"""attachments kept in the database instead of an upload folder, so that every app machine serves them

The files are read from LOTSE_UPLOAD_DIR (default instance/uploads), where they were kept until now, and stay there
until the operator removes the folder. An attachment whose file is not there (a release machine without the volume)
keeps its storage key, for `flask import-attachments FOLDER` to fill in later; until then its download answers 404.
The downgrade writes the files back into that folder.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 17:20:00

"""
import os
import secrets
from pathlib import Path

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

attachments = sa.table(
    'proposal_attachments',
    sa.column('id', sa.Integer),
    sa.column('storage_key', sa.String),
    sa.column('content', sa.LargeBinary),
)


def upload_dir() -> Path:
    default = Path(__file__).resolve().parents[2] / 'instance' / 'uploads'
    return Path(os.environ.get('LOTSE_UPLOAD_DIR') or default)


def upgrade():
    with op.batch_alter_table('proposal_attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content', sa.LargeBinary(), nullable=True))
        batch_op.alter_column('storage_key', existing_type=sa.String(length=64), nullable=True)

    connection = op.get_bind()
    folder = upload_dir()
    rows = connection.execute(sa.select(attachments.c.id, attachments.c.storage_key)).all()
    for attachment_id, storage_key in rows:
        path = folder / storage_key
        if path.is_file():
            connection.execute(
                attachments.update()
                .where(attachments.c.id == attachment_id)
                .values(content=path.read_bytes(), storage_key=None)
            )


def downgrade():
    connection = op.get_bind()
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    rows = connection.execute(
        sa.select(attachments.c.id, attachments.c.content).where(attachments.c.storage_key.is_(None))
    ).all()
    for attachment_id, content in rows:
        storage_key = secrets.token_hex(24)
        if content is not None:
            (folder / storage_key).write_bytes(content)
        connection.execute(
            attachments.update().where(attachments.c.id == attachment_id).values(storage_key=storage_key)
        )

    with op.batch_alter_table('proposal_attachments', schema=None) as batch_op:
        batch_op.alter_column('storage_key', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('content')
