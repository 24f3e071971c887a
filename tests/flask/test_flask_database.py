"""check_database_connected and check_migrations_applied against SQLite and a real
PostgreSQL, with real Alembic migrations through Flask-Migrate."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask
import flask_migrate
import pytest
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from services import PostgresServer

from dockerflow import health
from dockerflow.flask import Dockerflow
from dockerflow.flask.checks import check_database_connected, check_migrations_applied

MIGRATIONS = str(Path(__file__).resolve().parent / "migrations")


def make_db_app(
    uri: str, *, migrate: bool = False, directory: str = MIGRATIONS, **kwargs: Any
) -> tuple[flask.Flask, SQLAlchemy, Migrate | None]:
    app = flask.Flask("flask_db_app")
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    db = SQLAlchemy(app)
    mig = Migrate(app, db, directory=directory) if migrate else None
    Dockerflow(app, db=db, migrate=mig, **kwargs)
    return app, db, mig


def heartbeat(app: flask.Flask) -> tuple[int, dict[str, Any]]:
    response = app.test_client().get("/__heartbeat__")
    return response.status_code, response.json


def message_ids(body: dict[str, Any], check: str) -> list[str]:
    return list(body.get("details", {}).get(check, {}).get("messages", {}))


@pytest.fixture
def pg_url(postgres_service: PostgresServer) -> Iterator[str]:
    name = f"flask_{uuid.uuid4().hex[:12]}"
    url = postgres_service.create_database(name)
    yield url.replace("postgresql://", "postgresql+psycopg://", 1)


def dispose(app: flask.Flask, db: SQLAlchemy) -> None:
    with app.app_context():
        db.engine.dispose()


# -- SQLite -------------------------------------------------------------------------------


def test_sqlite_connected(tmp_path: Path) -> None:
    app, db, _ = make_db_app(f"sqlite:///{tmp_path / 'app.db'}")
    status, body = heartbeat(app)
    assert (status, body["checks"]) == (200, {"check_database_connected": "ok"})
    dispose(app, db)


def test_sqlite_unusable(tmp_path: Path) -> None:
    app, _, _ = make_db_app(f"sqlite:///{tmp_path / 'missing-dir' / 'app.db'}")
    status, body = heartbeat(app)
    assert status == 500
    assert message_ids(body, "check_database_connected") == [health.ERROR_DB_API_EXCEPTION]


def test_sqlalchemy_error_other_than_dbapi(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    class BrokenDB:
        # Fails before reaching the driver: an isolation level SQLite does not have.
        engine = create_engine(
            f"sqlite:///{tmp_path / 'app.db'}", execution_options={"isolation_level": "NOPE"}
        )

    result = check_database_connected(BrokenDB())
    assert [m.id for m in result] == [health.ERROR_SQLALCHEMY_EXCEPTION]


def test_sqlite_migrations(tmp_path: Path) -> None:
    app, db, _ = make_db_app(f"sqlite:///{tmp_path / 'app.db'}", migrate=True)
    status, body = heartbeat(app)
    assert status == 200  # unapplied migrations are a warning: the heartbeat passes
    assert body["status"] == "warning"
    assert body["checks"]["check_migrations_applied"] == "warning"
    assert message_ids(body, "check_migrations_applied") == [health.WARNING_UNAPPLIED_MIGRATION]
    assert (
        "0002"
        in body["details"]["check_migrations_applied"]["messages"][
            health.WARNING_UNAPPLIED_MIGRATION
        ]
    )

    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS, revision="0001")
    status, body = heartbeat(app)
    assert (status, body["checks"]["check_migrations_applied"]) == (200, "warning")

    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
    status, body = heartbeat(app)
    assert (status, body["status"]) == (200, "ok")
    assert body["checks"] == {"check_database_connected": "ok", "check_migrations_applied": "ok"}
    dispose(app, db)


def test_migrations_cannot_be_checked(tmp_path: Path) -> None:
    app, db, _ = make_db_app(
        f"sqlite:///{tmp_path / 'app.db'}", migrate=True, directory=str(tmp_path / "no-migrations")
    )
    status, body = heartbeat(app)
    assert (status, body["status"]) == (200, "info")
    assert message_ids(body, "check_migrations_applied") == [health.INFO_CANT_CHECK_MIGRATIONS]
    dispose(app, db)


def test_migrations_silenced(tmp_path: Path) -> None:
    app, db, _ = make_db_app(
        f"sqlite:///{tmp_path / 'app.db'}",
        migrate=True,
        silenced_checks=[health.WARNING_UNAPPLIED_MIGRATION],
    )
    status, body = heartbeat(app)
    assert (status, body["status"], body["details"]) == (200, "ok", {})
    dispose(app, db)


def test_check_migrations_applied_direct_call(tmp_path: Path) -> None:
    app, db, mig = make_db_app(f"sqlite:///{tmp_path / 'app.db'}", migrate=True)
    with app.app_context():
        assert [m.id for m in check_migrations_applied(mig)] == [health.WARNING_UNAPPLIED_MIGRATION]
        flask_migrate.upgrade(directory=MIGRATIONS)
        assert check_migrations_applied(mig) == []
        db.engine.dispose()


# -- PostgreSQL ----------------------------------------------------------------------------


def test_postgres_outage_and_recovery(postgres_service: PostgresServer, pg_url: str) -> None:
    app, db, _ = make_db_app(pg_url, migrate=True)
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
    status, body = heartbeat(app)
    assert (status, body["status"]) == (200, "ok")

    postgres_service.stop()
    try:
        status, body = heartbeat(app)
        assert status == 500
        assert message_ids(body, "check_database_connected") == [health.ERROR_DB_API_EXCEPTION]
        assert message_ids(body, "check_migrations_applied") == [health.INFO_CANT_CHECK_MIGRATIONS]
    finally:
        postgres_service.start()

    status, body = heartbeat(app)
    assert (status, body["status"]) == (200, "ok")
    dispose(app, db)


def test_postgres_unapplied_then_applied(pg_url: str) -> None:
    app, db, _ = make_db_app(pg_url, migrate=True)
    status, body = heartbeat(app)
    assert (status, message_ids(body, "check_migrations_applied")) == (
        200,
        [health.WARNING_UNAPPLIED_MIGRATION],
    )
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
    assert heartbeat(app)[1]["status"] == "ok"
    dispose(app, db)


def test_postgres_missing_database(postgres_service: PostgresServer) -> None:
    url = postgres_service.url("does_not_exist").replace(
        "postgresql://", "postgresql+psycopg://", 1
    )
    app, _, _ = make_db_app(url)
    status, body = heartbeat(app)
    assert status == 500
    assert message_ids(body, "check_database_connected") == [health.ERROR_DB_API_EXCEPTION]


def test_lbheartbeat_opens_no_database_connection(
    postgres_service: PostgresServer, pg_url: str
) -> None:
    app, db, _ = make_db_app(pg_url, migrate=True)
    dbname = pg_url.rsplit("/", 1)[1]
    client = app.test_client()
    for _ in range(5):
        assert client.get("/__lbheartbeat__").status_code == 200
    assert postgres_service.connection_count(dbname) == 0
    assert client.get("/__heartbeat__").status_code == 200
    assert postgres_service.connection_count(dbname) >= 1  # the check did connect
    dispose(app, db)
    postgres_service.wait_for_connection_count(dbname, 0)
