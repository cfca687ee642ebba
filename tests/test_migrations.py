"""The migrations build exactly the models: no drift between Alembic and SQLAlchemy."""

from __future__ import annotations

import hashlib

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from app.extensions import db as _db


def test_upgrade_from_empty_matches_models(app, db):
    # The session's database was built by `flask db upgrade` from empty (see conftest).
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, _db.metadata)
    assert diff == []


def test_migration_head_is_applied(app, db):
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate

    config = app.extensions["migrate"].migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    assert current == head
    assert isinstance(app.extensions["migrate"].migrate, Migrate)


def _sha(key: str) -> str:
    return hashlib.sha256(b"%PDF-1.4 " + key.removeprefix("key-").encode()).hexdigest()


def _attachment_rows() -> dict[int, tuple]:
    with _db.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, content, storage_key FROM proposal_attachments")).all()
    return {row.id: (row.content, row.storage_key) for row in rows}


def test_attachments_move_from_the_upload_folder_into_the_database_and_back(tmp_path, monkeypatch):
    """0010 reads each attachment's file into its row; one it can't find waits, with its name in the folder, for
    `flask import-attachments`, which takes only the file that was uploaded. The downgrade writes them back."""
    from flask_migrate import downgrade, upgrade

    from app import create_app

    folder = tmp_path / "uploads"
    folder.mkdir()
    (folder / "key-plan").write_bytes(b"%PDF-1.4 plan")
    monkeypatch.setenv("LOTSE_UPLOAD_DIR", str(folder))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'move.db'}"})
    insert = text(
        "INSERT INTO proposal_attachments (id, proposal_id, kind, filename, content_type, size, storage_key, sha256,"
        " uploaded_at) VALUES (:id, 1, 'proposal', :name, 'application/pdf', 13, :key, :sha, '2026-12-01 10:00:00')"
    )
    with app.app_context():
        upgrade(revision="0009")
        with _db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # the attachments' proposal is left out
            for number, key in ((1, "key-plan"), (2, "key-gone"), (3, "key-other")):
                connection.execute(insert, {"id": number, "name": f"{key}.pdf", "key": key, "sha": _sha(key)})
            connection.commit()
        upgrade(revision="0010")
        rows = _attachment_rows()
        assert rows == {1: (b"%PDF-1.4 plan", None), 2: (None, "key-gone"), 3: (None, "key-other")}

        # The rest comes from a copy of the folder: the file that was uploaded is taken, a different one is not.
        copy = tmp_path / "copy"
        copy.mkdir()
        (copy / "key-gone").write_bytes(b"%PDF-1.4 gone")
        (copy / "key-other").write_bytes(b"%PDF-1.4 changed")
        result = app.test_cli_runner().invoke(args=["import-attachments", str(copy)])
        assert result.exit_code == 0, result.output
        assert "1 attachments moved into the database, 1 still without their file." in result.output
        rows = _attachment_rows()
        assert rows[2] == (b"%PDF-1.4 gone", None) and rows[3] == (None, "key-other")
        again = app.test_cli_runner().invoke(args=["import-attachments", str(copy)])
        assert "0 attachments moved" in again.output and _attachment_rows() == rows

        (folder / "key-plan").unlink()
        downgrade(revision="0009")
        with _db.engine.connect() as connection:
            keys = dict(connection.execute(text("SELECT id, storage_key FROM proposal_attachments")).all())
        assert (folder / keys[1]).read_bytes() == b"%PDF-1.4 plan"
        assert (folder / keys[2]).read_bytes() == b"%PDF-1.4 gone"
        assert keys[3] == "key-other" and len(set(keys.values())) == 3
        _db.engine.dispose()
