"""Alembic environment of the test migrations: runs online against the engine of the
Flask-SQLAlchemy ``db`` that the Flask-Migrate extension of the current app holds."""

from __future__ import annotations

from alembic import context
from flask import current_app


def run_migrations_online() -> None:
    engine = current_app.extensions["migrate"].db.engine
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
